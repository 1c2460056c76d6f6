/* The station's checks of a returned record (one reason each) and its
 * uniqueness indexes over the batch (serial, device key, hardware id, and
 * the chip's instance id under an order requiring firmware evidence). */
#include <sodium.h>

#include "../tools/testpki.h"
#include "attest/p256.h"
#include "format/cose.h"
#include "station/check.h"
#include "t.h"

static cs_order order;

/* A record envelope for r signed with an Ed25519 sk, or (sk NULL) with the
 * P-256 secret p (ES256), whatever r->pk says. */
static size_t
sealed(uint8_t *out, size_t cap, const cs_record *r, const uint8_t *sk, const cs_p256_secret *p)
{
	cs_buf pay, env;
	cs_err e;

	cs_buf_init(&pay, CS_RECORD_MAX);
	cs_buf_fixed(&env, out, cap);
	cs_err_clear(&e);
	if (cs_record_encode(&pay, r) != CS_OK ||
	    (sk != NULL ? cs_cose_sign1_create(&env, CS_KIND_RECORD, pay.p, pay.len, sk, &e)
			: cs_cose_sign1_es256(&env, pay.p, pay.len, p, &e)) != CS_OK)
		abort();
	cs_buf_free(&pay);
	return env.len;
}

static int64_t
seen_key(const cs_seen *s, const uint8_t *pk, size_t n)
{
	uint8_t d[CS_DIGEST_LEN];

	cs_seen_key_digest(d, pk, n);
	return cs_seen_key(s, d);
}

static void
good(cs_record *r, uint8_t sk[CS_SK_LEN], uint64_t serial)
{
	memset(r, 0, sizeof *r);
	crypto_sign_keypair(r->pk, sk);
	r->pk_len = CS_ED25519_KEY_LEN;
	memcpy(r->deployment, order.deployment, CS_DEPLOY_LEN);
	r->serial = serial;
	r->hwid_len = (size_t)snprintf((char *)r->hwid, sizeof r->hwid, "hw-%llu",
	    (unsigned long long)serial);
	strcpy(r->firmware, "1.0");
	strcpy(r->batch, order.batch);
	memcpy(r->nonce, order.nonce, CS_NONCE_LEN);
}

static void
expect(const char *what, const uint8_t *env, size_t n, const char *reason)
{
	uint8_t d[CS_DIGEST_LEN];
	cs_record r;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	rc = cs_station_check_record(&order, NULL, env, n, &r, d, &e);
	if (reason == NULL)
		T_OK(rc == CS_OK, "%s: accepted (%s %s)", what, e.reason, e.msg);
	else
		T_OK(rc == CS_REJECT && strcmp(e.reason, reason) == 0, "%s: refused with %s (got %s)",
		    what, reason, rc == CS_OK ? "accepted" : e.reason);
}

/* r signed with sk, then checked as expect() does */
static void
expect_made(const char *what, const cs_record *r, const uint8_t sk[CS_SK_LEN], const char *reason)
{
	static uint8_t env[CS_RECORD_MAX];

	expect(what, env, sealed(env, sizeof env, r, sk, NULL), reason);
}

/* 1 when the index refuses r with reason (and so does not take it) */
static int
seen_refuses(cs_seen *s, const cs_record *r, const uint8_t d[CS_DIGEST_LEN], const char *reason)
{
	cs_err e;

	cs_err_clear(&e);
	return cs_seen_add(s, r, d, &e) == CS_REJECT && strcmp(e.reason, reason) == 0;
}

/* Records attested by chips (PSA tokens, the TEST maker's): under an order
 * requiring firmware evidence a second record of one chip is refused, and
 * the index survives growing; a token that does not decode, or an order
 * that requires no firmware evidence, keeps no instance id. */
