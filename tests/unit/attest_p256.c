/* P-256 keys and ES256 (lib/attest/p256.h): the one key encoding and what it
 * refuses, r || s range checks, high and low S, signing that verifies, a key
 * parsed once and used by several threads. */
#include "t.h"

#include <pthread.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <sodium.h>

#include "attest/p256.h"
#include "crypto/sig.h"

static const char *gx = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
static const char *gy = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
static const char *ph = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
static const char *nh = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

static int
parses(const uint8_t *pt, size_t n, const char *want_msg)
{
	cs_p256_key *k = NULL;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	rc = cs_p256_key_parse(&k, pt, n, &e);
	cs_p256_key_free(k);
	if (rc == CS_OK)
		return 1;
	if (rc != CS_REJECT || strcmp(e.reason, "p256-key") != 0 ||
	    (want_msg != NULL && strstr(e.msg, want_msg) == NULL)) {
		printf("# unexpected refusal: %d %s: %s\n", rc, e.reason, e.msg);
		return -1;
	}
	return k == NULL ? 0 : -1;
}

static void
known_answer(void)
{
	uint8_t d[32] = {0}, g[65];
	cs_p256_secret *sk = NULL;
	cs_err e;

	d[31] = 1;
	g[0] = 4;
	t_unhex(g + 1, 32, gx);
	t_unhex(g + 33, 32, gy);
	cs_err_clear(&e);
	T_OK(cs_p256_secret_from_scalar(&sk, d, &e) == CS_OK &&
		memcmp(cs_p256_secret_point(sk), g, 65) == 0,
	    "scalar 1 gives the generator G (SEC 2 coordinates)");
	cs_p256_secret_free(sk);
	T_OK(parses(g, 65, NULL) == 1, "G parses as a public key");

	memset(d, 0, sizeof d);
	cs_err_clear(&e);
	T_OK(cs_p256_secret_from_scalar(&sk, d, &e) == CS_USAGE && sk == NULL &&
		strcmp(e.reason, "p256-scalar") == 0, "scalar 0 is refused");
	t_unhex(d, 32, nh);
	cs_err_clear(&e);
	T_OK(cs_p256_secret_from_scalar(&sk, d, &e) == CS_USAGE && sk == NULL,
	    "scalar n is refused");
	d[31]--;
	cs_err_clear(&e);
	T_OK(cs_p256_secret_from_scalar(&sk, d, &e) == CS_OK, "scalar n-1 is taken");
	/* (n-1)G = -G: same x, y = p - Gy */
	if (sk != NULL) {
		BIGNUM *p = BN_new(), *y = BN_new();
		uint8_t want[65], hb[32];

		memcpy(want, g, 33);
		t_unhex(hb, 32, ph);
		BN_bin2bn(hb, 32, p);
		BN_bin2bn(g + 33, 32, y);
		BN_sub(y, p, y);
		BN_bn2binpad(y, want + 33, 32);
		T_OK(memcmp(cs_p256_secret_point(sk), want, 65) == 0, "(n-1)G is -G");
		BN_free(p);
		BN_free(y);
	}
	cs_p256_secret_free(sk);
}

/* A point whose x is small enough that x + p still fits 32 bytes: the same
 * field element written non-canonically. */
static int
small_x_point(uint8_t pt[65])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *q = EC_POINT_new(g);
	BIGNUM *x = BN_new();
	int i, ok = 0;

	for (i = 1; i < 100 && !ok; i++) {
		BN_set_word(x, (unsigned long)i);
		if (EC_POINT_set_compressed_coordinates(g, q, x, 0, NULL) == 1 &&
		    EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pt, 65, NULL) == 65)
			ok = 1;
	}
	BN_free(x);
	EC_POINT_free(q);
	EC_GROUP_free(g);
	return ok;
}

