/* consign ledger: the office's memory of what it released (manifests/ledger.md). */
#include "office.h"

#include <string.h>

#include "ledger/ledger.h"
#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign ledger [--ledger DIR] [--json] [show]\n"
    "       consign ledger [--ledger DIR] init --policy P\n"
    "       consign ledger [--ledger DIR] add [--deep] [--threads N] registry.zip\n"
    "       consign ledger [--ledger DIR] withdraw SEQ -o withdrawal.cbor [--force]\n"
    "       consign ledger [--ledger DIR] abandon --withdrawal W SEQ\n"
    "       consign ledger [--ledger DIR] policy NEW.cbor\n"
    "       consign ledger [--ledger DIR] rebuild\n"
    "\n"
    "The office ledger in DIR (else $CONSIGN_LEDGER, else ./ledger): the pinned\n"
    "policy, every release (its chain position SEQ:DIGEST is what the cloud's\n"
    "--after wants), every released serial, device key and hardware id, and each\n"
    "order's released count. add enters a release carrying M signatures (it must\n"
    "be the next in the chain); withdraw drafts the withdrawal of a reserved\n"
    "release, which M custodians sign (consign sign) before abandon takes it and\n"
    "frees the sequence (and the drafts after it): signed copies of a draft may\n"
    "exist, and only the custodians can take them back; the cloud refuses a\n"
    "withdrawn release (consign verify --withdrawn). policy takes a rotation of\n"
    "the current policy; rebuild recreates the index from the signed files.\n";

enum { O_LEDGER = 256, O_DEEP, O_THREADS, O_WITHDRAWAL };

struct lo {
	const char *ledger, *policy, *withdrawal, *out;
	int json, deep;
	unsigned threads;
	json_t *list;       /* show --json: the list being filled */
};

/* A row of the chain, a release or a reserved draft, as a line for people or
 * an item of the report's list: a draft names its digest, a release its order
 * and its valid signatures. */
static int
show_chained(struct lo *o, const cs_ledger_row *r, int draft)
{
	char chain[OFFICE_CHAIN_MAX];
	json_t *x;

	office_chain(chain, r->seq, r->digest);
	if (o->list == NULL && draft)
		printf("  draft %s  batch %s, %llu of %llu accepted (reserved: sign and add it, or "
		       "withdraw it: consign ledger withdraw %llu)\n", chain, r->batch,
		    (unsigned long long)r->accepted, (unsigned long long)r->count,
		    (unsigned long long)r->seq);
	else if (o->list == NULL)
		printf("  release %s  batch %s, %llu of %llu accepted, %llu signature%s\n", chain,
		    r->batch, (unsigned long long)r->accepted, (unsigned long long)r->count,
		    (unsigned long long)r->signatures, r->signatures == 1 ? "" : "s");
	if (o->list == NULL)
		return 0;
	x = json_object();
	json_object_set_new(x, "sequence", cmd_json_u64(r->seq));
	if (draft)
		json_object_set_new(x, "digest", cmd_json_hex(r->digest, CS_DIGEST_LEN));
	json_object_set_new(x, "release", json_string(chain));
	json_object_set_new(x, "batch", json_string(r->batch));
	if (!draft)
		json_object_set_new(x, "order", cmd_json_hex(r->order, CS_DIGEST_LEN));
	json_object_set_new(x, "records", cmd_json_u64(r->count));
	json_object_set_new(x, "accepted", cmd_json_u64(r->accepted));
	if (!draft)
		json_object_set_new(x, "valid_signatures", cmd_json_u64(r->signatures));
	json_array_append_new(o->list, x);
	return 0;
}

static int
show_release(void *ctx, const cs_ledger_row *r)
{
	return show_chained(ctx, r, 0);
}

static int
show_draft(void *ctx, const cs_ledger_row *r)
{
	return show_chained(ctx, r, 1);
}

static int
show_order(void *ctx, const cs_ledger_row *r)
{
	struct lo *o = ctx;
	char fp[CMD_FP_LEN];
	json_t *x;

	cmd_fingerprint(fp, r->digest);
	if (o->list != NULL) {
		x = json_object();
		json_object_set_new(x, "order", cmd_json_hex(r->digest, CS_DIGEST_LEN));
		json_object_set_new(x, "batch", json_string(r->batch));
		json_object_set_new(x, "quantity", cmd_json_u64(r->quantity));
		json_object_set_new(x, "released", cmd_json_u64(r->released));
		json_array_append_new(o->list, x);
	} else {
		printf("  order %s  batch %s: %llu of %llu released, %llu remain\n", fp, r->batch,
		    (unsigned long long)r->released, (unsigned long long)r->quantity,
		    (unsigned long long)(r->quantity - r->released));
	}
	return 0;
}

