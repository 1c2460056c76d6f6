/* P-256 keys and ES256 on OpenSSL 3: strict key parsing, r || s verification
 * through ECDSA_SIG and EVP_DigestVerify, signing for simulators and tests. */
#include "attest/p256.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <sodium.h>

struct cs_p256_key {
	EVP_PKEY *pkey;
	uint8_t pt[CS_P256_PT_LEN];
};

struct cs_p256_secret {
	EVP_PKEY *pkey;
	uint8_t pt[CS_P256_PT_LEN];
};

/* the field prime p and the group order n, big-endian */
static const uint8_t p256_p[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/* Fetched and built once: SHA-256 (an implicit fetch on every verification
 * takes the provider store's lock each time) and a key holding only the
 * P-256 group, whose parameters each public key copies (making the group from
 * its name for every record's key costs a third of a verification). Both are
 * only read afterwards, by any thread. */
static EVP_MD *sha256_md;
static EVP_PKEY *group_only;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init(void)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx;

	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &group_only, EVP_PKEY_KEY_PARAMETERS, params) != 1)
		group_only = NULL;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
}

static const EVP_MD *
sha256(void)
{
	pthread_once(&init_once, init);
	return sha256_md;
}

/* 1 when 1 <= v <= m-1 for 32-byte big-endian v and m */
static int
in_range(const uint8_t v[32], const uint8_t m[32])
{
	static const uint8_t zero[32];

	return sodium_memcmp(v, zero, 32) != 0 && memcmp(v, m, 32) < 0;
}

/* 1 when v < m (a coordinate below p; zero is a valid coordinate) */
static int
below(const uint8_t v[32], const uint8_t m[32])
{
	return memcmp(v, m, 32) < 0;
}

static EVP_PKEY *
pkey_from_params(const uint8_t pt[CS_P256_PT_LEN], const BIGNUM *priv)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, CS_P256_PT_LEN) ||
	    (priv != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto done;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
		params) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
done:
	EVP_PKEY_CTX_free(ctx);
	/* priv is a secure BIGNUM, so the builder put its copy in the params'
	 * secure block, which OSSL_PARAM_free clears */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

int
cs_p256_point_form(const uint8_t *pt, size_t len)
{
	return len == CS_P256_PT_LEN && pt[0] == 0x04 && below(pt + 1, p256_p) &&
	    below(pt + 33, p256_p);
}

