/* consign verify: any artifact, its type detected from its content. This file
 * handles the COSE artifacts; batch and release zips go to cmd_verify_zip. */
#include "cmd.h"

#include <string.h>

#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign verify [--policy P] [--json] FILE\n"
    "       consign verify --policy P (--first | --after SEQ:DIGEST) [--deep] [--threads N]\n"
    "                      [--json] registry.zip\n"
    "       consign verify --policy P [--ledger DIR] [--threads N] [--json] batch.zip\n"
    "\n"
    "Verifies FILE and prints one line per problem and a verdict; --json prints a\n"
    "machine-readable report instead. Exit 0 accepted, 1 rejected, 3 malformed.\n"
    "  policy   without --policy, a first policy only: checked against its own\n"
    "           custodians and threshold (its trust comes from pinning its digest);\n"
    "           with --policy P: a rotation from P (or P itself), which every\n"
    "           later version needs\n"
    "  order    needs --policy: made under it and signed by M of its custodians\n"
    "  record   a device record: its proof-of-possession signature\n"
    "  receipt  needs --policy: signed by the policy's office key\n";

struct opts {
	const char *policy;
	int json;
};

static int
opt(int key, const char *arg, void *ctx)
{
	struct opts *o = ctx;

	if (key == 'P')
		o->policy = arg;
	else if (key == 'j')
		o->json = 1;
	return 0;
}

/* What verify found, printed as text or JSON at the end. */
struct report {
	const char *file;
	const char *kind;
	int json;
	int status;
	char reason[CS_REASON_MAX];
	char msg[CS_MSG_MAX];
	char summary[512];
	char note[512];
	const uint8_t *digest;
	const cs_quorum *q;
	const cs_cose *cose;
	const cs_policy *signers;
};

static void
print_report(const struct report *r)
{
	static const char *st[] = {"valid", "bad-signature", "unknown-key", "repeated-signer"};
	char esc[CS_MSG_MAX * 6 + 8], hex[2 * CS_DIGEST_LEN + 1], kid[2 * CS_KID_LEN + 1];
	size_t i;

	if (!r->json) {
		if (r->summary[0])
			printf("%s: %s\n", r->file, r->summary);
		if (r->q != NULL)
			cmd_print_quorum(stdout, r->q, r->cose, r->signers);
		if (r->status != CS_OK)
			printf("problem: %s: %s\n", r->reason, r->msg);
		if (r->note[0])
			printf("note: %s\n", r->note);
		printf("%s: %s\n", r->file, r->status == CS_OK ? "ACCEPTED" : "REJECTED");
		return;
	}
	printf("{\"file\":\"%s\",\"kind\":\"%s\",\"verdict\":\"%s\"",
	    cs_json_escape(esc, sizeof esc, r->file), r->kind,
	    r->status == CS_OK ? "accepted" : "rejected");
	if (r->digest != NULL) {
		cs_hex(hex, r->digest, CS_DIGEST_LEN);
		printf(",\"digest\":\"%s\"", hex);
	}
	printf(",\"summary\":\"%s\"", cs_json_escape(esc, sizeof esc, r->summary));
	if (r->q != NULL) {
		printf(",\"valid_signatures\":%zu,\"signatures\":[", r->q->valid);
		for (i = 0; i < r->q->nsig; i++) {
			cs_hex(kid, r->cose->s[i].kid, CS_KID_LEN);
			printf("%s{\"kid\":\"%s\",\"custodian\":", i ? "," : "", kid);
			if (r->q->who[i] >= 0)
				printf("\"%s\"", r->signers->cust[r->q->who[i]].id);
			else
				printf("null");
			printf(",\"state\":\"%s\"}", st[r->q->state[i]]);
		}
		printf("]");
	}
	printf(",\"problems\":[");
	if (r->status != CS_OK)
		printf("{\"reason\":\"%s\",\"message\":\"%s\"}", r->reason,
		    cs_json_escape(esc, sizeof esc, r->msg));
	printf("]");
	if (r->note[0])
		printf(",\"note\":\"%s\"", cs_json_escape(esc, sizeof esc, r->note));
	printf("}\n");
}