static void
chips(void)
{
	static uint8_t tok[2][CS_PSA_TOKEN_MAX];
	static cs_record r[4], x;
	cs_p256_secret *iak[2];
	tp_token t;
	uint8_t nonce[32] = {0}, boot[32] = {0}, sk[CS_SK_LEN], d[CS_DIGEST_LEN], inst0[33];
	size_t toklen[2], k;
	cs_seen s;
	cs_err e;
	cs_buf b;
	int bad = 0;

	cs_err_clear(&e);
	for (k = 0; k < 2; k++) {
		if ((iak[k] = tp_key("device_check", k ? "iak-1" : "iak-0")) == NULL)
			abort();
		tp_token_init(&t, cs_p256_secret_point(iak[k]), nonce, boot, 0);
		cs_buf_fixed(&b, tok[k], sizeof tok[k]);
		if (tp_token_sign(&b, &t, iak[k], &e) != CS_OK)
			abort();
		toklen[k] = b.len;
	}
	inst0[0] = 0x01;
	crypto_hash_sha256(inst0 + 1, cs_p256_secret_point(iak[0]), CS_P256_PT_LEN);
	/* r0: chip 0, r1: chip 1, r2: chip 0 again, r3: chip 0's token cut short */
	for (k = 0; k < 4; k++) {
		good(&r[k], sk, 2000 + k);
		r[k].ev.kinds = CS_EV_FIRMWARE;
		r[k].ev.token = tok[k == 1];
		r[k].ev.token_len = k == 3 ? toklen[0] - 1 : toklen[k == 1];
	}
	randombytes_buf(d, sizeof d);
	T_OK(cs_seen_init(&s, &e) == CS_OK, "index starts (firmware evidence)");
	s.evidence = CS_EV_FIRMWARE;
	T_OK(cs_seen_add(&s, &r[0], d, &e) == CS_OK && cs_seen_add(&s, &r[1], d, &e) == CS_OK,
	    "two records of two chips are taken");
	T_OK(cs_seen_instance(&s, inst0) == 0, "the first is found by its chip's instance id");
	T_OK(seen_refuses(&s, &r[2], d, "record-duplicate-instance") && s.n == 2,
	    "a record of the first chip again is refused");
	T_OK(cs_seen_add(&s, &r[3], d, &e) == CS_OK, "a token that does not decode keeps no "
	    "instance id (the evidence checks refuse it)");
	for (k = 0; k < 3000; k++) {
		good(&x, sk, 3000 + k);
		bad += cs_seen_add(&s, &x, d, &e) != CS_OK;
	}
	T_OK(bad == 0 && cs_seen_instance(&s, inst0) == 0 && seen_refuses(&s, &r[2], d,
	    "record-duplicate-instance"), "after growing, the chip is still found and refused");
	cs_seen_free(&s);
	T_OK(cs_seen_init(&s, &e) == CS_OK, "index starts (secure-element evidence)");
	s.evidence = CS_EV_SE;
	T_OK(cs_seen_add(&s, &r[0], d, &e) == CS_OK && cs_seen_add(&s, &r[2], d, &e) == CS_OK &&
		 cs_seen_instance(&s, inst0) == -1,
	    "an order requiring no firmware evidence keeps no instance id");
	cs_seen_free(&s);
	cs_p256_secret_free(iak[0]);
	cs_p256_secret_free(iak[1]);
}