static int
show(cs_ledger *l, const char *dir, struct lo *o)
{
	static const struct {
		const char *name;
		int what;
		int (*fn)(void *, const cs_ledger_row *);
	} lists[3] = {{"releases", CS_LEDGER_LIST_RELEASES, show_release},
	    {"orders", CS_LEDGER_LIST_ORDERS, show_order}, {"drafts", CS_LEDGER_LIST_DRAFTS, show_draft}};
	cs_ledger_info i;
	cs_err e;
	char hex[2 * CS_DIGEST_LEN + 1], chain[OFFICE_CHAIN_MAX], d[1024];
	json_t *r = NULL, *p;
	size_t k;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_ledger_info_get(l, &i, &e)) != CS_OK)
		return cmd_report(dir, &e);
	cs_hex(hex, i.policy_digest, CS_DIGEST_LEN);
	if (i.tip > 0)
		office_chain(chain, i.tip, i.tip_digest);
	if (o->json) {
		r = cmd_json_report("shown", "ledger", dir);
		p = json_object();
		json_object_set_new(p, "version", cmd_json_u64(i.policy_version));
		json_object_set_new(p, "digest", json_string(hex));
		json_object_set_new(r, "policy", p);
		json_object_set_new(r, "deployment", cmd_json_hex(i.deployment, CS_DEPLOY_LEN));
		json_object_set_new(r, "chain", i.tip > 0 ? json_string(chain) : json_null());
		json_object_set_new(r, "devices", cmd_json_u64(i.devices));
	} else {
		printf("ledger %s\n", cs_escapez(d, sizeof d, dir));
		printf("  policy:   version %llu, digest %s\n", (unsigned long long)i.policy_version,
		    hex);
		if (i.tip > 0)
			printf("  chain:    %s  (the cloud's next import: --after %s)\n", chain, chain);
		else
			printf("  chain:    no release yet (the first one is imported with --first)\n");
		printf("  released: %llu release%s, %llu devices\n", (unsigned long long)i.releases,
		    i.releases == 1 ? "" : "s", (unsigned long long)i.devices);
	}
	for (k = 0; k < 3 && rc == CS_OK; k++) {
		o->list = r != NULL ? json_array() : NULL;
		rc = cs_ledger_list(l, lists[k].what, lists[k].fn, o, &e);
		if (r != NULL)
			json_object_set_new(r, lists[k].name, o->list);
		o->list = NULL;
	}
	if (rc != CS_OK) {
		json_decref(r);
		return cmd_report(dir, &e);
	}
	if (r != NULL)
		cmd_json_print(r);
	return CS_OK;
}

static int
add(cs_ledger *l, const char *file, struct lo *o)
{
	cs_verify v = {0};
	char f[1024], chain[OFFICE_CHAIN_MAX];
	cs_err e;
	int rc, already;

	cs_err_clear(&e);
	cs_escapez(f, sizeof f, file);
	rc = cs_ledger_add(l, file, o->threads, o->deep, &v, &already, &e);
	if (rc == CS_OK) {
		office_chain(chain, v.release.seq, v.release_s.digest);
		if (already)
			printf("%s: already in the ledger\n", f);
		else
			printf("%s: release %s entered: batch %s, %llu devices released, %zu "
			       "excluded\n", f, chain, v.release.batch,
			    (unsigned long long)v.release.accepted, v.release.excluded.n);
	} else if (rc == CS_REJECT && v.nproblem == 0 && e.status == CS_REJECT) {
		rc = cmd_report(file, &e);
	} else if (rc == CS_REJECT) {
		office_print_problems(stdout, &v);
		rc = cmd_fail(CS_REJECT, v.nproblem ? v.problem[0].reason : "rejected", file,
		    "not entered");
	} else {
		rc = cmd_report(file, &e);
	}
	cs_verify_free(&v);
	return rc;
}

/* Rebuilds the index from the signed files and says where the old one
 * disagreed with them. */
