/* consign verify and consign inspect for batch and release zips: cmd/verify.c
 * and cmd/inspect.c hand zips over here with their whole argv. */
#include "office.h"

#include <string.h>

#include "ledger/ledger.h"
#include "util/file.h"
#include "util/text.h"

static const char verify_usage[] =
    "usage: consign verify --policy P [--json] [--threads N] [--ledger DIR] batch.zip\n"
    "       consign verify --policy P (--first | --after SEQ:DIGEST) [--deep] [--json]\n"
    "                      [--threads N] [--released DIR] [--withdrawn W]... registry.zip\n"
    "\n"
    "A batch: every check of DESIGN.md (zip layout, order, station, digests, counts,\n"
    "quantity, and for every record its form, signature, key, batch, nonce, serial\n"
    "range and uniqueness; with --ledger also against every release before it).\n"
    "A release: M distinct valid custodian signatures of the pinned policy P, the\n"
    "next position in the chain (--first for the first release, else --after the\n"
    "last one imported, as SEQ:DIGEST), and every cheap check of the batch it\n"
    "carries, its exclusion list included; --deep repeats the per-record signature\n"
    "and prime-order checks; --released DIR (the earlier release zips) checks each\n"
    "\"released before\" exclusion against the release it names; --withdrawn W (a\n"
    "withdrawal M custodians signed) refuses the release it names. Exit 0 accepted,\n"
    "1 rejected, 3 unreadable.\n";

enum { O_FIRST = 256, O_AFTER, O_DEEP, O_LEDGER, O_THREADS, O_RELEASED, O_WITHDRAWN };

#define VZ_MAX_WITHDRAWN 64

struct vz {
	const char *policy, *after, *ledger, *released;
	const char *withdrawn[VZ_MAX_WITHDRAWN];
	size_t nwithdrawn;
	int json, deep, first;
	unsigned threads;
	/* report state */
	const char *file;
	uint64_t shown, hidden;
	int is_release;
	/* the first failures, shown after the summary they belong to */
	char line[OFFICE_SHOW_FIRST][CS_VREC_MSG_MAX * 6 + 128];
};

static void
print_lines(const struct vz *o)
{
	uint64_t i;

	for (i = 0; i < o->shown; i++)
		fputs(o->line[i], stdout);
	if (o->hidden > 0)
		printf("  ... and %llu more (--json lists them all)\n", (unsigned long long)o->hidden);
}

static int
vz_opt(int key, const char *arg, void *ctx)
{
	struct vz *o = ctx;

	switch (key) {
	case 'P': o->policy = arg; break;
	case 'j': o->json = 1; break;
	case O_FIRST: o->first = 1; break;
	case O_AFTER: o->after = arg; break;
	case O_DEEP: o->deep = 1; break;
	case O_LEDGER: o->ledger = arg; break;
	case O_RELEASED: o->released = arg; break;
	case O_WITHDRAWN:
		if (o->nwithdrawn == VZ_MAX_WITHDRAWN)
			return cmd_usage(verify_usage, "at most %d --withdrawn", VZ_MAX_WITHDRAWN);
		o->withdrawn[o->nwithdrawn++] = arg;
		break;
	case O_THREADS:
		return office_parse_threads(verify_usage, arg, &o->threads);
	}
	return 0;
}

static void
print_serial(char *out, size_t cap, const cs_vrec *r)
{
	if (r->decoded)
		snprintf(out, cap, " (serial %llu)", (unsigned long long)r->rec->serial);
	else
		out[0] = '\0';
}

