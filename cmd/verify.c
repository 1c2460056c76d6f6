/* consign verify: any artifact, its kind read from its content: the COSE
 * artifacts (policy, order, record, batch header, receipt, withdrawal) and
 * the batch and release zips, with one option table and one report. */
#include "office.h"

#include <string.h>

#include "ledger/ledger.h"
#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign verify [--policy P] [--json] FILE\n"
    "       consign verify --policy P [--ledger DIR] [--threads N] [--json] batch.zip\n"
    "       consign verify --policy P (--first | --after SEQ:DIGEST) [--deep] [--threads N]\n"
    "                      [--released DIR] [--withdrawn W]... [--json] registry.zip\n"
    "\n"
    "Verifies FILE and prints one line per problem and a verdict; --json prints the\n"
    "report (manifests/report.md) instead. Exit 0 accepted, 1 rejected, 2 usage,\n"
    "3 malformed or unreadable.\n"
    "  policy      without --policy, a first policy only: checked against its own\n"
    "              custodians and threshold (its trust comes from pinning its digest);\n"
    "              with --policy P: a rotation from P (or P itself)\n"
    "  order, withdrawal  made under --policy P and signed by M of its custodians\n"
    "  record      a device record: its proof-of-possession signature\n"
    "  receipt     signed by the office key of --policy P\n"
    "  batch       every check of the batch (--ledger DIR: against every release\n"
    "              before it too)\n"
    "  release     M signatures of the pinned policy P, the next in the chain\n"
    "              (--first, or --after the last imported SEQ:DIGEST), every cheap\n"
    "              check of its batch and its exclusions; --deep: every record's\n"
    "              signature and key again; --released DIR (the earlier release zips)\n"
    "              checks each \"released before\" exclusion; --withdrawn W (a\n"
    "              withdrawal M custodians signed) refuses the release it names\n";

enum { O_FIRST = 256, O_AFTER, O_DEEP, O_LEDGER, O_THREADS, O_RELEASED, O_WITHDRAWN };

#define MAX_WITHDRAWN OFFICE_MAX_WITHDRAWN

struct opts {
	const char *policy, *after, *ledger, *released;
	const char *withdrawn[MAX_WITHDRAWN];
	size_t nwithdrawn;
	int json, deep, first;
	unsigned threads;
	const char *file;
};

/* ---- COSE artifacts ------------------------------------------------------- */

/* What verify found about one COSE artifact: the text lines and the report. */
struct report {
	const struct opts *o;
	json_t *j;
	int status;                  /* CS_OK or CS_REJECT */
	char reason[CS_REASON_MAX];
	char msg[CS_MSG_MAX];
	char summary[512];
	char note[512];
	const cs_quorum *q;
	const cs_cose *cose;
	const cs_policy *signers;
};

static void
problem(struct report *r, const cs_err *e)
{
	r->status = e->status;
	snprintf(r->reason, sizeof r->reason, "%s", e->reason);
	snprintf(r->msg, sizeof r->msg, "%s", e->msg);
}

/* The quorum r shows, the signers named from p; when rc failed, e is the
 * problem, with the custodians missing when it is the threshold (reason
 * threshold; NULL: never). */
static void
counted(struct report *r, int rc, cs_err *e, const char *threshold, const cs_quorum *q,
    const cs_cose *c, const cs_policy *p)
{
	r->q = q;
	r->cose = c;
	r->signers = p;
	if (rc == CS_OK)
		return;
	if (threshold != NULL && strcmp(e->reason, threshold) == 0)
		cmd_note_missing(e, q, p);
	problem(r, e);
}

static int
print_report(struct report *r)
{
	char f[1024];

	if (r->o->json) {
		cmd_json_set_verdict(r->j, r->status == CS_OK ? "accepted" : "rejected");
		if (r->status != CS_OK)
			cmd_json_problem(r->j, r->reason, r->msg, -1);
		if (r->q != NULL)
			cmd_desc_signatures(r->j, r->cose, r->q, r->signers);
		if (r->note[0])
			json_object_set_new(r->j, "note", cmd_json_text(r->note));
		cmd_json_print(r->j);
		r->j = NULL;
		return r->status;
	}
	cs_escapez(f, sizeof f, r->o->file);
	if (r->summary[0])
		printf("%s: %s\n", f, r->summary);
	if (r->q != NULL)
		cmd_print_quorum(stdout, r->q, r->cose, r->signers);
	if (r->status != CS_OK)
		printf("problem: %s: %s\n", r->reason, r->msg);
	if (r->note[0])
		printf("note: %s\n", r->note);
	printf("%s: %s\n", f, r->status == CS_OK ? "ACCEPTED" : "REJECTED");
	return r->status;
}

