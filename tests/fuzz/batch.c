/* Fuzzes batch and release verification end to end from memory: input = a
 * 2-byte big-endian length L, a policy envelope of L bytes (the pinned
 * policy), then a zip. Whatever happens, the verdict is one of the four
 * statuses, every problem and record verdict carries a reason and printable
 * text, and acceptance means no problem and no failed record. Every input
 * runs through both engines (lib/verify/batch.h), twice: deep on one
 * thread, and without the deep checks on two threads against a made-up
 * ledger whose "released before" claims no earlier release can bear out.
 * The reports must be the same: status, error, counts, problems, and every
 * on_record call (verdict, reason, message, exclusion). */
#include "fuzz.h"

#include <sodium.h>

#include "verify/batch.h"

/* A transcript of one run's on_record calls. */
struct tr {
	crypto_generichash_state h;
	uint64_t n;
};

static void
put(struct tr *t, const void *p, size_t n)
{
	crypto_generichash_update(&t->h, p, n);
}

static void
puts0(struct tr *t, const char *s)
{
	put(t, s != NULL ? s : "(null)", s != NULL ? strlen(s) + 1 : 7);
}

static int
on_record(void *ctx, const cs_vrec *r)
{
	struct tr *t = ctx;
	size_t i;

	FUZZ_REQUIRE(r->msg != NULL);
	for (i = 0; r->msg[i] != '\0'; i++)
		FUZZ_REQUIRE(r->msg[i] >= 0x20 && r->msg[i] <= 0x7e);
	FUZZ_REQUIRE((r->reason == NULL) == (r->msg[0] == '\0') || r->reason != NULL);
	t->n++;
	put(t, &r->index, sizeof r->index);
	put(t, &r->decoded, sizeof r->decoded);
	if (r->decoded) {
		FUZZ_REQUIRE(r->rec != NULL);
		put(t, &r->rec->serial, sizeof r->rec->serial);
		put(t, r->rec->pk, r->rec->pk_len);
		put(t, r->rec->hwid, r->rec->hwid_len);
	}
	puts0(t, r->reason);
	puts0(t, r->msg);
	put(t, &r->released_in, sizeof r->released_in);
	put(t, &r->excluded, sizeof r->excluded);
	puts0(t, r->excluded ? r->excl_reason : NULL);
	put(t, &r->excl_released_in, sizeof r->excl_released_in);
	return 0;
}

/* A ledger made up from the records themselves: some values "released
 * before" in releases 1 to 3, now and then a failing lookup. */
static int
fake_record(void *ctx, const cs_record *r, const uint8_t *inst, const char **reason,
    uint64_t *seq, cs_err *e)
{
	static const char *const why[] = {"record-released-serial", "record-released-key",
	    "record-released-hwid", "record-released-instance"};

	(void)ctx;
	*reason = NULL;
	*seq = 0;
	if (r->serial % 101 == 100)
		return cs_fail(e, CS_MALFORMED, "io", "the made-up ledger fails at serial %llu",
		    (unsigned long long)r->serial);
	if ((r->serial % 5 < 3 || (r->serial % 5 == 3 && inst != NULL)) && (r->pk[0] & 1)) {
		*reason = why[r->serial % 5];
		*seq = 1 + r->serial % 3;
	}
	return CS_OK;
}

static int
fake_order(void *ctx, const uint8_t digest[CS_DIGEST_LEN], uint64_t *released, cs_err *e)
{
	(void)ctx;
	(void)e;
	*released = digest[0] % 4;
	return CS_OK;
}

static int
fake_batch(void *ctx, const uint8_t header[CS_DIGEST_LEN], uint64_t *seq, cs_err *e)
{
	(void)ctx;
	(void)e;
	*seq = header[0] == 0 ? 1 : 0;
	return CS_OK;
}

static int
fake_open(void *ctx, uint64_t seq, cs_zipr **z, const cs_policy **pol, const uint8_t **pd,
    uint8_t digest[CS_DIGEST_LEN], int *found, cs_err *e)
{
	(void)ctx;
	(void)seq;
	(void)z;
	(void)pol;
	(void)pd;
	(void)digest;
	(void)e;
	*found = 0;
	return CS_OK;
}