/* Failing records (a batch) or excluded ones (a release), as they come. */
static int
on_record(void *ctx, const cs_vrec *r)
{
	struct vz *o = ctx;
	char esc[CS_VREC_MSG_MAX * 6], ser[40];
	const char *reason;

	if (o->is_release ? !r->excluded : r->reason == NULL)
		return 0;
	reason = o->is_release ? r->excl_reason : r->reason;
	if (o->json) {
		printf("%s{\"index\":%llu,\"serial\":", o->shown ? "," : "",
		    (unsigned long long)r->index);
		if (r->decoded)
			printf("%llu", (unsigned long long)r->rec->serial);
		else
			printf("null");
		printf(",\"reason\":\"%s\"", reason);
		if (o->is_release && r->excl_released_in != 0 && r->decoded) {
			/* what a registry checks the claim against: the value, and
			 * the release it names */
			printf(",\"released_in\":%llu", (unsigned long long)r->excl_released_in);
			if (strcmp(reason, "record-released-key") == 0)
				cs_hex(esc, r->rec->pk, CS_PK_LEN);
			else if (strcmp(reason, "record-released-hwid") == 0)
				cs_hex(esc, r->rec->hwid, r->rec->hwid_len);
			else
				snprintf(esc, sizeof esc, "%llu", (unsigned long long)r->rec->serial);
			printf(",\"value\":\"%s\"", esc);
		}
		if (o->is_release)
			printf(",\"checked\":%s", r->reason != NULL ? "true" : "false");
		else
			printf(",\"message\":\"%s\"", cs_json_escape(esc, sizeof esc, r->msg));
		printf("}");
		o->shown++;
		return 0;
	}
	if (o->shown >= OFFICE_SHOW_FIRST) {
		o->hidden++;
		return 0;
	}
	print_serial(ser, sizeof ser, r);
	if (o->is_release)
		snprintf(o->line[o->shown], sizeof o->line[0], "  excluded: record %llu%s: %s%s\n",
		    (unsigned long long)r->index, ser, reason,
		    r->reason != NULL ? "" : " (as the custodians found; --deep to check again)");
	else
		snprintf(o->line[o->shown], sizeof o->line[0], "  record %llu%s: %s: %s\n",
		    (unsigned long long)r->index, ser, reason, cs_escapez(esc, sizeof esc, r->msg));
	o->shown++;
	return 0;
}

static void
print_quorum_json(const cs_quorum *q, const cs_cose *c, const cs_policy *p)
{
	static const char *st[] = {"valid", "bad-signature", "unknown-key", "repeated-signer"};
	char kid[2 * CS_KID_LEN + 1];
	size_t i;

	printf("\"valid_signatures\":%zu,\"signatures\":[", q->valid);
	for (i = 0; i < q->nsig; i++) {
		cs_hex(kid, c->s[i].kid, CS_KID_LEN);
		printf("%s{\"kid\":\"%s\",\"custodian\":", i ? "," : "", kid);
		if (q->who[i] >= 0)
			printf("\"%s\"", p->cust[q->who[i]].id);
		else
			printf("null");
		printf(",\"state\":\"%s\"}", st[q->state[i]]);
	}
	printf("]");
}

/* A layout violation is a verification result like any other. */
static int
layout_rejected(const struct vz *o, const cs_err *e)
{
	char esc[CS_MSG_MAX * 6], f[1024];

	if (o->json) {
		printf("{\"file\":\"%s\",\"kind\":\"zip\",\"verdict\":\"rejected\",\"problems\":[{"
		       "\"reason\":\"%s\",\"message\":\"%s\"}]}\n",
		    cs_json_escape(f, sizeof f, o->file), e->reason,
		    cs_json_escape(esc, sizeof esc, e->msg));
	} else {
		printf("problem: %s: %s\n", e->reason, cs_escapez(esc, sizeof esc, e->msg));
		printf("%s: REJECTED\n", cs_escapez(f, sizeof f, o->file));
	}
	return CS_REJECT;
}

/* A withdrawal given with --withdrawn: M custodians of the pinned policy
 * signed it, or it counts for nothing and the command stops. */