static int
need_policy(const struct opts *o, const char *what, cs_signed *ps, cs_policy *pin)
{
	if (o->policy == NULL)
		return cmd_usage(usage, "a %s is verified against a policy: give --policy", what);
	return cmd_load_pinned_policy(o->policy, ps, pin);
}

static int
verify_policy(struct report *r, const uint8_t *buf, size_t n)
{
	/* static: the report points into these until main prints it */
	static cs_signed s, ps;
	static cs_policy p, pin;
	static cs_quorum q, qold;
	char hex[2 * CS_DIGEST_LEN + 1];
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_policy_load(&s, &p, buf, n, &e)) != CS_OK)
		return cmd_report(r->o->file, &e);
	cmd_desc_policy(r->j, s.digest, &p);
	cs_hex(hex, s.digest, CS_DIGEST_LEN);
	snprintf(r->summary, sizeof r->summary, "policy version %llu, %llu of %zu custodians",
	    (unsigned long long)p.version, (unsigned long long)p.threshold, p.ncust);
	if (r->o->policy == NULL && p.has_prev)
		/* its own custodians alone cannot vouch for a rotation */
		return cmd_usage(usage, "policy version %llu is a rotation: it is verified against "
					"the policy it replaces or the one pinned; give --policy",
		    (unsigned long long)p.version);
	if (r->o->policy == NULL) {
		rc = cs_policy_verify_self(&s, &p, &q, &e);
		snprintf(r->note, sizeof r->note,
		    "checked against its own custodians only: its trust comes from pinning its "
		    "digest %s", hex);
	} else {
		if ((rc = cmd_load_pinned_policy(r->o->policy, &ps, &pin)) != CS_OK)
			return rc;
		rc = cs_policy_verify_rotation(&ps, &pin, &s, &p, &qold, &q, &e);
		if (rc == CS_OK && memcmp(ps.digest, s.digest, CS_DIGEST_LEN) != 0)
			snprintf(r->note, sizeof r->note,
			    "rotation from the pinned version %llu: %zu of its custodians and %zu of "
			    "the new ones signed", (unsigned long long)pin.version, qold.valid, q.valid);
		if (strcmp(e.reason, "policy-threshold-previous") == 0) {
			counted(r, rc, &e, NULL, &qold, &s.cose, &pin);
			if (rc != CS_OK)
				return CS_OK;
		}
	}
	counted(r, rc, &e, "policy-threshold", &q, &s.cose, &p);
	if (rc == CS_OK && cs_policy_split_risk(&p)) {
		snprintf(r->note + strlen(r->note), sizeof r->note - strlen(r->note),
		    "%sthreshold %llu of %zu is not a majority", r->note[0] ? "; " : "",
		    (unsigned long long)p.threshold, p.ncust);
	}
	return CS_OK;
}

static int
verify_order(struct report *r, const uint8_t *buf, size_t n)
{
	/* static: the report points into these until main prints it */
	static cs_signed s, ps;
	static cs_policy pin;
	static cs_order ord;
	static cs_quorum q;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_order_load(&s, &ord, buf, n, &e)) != CS_OK)
		return cmd_report(r->o->file, &e);
	if ((rc = need_policy(r->o, "an order", &ps, &pin)) != CS_OK)
		return rc;
	cmd_desc_order(r->j, s.digest, &ord);
	snprintf(r->summary, sizeof r->summary, "order for batch %s, %llu devices, serials %llu-%llu",
	    ord.batch, (unsigned long long)ord.quantity, (unsigned long long)ord.first,
	    (unsigned long long)ord.last);
	rc = cs_order_verify(&s, &ord, &pin, ps.digest, &q, &e);
	counted(r, rc, &e, "order-threshold", &q, &s.cose, &pin);
	return CS_OK;
}