static void
problem(struct report *r, const cs_err *e)
{
	r->status = e->status;
	snprintf(r->reason, sizeof r->reason, "%s", e->reason);
	snprintf(r->msg, sizeof r->msg, "%s", e->msg);
}

static int
verify_policy(struct report *r, const struct opts *o, const uint8_t *buf, size_t n)
{
	static cs_signed s, ps;
	static cs_policy p, pin;
	static cs_quorum q, qold;
	char hex[2 * CS_DIGEST_LEN + 1];
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_policy_load(&s, &p, buf, n, &e)) != CS_OK)
		return cmd_report(r->file, &e);
	r->digest = s.digest;
	cs_hex(hex, s.digest, CS_DIGEST_LEN);
	snprintf(r->summary, sizeof r->summary, "policy version %llu, %llu of %zu custodians",
	    (unsigned long long)p.version, (unsigned long long)p.threshold, p.ncust);
	if (o->policy == NULL && p.has_prev)
		/* its own custodians alone cannot vouch for a rotation */
		return cmd_usage(usage, "policy version %llu is a rotation: it is verified against "
					"the policy it replaces or the one pinned; give --policy",
		    (unsigned long long)p.version);
	if (o->policy == NULL) {
		rc = cs_policy_verify_self(&s, &p, &q, &e);
		snprintf(r->note, sizeof r->note,
		    "checked against its own custodians only: its trust comes from pinning its "
		    "digest %s", hex);
	} else {
		if ((rc = cmd_load_pinned_policy(o->policy, &ps, &pin)) != CS_OK)
			return rc;
		rc = cs_policy_verify_rotation(&ps, &pin, &s, &p, &qold, &q, &e);
		if (rc == CS_OK && memcmp(ps.digest, s.digest, CS_DIGEST_LEN) != 0)
			snprintf(r->note, sizeof r->note,
			    "rotation from the pinned version %llu: %zu of its custodians and %zu of "
			    "the new ones signed", (unsigned long long)pin.version, qold.valid, q.valid);
		if (strcmp(e.reason, "policy-threshold-previous") == 0) {
			r->q = &qold;
			r->cose = &s.cose;
			r->signers = &pin;
			if (rc != CS_OK) {
				problem(r, &e);
				return CS_OK;
			}
		}
	}
	r->q = &q;
	r->cose = &s.cose;
	r->signers = &p;
	if (rc != CS_OK) {
		if (strcmp(e.reason, "policy-threshold") == 0)
			cmd_note_missing(&e, &q, &p);
		problem(r, &e);
	} else if (cs_policy_split_risk(&p)) {
		snprintf(r->note + strlen(r->note), sizeof r->note - strlen(r->note),
		    "%sthreshold %llu of %zu is not a majority", r->note[0] ? "; " : "",
		    (unsigned long long)p.threshold, p.ncust);
	}
	return CS_OK;
}

static int
verify_order(struct report *r, const struct opts *o, const uint8_t *buf, size_t n)
{
	static cs_signed s, ps;
	static cs_policy pin;
	static cs_order ord;
	static cs_quorum q;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_order_load(&s, &ord, buf, n, &e)) != CS_OK)
		return cmd_report(r->file, &e);
	if (o->policy == NULL)
		return cmd_usage(usage, "an order is verified against a policy: give --policy");
	if ((rc = cmd_load_pinned_policy(o->policy, &ps, &pin)) != CS_OK)
		return rc;
	r->digest = s.digest;
	snprintf(r->summary, sizeof r->summary, "order for batch %s, %llu devices, serials %llu-%llu",
	    ord.batch, (unsigned long long)ord.quantity, (unsigned long long)ord.first,
	    (unsigned long long)ord.last);
	rc = cs_order_verify(&s, &ord, &pin, ps.digest, &q, &e);
	if (strcmp(e.reason, "order-deployment") != 0 && strcmp(e.reason, "order-policy") != 0) {
		r->q = &q;
		r->cose = &s.cose;
		r->signers = &pin;
	}
	if (rc != CS_OK) {
		if (strcmp(e.reason, "order-threshold") == 0)
			cmd_note_missing(&e, &q, &pin);
		problem(r, &e);
	}
	return CS_OK;
}