static int
rebuild(const char *dir, struct lo *o)
{
	cs_ledger *l = NULL;
	cs_ledger_diff diff;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_ledger_rebuild(dir, &diff, &e)) != CS_OK)
		return cmd_report(dir, &e);
	if ((rc = cs_ledger_open(&l, dir, &e)) != CS_OK)
		return cmd_report(dir, &e);
	printf("%s: index rebuilt from the signed files\n", dir);
	/* the files are signed, the index is not: where they disagreed,
	 * the index was wrong */
	if (diff.devices_dropped > 0 || diff.releases_dropped > 0)
		printf("%s: the old index was altered or damaged: it held %llu device%s and %llu "
		       "release%s that no signed release file holds, now gone\n",
		    dir, (unsigned long long)diff.devices_dropped,
		    diff.devices_dropped == 1 ? "" : "s",
		    (unsigned long long)diff.releases_dropped,
		    diff.releases_dropped == 1 ? "" : "s");
	if (diff.has_example)
		printf("%s: for example serial %llu, which it said release %llu holds\n", dir,
		    (unsigned long long)diff.example_serial,
		    (unsigned long long)diff.example_seq);
	if (diff.devices_added > 0 || diff.releases_added > 0)
		printf("%s: the old index lacked %llu device%s and %llu release%s that the signed "
		       "files hold, now entered\n", dir, (unsigned long long)diff.devices_added,
		    diff.devices_added == 1 ? "" : "s", (unsigned long long)diff.releases_added,
		    diff.releases_added == 1 ? "" : "s");
	/* a chip's row deleted lets the chip be released again */
	if (diff.chips_dropped > 0)
		printf("%s: the old index was altered or damaged: it held %llu chip%s (PSA instance "
		       "id%s) that no signed release file holds, now gone\n", dir,
		    (unsigned long long)diff.chips_dropped, diff.chips_dropped == 1 ? "" : "s",
		    diff.chips_dropped == 1 ? "" : "s");
	if (diff.chips_added > 0 && diff.chips_unrecorded)
		printf("%s: the old index predates released chips (PSA instance ids): the %llu "
		       "the signed files hold are now entered\n", dir,
		    (unsigned long long)diff.chips_added);
	else if (diff.chips_added > 0)
		printf("%s: the old index lacked %llu released chip%s (PSA instance id%s) that the "
		       "signed files hold, now entered\n", dir,
		    (unsigned long long)diff.chips_added, diff.chips_added == 1 ? "" : "s",
		    diff.chips_added == 1 ? "" : "s");
	rc = show(l, dir, o);
	cs_ledger_close(l);
	return rc;
}

/* Drafts the withdrawal of draft SEQ for the custodians to sign. */
static int
withdraw(cs_ledger *l, const char *dir, const char *arg, const struct lo *o)
{
	cs_buf wb;
	cs_err e;
	uint64_t seq;
	int rc;

	if (cmd_parse_u64(arg, &seq) != 0)
		return cmd_usage(usage, "withdraw takes a sequence number");
	cs_err_clear(&e);
	cs_buf_init(&wb, CMD_ARTIFACT_MAX);
	if ((rc = cs_ledger_withdrawal_draft(l, seq, &wb, &e)) != CS_OK)
		rc = cmd_report(dir, &e);
	else if ((rc = cmd_write(o->out, wb.p, wb.len, 0644, 0)) == CS_OK)
		printf("%s: withdrawal of draft %llu; M custodians sign it (consign sign --policy "
		       "P %s), then: consign ledger abandon --withdrawal %s %llu\n",
		    o->out, (unsigned long long)seq, o->out, o->out, (unsigned long long)seq);
	cs_buf_free(&wb);
	return rc;
}