static void
key_encoding(void)
{
	uint8_t pt[66], bad[66], hb[32];
	cs_p256_secret *sk = NULL;
	cs_err e;
	int i, carry;

	cs_err_clear(&e);
	if (cs_p256_secret_generate(&sk, &e) != CS_OK) {
		T_OK(0, "a key pair is generated (%s)", e.msg);
		return;
	}
	memcpy(pt, cs_p256_secret_point(sk), 65);
	cs_p256_secret_free(sk);
	T_OK(parses(pt, 65, NULL) == 1, "a generated public key parses");
	T_OK(parses(pt, 64, "not 65") == 0, "64 bytes are refused");
	memcpy(bad, pt, 65);
	bad[65] = 0;
	T_OK(parses(bad, 66, "not 65") == 0, "66 bytes are refused");
	T_OK(parses(pt, 0, "not 65") == 0, "an empty key is refused");
	bad[0] = 0;
	T_OK(parses(bad, 1, "not 65") == 0, "the point at infinity (0x00) is refused");
	memset(bad, 0, 65);
	bad[0] = 4;
	T_OK(parses(bad, 65, "not a point") == 0, "04 || 0 || 0 (infinity as zeros) is refused");
	memcpy(bad, pt, 33);
	bad[0] = 2 | (pt[64] & 1);
	T_OK(parses(bad, 33, "not 65") == 0, "the compressed form of a valid key is refused");
	memcpy(bad, pt, 65);
	bad[0] = 2 | (pt[64] & 1);
	T_OK(parses(bad, 65, "0x0") == 0, "prefix 02/03 on 65 bytes is refused");
	bad[0] = 6 | (pt[64] & 1);
	T_OK(parses(bad, 65, "0x0") == 0, "the hybrid form (06/07) is refused");
	memcpy(bad, pt, 65);
	bad[64] ^= 1;
	T_OK(parses(bad, 65, "not a point") == 0, "a point off the curve (y flipped) is refused");
	memcpy(bad, pt, 65);
	t_unhex(bad + 33, 32, ph);
	T_OK(parses(bad, 65, "below p") == 0, "y = p is refused");
	T_OK(cs_p256_point_form(pt, 65) && !cs_p256_point_form(bad, 65) &&
		!cs_p256_point_form(pt, 64),
	    "the form check alone takes the key and refuses y = p and 64 bytes");
	memset(bad + 1, 0xff, 32);
	T_OK(parses(bad, 65, "below p") == 0, "x = 2^256-1 is refused");

	if (!small_x_point(pt)) {
		T_OK(0, "found a point with a small x");
		return;
	}
	T_OK(parses(pt, 65, NULL) == 1, "a point with x < 100 parses");
	/* x + p, big-endian addition */
	memcpy(bad, pt, 65);
	t_unhex(hb, 32, ph);
	for (i = 31, carry = 0; i >= 0; i--) {
		int s = bad[1 + i] + hb[i] + carry;

		bad[1 + i] = (uint8_t)s;
		carry = s >> 8;
	}
	T_OK(carry == 0 && parses(bad, 65, "below p") == 0,
	    "the same point with x + p (non-canonical) is refused");
}