static int
verify_withdrawal(struct report *r, const struct opts *o, const uint8_t *buf, size_t n)
{
	static cs_signed s, ps;
	static cs_policy pin;
	static cs_withdrawal w;
	static cs_quorum q;
	char chain[2 * CS_DIGEST_LEN + 24];
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_withdrawal_load(&s, &w, buf, n, &e)) != CS_OK)
		return cmd_report(r->file, &e);
	if (o->policy == NULL)
		return cmd_usage(usage, "a withdrawal is verified against a policy: give --policy");
	if ((rc = cmd_load_pinned_policy(o->policy, &ps, &pin)) != CS_OK)
		return rc;
	r->digest = s.digest;
	snprintf(chain, sizeof chain, "%llu:", (unsigned long long)w.seq);
	cs_hex(chain + strlen(chain), w.release, CS_DIGEST_LEN);
	snprintf(r->summary, sizeof r->summary, "withdrawal of release %s", chain);
	rc = cs_withdrawal_verify(&s, &w, &pin, ps.digest, &q, &e);
	if (strcmp(e.reason, "withdrawal-deployment") != 0 &&
	    strcmp(e.reason, "withdrawal-policy") != 0) {
		r->q = &q;
		r->cose = &s.cose;
		r->signers = &pin;
	}
	if (rc != CS_OK) {
		if (strcmp(e.reason, "withdrawal-threshold") == 0)
			cmd_note_missing(&e, &q, &pin);
		problem(r, &e);
	}
	return CS_OK;
}

/* A record, a batch header or a receipt: one signature by a key that is named
 * in the payload (device, station) or in the policy (office). */
static int
verify_sign1(struct report *r, const struct opts *o, const cs_cose *c)
{
	static cs_signed ps;
	static cs_policy pin;
	const uint8_t *pk;
	cs_buf sb;
	cs_record rec;
	cs_header h;
	cs_receipt rc_;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	cs_buf_init(&sb, c->payload_len + 1024);
	if (strcmp(c->kind, CS_KIND_RECORD) == 0) {
		if ((rc = cs_record_decode(&rec, c->payload, c->payload_len, &e)) != CS_OK)
			goto bad;
		pk = rec.pk;
		snprintf(r->summary, sizeof r->summary,
		    "device record, serial %llu, batch %s (checked alone: verify the batch for the "
		    "order's checks)", (unsigned long long)rec.serial, rec.batch);
	} else if (strcmp(c->kind, CS_KIND_HEADER) == 0) {
		if ((rc = cs_header_decode(&h, c->payload, c->payload_len, &e)) != CS_OK)
			goto bad;
		pk = h.station_pk;
		snprintf(r->summary, sizeof r->summary,
		    "batch header for batch %s, %llu records (checked alone: verify the batch zip)",
		    h.batch, (unsigned long long)h.count);
	} else if (strcmp(c->kind, CS_KIND_RECEIPT) == 0) {
		if ((rc = cs_receipt_decode(&rc_, c->payload, c->payload_len, &e)) != CS_OK)
			goto bad;
		if (o->policy == NULL) {
			cs_buf_free(&sb);
			return cmd_usage(usage, "a receipt is verified against a policy: give --policy");
		}
		if ((rc = cmd_load_pinned_policy(o->policy, &ps, &pin)) != CS_OK) {
			cs_buf_free(&sb);
			return rc;
		}
		pk = pin.office_pk;
		snprintf(r->summary, sizeof r->summary,
		    "receipt for batch %s: %llu of %llu records accepted, %zu refused", rc_.batch,
		    (unsigned long long)rc_.accepted, (unsigned long long)rc_.count, rc_.refused.n);
	} else {
		cs_buf_free(&sb);
		return cmd_fail(CS_MALFORMED, "%s: unexpected COSE_Sign1 of kind %s (kind)", r->file,
		    c->kind);
	}
	if (cs_cose_verify(c, 0, pk, &sb) != 0) {
		cs_fail(&e, CS_REJECT, strcmp(c->kind, CS_KIND_RECORD) == 0 ? "record-signature"
										 : "signature",
		    "the signature does not verify under the %s key",
		    strcmp(c->kind, CS_KIND_RECORD) == 0 ? "device's own"
		    : strcmp(c->kind, CS_KIND_HEADER) == 0 ? "station" : "office");
		problem(r, &e);
	}
	cs_buf_free(&sb);
	return CS_OK;
bad:
	cs_buf_free(&sb);
	cs_err_prefix(&e, "%s payload", c->kind);
	return cmd_report(r->file, &e);
}

