/* The device agent against an in-memory HAL: what makes it refuse to make a
 * key, what it returns when asked again, what it stores, and that it never
 * touches the heap. Policies and orders are built here with the core's
 * encoders and signed with keys made in the test. */
#include <sodium.h>

#include "device/agent.h"
#include "format/cose.h"
#include "t.h"

#include "../tools/memhal.h"

/* ---- heap watch ---------------------------------------------------------
 * Every allocation goes through these while the test runs; inside agent
 * calls the count must stay 0. Sanitizers bring their own allocator, so the
 * watch is off there (the nm check in tests/cli/station_heapfree.sh still
 * runs). */
#if defined(__SANITIZE_ADDRESS__)
#define HEAP_WATCH 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEAP_WATCH 0
#endif
#endif
#ifndef HEAP_WATCH
#define HEAP_WATCH 1
#endif

static volatile int watching;
static volatile long heap_calls;

#if HEAP_WATCH
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *
malloc(size_t n)
{
	heap_calls += watching;
	return __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
	heap_calls += watching;
	return __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
	heap_calls += watching;
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	heap_calls += watching && p != NULL;
	__libc_free(p);
}
#endif

/* ---- an in-memory device ------------------------------------------------- */

/* the memhal first: its callbacks take the same context */
struct sim {
	struct memhal m;
	int rng_mode; /* 0 good, 1 stuck, 2 repeats the same block */
	long rng_calls;
};

static int
hal_random(void *ctx, uint8_t *out, size_t n)
{
	struct sim *s = ctx;

	s->rng_calls++;
	if (s->rng_mode == 1)
		memset(out, 0x5a, n);
	else if (s->rng_mode == 2) {
		size_t i;

		for (i = 0; i < n; i++)
			out[i] = (uint8_t)(i * 37 + 11);
	} else
		randombytes_buf(out, n);
	return 0;
}

/* ---- artifacts ----------------------------------------------------------- */

struct key {
	uint8_t pk[CS_PK_LEN], sk[CS_SK_LEN];
};

static struct key cust[6]; /* 0-2: policy v1, 3-5: outsiders / v2 */
static uint8_t deployment[CS_DEPLOY_LEN];

/* A COSE_Sign of kind over payload with signatures by keys[0..n). */
static void
envelope(cs_buf *out, const char *kind, const cs_buf *payload, struct key **keys, size_t n)
{
	cs_buf draft, next;
	cs_cose c;
	cs_err e;
	size_t i;
	int added;

	cs_buf_init(&draft, 65536);
	if (cs_cose_sign_draft(&draft, kind, payload->p, payload->len) != CS_OK)
		abort();
	for (i = 0; i < n; i++) {
		cs_err_clear(&e);
		cs_buf_init(&next, 65536);
		if (cs_cose_decode(&c, draft.p, draft.len, &e) != CS_OK ||
		    cs_cose_sign_add(&next, &c, keys[i]->sk, &added, &e) != CS_OK)
			abort();
		cs_buf_free(&draft);
		draft = next;
	}
	cs_buf_init(out, 65536);
	cs_buf_add(out, draft.p, draft.len);
	cs_buf_free(&draft);
}

static void
make_policy(cs_policy *p, uint64_t version, const uint8_t *prev, struct key **keys, size_t n,
    uint64_t m)
{
	size_t i;

	memset(p, 0, sizeof *p);
	memcpy(p->deployment, deployment, CS_DEPLOY_LEN);
	p->version = version;
	p->has_prev = prev != NULL;
	if (prev)
		memcpy(p->prev, prev, CS_DIGEST_LEN);
	p->threshold = m;
	p->ncust = n;
	for (i = 0; i < n; i++) {
		snprintf(p->cust[i].id, sizeof p->cust[i].id, "c%zu", i);
		snprintf(p->cust[i].name, sizeof p->cust[i].name, "Custodian %zu", i);
		memcpy(p->cust[i].pk, keys[i]->pk, CS_PK_LEN);
	}
	memcpy(p->office_pk, cust[5].pk, CS_PK_LEN);
}

