/* consign receipt: tells the factory which records of its batch were accepted
 * and which were refused and why, signed by the office key of the policy. It
 * grants nothing: only releases do. */
#include "office.h"

#include <stdlib.h>
#include <string.h>

#include "ledger/ledger.h"
#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign receipt --key OFFICE.key|pkcs11:URI --policy P [--passphrase-file F]\n"
    "                       [--module PATH] [--pin-file F] [--ledger DIR] [--threads N]\n"
    "                       [--json] batch.zip -o receipt.cbor [--force]\n"
    "\n"
    "Verifies the batch fully (against the ledger too with --ledger) and writes a\n"
    "receipt signed by the policy's office key: how many records were accepted,\n"
    "each refused record with its reason, and the batch-level problems if any\n"
    "(then nothing is accepted). consign verify --policy P receipt.cbor checks it.\n";

enum { O_LEDGER = 256, O_THREADS, O_PASS, O_JSON };

struct ro {
	struct cmd_keyarg ka;
	const char *policy, *ledger, *out;
	unsigned threads;
	int json;
	cs_exclusion *x;
	size_t nx, cap;
	int oom;
};

static int
refused(void *ctx, const cs_vrec *r)
{
	struct ro *o = ctx;

	if (r->reason == NULL)
		return 0;
	if (office_excl_add(&o->x, &o->nx, &o->cap, r) != 0) {
		o->oom = 1;
		return 1;
	}
	return 0;
}

/* The receipt's fields from the verification: its batch, its count, each
 * batch-level problem's reason once, and nothing accepted when there is one. */
static void
receipt_of(cs_receipt *rcp, const cs_verify *v, size_t refused)
{
	size_t i, j;

	memset(rcp, 0, sizeof *rcp);
	memcpy(rcp->deployment, v->order.deployment, CS_DEPLOY_LEN);
	memcpy(rcp->header, v->header_digest, CS_DIGEST_LEN);
	snprintf(rcp->batch, sizeof rcp->batch, "%s", v->order.batch);
	memcpy(rcp->order, v->order_s.digest, CS_DIGEST_LEN);
	rcp->count = v->records;
	for (i = 0; i < v->nproblem && rcp->nproblem < CS_RECEIPT_MAX_PROBLEMS; i++) {
		for (j = 0; j < rcp->nproblem; j++)
			if (strcmp(rcp->problem[j], v->problem[i].reason) == 0)
				break;
		if (j == rcp->nproblem)
			snprintf(rcp->problem[rcp->nproblem++], CS_REASON_MAX, "%s", v->problem[i].reason);
	}
	rcp->accepted = rcp->nproblem > 0 ? 0 : v->records - refused;
}

static void
receipt_print(const struct ro *o, const cs_receipt *rcp, const cs_buf *pay, const char *file)
{
	char f[1024];

	if (o->json) {
		/* the report is on the receipt made (a valid one: accepted); what it
		 * says of the batch is in its fields, as written: the payload read back */
		json_t *rep = cmd_json_report("accepted", CS_KIND_RECEIPT, o->out);
		cs_receipt back;
		uint8_t d[CS_DIGEST_LEN];
		cs_err e;

		cs_err_clear(&e);
		cs_digest(d, CS_KIND_RECEIPT, pay->p, pay->len);
		if (cs_receipt_decode(&back, pay->p, pay->len, &e) == CS_OK)
			cmd_desc_receipt(rep, d, &back);
		json_object_set_new(rep, "failed", cmd_json_u64(o->nx));
		json_object_set_new(rep, "batch_file", cmd_json_text(file));
		cmd_json_print(rep);
	} else {
		printf("%s: receipt for batch %s: %llu of %llu records accepted, %zu refused%s%s\n",
		    cs_escapez(f, sizeof f, o->out), rcp->batch, (unsigned long long)rcp->accepted,
		    (unsigned long long)rcp->count, o->nx, rcp->nproblem ? ", batch refused: " : "",
		    rcp->nproblem ? rcp->problem[0] : "");
	}
}

/* The batch verified fully against pol (and the ledger with --ledger), the
 * refused records collected into o. CS_OK when it came to a verdict that a
 * receipt can carry (v's problems, o's refusals); else the failure, reported. */