static int
verify_withdrawal(struct report *r, const uint8_t *buf, size_t n)
{
	/* static: the report points into these until main prints it */
	static cs_signed s, ps;
	static cs_policy pin;
	static cs_withdrawal w;
	static cs_quorum q;
	char chain[OFFICE_CHAIN_MAX];
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_withdrawal_load(&s, &w, buf, n, &e)) != CS_OK)
		return cmd_report(r->o->file, &e);
	if ((rc = need_policy(r->o, "withdrawal", &ps, &pin)) != CS_OK)
		return rc;
	cmd_desc_withdrawal(r->j, s.digest, &w);
	office_chain(chain, w.seq, w.release);
	snprintf(r->summary, sizeof r->summary, "withdrawal of release %s", chain);
	rc = cs_withdrawal_verify(&s, &w, &pin, ps.digest, &q, &e);
	counted(r, rc, &e, "withdrawal-threshold", &q, &s.cose, &pin);
	return CS_OK;
}

/* A record, a batch header or a receipt: one signature by a key that is named
 * in the payload (device, station) or in the policy (office). */
static int
verify_sign1(struct report *r, const cs_cose *c)
{
	static cs_signed ps;
	static cs_policy pin;
	const uint8_t *pk;
	uint8_t d[CS_DIGEST_LEN];
	cs_buf sb;
	cs_record rec;
	cs_header h;
	cs_receipt rc_;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if (strcmp(c->kind, CS_KIND_RECORD) == 0) {
		if ((rc = cs_record_decode(&rec, c->payload, c->payload_len, &e)) != CS_OK)
			goto bad;
		pk = rec.pk;
		cmd_desc_record(r->j, &rec);
		snprintf(r->summary, sizeof r->summary,
		    "device record, serial %llu, batch %s (checked alone: verify the batch for the "
		    "order's checks)", (unsigned long long)rec.serial, rec.batch);
	} else if (strcmp(c->kind, CS_KIND_HEADER) == 0) {
		if ((rc = cs_header_decode(&h, c->payload, c->payload_len, &e)) != CS_OK)
			goto bad;
		pk = h.station_pk;
		cmd_desc_header(r->j, &h);
		snprintf(r->summary, sizeof r->summary,
		    "batch header for batch %s, %llu records (checked alone: verify the batch zip)",
		    h.batch, (unsigned long long)h.count);
	} else if (strcmp(c->kind, CS_KIND_RECEIPT) == 0) {
		if ((rc = cs_receipt_decode(&rc_, c->payload, c->payload_len, &e)) != CS_OK)
			goto bad;
		if ((rc = need_policy(r->o, "receipt", &ps, &pin)) != CS_OK)
			return rc;
		pk = pin.office_pk;
		cs_digest(d, CS_KIND_RECEIPT, c->payload, c->payload_len);
		cmd_desc_receipt(r->j, d, &rc_);
		snprintf(r->summary, sizeof r->summary,
		    "receipt for batch %s: %llu of %llu records accepted, %zu refused%s%s", rc_.batch,
		    (unsigned long long)rc_.accepted, (unsigned long long)rc_.count, rc_.refused.n,
		    rc_.nproblem ? ", batch refused: " : "", rc_.nproblem ? rc_.problem[0] : "");
		/* a receipt speaks for the policy's deployment only */
		if (memcmp(rc_.deployment, pin.deployment, CS_DEPLOY_LEN) != 0) {
			cs_fail(&e, CS_REJECT, "receipt-deployment", "the receipt belongs to another "
			    "deployment than the policy's");
			problem(r, &e);
			return CS_OK;
		}
	} else {
		return cmd_fail(CS_MALFORMED, "kind", r->o->file, "unexpected COSE_Sign1 of kind %s",
		    c->kind);
	}
	cs_buf_init(&sb, c->payload_len + 1024);
	/* a record's key is checked as in a batch: the key's own check first */
	if (strcmp(c->kind, CS_KIND_RECORD) == 0) {
		if (cs_cose_verify_record(c, rec.pk, rec.pk_len, &sb, &e) != CS_OK) {
			if (e.status != CS_REJECT) {
				cs_buf_free(&sb);
				return cmd_report(r->o->file, &e);
			}
			problem(r, &e);
		}
	} else if (cs_cose_verify(c, 0, pk, &sb) != 0) {
		cs_fail(&e, CS_REJECT, "signature", "the signature does not verify under the %s key",
		    strcmp(c->kind, CS_KIND_HEADER) == 0 ? "station" : "office");
		problem(r, &e);
	}
	cs_buf_free(&sb);
	return CS_OK;
bad:
	cs_err_prefix(&e, "%s payload", c->kind);
	return cmd_report(r->o->file, &e);
}