static void
policy_env(cs_buf *env, uint8_t digest[CS_DIGEST_LEN], const cs_policy *p, struct key **signers,
    size_t ns)
{
	cs_buf pay;

	cs_buf_init(&pay, CS_PAYLOAD_MAX);
	if (cs_policy_encode(&pay, p) != CS_OK)
		abort();
	cs_digest(digest, CS_KIND_POLICY, pay.p, pay.len);
	envelope(env, CS_KIND_POLICY, &pay, signers, ns);
	cs_buf_free(&pay);
}

static void
order_env(cs_buf *env, cs_order *o, const uint8_t pd[CS_DIGEST_LEN], const uint8_t *dep,
    struct key **signers, size_t ns)
{
	cs_buf pay;

	memset(o, 0, sizeof *o);
	memcpy(o->deployment, dep, CS_DEPLOY_LEN);
	memcpy(o->policy, pd, CS_DIGEST_LEN);
	strcpy(o->batch, "B42");
	strcpy(o->product, "Sensor v2");
	o->first = 1000;
	o->last = 1999;
	o->quantity = 10;
	randombytes_buf(o->nonce, CS_NONCE_LEN);
	o->nstation = 1;
	memcpy(o->station[0], cust[4].pk, CS_PK_LEN);
	cs_buf_init(&pay, CS_PAYLOAD_MAX);
	if (cs_order_encode(&pay, o) != CS_OK)
		abort();
	envelope(env, CS_KIND_ORDER, &pay, signers, ns);
	cs_buf_free(&pay);
}

/* ---- the tests ----------------------------------------------------------- */

static struct sim S;
static cs_dev_hal hal = {&S, hal_random, memhal_read, memhal_write, memhal_hwid, memhal_serial,
    memhal_security, "fw-1.4.2"};
static cs_dev_anchor anchor;
static cs_dev dev;

static void
fresh(void)
{
	memset(&S, 0, sizeof S);
	S.m.hwid = "HW-unit-0001";
	S.m.serial = 1234;
	cs_dev_init(&dev, &hal, &anchor);
}

static int
provision(const cs_buf *order, const cs_buf *chain, size_t nchain, const uint8_t **rec,
    size_t *rlen, cs_err *e)
{
	const uint8_t *cp[CS_DEV_CHAIN_MAX + 1];
	size_t cl[CS_DEV_CHAIN_MAX + 1], i;
	int rc;

	for (i = 0; i < nchain; i++) {
		cp[i] = chain[i].p;
		cl[i] = chain[i].len;
	}
	cs_err_clear(e);
	watching = 1;
	rc = cs_dev_provision(&dev, order->p, order->len, cp, cl, nchain, rec, rlen, e);
	watching = 0;
	return rc;
}

/* A refusal with this reason, and no key made: no random bytes drawn, nothing written. */
static void
refused(const char *what, const cs_buf *order, const cs_buf *chain, size_t nchain,
    const char *reason)
{
	const uint8_t *rec;
	size_t rlen;
	cs_err e;
	int rc;

	fresh();
	rc = provision(order, chain, nchain, &rec, &rlen, &e);
	T_OK(rc != CS_OK && strcmp(e.reason, reason) == 0 && rec == NULL,
	    "%s: refused with %s (got %d %s: %s)", what, reason, rc, e.reason, e.msg);
	T_OK(S.rng_calls == 0 && S.m.writes == 0 && S.m.store_len == 0,
	    "%s: no key made (rng calls %ld, writes %ld)", what, S.rng_calls, S.m.writes);
}