static int
verify_batch(struct ro *o, const char *file, const cs_signed *ps, const cs_policy *pol,
    int engine, cs_verify *v)
{
	cs_ledger *l = NULL;
	cs_vlookup lk;
	cs_vearlier ea;
	cs_vopts vo;
	cs_zipr *z = NULL;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if (o->ledger != NULL && (rc = cs_ledger_open(&l, o->ledger, &e)) != CS_OK)
		return cmd_report(o->ledger, &e);
	if ((rc = cs_zipr_open(&z, file, &e)) != CS_OK) {
		rc = e.status == CS_REJECT
			 ? cmd_fail(CS_REJECT, e.reason, file, "no receipt: the zip itself is refused: %s",
			       e.msg)
			 : cmd_report(file, &e);
		goto done;
	}
	if (cs_zipr_entries(z) != CS_V_BATCH) {
		rc = cmd_fail(CS_USAGE, "kind", file, "a release; receipts are for batches");
		goto done;
	}
	memset(&vo, 0, sizeof vo);
	vo.policy = pol;
	vo.policy_digest = ps->digest;
	vo.deep = 1;
	vo.threads = o->threads;
	vo.engine = engine;
	vo.on_record = refused;
	vo.ctx = o;
	if (l != NULL) {
		cs_ledger_lookup(l, &lk);
		cs_ledger_earlier(l, &ea);
		vo.lookup = &lk;
		vo.earlier = &ea;
	}
	rc = cs_verify_zip(v, z, &vo, &e);
	if (o->oom)
		rc = cs_fail(&e, CS_MALFORMED, "system", "out of memory");
	if (rc == CS_MALFORMED || rc == CS_USAGE)
		rc = cmd_report(file, &e);
	else if (v->header_cose.payload == NULL)
		rc = cmd_fail(CS_REJECT, v->nproblem ? v->problem[0].reason : "rejected", file,
		    "no receipt: the batch's entries cannot be read");
	else
		rc = CS_OK;
done:
	cs_zipr_close(z);
	cs_ledger_close(l);
	return rc;
}

int
cmd_receipt(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("key", 'k', struct ro, ka.key),
	    CMD_ARG("policy", 'P', struct ro, policy), CMD_ARG("output", 'o', struct ro, out),
	    CMD_ARG("passphrase-file", O_PASS, struct ro, ka.passfile),
	    CMD_ARG("ledger", O_LEDGER, struct ro, ledger),
	    OFFICE_THREADS_OPT(O_THREADS, struct ro, threads),
	    CMD_FLAG("json", O_JSON, struct ro, json), CMD_KEY_OPTS(struct ro, ka), CMD_FORCE_OPT,
	    CMD_OPT_END};
	cs_signed ps;
	cs_policy pol;
	cs_verify v = {0};
	cs_receipt rcp;
	struct ro o;
	cmd_key k = {0};
	cs_buf pay, env;
	cs_err e;
	const char *file;
	int a, rc, engine;

	memset(&o, 0, sizeof o);
	cs_buf_init(&pay, CS_RELEASE_ENTRY_MAX);
	cs_buf_init(&env, CS_RELEASE_ENTRY_MAX + 1024);
	cs_err_clear(&e);
	if ((a = cmd_getopt(argc, argv, opts, usage, NULL, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (o.json)
		cmd_json_errors(CS_KIND_RECEIPT);
	if (a != argc - 1 || o.ka.key == NULL || o.policy == NULL || o.out == NULL)
		return cmd_usage(usage, "--key, --policy, -o and exactly one batch.zip are required");
	if (office_engine(&engine) != 0)
		return CS_USAGE;
	file = argv[a];
	if ((rc = cmd_load_pinned_policy(o.policy, &ps, &pol)) != CS_OK)
		return rc;
	if ((rc = cmd_key_open(&k, &o.ka)) != CS_OK)
		goto done;
	if (memcmp(k.pub.pk, pol.office_pk, CS_PK_LEN) != 0) {
		rc = cmd_fail(CS_REJECT, "not-office", o.ka.key, "not the office key of %s",
		    o.policy);
		goto done;
	}
	if ((rc = verify_batch(&o, file, &ps, &pol, engine, &v)) != CS_OK)
		goto done;
	receipt_of(&rcp, &v, o.nx);
	if (cs_receipt_encode(&pay, &rcp, o.x, o.nx) != CS_OK) {
		/* the only limit an honest verdict can break is the size */
		rc = cmd_fail(CS_MALFORMED, "too-large", file, "no receipt: its %zu refused records "
		    "do not fit in a receipt's %u MiB", o.nx, CS_RELEASE_ENTRY_MAX >> 20);
		goto done;
	}
	if ((rc = cmd_key_unlock(&k)) != CS_OK)
		goto done;
	rc = cs_cose_sign1_with(&env, CS_KIND_RECEIPT, pay.p, pay.len, &k.signer, &e);
	cmd_key_close(&k);
	if (rc != CS_OK) {
		rc = cmd_report(o.out, &e);
		goto done;
	}
	if ((rc = cmd_write(o.out, env.p, env.len, 0644, 0)) != CS_OK)
		goto done;
	receipt_print(&o, &rcp, &pay, file);
	rc = CS_OK;
done:
	cmd_key_close(&k);
	free(o.x);
	cs_buf_free(&pay);
	cs_buf_free(&env);
	cs_verify_free(&v);
	return rc;
}