int
cs_p256_key_parse(cs_p256_key **out, const uint8_t *pt, size_t len, cs_err *e)
{
	cs_p256_key *k = NULL;
	int rc;

	*out = NULL;
	if (len != CS_P256_PT_LEN)
		return cs_fail(e, CS_REJECT, "p256-key", "P-256 key of %zu bytes, not %d", len,
		    CS_P256_PT_LEN);
	if (pt[0] != 0x04)
		return cs_fail(e, CS_REJECT, "p256-key",
		    "P-256 key does not start with 0x04 (uncompressed) but 0x%02x", pt[0]);
	if (!below(pt + 1, p256_p) || !below(pt + 33, p256_p))
		return cs_fail(e, CS_REJECT, "p256-key", "P-256 key coordinate not below p");
	pthread_once(&init_once, init);
	if ((k = calloc(1, sizeof *k)) == NULL || group_only == NULL ||
	    (k->pkey = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_copy_parameters(k->pkey, group_only) != 1) {
		rc = cs_fail(e, CS_MALFORMED, "system", "OpenSSL could not make a P-256 key");
		goto fail;
	}
	memcpy(k->pt, pt, CS_P256_PT_LEN);
	/* The point is decoded by EC_POINT_oct2point, which refuses a point
	 * off the curve (OpenSSL 1.1.1 and later; tests/unit/attest_p256.c holds
	 * it to that). Infinity has no 65-byte form. With cofactor 1 that is the
	 * whole public-key check: EVP_PKEY_public_check's n*Q == O adds nothing
	 * but a scalar multiplication. */
	if (EVP_PKEY_set1_encoded_public_key(k->pkey, pt, CS_P256_PT_LEN) != 1) {
		rc = cs_fail(e, CS_REJECT, "p256-key", "P-256 key is not a point on the curve");
		goto fail;
	}
	*out = k;
	return CS_OK;
fail:
	ERR_clear_error();
	cs_p256_key_free(k);
	return rc;
}

const uint8_t *
cs_p256_key_point(const cs_p256_key *k)
{
	return k->pt;
}

EVP_PKEY *
cs_p256_key_evp(const cs_p256_key *k)
{
	return k->pkey;
}

void
cs_p256_key_free(cs_p256_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* r || s -> DER ECDSA-Sig-Value in der[0..*n) (at most 72 bytes) */
static int
sig_to_der(uint8_t der[80], size_t *n, const uint8_t sig[CS_ES256_SIG_LEN])
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	uint8_t *p = der;
	int len, rc = -1;

	if ((r = BN_bin2bn(sig, 32, NULL)) == NULL || (s = BN_bin2bn(sig + 32, 32, NULL)) == NULL ||
	    (es = ECDSA_SIG_new()) == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto done;
	r = s = NULL; /* owned by es now */
	len = i2d_ECDSA_SIG(es, NULL);
	if (len <= 0 || len > 80 || i2d_ECDSA_SIG(es, &p) != len)
		goto done;
	*n = (size_t)len;
	rc = 0;
done:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

int
cs_es256_verify(const cs_p256_key *k, const uint8_t sig[CS_ES256_SIG_LEN], const uint8_t *msg,
    size_t len)
{
	const EVP_MD *md = sha256();
	EVP_MD_CTX *ctx = NULL;
	uint8_t der[80];
	size_t dn;
	int rc = -1;

	if (k == NULL || md == NULL)
		return -1;
	/* OpenSSL checks the range too; checked here so the rule does not
	 * depend on a library version */
	if (!in_range(sig, p256_n) || !in_range(sig + 32, p256_n))
		return -1;
	if (sig_to_der(der, &dn, sig) != 0)
		goto done;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, md, NULL, k->pkey) != 1)
		goto done;
	rc = EVP_DigestVerify(ctx, der, dn, msg, len) == 1 ? 0 : -1;
done:
	if (rc != 0)
		ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
cs_es256_verify_der(const cs_p256_key *k, const uint8_t *der, size_t der_len, const uint8_t *msg,
    size_t len)
{
	const EVP_MD *md = sha256();
	EVP_MD_CTX *ctx = NULL;
	int rc = -1;

	if (k == NULL || md == NULL)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, md, NULL, k->pkey) == 1)
		rc = EVP_DigestVerify(ctx, der, der_len, msg, len) == 1 ? 0 : -1;
	if (rc != 0)
		ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
cs_es256_verify_pt(const uint8_t pt[CS_P256_PT_LEN], const uint8_t sig[CS_ES256_SIG_LEN],
    const uint8_t *msg, size_t len)
{
	cs_p256_key *k;
	int rc;

	if (cs_p256_key_parse(&k, pt, CS_P256_PT_LEN, NULL) != CS_OK)
		return -1;
	rc = cs_es256_verify(k, sig, msg, len);
	cs_p256_key_free(k);
	return rc;
}

int
cs_p256_point_of(uint8_t pt[CS_P256_PT_LEN], EVP_PKEY *pkey)
{
	char group[32];
	BIGNUM *x = NULL, *y = NULL;
	int rc = -1;

	if (pkey == NULL || !EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
		NULL) != 1 ||
	    strcmp(group, "prime256v1") != 0)
		goto done;
	/* from the coordinates, not the key's encoded form: a certificate may
	 * carry a compressed point, and consign has one encoding */
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1)
		goto done;
	pt[0] = 0x04;
	if (BN_bn2binpad(x, pt + 1, 32) != 32 || BN_bn2binpad(y, pt + 33, 32) != 32)
		goto done;
	rc = 0;
done:
	if (rc != 0)
		ERR_clear_error();
	BN_free(x);
	BN_free(y);
	return rc;
}