/* Abandons draft SEQ (and the drafts after it) on its signed withdrawal. */
static int
abandon(cs_ledger *l, const char *dir, const char *arg, const struct lo *o)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	uint64_t seq, dropped;
	cs_err e;
	int rc;

	if (cmd_parse_u64(arg, &seq) != 0)
		return cmd_usage(usage, "abandon takes a sequence number");
	if ((rc = cmd_read(o->withdrawal, CMD_ARTIFACT_MAX, &buf, &n)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	rc = cs_ledger_abandon(l, seq, buf, n, &dropped, &e);
	cs_file_free(buf, n);
	if (rc != CS_OK)
		return cmd_report(strncmp(e.reason, "withdrawal", 10) == 0 ? o->withdrawal : dir, &e);
	printf("%s: draft %llu withdrawn and abandoned%s; its sequence is free again\n", dir,
	    (unsigned long long)seq, dropped > 1 ? " with the drafts after it" : "");
	return CS_OK;
}

int
cmd_ledger(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("ledger", O_LEDGER, struct lo, ledger),
	    CMD_FLAG("json", 'j', struct lo, json), CMD_ARG("policy", 'P', struct lo, policy),
	    CMD_FLAG("deep", O_DEEP, struct lo, deep),
	    OFFICE_THREADS_OPT(O_THREADS, struct lo, threads),
	    CMD_ARG("withdrawal", O_WITHDRAWAL, struct lo, withdrawal),
	    CMD_ARG("output", 'o', struct lo, out), CMD_FORCE_OPT, CMD_OPT_END};
	struct lo o;
	const char *dir, *sub = "show";
	cs_ledger *l = NULL;
	cs_err e;
	uint8_t *buf = NULL;
	size_t n = 0;
	int a, b, rc, nargs;
	char **args;

	memset(&o, 0, sizeof o);
	cs_err_clear(&e);
	if ((a = cmd_getopt(argc, argv, opts, usage, NULL, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (a < argc) {
		sub = argv[a];
		/* options may follow the subcommand too */
		if ((b = cmd_getopt(argc - a, argv + a, opts, usage, NULL, &o)) < 0)
			return b == -2 ? CS_OK : CS_USAGE;
		args = argv + a + b;
		nargs = argc - a - b;
	} else {
		args = argv + argc;
		nargs = 0;
	}
	if (o.json)
		cmd_json_errors("ledger");
	dir = office_ledger_dir(o.ledger);
	if (strcmp(sub, "init") == 0) {
		if (o.policy == NULL || nargs != 0)
			return cmd_usage(usage, "ledger init takes --policy P");
		if ((rc = cmd_read(o.policy, CMD_ARTIFACT_MAX, &buf, &n)) != CS_OK)
			return rc;
		rc = cs_ledger_init(dir, buf, n, &e);
		cs_file_free(buf, n);
		if (rc != CS_OK)
			return cmd_report(dir, &e);
		printf("%s: ledger created, pinned to %s\n", dir, o.policy);
		return CS_OK;
	}
	if (strcmp(sub, "rebuild") == 0)
		return nargs != 0 ? cmd_usage(usage, "ledger rebuild takes no operand")
				 : rebuild(dir, &o);
	if (strcmp(sub, "show") != 0 && strcmp(sub, "add") != 0 && strcmp(sub, "abandon") != 0 &&
	    strcmp(sub, "policy") != 0 && strcmp(sub, "withdraw") != 0)
		return cmd_usage(usage, "unknown ledger command");
	if ((strcmp(sub, "show") == 0 && nargs != 0) || (strcmp(sub, "show") != 0 && nargs != 1))
		return cmd_usage(usage, "wrong number of operands for ledger %s", sub);
	if (strcmp(sub, "withdraw") == 0 && o.out == NULL)
		return cmd_usage(usage, "ledger withdraw takes -o FILE");
	if (strcmp(sub, "abandon") == 0 && o.withdrawal == NULL)
		return cmd_usage(usage, "ledger abandon takes --withdrawal W: the draft's withdrawal, "
					"signed by M custodians (consign ledger withdraw drafts it)");
	if ((rc = cs_ledger_open(&l, dir, &e)) != CS_OK)
		return cmd_report(dir, &e);
	if (strcmp(sub, "show") == 0) {
		rc = show(l, dir, &o);
	} else if (strcmp(sub, "add") == 0) {
		rc = add(l, args[0], &o);
	} else if (strcmp(sub, "withdraw") == 0) {
		rc = withdraw(l, dir, args[0], &o);
	} else if (strcmp(sub, "abandon") == 0) {
		rc = abandon(l, dir, args[0], &o);
	} else {
		if ((rc = cmd_read(args[0], CMD_ARTIFACT_MAX, &buf, &n)) == CS_OK) {
			if ((rc = cs_ledger_rotate(l, buf, n, &e)) != CS_OK)
				rc = cmd_report(args[0], &e);
			else
				printf("%s: the ledger now follows %s\n", dir, args[0]);
			cs_file_free(buf, n);
		}
	}
	cs_ledger_close(l);
	return rc;
}