static void
check_record(const uint8_t *rec, size_t rlen, const cs_order *o)
{
	cs_cose c;
	cs_record r;
	cs_err e;
	uint8_t tbsm[2048], kid[CS_KID_LEN];
	cs_buf tbs;

	cs_err_clear(&e);
	T_OK(cs_cose_decode(&c, rec, rlen, &e) == CS_OK && !c.multi &&
		 strcmp(c.kind, CS_KIND_RECORD) == 0,
	    "record is a COSE_Sign1 of kind record");
	T_OK(cs_record_decode(&r, c.payload, c.payload_len, &e) == CS_OK, "record payload decodes");
	T_OK(r.serial == 1234 && r.hwid_len == 12 && memcmp(r.hwid, "HW-unit-0001", 12) == 0 &&
		 strcmp(r.firmware, "fw-1.4.2") == 0,
	    "record carries the HAL's serial, hardware id and firmware");
	T_OK(strcmp(r.batch, o->batch) == 0 && memcmp(r.nonce, o->nonce, CS_NONCE_LEN) == 0 &&
		 memcmp(r.deployment, o->deployment, CS_DEPLOY_LEN) == 0 && r.ev.kinds == 0,
	    "record carries the order's batch, nonce and deployment");
	cs_keyid(kid, r.pk);
	cs_buf_fixed(&tbs, tbsm, sizeof tbsm);
	T_OK(memcmp(kid, c.s[0].kid, CS_KID_LEN) == 0 && cs_cose_verify(&c, 0, r.pk, &tbs) == 0,
	    "record is signed by its own device key");
	T_OK(cs_pk_valid(r.pk), "device key is a prime-order point");
}

/* ---- a HAL that fails one call ------------------------------------------- */

enum { FAIL_NONE, FAIL_SECURITY, FAIL_SERIAL, FAIL_RANDOM, FAIL_HWID, FAIL_HWID_EMPTY };
static int fail_what;

static int
bad_random(void *ctx, uint8_t *out, size_t n)
{
	if (fail_what == FAIL_RANDOM) {
		((struct sim *)ctx)->rng_calls++;
		return -1;
	}
	return hal_random(ctx, out, n);
}

static int
bad_hwid(void *ctx, uint8_t out[CS_HWID_MAX], size_t *len)
{
	if (fail_what == FAIL_HWID)
		return -1;
	if (fail_what == FAIL_HWID_EMPTY) {
		*len = 0;
		return 0;
	}
	return memhal_hwid(ctx, out, len);
}

static int
bad_serial(void *ctx, uint64_t *serial)
{
	return fail_what == FAIL_SERIAL ? -1 : memhal_serial(ctx, serial);
}

static int
bad_security(void *ctx, cs_dev_security *st)
{
	return fail_what == FAIL_SECURITY ? -1 : memhal_security(ctx, st);
}

/* Hands the device a message of type and protocol in a fresh random session
 * (the message is *in); its reply is *rp, *rn. */
static int
send_msg(cs_wire_msg *in, enum cs_wire_type type, uint64_t proto, const uint8_t **rp,
    size_t *rn)
{
	static uint8_t msg[64];
	cs_buf b;

	memset(in, 0, sizeof *in);
	in->type = type;
	in->proto = proto;
	randombytes_buf(in->session, sizeof in->session);
	cs_buf_fixed(&b, msg, sizeof msg);
	if (cs_wire_msg_encode(&b, in) != CS_OK)
		abort();
	return cs_dev_handle(&dev, b.p, b.len, rp, rn);
}