static int
verify_cose(const struct opts *o, const uint8_t *buf, size_t n)
{
	struct report r;
	cs_cose c;
	cs_err e;
	int rc;

	memset(&r, 0, sizeof r);
	r.o = o;
	cs_err_clear(&e);
	if ((rc = cs_cose_decode(&c, buf, n, &e)) != CS_OK)
		return cmd_report(o->file, &e);
	cmd_json_errors(c.kind);
	r.j = cmd_json_report("rejected", c.kind, o->file);
	if (c.multi && strcmp(c.kind, CS_KIND_POLICY) == 0)
		rc = verify_policy(&r, buf, n);
	else if (c.multi && strcmp(c.kind, CS_KIND_ORDER) == 0)
		rc = verify_order(&r, buf, n);
	else if (c.multi && strcmp(c.kind, CS_KIND_WITHDRAWAL) == 0)
		rc = verify_withdrawal(&r, buf, n);
	else if (!c.multi)
		rc = verify_sign1(&r, &c);
	else
		rc = cmd_fail(CS_MALFORMED, "kind", o->file, "a COSE_Sign of kind %s outside a release "
		    "zip", c.kind);
	if (rc == CS_OK)
		rc = print_report(&r);
	json_decref(r.j);
	return rc;
}

/* ---- batch and release zips ------------------------------------------------ */

struct zrun {
	const struct opts *o;
	const cs_verify *v;       /* its header's count, for the progress line */
	int is_release;
	json_t *fails;            /* --json: every failing record */
	json_t *list;             /* --json: a release's exclusions as verified */
	uint64_t shown, hidden;
	/* the first failures, shown after the summary they belong to */
	char line[OFFICE_SHOW_FIRST][CS_VREC_MSG_MAX * 6 + 128];
};

static json_t *
failure(const cs_vrec *r)
{
	json_t *x = json_object();

	json_object_set_new(x, "index", cmd_json_u64(r->index));
	json_object_set_new(x, "serial", r->decoded ? cmd_json_u64(r->rec->serial) : json_null());
	json_object_set_new(x, "reason", json_string(r->reason));
	json_object_set_new(x, "message", cmd_json_text(r->msg));
	return x;
}

static int
on_record(void *ctx, const cs_vrec *r)
{
	struct zrun *z = ctx;
	char esc[CS_VREC_MSG_MAX * 6], ser[40] = "";
	const char *reason;

	cmd_progress("verify", r->index + 1, z->v->header.count);
	if (z->o->json) {
		/* a batch's failing records; a release's exclusions as
		 * verified (a record failing but not excluded is named in its
		 * release-exclusions problem: manifests/README.md gives a
		 * release's reason set as its release-level problems) */
		if (r->reason != NULL && !z->is_release)
			json_array_append_new(z->fails, failure(r));
		if (z->is_release && r->excluded)
			json_array_append_new(z->list, cmd_desc_vrec_exclusion(r));
		return 0;
	}
	if (z->is_release ? !r->excluded : r->reason == NULL)
		return 0;
	reason = z->is_release ? r->excl_reason : r->reason;
	if (z->shown >= OFFICE_SHOW_FIRST) {
		z->hidden++;
		return 0;
	}
	if (r->decoded)
		snprintf(ser, sizeof ser, " (serial %llu)", (unsigned long long)r->rec->serial);
	if (z->is_release)
		snprintf(z->line[z->shown], sizeof z->line[0], "  excluded: record %llu%s: %s%s\n",
		    (unsigned long long)r->index, ser, reason,
		    r->reason != NULL ? "" : " (as the custodians found; --deep to check again)");
	else
		snprintf(z->line[z->shown], sizeof z->line[0], "  record %llu%s: %s: %s\n",
		    (unsigned long long)r->index, ser, reason, cs_escapez(esc, sizeof esc, r->msg));
	z->shown++;
	return 0;
}

static void
print_lines(const struct zrun *z)
{
	uint64_t i;

	for (i = 0; i < z->shown; i++)
		fputs(z->line[i], stdout);
	if (z->hidden > 0)
		printf("  ... and %llu more (--json lists them all)\n", (unsigned long long)z->hidden);
}