/* 1 when argv holds an option that only the zip verifier knows */
static int
zip_option(int argc, char **argv)
{
	static const char *const only[] = {"--first", "--after", "--deep", "--ledger", "--threads",
	    "--released", "--withdrawn"};
	size_t i, l;
	int a;

	for (a = 1; a < argc && strcmp(argv[a], "--") != 0; a++)
		for (i = 0; i < sizeof only / sizeof only[0]; i++) {
			l = strlen(only[i]);
			if (strncmp(argv[a], only[i], l) == 0 && (argv[a][l] == '\0' || argv[a][l] == '='))
				return 1;
		}
	return 0;
}

/* 1 when an argument other than an option's is a zip file */
static int
zip_operand(int argc, char **argv)
{
	int a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--policy") == 0) {
			a++;
			continue;
		}
		if (argv[a][0] != '-' && cmd_file_is_zip(argv[a]))
			return 1;
	}
	return 0;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {
		{"policy", 1, 0, 'P'}, {"json", 0, 0, 'j'}, {NULL, 0, 0, 0}};
	struct opts o = {0};
	struct report r;
	uint8_t *buf = NULL;
	size_t n = 0;
	cs_cose c;
	cs_err e;
	int a, rc;

	/* zips (batches, releases) take more options: hand them over whole; so
	 * does an option only they take, so that a truncated or foreign file
	 * given as a release is "not a zip" (3), not a usage error (2) */
	if (zip_option(argc, argv) || zip_operand(argc, argv))
		return cmd_verify_zip(argc, argv);
	if ((a = cmd_getopt(argc, argv, opts, usage, opt, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (a != argc - 1)
		return cmd_usage(usage, "expected exactly one FILE");
	memset(&r, 0, sizeof r);
	r.file = argv[a];
	r.json = o.json;
	cs_err_clear(&e);
	if ((rc = cmd_read(r.file, CMD_ARTIFACT_MAX, &buf, &n)) != CS_OK)
		return rc;
	if (cmd_is_zip(buf, n)) {
		cs_file_free(buf, n);
		return cmd_verify_zip(argc, argv);
	}
	if ((rc = cs_cose_decode(&c, buf, n, &e)) != CS_OK) {
		cs_file_free(buf, n);
		return cmd_report(r.file, &e);
	}
	r.kind = c.kind;
	if (c.multi && strcmp(c.kind, CS_KIND_POLICY) == 0)
		rc = verify_policy(&r, &o, buf, n);
	else if (c.multi && strcmp(c.kind, CS_KIND_ORDER) == 0)
		rc = verify_order(&r, &o, buf, n);
	else if (c.multi && strcmp(c.kind, CS_KIND_WITHDRAWAL) == 0)
		rc = verify_withdrawal(&r, &o, buf, n);
	else if (!c.multi)
		rc = verify_sign1(&r, &o, &c);
	else
		rc = cmd_fail(CS_MALFORMED, "%s: a COSE_Sign of kind %s outside a release zip (kind)",
		    r.file, c.kind);
	if (rc == CS_OK) {
		print_report(&r);
		rc = r.status;
	}
	cs_file_free(buf, n);
	return rc;
}