int
main(void)
{
	struct key *v1[3] = {&cust[0], &cust[1], &cust[2]};
	struct key *v2[3] = {&cust[3], &cust[4], &cust[5]};
	struct key *two[2] = {&cust[0], &cust[1]}, *one[1] = {&cust[0]};
	struct key *outsiders[2] = {&cust[3], &cust[4]}, *mixed[2] = {&cust[0], &cust[3]};
	struct key *repeat[2] = {&cust[1], &cust[1]};
	cs_policy p1, p2, p3;
	cs_order o, o2;
	cs_buf pe1, pe2, pe2weak, pe3, oe, oe2, oe_one, oe_out, oe_mixed, oe_dep, oe_rep, oe_v2,
	    oe_v3, chain[CS_DEV_CHAIN_MAX + 1];
	uint8_t d1[CS_DIGEST_LEN], d2[CS_DIGEST_LEN], d3[CS_DIGEST_LEN], other_dep[CS_DEPLOY_LEN];
	uint8_t first[CS_DEV_RECORD_MAX], stored[CS_DEV_STORE_MAX], digest[CS_DIGEST_LEN];
	const uint8_t *rec;
	size_t rlen, flen, slen, i;
	cs_err e;
	cs_cose c;
	int rc;

	if (cs_crypto_init() != 0)
		return 1;
	for (i = 0; i < 6; i++)
		crypto_sign_keypair(cust[i].pk, cust[i].sk);
	randombytes_buf(deployment, sizeof deployment);
	randombytes_buf(other_dep, sizeof other_dep);

	make_policy(&p1, 1, NULL, v1, 3, 2);
	policy_env(&pe1, d1, &p1, two, 2);
	cs_dev_anchor_from_policy(&anchor, &p1, d1);
	order_env(&oe, &o, d1, deployment, two, 2);

	/* the watch itself must see an allocation, or its silence proves nothing */
	if (HEAP_WATCH) {
		void *volatile p;

		heap_calls = 0;
		watching = 1;
		p = malloc(16);
		free(p);
		watching = 0;
		T_OK(heap_calls == 2, "heap watch counts a malloc and a free (%ld)", heap_calls);
	}

	/* a good order */
	fresh();
	heap_calls = 0;
	rc = provision(&oe, NULL, 0, &rec, &rlen, &e);
	T_OK(rc == CS_OK, "order signed by 2 of 3 is accepted (%s: %s)", e.reason, e.msg);
	if (rc != CS_OK)
		return t_done();
	check_record(rec, rlen, &o);
	memcpy(first, rec, rlen);
	flen = rlen;
	T_OK(S.m.writes == 1 && S.m.store_len > CS_DEV_STORE_HEAD, "key stored once");
	T_OK(memmem(S.m.store, S.m.store_len, first, flen) != NULL, "stored blob holds the record");
	memcpy(stored, S.m.store, S.m.store_len);
	slen = S.m.store_len;
	T_OK(sodium_is_zero(dev.store, sizeof dev.store),
	    "agent's copy of the stored seed is wiped after use");

	/* the same order again: the same record, nothing rewritten, no randomness */
	S.rng_calls = 0;
	rc = provision(&oe, NULL, 0, &rec, &rlen, &e);
	T_OK(rc == CS_OK && rlen == flen && memcmp(rec, first, flen) == 0,
	    "same order again returns the same record");
	T_OK(S.m.writes == 1 && S.rng_calls == 0 && S.m.store_len == slen &&
		 memcmp(S.m.store, stored, slen) == 0,
	    "same order again never rewrites the key");

	/* the same order with a third signature (same payload) is the same order */
	{
		struct key *three[3] = {&cust[0], &cust[1], &cust[2]};
		cs_buf more, pay;

		cs_err_clear(&e);
		if (cs_cose_decode(&c, oe.p, oe.len, &e) != CS_OK)
			abort();
		cs_buf_init(&pay, CS_PAYLOAD_MAX);
		cs_buf_add(&pay, c.payload, c.payload_len);
		envelope(&more, CS_KIND_ORDER, &pay, three, 3);
		rc = provision(&more, NULL, 0, &rec, &rlen, &e);
		T_OK(rc == CS_OK && rlen == flen && memcmp(rec, first, flen) == 0,
		    "the same order with more signatures returns the same record");
		cs_buf_free(&more);
		cs_buf_free(&pay);
	}

	/* another order never re-keys */
	order_env(&oe2, &o2, d1, deployment, two, 2);
	rc = provision(&oe2, NULL, 0, &rec, &rlen, &e);
	T_OK(rc == CS_REJECT && strcmp(e.reason, "device-provisioned") == 0 && rec == NULL,
	    "another order is refused by a keyed device (%s)", e.reason);
	T_OK(S.m.writes == 1 && memcmp(S.m.store, stored, slen) == 0,
	    "another order leaves the key alone");

	/* confirmation names this record, not another */
	cs_err_clear(&e);
	if (cs_cose_decode(&c, first, flen, &e) != CS_OK)
		abort();
	cs_digest(digest, CS_KIND_RECORD, c.payload, c.payload_len);
	watching = 1;
	rc = cs_dev_confirm(&dev, digest, &e);
	watching = 0;
	T_OK(rc == CS_OK, "done naming the device's record is accepted");
	digest[0] ^= 1;
	cs_err_clear(&e);
	T_OK(cs_dev_confirm(&dev, digest, &e) == CS_REJECT &&
		 strcmp(e.reason, "device-record-mismatch") == 0,
	    "done naming another record is refused");

	/* orders the device must refuse without making a key */
	order_env(&oe_one, &o2, d1, deployment, one, 1);
	refused("one signature of 2 needed", &oe_one, NULL, 0, "order-threshold");
	order_env(&oe_out, &o2, d1, deployment, outsiders, 2);
	refused("signed by two unknown keys", &oe_out, NULL, 0, "order-threshold");
	order_env(&oe_mixed, &o2, d1, deployment, mixed, 2);
	refused("one custodian and one unknown key", &oe_mixed, NULL, 0, "order-threshold");
	order_env(&oe_dep, &o2, d1, other_dep, two, 2);
	refused("another deployment", &oe_dep, NULL, 0, "order-deployment");
	{
		/* the same custodian's signature twice counts once */
		cs_buf pay;

		cs_err_clear(&e);
		if (cs_cose_decode(&c, oe_one.p, oe_one.len, &e) != CS_OK)
			abort();
		c.s[1] = c.s[0];
		c.nsig = 2;
		cs_buf_init(&oe_rep, 65536);
		/* cs_cose_encode drops exact repeats, so write both by hand */
		{
			cs_cose_raw_signer rs[2];
			static const uint8_t em[1] = {0xa0};

			rs[0] = (cs_cose_raw_signer){c.s[0].prot, c.s[0].prot_len, em, 1, c.s[0].sig};
			rs[1] = rs[0];
			if (cs_cose_encode_sign_raw(&oe_rep, c.prot, c.prot_len, em, 1, c.payload,
				c.payload_len, rs, 2) != CS_OK)
				abort();
		}
		refused("one custodian's signature twice", &oe_rep, NULL, 0, "order-threshold");
		(void)repeat;
		(void)pay;
	}
	{
		/* a custodian's signature with a flipped bit does not count */
		cs_buf bad;

		cs_buf_init(&bad, 65536);
		cs_buf_add(&bad, oe.p, oe.len);
		bad.p[bad.len - 1] ^= 0x01;
		refused("a corrupted second signature", &bad, NULL, 0, "order-threshold");
		bad.p[bad.len - 1] ^= 0x01;
		bad.p[bad.len - 100] ^= 0x40; /* inside the payload: every signature breaks */
		fresh();
		cs_err_clear(&e);
		rc = provision(&bad, NULL, 0, &rec, &rlen, &e);
		T_OK(rc != CS_OK && S.m.writes == 0 && S.rng_calls == 0,
		    "an altered order payload is refused (%s)", e.reason);
		cs_buf_free(&bad);
	}
	{
		/* a policy envelope is not an order */
		refused("a policy given as the order", &pe1, NULL, 0, "kind");
	}

	/* the device's own state: each case on a fresh device set up so */
	{
		static const struct {
			int unlocked, rng_mode, fail_write, fail_read, damaged;
			uint64_t serial; /* 0: the fresh device's */
			const char *reason;
			int rejected, no_rng, no_write, no_record; /* what is checked */
			const char *what;
		} states[] = {
			{.unlocked = 1, .reason = "device-debug-unlocked", .rejected = 1,
			    .no_rng = 1, .no_write = 1,
			    .what = "debug access open: refused, no key"},
			{.serial = 2000, .reason = "device-serial-range", .rejected = 1,
			    .no_write = 1, .what = "serial above the order's range: refused"},
			{.serial = 999, .reason = "device-serial-range", .rejected = 1,
			    .no_write = 1, .what = "serial below the order's range: refused"},
			{.rng_mode = 1, .reason = "device-rng-health", .rejected = 1, .no_write = 1,
			    .what = "stuck random source: refused, no key"},
			{.rng_mode = 2, .reason = "device-rng-health", .rejected = 1, .no_write = 1,
			    .what = "random source repeating itself: refused, no key"},
			{.fail_write = 1, .reason = "device-storage", .no_record = 1,
			    .what = "storage that cannot be written: no record handed out"},
			{.fail_read = 1, .reason = "device-storage", .no_write = 1,
			    .what = "storage that cannot be read: refused, never overwritten"},
			{.damaged = 1, .reason = "device-storage", .no_write = 1,
			    .what = "damaged storage: refused, never overwritten"},
		};

		for (i = 0; i < sizeof states / sizeof states[0]; i++) {
			fresh();
			S.m.unlocked = states[i].unlocked;
			S.rng_mode = states[i].rng_mode;
			S.m.fail_write = states[i].fail_write;
			S.m.fail_read = states[i].fail_read;
			if (states[i].serial != 0)
				S.m.serial = states[i].serial;
			if (states[i].damaged) {
				memcpy(S.m.store, stored, slen);
				S.m.store_len = slen;
				S.m.store[10] ^= 1;
			}
			rc = provision(&oe, NULL, 0, &rec, &rlen, &e);
			T_OK((states[i].rejected ? rc == CS_REJECT : rc != CS_OK) &&
				 strcmp(e.reason, states[i].reason) == 0 &&
				 (!states[i].no_rng || S.rng_calls == 0) &&
				 (!states[i].no_write || S.m.writes == 0) &&
				 (!states[i].no_record || rec == NULL),
			    "%s (%s)", states[i].what, e.reason);
		}
	}

	/* rotation: v2 by new custodians 3,4,5, signed by 2 of v1 and 2 of v2 */
	{
		struct key *both[4] = {&cust[0], &cust[1], &cust[3], &cust[4]};
		struct key *newonly[2] = {&cust[3], &cust[4]};
		struct key *oldonly[2] = {&cust[0], &cust[1]};
		struct key *v2two[2] = {&cust[3], &cust[4]};
		struct key *both3[4] = {&cust[3], &cust[4], &cust[0], &cust[1]};

		make_policy(&p2, 2, d1, v2, 3, 2);
		policy_env(&pe2, d2, &p2, both, 4);
		policy_env(&pe2weak, d2, &p2, newonly, 2);
		order_env(&oe_v2, &o2, d2, deployment, v2two, 2);
		refused("order under v2 without the chain", &oe_v2, NULL, 0, "order-policy");
		chain[0] = pe2;
		fresh();
		rc = provision(&oe_v2, chain, 1, &rec, &rlen, &e);
		T_OK(rc == CS_OK, "order under v2 with the chain v2 is accepted (%s: %s)", e.reason,
		    e.msg);
		if (rc == CS_OK)
			check_record(rec, rlen, &o2);
		chain[0] = pe2weak;
		refused("chain link without the old custodians", &oe_v2, chain, 1,
		    "policy-threshold-previous");
		{
			cs_buf pe2old;

			policy_env(&pe2old, d2, &p2, oldonly, 2);
			chain[0] = pe2old;
			refused("chain link without its own custodians", &oe_v2, chain, 1,
			    "policy-threshold");
			cs_buf_free(&pe2old);
		}
		/* v3 after v2; a chain that skips v2 */
		make_policy(&p3, 3, d2, v1, 3, 2);
		policy_env(&pe3, d3, &p3, both3, 4);
		order_env(&oe_v3, &o2, d3, deployment, two, 2);
		chain[0] = pe3;
		refused("chain that skips a version", &oe_v3, chain, 1, "policy-predecessor");
		chain[0] = pe2;
		chain[1] = pe3;
		fresh();
		rc = provision(&oe_v3, chain, 2, &rec, &rlen, &e);
		T_OK(rc == CS_OK, "order under v3 with the chain v2, v3 is accepted (%s: %s)", e.reason,
		    e.msg);
		chain[0] = pe1;
		chain[1] = pe2;
		chain[2] = pe3;
		fresh();
		rc = provision(&oe_v3, chain, 3, &rec, &rlen, &e);
		T_OK(rc == CS_OK, "a chain that starts with the anchor's own policy is accepted (%s)",
		    e.reason);
		chain[0] = pe3;
		chain[1] = pe2;
		refused("chain in the wrong order", &oe_v3, chain, 2, "policy-predecessor");
		for (i = 0; i <= CS_DEV_CHAIN_MAX; i++)
			chain[i] = pe2;
		refused("chain longer than the device follows", &oe_v2, chain, CS_DEV_CHAIN_MAX + 1,
		    "device-chain");
		{
			/* a rotation into another deployment */
			cs_policy px;
			cs_buf pex;
			uint8_t dx[CS_DIGEST_LEN];

			make_policy(&px, 2, d1, v2, 3, 2);
			memcpy(px.deployment, other_dep, CS_DEPLOY_LEN);
			policy_env(&pex, dx, &px, both, 4);
			chain[0] = pex;
			refused("chain into another deployment", &oe_v2, chain, 1, "policy-deployment");
			cs_buf_free(&pex);
		}
	}

	/* device-hal: the firmware's HAL fails; the agent refuses with that
	 * reason and its message says which call, and no key is stored */
	{
		static const struct {
			int fail;
			const char *firmware; /* NULL: the good one */
			int no_rng;
			const char *msg, *what;
		} hals[] = {
			{FAIL_SECURITY, NULL, 1, "security state unavailable", "no security state"},
			{FAIL_SERIAL, NULL, 1, "serial number unavailable", "no serial number"},
			{FAIL_RANDOM, NULL, 0, "random source unavailable", "no random bytes"},
			{FAIL_HWID, NULL, 0, "no hardware unique id", "no hardware id"},
			{FAIL_HWID_EMPTY, NULL, 0, "no hardware unique id", "an empty hardware id"},
			{FAIL_NONE, "fw\x01", 0, "firmware version is not 1-32 printable characters",
			    "a firmware version with a control byte"},
			{FAIL_NONE, "", 0, "firmware version is not 1-32 printable characters",
			    "an empty firmware version"},
		};
		static cs_dev_hal bad;
		const uint8_t *rp;
		size_t rn;
		cs_wire_msg hello, got;

		for (i = 0; i < sizeof hals / sizeof hals[0]; i++) {
			bad = (cs_dev_hal){&S, bad_random, memhal_read, memhal_write, bad_hwid, bad_serial,
			    bad_security, hals[i].firmware ? hals[i].firmware : "fw-1.4.2"};
			memset(&S, 0, sizeof S);
			S.m.hwid = "HW-unit-0001";
			S.m.serial = 1234;
			cs_dev_init(&dev, &bad, &anchor);
			fail_what = hals[i].fail;
			rc = provision(&oe, NULL, 0, &rec, &rlen, &e);
			T_OK(rc == CS_MALFORMED && strcmp(e.reason, "device-hal") == 0 &&
				 strcmp(e.msg, hals[i].msg) == 0 && rec == NULL && S.m.writes == 0 &&
				 S.m.store_len == 0 && (!hals[i].no_rng || S.rng_calls == 0),
			    "a HAL with %s: refused with device-hal, \"%s\", no key stored (got %d %s: "
			    "%s; rng calls %ld, writes %ld)",
			    hals[i].what, hals[i].msg, rc, e.reason, e.msg, S.rng_calls, S.m.writes);
		}
		fail_what = FAIL_NONE;

		/* asked who it is over the wire, a device without its hardware id
		 * answers with a wire error carrying device-hal */
		bad.firmware = "fw-1.4.2";
		memset(&S, 0, sizeof S);
		S.m.hwid = "HW-unit-0001";
		S.m.serial = 1234;
		cs_dev_init(&dev, &bad, &anchor);
		fail_what = FAIL_HWID;
		cs_err_clear(&e);
		rc = send_msg(&hello, CS_WIRE_HELLO, CS_WIRE_PROTO, &rp, &rn);
		T_OK(rc == CS_OK && dev.event == CS_DEV_REFUSED &&
			 strcmp(dev.last_err.reason, "device-hal") == 0 &&
			 cs_wire_msg_decode(&got, rp, rn, &e) == CS_OK && got.type == CS_WIRE_ERROR &&
			 strcmp(got.reason, "device-hal") == 0 &&
			 strcmp(got.text, "identity unavailable") == 0 &&
			 memcmp(got.session, hello.session, CS_WIRE_SESSION_LEN) == 0,
		    "hello to a device whose HAL has no hardware id: a wire error, device-hal, "
		    "\"identity unavailable\", in the hello's session (%s: %s)", dev.last_err.reason,
		    dev.last_err.msg);
		fail_what = FAIL_NONE;
	}

	/* wire-protocol, the device's side: another protocol version in the
	 * hello, or a message only a device sends, is refused over the wire */
	{
		static const struct {
			int type;
			uint64_t proto;
			int status;
			const char *text;
		} wrong[] = {
			{CS_WIRE_HELLO, CS_WIRE_PROTO + 1, CS_REJECT,
			    "protocol version 2 is not supported (want 1)"},
			{CS_WIRE_FINISHED, 0, CS_MALFORMED, "a device does not take message type 6"},
		};
		const uint8_t *rp;
		size_t rn;
		cs_wire_msg in, got;

		for (i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
			fresh();
			cs_err_clear(&e);
			rc = send_msg(&in, wrong[i].type, wrong[i].proto, &rp, &rn);
			T_OK(rc == CS_OK && dev.event == CS_DEV_REFUSED &&
				 dev.last_err.status == wrong[i].status &&
				 strcmp(dev.last_err.reason, "wire-protocol") == 0 &&
				 cs_wire_msg_decode(&got, rp, rn, &e) == CS_OK &&
				 got.type == CS_WIRE_ERROR && strcmp(got.reason, "wire-protocol") == 0 &&
				 strcmp(got.text, wrong[i].text) == 0 &&
				 memcmp(got.session, in.session, CS_WIRE_SESSION_LEN) == 0 &&
				 S.rng_calls == 0 && S.m.writes == 0,
			    "message type %d, protocol %llu: answered with a wire error, wire-protocol, "
			    "\"%s\", in its session (%s: %s)",
			    wrong[i].type, (unsigned long long)wrong[i].proto, wrong[i].text,
			    dev.last_err.reason, dev.last_err.msg);
		}
	}

	if (HEAP_WATCH)
		T_OK(heap_calls == 0, "no heap allocation inside the agent (%ld calls)", heap_calls);
	else
		t_skip("heap watch (sanitizer build has its own allocator)");
	{
		cs_buf *all[] = {&pe1, &pe2, &pe2weak, &pe3, &oe, &oe2, &oe_one, &oe_out, &oe_mixed,
		    &oe_dep, &oe_rep, &oe_v2, &oe_v3};

		for (i = 0; i < sizeof all / sizeof all[0]; i++)
			cs_buf_free(all[i]);
	}
	return t_done();
}