/* The zip's report, in text or JSON; returns rc. */
static int
zip_report(struct zrun *z, const cs_verify *v, const cs_policy *pol, const cs_vopts *vo, int rc)
{
	const struct opts *o = z->o;
	char f[1024], chain[OFFICE_CHAIN_MAX], fp[CMD_FP_LEN];
	json_t *j;

	if (o->json) {
		j = cmd_json_report(rc == CS_OK ? "accepted" : "rejected",
		    z->is_release ? "release" : "batch", o->file);
		cmd_desc_zip(j, v, pol, z->fails, z->is_release ? z->list : NULL);
		cmd_json_print(j);
		return rc;
	}
	cs_escapez(f, sizeof f, o->file);
	cmd_fingerprint(fp, v->order_s.digest);
	printf("%s: %sbatch %s, order %s, %llu records (the header says %llu)\n", f,
	    z->is_release ? "release of " : "", v->order.batch, fp, (unsigned long long)v->records,
	    (unsigned long long)v->header.count);
	printf("  order: %zu valid custodian signature%s, the policy needs %llu\n", v->order_q.valid,
	    v->order_q.valid == 1 ? "" : "s", (unsigned long long)pol->threshold);
	if (z->is_release) {
		office_chain(chain, v->release.seq, v->release_s.digest);
		printf("  release: %s\n", chain);
		if (v->release.has_prev) {
			office_chain(chain, v->release.seq - 1, v->release.prev);
			printf("  after:   %s\n", chain);
		} else {
			printf("  after:   none (the first release)\n");
		}
		cmd_print_quorum(stdout, &v->release_q, &v->release_s.cose, pol);
		printf("%s: %llu accepted, %zu excluded%s\n", f, (unsigned long long)v->release.accepted,
		    v->release.excluded.n, vo->deep ? " (deep: every record checked again)" : "");
	} else {
		printf("%s: %llu of %llu records pass, %llu fail\n", f,
		    (unsigned long long)(v->records - v->failed), (unsigned long long)v->records,
		    (unsigned long long)v->failed);
	}
	print_lines(z);
	office_print_problems(stdout, v);
	printf("%s: %s\n", f, rc == CS_OK ? "ACCEPTED" : "REJECTED");
	return rc;
}