static int
load_withdrawal(const char *path, const cs_policy *pol, const uint8_t pd[CS_DIGEST_LEN],
    uint8_t digest[CS_DIGEST_LEN])
{
	cs_signed s;
	cs_withdrawal w;
	cs_quorum q;
	uint8_t *buf;
	size_t n;
	cs_err e;
	int rc;

	if ((rc = cmd_read(path, CMD_ARTIFACT_MAX, &buf, &n)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	if ((rc = cs_withdrawal_load(&s, &w, buf, n, &e)) == CS_OK &&
	    (rc = cs_withdrawal_verify(&s, &w, pol, pd, &q, &e)) == CS_OK)
		memcpy(digest, w.release, CS_DIGEST_LEN);
	cs_file_free(buf, n);
	return rc == CS_OK ? CS_OK : cmd_report(path, &e);
}

int
cmd_verify_zip(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {{"policy", 1, 0, 'P'}, {"json", 0, 0, 'j'},
	    {"first", 0, 0, O_FIRST}, {"after", 1, 0, O_AFTER}, {"deep", 0, 0, O_DEEP},
	    {"ledger", 1, 0, O_LEDGER}, {"threads", 1, 0, O_THREADS}, {"released", 1, 0, O_RELEASED},
	    {"withdrawn", 1, 0, O_WITHDRAWN}, {NULL, 0, 0, 0}};
	static cs_signed ps;
	static cs_policy pol;
	static cs_verify v;
	static struct vz o;
	cs_vopts vo;
	cs_zipr *z = NULL;
	cs_ledger *l = NULL;
	cs_earlier_dir *ed = NULL;
	cs_vlookup lk;
	cs_vearlier ea, ea2;
	static uint8_t wd[VZ_MAX_WITHDRAWN][CS_DIGEST_LEN];
	size_t i;
	char f[1024], chain[OFFICE_CHAIN_MAX], fp[24], esc[CS_MSG_MAX * 6];
	cs_err e;
	int a, rc;

	memset(&o, 0, sizeof o);
	if ((a = office_getopt(argc, argv, opts, verify_usage, vz_opt, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (a != argc - 1)
		return cmd_usage(verify_usage, "expected exactly one FILE");
	o.file = argv[a];
	if (o.policy == NULL)
		return cmd_usage(verify_usage, "a batch or release is verified against a policy: "
					       "give --policy");
	if (o.first && o.after != NULL)
		return cmd_usage(verify_usage, "--first and --after exclude each other");
	memset(&vo, 0, sizeof vo);
	if (o.after != NULL && office_parse_after(o.after, &vo.after_seq, vo.after_digest) != 0)
		return cmd_usage(verify_usage, "--after wants SEQ:DIGEST (64 hex digits)");
	if ((rc = cmd_load_pinned_policy(o.policy, &ps, &pol)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	cs_escapez(f, sizeof f, o.file);
	if ((rc = cs_zipr_open(&z, o.file, &e)) != CS_OK)
		return rc == CS_REJECT ? layout_rejected(&o, &e) : cmd_report(o.file, &e);
	o.is_release = cs_zipr_entries(z) == CS_V_RELEASE;
	if (!o.is_release && (o.first || o.after != NULL)) {
		cs_zipr_close(z);
		return cmd_usage(verify_usage, "--first and --after apply to releases; %s is a batch",
		    f);
	}
	if (o.is_release && o.ledger != NULL) {
		cs_zipr_close(z);
		return cmd_usage(verify_usage, "--ledger applies to batches; %s is a release", f);
	}
	if (!o.is_release && o.nwithdrawn > 0) {
		cs_zipr_close(z);
		return cmd_usage(verify_usage, "--withdrawn applies to releases; %s is a batch", f);
	}
	for (i = 0; i < o.nwithdrawn; i++)
		if ((rc = load_withdrawal(o.withdrawn[i], &pol, ps.digest, wd[i])) != CS_OK) {
			cs_zipr_close(z);
			return rc;
		}
	vo.withdrawn = (const uint8_t(*)[CS_DIGEST_LEN])wd;
	vo.nwithdrawn = o.nwithdrawn;
	if (!o.is_release && o.released != NULL) {
		cs_zipr_close(z);
		return cmd_usage(verify_usage, "--released applies to releases; %s is a batch", f);
	}
	if (o.released != NULL) {
		/* the earlier releases, found by the chain back from this one */
		if ((rc = cs_earlier_dir_open(&ed, o.released, &pol, ps.digest, &e)) != CS_OK) {
			cs_zipr_close(z);
			return cmd_report(o.released, &e);
		}
		if ((rc = cs_verify_load(&v, z, &e)) != CS_OK) {
			cs_earlier_dir_close(ed);
			cs_zipr_close(z);
			return cmd_report(o.file, &e);
		}
		cs_earlier_dir_bind(ed, v.release.seq, v.release.prev);
		cs_verify_free(&v);
		cs_earlier_dir_get(ed, &ea2);
		vo.earlier = &ea2;
	}
	vo.policy = &pol;
	vo.policy_digest = ps.digest;
	vo.deep = o.is_release ? o.deep : 1;
	vo.threads = o.threads;
	vo.chain = o.first ? CS_CHAIN_FIRST : o.after != NULL ? CS_CHAIN_AFTER : CS_CHAIN_NONE;
	vo.on_record = on_record;
	vo.ctx = &o;
	if (o.ledger != NULL) {
		if ((rc = cs_ledger_open(&l, o.ledger, &e)) != CS_OK) {
			cs_zipr_close(z);
			return cmd_report(o.ledger, &e);
		}
		cs_ledger_lookup(l, &lk);
		cs_ledger_earlier(l, &ea);
		vo.lookup = &lk;
		vo.earlier = &ea;
	}
	if (o.json)
		printf("{\"file\":\"%s\",\"%s\":[", cs_json_escape(esc, sizeof esc, o.file),
		    o.is_release ? "excluded" : "failures");
	rc = cs_verify_zip(&v, z, &vo, &e);
	if (rc == CS_MALFORMED || rc == CS_USAGE) {
		if (o.json)
			printf("],\"verdict\":\"unreadable\",\"reason\":\"%s\"}\n", e.reason);
		else
			print_lines(&o);
		fflush(stdout);
		rc = cmd_report(o.file, &e);
		goto done;
	}
	if (o.json) {
		printf("],\"kind\":\"%s\",\"batch\":\"%s\",\"records\":%llu,\"failed\":%llu",
		    o.is_release ? "release" : "batch", v.order.batch,
		    (unsigned long long)v.records, (unsigned long long)v.failed);
		cs_hex(esc, v.header_digest, CS_DIGEST_LEN);
		printf(",\"header\":\"%s\"", esc);
		cs_hex(esc, v.order_s.digest, CS_DIGEST_LEN);
		printf(",\"order\":\"%s\",", esc);
		print_quorum_json(&v.order_q, &v.order_s.cose, &pol);
		if (o.is_release) {
			office_chain(chain, v.release.seq, v.release_s.digest);
			printf(",\"release\":\"%s\",\"sequence\":%llu,\"accepted\":%llu,"
			       "\"excluded_count\":%zu,\"release_signatures\":{",
			    chain, (unsigned long long)v.release.seq,
			    (unsigned long long)v.release.accepted, v.release.excluded.n);
			print_quorum_json(&v.release_q, &v.release_s.cose, &pol);
			printf("}");
		}
		printf(",\"problems\":[");
		office_json_problems(stdout, &v);
		printf("],\"verdict\":\"%s\"}\n", rc == CS_OK ? "accepted" : "rejected");
		goto done;
	}
	cmd_fingerprint(fp, v.order_s.digest);
	printf("%s: %sbatch %s, order %s, %llu records (the header says %llu)\n", f,
	    o.is_release ? "release of " : "", v.order.batch, fp, (unsigned long long)v.records,
	    (unsigned long long)v.header.count);
	printf("  order: %zu valid custodian signature%s, the policy needs %llu\n", v.order_q.valid,
	    v.order_q.valid == 1 ? "" : "s", (unsigned long long)pol.threshold);
	if (o.is_release) {
		office_chain(chain, v.release.seq, v.release_s.digest);
		printf("  release: %s\n", chain);
		if (v.release.has_prev) {
			office_chain(chain, v.release.seq - 1, v.release.prev);
			printf("  after:   %s\n", chain);
		} else {
			printf("  after:   none (the first release)\n");
		}
		cmd_print_quorum(stdout, &v.release_q, &v.release_s.cose, &pol);
		printf("%s: %llu accepted, %zu excluded%s\n", f, (unsigned long long)v.release.accepted,
		    v.release.excluded.n, vo.deep ? " (deep: every record checked again)" : "");
	} else {
		printf("%s: %llu of %llu records pass, %llu fail\n", f,
		    (unsigned long long)(v.records - v.failed), (unsigned long long)v.records,
		    (unsigned long long)v.failed);
	}
	print_lines(&o);
	office_print_problems(stdout, &v);
	printf("%s: %s\n", f, rc == CS_OK ? "ACCEPTED" : "REJECTED");
done:
	cs_verify_free(&v);
	cs_zipr_close(z);
	cs_ledger_close(l);
	cs_earlier_dir_close(ed);
	return rc;
}

/* ---- inspect ----------------------------------------------------------------- */

int
cmd_inspect_zip(int argc, char **argv)
{
	static cs_verify v;
	const char *file = argv[argc - 1];
	char f[1024], hex[2 * CS_DIGEST_LEN + 1], kid[2 * CS_KID_LEN + 1], chain[OFFICE_CHAIN_MAX],
	    prod[CS_NAME_MAX * 4 + 1], excl[2048];
	uint8_t k[CS_KID_LEN];
	cs_zipr *z = NULL;
	cs_err e;
	size_t i;
	int json = 0, rc;

	for (i = 1; i + 1 < (size_t)argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
	cs_err_clear(&e);
	if ((rc = office_open(file, &z)) != CS_OK)
		return rc;
	if ((rc = cs_verify_load(&v, z, &e)) != CS_OK) {
		rc = cmd_report(file, &e);
		goto done;
	}
	cs_keyid(k, v.header.station_pk);
	cs_hex(kid, k, CS_KID_LEN);
	if (json) {
		printf("{\"file\":\"%s\",\"kind\":\"%s\",\"batch\":\"%s\"",
		    cs_json_escape(f, sizeof f, file), v.kind == CS_V_RELEASE ? "release" : "batch",
		    v.order.batch);
		cs_hex(hex, v.header_digest, CS_DIGEST_LEN);
		printf(",\"header\":\"%s\",\"count\":%llu,\"created\":%llu,\"station_kid\":\"%s\"", hex,
		    (unsigned long long)v.header.count, (unsigned long long)v.header.created, kid);
		cs_hex(hex, v.header.records, CS_DIGEST_LEN);
		printf(",\"records_digest\":\"%s\",\"records_bytes\":%llu", hex,
		    (unsigned long long)cs_zipr_size(z, CS_ZE_RECORDS));
		cs_hex(hex, v.order_s.digest, CS_DIGEST_LEN);
		printf(",\"order\":\"%s\",\"product\":\"%s\",\"first\":%llu,\"last\":%llu,"
		       "\"quantity\":%llu,\"order_signatures\":%zu",
		    hex, cs_json_escape(prod, sizeof prod, v.order.product),
		    (unsigned long long)v.order.first, (unsigned long long)v.order.last,
		    (unsigned long long)v.order.quantity, v.order_s.cose.nsig);
		if (v.kind == CS_V_RELEASE) {
			office_chain(chain, v.release.seq, v.release_s.digest);
			printf(",\"release\":\"%s\",\"sequence\":%llu", chain,
			    (unsigned long long)v.release.seq);
			if (v.release.has_prev) {
				office_chain(chain, v.release.seq - 1, v.release.prev);
				printf(",\"after\":\"%s\"", chain);
			} else {
				printf(",\"after\":null");
			}
			cs_hex(hex, v.release.policy, CS_DIGEST_LEN);
			printf(",\"policy\":\"%s\",\"accepted\":%llu,\"excluded\":[", hex,
			    (unsigned long long)v.release.accepted);
			{
				cs_exclusion x;
				size_t pos = 0, n = 0;

				while (cs_excl_next(&v.release.excluded, &pos, &n, &x)) {
					printf("%s{\"index\":%llu,\"serial\":", n > 1 ? "," : "",
					    (unsigned long long)x.index);
					if (x.has_serial)
						printf("%llu", (unsigned long long)x.serial);
					else
						printf("null");
					printf(",\"reason\":\"%s\"", x.reason);
					if (x.released_in != 0)
						printf(",\"released_in\":%llu", (unsigned long long)x.released_in);
					printf("}");
				}
			}
			printf("],\"signatures\":[");
			for (i = 0; i < v.release_s.cose.nsig; i++) {
				cs_hex(kid, v.release_s.cose.s[i].kid, CS_KID_LEN);
				printf("%s\"%s\"", i ? "," : "", kid);
			}
			printf("]");
		}
		printf("}\n");
		goto done;
	}
	cs_escapez(f, sizeof f, file);
	printf("%s: %s (not verified here: use consign verify)\n", f,
	    v.kind == CS_V_RELEASE ? "release zip" : "batch zip");
	printf("  batch:          %s\n", v.order.batch);
	printf("  product:        %s\n", cs_escapez(prod, sizeof prod, v.order.product));
	cs_hex(hex, v.order_s.digest, CS_DIGEST_LEN);
	printf("  order:          %s\n", hex);
	printf("  serials:        %llu-%llu, quantity %llu, %zu signatures\n",
	    (unsigned long long)v.order.first, (unsigned long long)v.order.last,
	    (unsigned long long)v.order.quantity, v.order_s.cose.nsig);
	cs_hex(hex, v.header_digest, CS_DIGEST_LEN);
	printf("  header:         %s\n", hex);
	printf("  records:        %llu (%llu bytes, %s)\n", (unsigned long long)v.header.count,
	    (unsigned long long)cs_zipr_size(z, CS_ZE_RECORDS),
	    cs_zipr_stored(z, CS_ZE_RECORDS) ? "stored" : "deflated");
	cs_hex(hex, v.header.records, CS_DIGEST_LEN);
	printf("  records digest: %s\n", hex);
	printf("  station:        key id %s\n", kid);
	printf("  created:        %llu (information only)\n", (unsigned long long)v.header.created);
	if (v.kind == CS_V_RELEASE) {
		office_chain(chain, v.release.seq, v.release_s.digest);
		printf("  release:        %s\n", chain);
		if (v.release.has_prev) {
			office_chain(chain, v.release.seq - 1, v.release.prev);
			printf("  after:          %s\n", chain);
		} else {
			printf("  after:          none (the first release: --first)\n");
		}
		cs_hex(hex, v.release.policy, CS_DIGEST_LEN);
		printf("  policy:         %s\n", hex);
		office_excl_summary(excl, sizeof excl, &v.release.excluded, OFFICE_SHOW_FIRST);
		printf("  accepted:       %llu of %llu%s%s\n", (unsigned long long)v.release.accepted,
		    (unsigned long long)v.release.count, excl[0] ? "; excluded: " : "", excl);
		printf("  signatures:     %zu (not verified here)\n", v.release_s.cose.nsig);
		for (i = 0; i < v.release_s.cose.nsig; i++) {
			cs_hex(kid, v.release_s.cose.s[i].kid, CS_KID_LEN);
			printf("    key id %s\n", kid);
		}
	}
done:
	cs_verify_free(&v);
	cs_zipr_close(z);
	return rc;
}