int
main(void)
{
	static uint8_t env[CS_RECORD_MAX];
	uint8_t sk[CS_SK_LEN], sk2[CS_SK_LEN], pk2[CS_PK_LEN], d[CS_DIGEST_LEN];
	cs_record r, r2;
	cs_seen s;
	cs_err e;
	size_t n, i, bad;

	if (cs_crypto_init() != 0)
		return 1;
	randombytes_buf(order.deployment, CS_DEPLOY_LEN);
	strcpy(order.batch, "B42");
	randombytes_buf(order.nonce, CS_NONCE_LEN);
	order.first = 1000;
	order.last = 1999;
	order.quantity = 1000;
	crypto_sign_keypair(pk2, sk2);

	good(&r, sk, 1500);
	n = sealed(env, sizeof env, &r, sk, NULL);
	expect("a good record", env, n, NULL);
	expect("a truncated record", env, n - 1, "record-malformed");
	env[n - 1] ^= 1;
	expect("a flipped signature bit", env, n, "record-signature");
	expect_made("signed by another key than its own", &r, sk2, "record-signature");
	r2 = r;
	memset(r2.pk, 0, CS_PK_LEN);
	r2.pk[0] = 1; /* the identity point: small order */
	expect_made("a small-order device key", &r2, sk, "record-key-invalid");
	r2 = r;
	r2.deployment[0] ^= 1;
	expect_made("another deployment", &r2, sk, "record-deployment");
	r2 = r;
	strcpy(r2.batch, "B43");
	expect_made("another batch", &r2, sk, "record-batch");
	r2 = r;
	r2.nonce[31] ^= 1;
	expect_made("another nonce", &r2, sk, "record-nonce");
	r2 = r;
	r2.serial = 999;
	expect_made("serial below the range", &r2, sk, "record-serial-range");
	r2.serial = 2000;
	expect_made("serial above the range", &r2, sk, "record-serial-range");
	r2.serial = 1999;
	expect_made("the last serial of the range", &r2, sk, NULL);
	{
		/* a secure element's record: P-256 key, ES256 */
		cs_p256_secret *p1, *p2;
		cs_record r3;

		cs_err_clear(&e);
		if (cs_p256_secret_generate(&p1, &e) != CS_OK || cs_p256_secret_generate(&p2, &e) != CS_OK)
			abort();
		r3 = r;
		memcpy(r3.pk, cs_p256_secret_point(p1), CS_P256_KEY_LEN);
		r3.pk_len = CS_P256_KEY_LEN;
		n = sealed(env, sizeof env, &r3, NULL, p1);
		expect("a P-256 record signed with ES256", env, n, NULL);
		env[n - 1] ^= 1;
		expect("a P-256 record with a flipped signature bit", env, n, "record-signature");
		n = sealed(env, sizeof env, &r3, NULL, p2);
		expect("a P-256 record signed by another P-256 key", env, n, "record-signature");
		n = sealed(env, sizeof env, &r3, sk, NULL);
		expect("a P-256 key with an EdDSA signature (the algorithm is not the key's)", env, n,
		    "record-signature");
		r3.pk[64] ^= 1; /* off the curve */
		n = sealed(env, sizeof env, &r3, NULL, p1);
		expect("a P-256 key off the curve", env, n, "record-key-invalid");
		r3.pk[64] ^= 1;
		r3.pk[0] = 0x02; /* the compressed form's first byte */
		n = sealed(env, sizeof env, &r3, NULL, p1);
		expect("a P-256 key not in the uncompressed form", env, n, "record-key-invalid");
		cs_p256_secret_free(p1);
		cs_p256_secret_free(p2);
	}
	{
		/* a header envelope (COSE_Sign1 of another kind) is not a record */
		cs_buf b;

		cs_buf_fixed(&b, env, sizeof env);
		cs_err_clear(&e);
		if (cs_cose_sign1_create(&b, CS_KIND_HEADER, (const uint8_t *)"\xa0", 1, sk, &e) != CS_OK)
			abort();
		expect("another kind of envelope", env, b.len, "record-malformed");
	}

	/* the batch so far */
	cs_err_clear(&e);
	T_OK(cs_seen_init(&s, &e) == CS_OK, "index starts");
	good(&r, sk, 1000);
	randombytes_buf(d, sizeof d);
	T_OK(cs_seen_add(&s, &r, d, &e) == CS_OK && cs_seen_serial(&s, 1000) == 0 &&
		 seen_key(&s, r.pk, r.pk_len) == 0,
	    "a record is indexed by serial and key");
	r2 = r;
	crypto_sign_keypair(r2.pk, sk2);
	r2.hwid[0] ^= 1;
	T_OK(seen_refuses(&s, &r2, d, "record-duplicate-serial"),
	    "the same serial twice is refused");
	r2 = r;
	r2.serial = 1001;
	r2.hwid[0] ^= 1;
	T_OK(seen_refuses(&s, &r2, d, "record-duplicate-key"),
	    "the same device key twice is refused");
	r2 = r;
	r2.serial = 1001;
	crypto_sign_keypair(r2.pk, sk2);
	T_OK(seen_refuses(&s, &r2, d, "record-duplicate-hwid"),
	    "the same hardware id twice is refused");
	T_OK(s.n == 1, "refused records are not indexed");
	/* grow well past the first table size; every record stays findable */
	for (i = 1, bad = 0; i < 5000; i++) {
		good(&r2, sk2, 1000 + i);
		cs_err_clear(&e);
		if (cs_seen_add(&s, &r2, d, &e) != CS_OK || cs_seen_serial(&s, 1000 + i) != (int64_t)i ||
		    seen_key(&s, r2.pk, r2.pk_len) != (int64_t)i)
			bad++;
	}
	for (i = 0; i < 5000; i++) {
		uint8_t hw[CS_DIGEST_LEN];
		char h[32];
		int hn = snprintf(h, sizeof h, "hw-%llu", (unsigned long long)(1000 + i));

		cs_seen_hwid_digest(hw, (const uint8_t *)h, (size_t)hn);
		if (cs_seen_serial(&s, 1000 + i) != (int64_t)i || cs_seen_hwid(&s, hw) != (int64_t)i)
			bad++;
	}
	T_OK(bad == 0 && s.n == 5000, "5000 records indexed and found after growing (%zu wrong)",
	     bad);
	T_OK(cs_seen_serial(&s, 999) == -1 && cs_seen_serial(&s, 6000) == -1 &&
	         seen_key(&s, pk2, CS_PK_LEN) == -1,
	     "absent serials and keys are not found");
	cs_seen_free(&s);
	chips();
	return t_done();
}