static int
verify_zip(const struct opts *o)
{
	static cs_signed ps;
	static cs_policy pol;
	cs_verify v = {0};
	static uint8_t wd[MAX_WITHDRAWN][CS_DIGEST_LEN];
	static struct zrun z;
	cs_vopts vo;
	cs_zipr *zr = NULL;
	cs_ledger *l = NULL;
	cs_earlier_dir *ed = NULL;
	cs_vlookup lk;
	cs_vearlier ea;
	size_t i;
	cs_err e;
	int rc;

	memset(&z, 0, sizeof z);
	z.o = o;
	memset(&vo, 0, sizeof vo);
	if (office_engine(&vo.engine) != 0)
		return CS_USAGE;
	if (o->policy == NULL)
		return cmd_usage(usage, "a batch or release is verified against a policy: give "
					"--policy");
	if (o->after != NULL && office_parse_after(o->after, &vo.after_seq, vo.after_digest) != 0)
		return cmd_usage(usage, "--after wants SEQ:DIGEST (64 hex digits)");
	if ((rc = cmd_load_pinned_policy(o->policy, &ps, &pol)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	if ((rc = cs_zipr_open(&zr, o->file, &e)) != CS_OK) {
		if (rc != CS_REJECT)
			return cmd_report(o->file, &e);
		/* a layout violation is a verification result like any other */
		memset(&v, 0, sizeof v);
		v.nproblem = 1;
		snprintf(v.problem[0].reason, sizeof v.problem[0].reason, "%s", e.reason);
		snprintf(v.problem[0].msg, sizeof v.problem[0].msg, "%s", e.msg);
		if (o->json) {
			json_t *j = cmd_json_report("rejected", NULL, o->file);

			cmd_desc_problems(j, &v);
			cmd_json_print(j);
		} else {
			char f[1024];

			office_print_problems(stdout, &v);
			printf("%s: REJECTED\n", cs_escapez(f, sizeof f, o->file));
		}
		return CS_REJECT;
	}
	z.is_release = cs_zipr_entries(zr) == CS_V_RELEASE;
	cmd_json_errors(z.is_release ? "release" : "batch");
	if (!z.is_release && (o->first || o->after != NULL || o->released != NULL ||
				 o->nwithdrawn > 0 || o->deep)) {
		rc = cmd_usage(usage, "--first, --after, --deep, --released and --withdrawn apply to "
				      "releases; %s is a batch", o->file);
		goto done;
	}
	if (z.is_release && o->ledger != NULL) {
		rc = cmd_usage(usage, "--ledger applies to batches; %s is a release", o->file);
		goto done;
	}
	for (i = 0; i < o->nwithdrawn; i++)
		if ((rc = office_load_withdrawal(o->withdrawn[i], &pol, ps.digest, wd[i])) != CS_OK)
			goto done;
	vo.withdrawn = (const uint8_t(*)[CS_DIGEST_LEN])wd;
	vo.nwithdrawn = o->nwithdrawn;
	if (o->released != NULL) {
		if ((rc = office_earlier(o->released, o->file, zr, &pol, ps.digest, &ed, &ea)) != CS_OK)
			goto done;
		vo.earlier = &ea;
	}
	if (o->ledger != NULL) {
		if ((rc = cs_ledger_open(&l, o->ledger, &e)) != CS_OK) {
			rc = cmd_report(o->ledger, &e);
			goto done;
		}
		cs_ledger_lookup(l, &lk);
		cs_ledger_earlier(l, &ea);
		vo.lookup = &lk;
		vo.earlier = &ea;
	}
	vo.policy = &pol;
	vo.policy_digest = ps.digest;
	vo.deep = z.is_release ? o->deep : 1;
	vo.threads = o->threads;
	vo.chain = o->first ? CS_CHAIN_FIRST : o->after != NULL ? CS_CHAIN_AFTER : CS_CHAIN_NONE;
	vo.on_record = on_record;
	vo.ctx = &z;
	z.list = json_array();
	z.fails = json_array();
	z.v = &v;
	rc = cs_verify_zip(&v, zr, &vo, &e);
	cmd_status_end();
	if (rc == CS_MALFORMED || rc == CS_USAGE) {
		if (!o->json)
			print_lines(&z);
		fflush(stdout);
		rc = cmd_report(o->file, &e);
	} else {
		rc = zip_report(&z, &v, &pol, &vo, rc);
	}
done:
	json_decref(z.list);
	json_decref(z.fails);
	z.list = z.fails = NULL;
	cs_verify_free(&v);
	cs_zipr_close(zr);
	cs_ledger_close(l);
	cs_earlier_dir_close(ed);
	return rc;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("policy", 'P', struct opts, policy),
	    CMD_FLAG("json", 'j', struct opts, json),
	    CMD_FLAG("first", O_FIRST, struct opts, first),
	    CMD_ARG("after", O_AFTER, struct opts, after),
	    CMD_FLAG("deep", O_DEEP, struct opts, deep),
	    CMD_ARG("ledger", O_LEDGER, struct opts, ledger),
	    OFFICE_THREADS_OPT(O_THREADS, struct opts, threads),
	    CMD_ARG("released", O_RELEASED, struct opts, released),
	    CMD_LIST("withdrawn", O_WITHDRAWN, struct opts, withdrawn, nwithdrawn, MAX_WITHDRAWN,
		"--withdrawn"), CMD_OPT_END};
	static struct opts o;
	uint8_t *buf = NULL;
	size_t n = 0;
	int a, rc;

	memset(&o, 0, sizeof o);
	if ((a = cmd_getopt(argc, argv, opts, usage, NULL, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (o.json)
		cmd_json_errors(NULL);
	if (a != argc - 1)
		return cmd_usage(usage, "expected exactly one FILE");
	if (o.first && o.after != NULL)
		return cmd_usage(usage, "--first and --after exclude each other");
	o.file = argv[a];
	/* an option only zips take says the file should be one: a truncated or
	 * foreign file given so is unreadable (3), not a usage error (2) */
	if (cmd_file_is_zip(o.file) || o.first || o.after != NULL || o.deep || o.ledger != NULL ||
	    o.threads != 0 || o.released != NULL || o.nwithdrawn > 0)
		return verify_zip(&o);
	if ((rc = cmd_read(o.file, CMD_ARTIFACT_MAX, &buf, &n)) != CS_OK)
		return rc;
	rc = verify_cose(&o, buf, n);
	cs_file_free(buf, n);
	return rc;
}