static void
signatures(void)
{
	uint8_t sig[64], hi[64], bad[64], n[32];
	const char *msg = "consign record payload";
	size_t ml = strlen(msg);
	cs_p256_secret *sk = NULL, *other = NULL;
	cs_p256_key *k = NULL, *ko = NULL;
	BIGNUM *bn = NULL, *bs = NULL;
	cs_err e;
	int i, all;

	cs_err_clear(&e);
	if (cs_p256_secret_generate(&sk, &e) != CS_OK || cs_p256_secret_generate(&other, &e) != CS_OK ||
	    cs_p256_key_parse(&k, cs_p256_secret_point(sk), 65, &e) != CS_OK ||
	    cs_p256_key_parse(&ko, cs_p256_secret_point(other), 65, &e) != CS_OK) {
		T_OK(0, "keys for the signature tests (%s)", e.msg);
		goto done;
	}
	T_OK(cs_es256_sign(sig, sk, (const uint8_t *)msg, ml, &e) == CS_OK, "ES256 signs");
	T_OK(cs_es256_verify(k, sig, (const uint8_t *)msg, ml) == 0, "the signature verifies");
	T_OK(cs_es256_verify_pt(cs_p256_secret_point(sk), sig, (const uint8_t *)msg, ml) == 0,
	    "the one-shot form verifies it too");
	T_OK(cs_es256_verify(ko, sig, (const uint8_t *)msg, ml) != 0,
	    "it does not verify under another key");
	T_OK(cs_es256_verify(k, sig, (const uint8_t *)msg, ml - 1) != 0,
	    "it does not verify for another message");
	T_OK(cs_es256_verify(NULL, sig, (const uint8_t *)msg, ml) != 0, "no key, no verification");

	/* s -> n - s: the other S verifies as well */
	t_unhex(n, 32, nh);
	bn = BN_bin2bn(n, 32, NULL);
	bs = BN_bin2bn(sig + 32, 32, NULL);
	BN_sub(bs, bn, bs);
	memcpy(hi, sig, 32);
	BN_bn2binpad(bs, hi + 32, 32);
	T_OK(memcmp(hi, sig, 64) != 0 && cs_es256_verify(k, hi, (const uint8_t *)msg, ml) == 0,
	    "the same signature with n - s verifies (high and low S both accepted)");

	memcpy(bad, sig, 64);
	memset(bad, 0, 32);
	T_OK(cs_es256_verify(k, bad, (const uint8_t *)msg, ml) != 0, "r = 0 is refused");
	memcpy(bad, sig, 64);
	memset(bad + 32, 0, 32);
	T_OK(cs_es256_verify(k, bad, (const uint8_t *)msg, ml) != 0, "s = 0 is refused");
	memcpy(bad, sig, 64);
	memcpy(bad, n, 32);
	T_OK(cs_es256_verify(k, bad, (const uint8_t *)msg, ml) != 0, "r = n is refused");
	memcpy(bad, sig, 64);
	memcpy(bad + 32, n, 32);
	T_OK(cs_es256_verify(k, bad, (const uint8_t *)msg, ml) != 0, "s = n is refused");
	memcpy(bad, sig, 64);
	memset(bad + 32, 0xff, 32);
	T_OK(cs_es256_verify(k, bad, (const uint8_t *)msg, ml) != 0, "s = 2^256-1 is refused");
	/* r + n would fit in 32 bytes only if r < 2^256 - n; either way refused */
	for (i = 0, all = 1; i < 64; i++) {
		memcpy(bad, sig, 64);
		bad[i] ^= 0x01;
		all &= cs_es256_verify(k, bad, (const uint8_t *)msg, ml) != 0;
	}
	T_OK(all, "each of the 64 bytes altered by one bit is refused");
	T_OK(cs_es256_sign(bad, sk, NULL, 0, &e) == CS_OK &&
		cs_es256_verify(k, bad, NULL, 0) == 0, "an empty message signs and verifies");
	{
		ECDSA_SIG *es = ECDSA_SIG_new();
		uint8_t der[80], *p = der, ber[82];
		int dn = 0;

		if (es != NULL &&
		    ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) == 1)
			dn = i2d_ECDSA_SIG(es, &p);
		ECDSA_SIG_free(es);
		if (dn <= 0 || dn > 72) {
			T_OK(0, "the signature has a DER form");
			goto done;
		}
		T_OK(cs_es256_verify_der(k, der, (size_t)dn, (const uint8_t *)msg, ml) == 0,
		    "the DER form of the signature verifies");
		T_OK(cs_es256_verify_der(k, der, (size_t)dn, (const uint8_t *)msg, ml - 1) != 0,
		    "... not for another message");
		der[dn] = 0;
		T_OK(cs_es256_verify_der(k, der, (size_t)dn + 1, (const uint8_t *)msg, ml) != 0,
		    "... not with a byte after it");
		/* the outer length in long form (0x81 LEN): BER, not DER */
		ber[0] = 0x30;
		ber[1] = 0x81;
		memcpy(ber + 2, der + 1, (size_t)dn - 1);
		T_OK(der[1] < 0x80 &&
			cs_es256_verify_der(k, ber, (size_t)dn + 1, (const uint8_t *)msg, ml) != 0,
		    "... not with a non-minimal length (BER)");
	}
done:
	BN_free(bn);
	BN_free(bs);
	cs_p256_key_free(k);
	cs_p256_key_free(ko);
	cs_p256_secret_free(sk);
	cs_p256_secret_free(other);
}

struct shared {
	const cs_p256_key *k;
	uint8_t sig[64];
	uint8_t msg[32];
	int fails;
};

static void *
verify_many(void *arg)
{
	struct shared *s = arg;
	int i;

	for (i = 0; i < 200; i++)
		if (cs_es256_verify(s->k, s->sig, s->msg, sizeof s->msg) != 0)
			s->fails++;
	return NULL;
}

/* One key object verified from two threads at once (the verifier's workers
 * share the keys they parsed once). */
static void
shared_key(void)
{
	struct shared a = {0}, b;
	cs_p256_secret *sk = NULL;
	cs_p256_key *k = NULL;
	pthread_t t1, t2;
	cs_err e;

	cs_err_clear(&e);
	randombytes_buf(a.msg, sizeof a.msg);
	if (cs_p256_secret_generate(&sk, &e) != CS_OK ||
	    cs_p256_key_parse(&k, cs_p256_secret_point(sk), 65, &e) != CS_OK ||
	    cs_es256_sign(a.sig, sk, a.msg, sizeof a.msg, &e) != CS_OK) {
		T_OK(0, "key for the thread test (%s)", e.msg);
		goto done;
	}
	a.k = k;
	b = a;
	pthread_create(&t1, NULL, verify_many, &a);
	pthread_create(&t2, NULL, verify_many, &b);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	T_OK(a.fails == 0 && b.fails == 0, "one key verifies 2 x 200 signatures from two threads");
done:
	cs_p256_key_free(k);
	cs_p256_secret_free(sk);
}

int
main(void)
{
	if (cs_crypto_init() != 0)
		return 2;
	known_answer();
	key_encoding();
	signatures();
	shared_key();
	return t_done();
}