int
cs_p256_secret_from_scalar(cs_p256_secret **out, const uint8_t d[CS_P256_SCALAR_LEN], cs_err *e)
{
	cs_p256_secret *sk = NULL;
	EC_GROUP *g = NULL;
	EC_POINT *q = NULL;
	BIGNUM *bd = NULL;
	int rc;

	*out = NULL;
	if (!in_range(d, p256_n))
		return cs_fail(e, CS_USAGE, "p256-scalar", "P-256 scalar is 0 or not below n");
	rc = CS_MALFORMED;
	if ((sk = calloc(1, sizeof *sk)) == NULL ||
	    (g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
	    (q = EC_POINT_new(g)) == NULL || (bd = BN_secure_new()) == NULL ||
	    BN_bin2bn(d, CS_P256_SCALAR_LEN, bd) == NULL ||
	    EC_POINT_mul(g, q, bd, NULL, NULL, NULL) != 1 ||
	    EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, sk->pt, CS_P256_PT_LEN, NULL) !=
		CS_P256_PT_LEN ||
	    (sk->pkey = pkey_from_params(sk->pt, bd)) == NULL)
		goto done;
	*out = sk;
	sk = NULL;
	rc = CS_OK;
done:
	if (rc != CS_OK) {
		ERR_clear_error();
		cs_fail(e, rc, "system", "OpenSSL could not make a P-256 key");
	}
	BN_clear_free(bd);
	EC_POINT_free(q);
	EC_GROUP_free(g);
	cs_p256_secret_free(sk);
	return rc;
}

int
cs_p256_secret_generate(cs_p256_secret **out, cs_err *e)
{
	uint8_t *d;
	int rc;

	*out = NULL;
	if ((d = sodium_malloc(CS_P256_SCALAR_LEN)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of locked memory");
	do /* below n with probability 1 - 2^-32 a draw */
		randombytes_buf(d, CS_P256_SCALAR_LEN);
	while (!in_range(d, p256_n));
	rc = cs_p256_secret_from_scalar(out, d, e);
	sodium_memzero(d, CS_P256_SCALAR_LEN);
	sodium_free(d);
	return rc;
}

const uint8_t *
cs_p256_secret_point(const cs_p256_secret *sk)
{
	return sk->pt;
}

EVP_PKEY *
cs_p256_secret_evp(const cs_p256_secret *sk)
{
	return sk->pkey;
}

int
cs_es256_sign(uint8_t sig[CS_ES256_SIG_LEN], const cs_p256_secret *sk, const uint8_t *msg,
    size_t len, cs_err *e)
{
	const EVP_MD *md = sha256();
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	const uint8_t *p;
	uint8_t der[80];
	size_t dn = sizeof der;
	cs_p256_key *pub = NULL;
	int rc = CS_MALFORMED;

	memset(sig, 0, CS_ES256_SIG_LEN);
	if (md == NULL || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, md, NULL, sk->pkey) != 1 ||
	    EVP_DigestSign(ctx, der, &dn, msg, len) != 1) {
		cs_fail(e, CS_MALFORMED, "system", "OpenSSL could not sign");
		goto done;
	}
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)dn)) == NULL) {
		cs_fail(e, CS_MALFORMED, "system", "OpenSSL made an unreadable signature");
		goto done;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32) {
		cs_fail(e, CS_MALFORMED, "system", "signature value too long");
		goto done;
	}
	/* sign, then verify what was signed, through the verifying path */
	if (cs_p256_key_parse(&pub, sk->pt, CS_P256_PT_LEN, e) != CS_OK ||
	    cs_es256_verify(pub, sig, msg, len) != 0) {
		cs_fail(e, CS_MALFORMED, "self-check", "the new ES256 signature does not verify");
		goto done;
	}
	rc = CS_OK;
done:
	if (rc != CS_OK) {
		ERR_clear_error();
		memset(sig, 0, CS_ES256_SIG_LEN);
	}
	cs_p256_key_free(pub);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return rc;
}

void
cs_p256_secret_free(cs_p256_secret *sk)
{
	if (sk == NULL)
		return;
	EVP_PKEY_free(sk->pkey);
	free(sk);
}