/* One run; the checks every run must pass. */
static int
run(cs_verify *v, cs_zipr *z, cs_vopts *o, int engine, unsigned threads, struct tr *t,
    cs_err *e)
{
	size_t i, j;
	int rc;

	memset(t, 0, sizeof *t);
	crypto_generichash_init(&t->h, NULL, 0, 32);
	o->engine = engine;
	o->threads = threads;
	o->ctx = t;
	memset(v, 0, sizeof *v);
	cs_err_clear(e);
	rc = cs_verify_zip(v, z, o, e);
	FUZZ_REQUIRE(rc == CS_OK || rc == CS_REJECT || rc == CS_MALFORMED);
	if (rc == CS_MALFORMED)
		fuzz_check_err(rc, e);
	if (rc == CS_OK)
		FUZZ_REQUIRE(v->nproblem == 0 && (v->kind == CS_V_RELEASE || v->failed == 0));
	if (rc == CS_REJECT)
		FUZZ_REQUIRE(v->nproblem > 0 || v->failed > 0);
	for (i = 0; i < v->nproblem && i < CS_VERIFY_MAX_PROBLEMS; i++) {
		FUZZ_REQUIRE(v->problem[i].reason[0] != '\0');
		for (j = 0; v->problem[i].msg[j] != '\0'; j++)
			FUZZ_REQUIRE(v->problem[i].msg[j] >= 0x20 && v->problem[i].msg[j] <= 0x7e);
	}
	return rc;
}

#define SAME(field) FUZZ_REQUIRE(a->field == b->field)

/* The reports of the fast run (a) and the reference run (b) are the same. */
static void
same(int rca, const cs_verify *a, const cs_err *ea, struct tr *ta, int rcb, const cs_verify *b,
    const cs_err *eb, struct tr *tb)
{
	uint8_t ha[32], hb[32];
	size_t i;

	FUZZ_REQUIRE(rca == rcb);
	if (rca == CS_MALFORMED) {
		FUZZ_REQUIRE(strcmp(ea->reason, eb->reason) == 0);
		FUZZ_REQUIRE(strcmp(ea->msg, eb->msg) == 0);
	}
	SAME(kind);
	SAME(records);
	SAME(failed);
	SAME(excluded);
	SAME(released);
	SAME(claims);
	SAME(claims_checked);
	SAME(streamed);
	SAME(nproblem);
	SAME(more_problems);
	SAME(order_q.valid);
	SAME(have_release_q);
	SAME(release_q.valid);
	for (i = 0; i < a->nproblem && i < CS_VERIFY_MAX_PROBLEMS; i++) {
		FUZZ_REQUIRE(strcmp(a->problem[i].reason, b->problem[i].reason) == 0);
		FUZZ_REQUIRE(strcmp(a->problem[i].msg, b->problem[i].msg) == 0);
	}
	if (rca != CS_MALFORMED && a->streamed)
		FUZZ_REQUIRE(memcmp(a->records_digest, b->records_digest, CS_DIGEST_LEN) == 0);
	FUZZ_REQUIRE(ta->n == tb->n);
	crypto_generichash_final(&ta->h, ha, sizeof ha);
	crypto_generichash_final(&tb->h, hb, sizeof hb);
	FUZZ_REQUIRE(memcmp(ha, hb, sizeof ha) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cs_signed ps;
	static cs_policy p;
	static cs_verify va, vb;
	static struct tr ta, tb;
	cs_vlookup lk = {NULL, fake_record, fake_order, fake_batch};
	cs_vearlier ea = {NULL, fake_open, "nowhere"};
	cs_vopts o;
	cs_zipr *z = NULL;
	cs_err e, e2;
	const uint8_t *pd, *zd;
	size_t pn, zn;
	int rca, rcb;

	fuzz_init();
	if (!fuzz_split(data, size, &pd, &pn, &zd, &zn))
		return 0;
	cs_err_clear(&e);
	if (cs_policy_load(&ps, &p, pd, pn, &e) != CS_OK)
		return 0;
	if (cs_zipr_open_mem(&z, zd, zn, &e) != CS_OK) {
		fuzz_check_err(e.status, &e);
		return 0;
	}
	memset(&o, 0, sizeof o);
	o.policy = &p;
	o.policy_digest = ps.digest;
	o.deep = 1;
	o.chain = CS_CHAIN_FIRST;
	o.on_record = on_record;
	rca = run(&va, z, &o, CS_ENGINE_FAST, 1, &ta, &e);
	rcb = run(&vb, z, &o, CS_ENGINE_REFERENCE, 1, &tb, &e2);
	same(rca, &va, &e, &ta, rcb, &vb, &e2, &tb);
	cs_verify_free(&va);
	cs_verify_free(&vb);

	o.deep = 0;
	o.drafting = 1;
	o.lookup = &lk;
	o.earlier = &ea;
	rca = run(&va, z, &o, CS_ENGINE_FAST, 2, &ta, &e);
	rcb = run(&vb, z, &o, CS_ENGINE_REFERENCE, 1, &tb, &e2);
	same(rca, &va, &e, &ta, rcb, &vb, &e2, &tb);
	cs_verify_free(&va);
	cs_verify_free(&vb);
	cs_zipr_close(z);
	return 0;
}
