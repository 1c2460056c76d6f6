/* A TEST maker's PKI for consign's tests, tools and fuzz harnesses only:
 * keys derived from a seed string (no key file is ever written), a root and
 * an intermediate named "consign TEST maker ... - not for production", and
 * device certificates for given P-256 keys, with switches for the faults the
 * tests need; and the TEST attesting firmware's PSA tokens. Signatures by a
 * P-256 key are deterministic (tp_ecdsa), so the same seed gives the same
 * certificates and tokens byte for byte in every tool and run. Nothing in
 * lib/ or cmd/ includes this. */
#ifndef TESTPKI_H
#define TESTPKI_H

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sodium.h>

#include "attest/p256.h"
#include "attest/psa.h"
#include "format/cose.h"

#define TP_ORG "consign TEST maker - not for production"
#define TP_ROOT_CN "consign TEST maker root - not for production"
#define TP_INTER_CN "consign TEST maker intermediate - not for production"
#define TP_FOREVER "99991231235959Z" /* RFC 5280: no well-defined expiration */
#define TP_DER_MAX 4096

typedef struct tp_opts {
	int ca;                  /* basicConstraints CA:TRUE (else CA:FALSE) */
	int pathlen;             /* with ca: pathLenConstraint, -1 for none */
	int no_bc;               /* no basicConstraints at all */
	const char *ku;          /* keyUsage value, e.g. "digitalSignature"; NULL: none */
	const char *md;          /* signature digest name; NULL: SHA256 */
	const char *nc;          /* nameConstraints value; NULL: none */
	const char *san;         /* subjectAltName value; NULL: none */
	int unknown_critical;    /* an extension no one knows, marked critical */
	const char *not_before;  /* NULL: 20240101000000Z */
	const char *not_after;   /* NULL: TP_FOREVER */
	long serial;             /* 0: 1 */
	const char *org;         /* NULL: TP_ORG */
	int compressed;          /* tp_leaf: the key written as a compressed point */
} tp_opts;

/* The scalar of the P-256 key called name under seed:
 * SHA-256("consign-test-pki" 0 seed 0 name 0 counter), the first counter
 * whose hash is a valid scalar (below n, not 0). 0 on success. */
static int __attribute__((unused))
tp_scalar(uint8_t d[CS_P256_SCALAR_LEN], const char *seed, const char *name)
{
	crypto_hash_sha256_state st;
	cs_p256_secret *sk = NULL;
	uint8_t z = 0, ctr;

	for (ctr = 0; ctr < 16; ctr++) {
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, (const uint8_t *)"consign-test-pki", 16);
		crypto_hash_sha256_update(&st, &z, 1);
		crypto_hash_sha256_update(&st, (const uint8_t *)seed, strlen(seed));
		crypto_hash_sha256_update(&st, &z, 1);
		crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
		crypto_hash_sha256_update(&st, &z, 1);
		crypto_hash_sha256_update(&st, &ctr, 1);
		crypto_hash_sha256_final(&st, d);
		if (cs_p256_secret_from_scalar(&sk, d, NULL) == CS_OK) {
			cs_p256_secret_free(sk);
			return 0;
		}
	}
	return -1;
}

/* The P-256 key called name under seed (tp_scalar). */
static cs_p256_secret * __attribute__((unused))
tp_key(const char *seed, const char *name)
{
	cs_p256_secret *sk = NULL;
	uint8_t d[CS_P256_SCALAR_LEN];

	if (tp_scalar(d, seed, name) != 0 || cs_p256_secret_from_scalar(&sk, d, NULL) != CS_OK)
		sk = NULL;
	sodium_memzero(d, sizeof d);
	return sk;
}

/* An ECDSA signature by key (P-256) of msg hashed with md, r || s into rs;
 * 0 on success, 1 when key is not a P-256 key, -1 on failure. The nonce k comes
 * from the secret scalar and the hash (SHA-256 of "consign-test-pki-k" 0
 * d e counter, the first below n), as RFC 6979 intends though not its
 * HMAC-DRBG: one secret, one message, one signature, so the TEST maker's
 * certificates and tokens repeat. OpenSSL 3.0 (Debian 12) has no
 * deterministic ECDSA (3.2 added RFC 6979). Not constant-time: for the test
 * keys of this file only. */
static int __attribute__((unused))
tp_ecdsa(uint8_t rs[64], EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t len)
{
	crypto_hash_sha256_state st;
	uint8_t h[EVP_MAX_MD_SIZE], db[32], kb[32], z = 0, ctr;
	unsigned hn = 0;
	char group[32];
	BIGNUM *d = NULL, *e = NULL, *k = NULL, *r = NULL, *s = NULL, *x = NULL, *t = NULL;
	EC_GROUP *g = NULL;
	EC_POINT *R = NULL;
	BN_CTX *bc = NULL;
	const BIGNUM *n;
	int rc = -1;

	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
		NULL) != 1 || strcmp(group, "prime256v1") != 0) {
		rc = 1;
		goto done;
	}
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
	    EVP_Digest(msg, len, h, &hn, md, NULL) != 1)
		goto done;
	if (hn > 32)
		hn = 32; /* the leftmost bits, as many as n has */
	g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	R = g != NULL ? EC_POINT_new(g) : NULL;
	bc = BN_CTX_new();
	e = BN_bin2bn(h, (int)hn, NULL);
	k = BN_new();
	r = BN_new();
	s = BN_new();
	x = BN_new();
	t = BN_new();
	if (R == NULL || bc == NULL || e == NULL || k == NULL || r == NULL || s == NULL ||
	    x == NULL || t == NULL || BN_bn2binpad(d, db, 32) != 32)
		goto done;
	n = EC_GROUP_get0_order(g);
	for (ctr = 0; ctr < 16 && rc != 0; ctr++) {
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, (const uint8_t *)"consign-test-pki-k", 18);
		crypto_hash_sha256_update(&st, &z, 1);
		crypto_hash_sha256_update(&st, db, 32);
		crypto_hash_sha256_update(&st, h, hn);
		crypto_hash_sha256_update(&st, &ctr, 1);
		crypto_hash_sha256_final(&st, kb);
		if (BN_bin2bn(kb, 32, k) == NULL)
			goto done;
		if (BN_is_zero(k) || BN_cmp(k, n) >= 0)
			continue;
		/* r = x(kG) mod n, s = k^-1 (e + r d) mod n */
		if (EC_POINT_mul(g, R, k, NULL, NULL, bc) != 1 ||
		    EC_POINT_get_affine_coordinates(g, R, x, NULL, bc) != 1 ||
		    BN_nnmod(r, x, n, bc) != 1 || BN_mod_mul(t, r, d, n, bc) != 1 ||
		    BN_mod_add(t, t, e, n, bc) != 1 || BN_mod_inverse(k, k, n, bc) == NULL ||
		    BN_mod_mul(s, k, t, n, bc) != 1)
			goto done;
		if (BN_is_zero(r) || BN_is_zero(s))
			continue;
		if (BN_bn2binpad(r, rs, 32) == 32 && BN_bn2binpad(s, rs + 32, 32) == 32)
			rc = 0;
		else
			goto done;
	}
done:
	sodium_memzero(db, sizeof db);
	sodium_memzero(kb, sizeof kb);
	BN_clear_free(d);
	BN_clear_free(k);
	BN_free(e);
	BN_free(r);
	BN_free(s);
	BN_free(x);
	BN_clear_free(t);
	EC_POINT_free(R);
	EC_GROUP_free(g);
	BN_CTX_free(bc);
	return rc;
}

/* A DER tag and length head into o; its size. */
static size_t
tp_der_head(uint8_t *o, uint8_t tag, size_t len)
{
	o[0] = tag;
	if (len < 0x80) {
		o[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		o[1] = 0x81;
		o[2] = (uint8_t)len;
		return 3;
	}
	o[1] = 0x82;
	o[2] = (uint8_t)(len >> 8);
	o[3] = (uint8_t)len;
	return 4;
}

/* *xp, signed by X509_sign, signed again by key with tp_ecdsa over the same
 * TBSCertificate and algorithm, and replaced by the certificate parsed from
 * those bytes (checked under key). 0 on success; 1 when key is not P-256
 * (*xp kept, its signature random); -1 on failure. */
static int
tp_resign(X509 **xp, EVP_PKEY *key, const EVP_MD *md)
{
	uint8_t rs[64], sigder[80], body[TP_DER_MAX], der[TP_DER_MAX], *p, *tbs = NULL;
	const ASN1_BIT_STRING *osig;
	const X509_ALGOR *alg;
	const unsigned char *q;
	ECDSA_SIG *es = NULL;
	BIGNUM *r, *s;
	X509 *y = NULL;
	size_t bn = 0, dn;
	int tn, an, sn, rc = -1;

	tn = i2d_re_X509_tbs(*xp, &tbs);
	if (tn <= 0)
		goto done;
	if ((rc = tp_ecdsa(rs, key, md, tbs, (size_t)tn)) != 0)
		goto done;
	rc = -1;
	X509_get0_signature(&osig, &alg, *xp);
	r = BN_bin2bn(rs, 32, NULL);
	s = BN_bin2bn(rs + 32, 32, NULL);
	if ((es = ECDSA_SIG_new()) == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto done;
	}
	sn = i2d_ECDSA_SIG(es, NULL);
	an = i2d_X509_ALGOR(alg, NULL);
	if (sn <= 0 || (size_t)sn > sizeof sigder || an <= 0 ||
	    (size_t)tn + (size_t)an + (size_t)sn + 8 > sizeof body)
		goto done;
	p = sigder;
	i2d_ECDSA_SIG(es, &p);
	memcpy(body, tbs, (size_t)tn);
	bn = (size_t)tn;
	p = body + bn;
	bn += (size_t)i2d_X509_ALGOR(alg, &p);
	/* BIT STRING: no unused bits, then the DER ECDSA-Sig-Value */
	bn += tp_der_head(body + bn, 0x03, (size_t)sn + 1);
	body[bn++] = 0x00;
	memcpy(body + bn, sigder, (size_t)sn);
	bn += (size_t)sn;
	if (bn + 4 > sizeof der)
		goto done;
	dn = tp_der_head(der, 0x30, bn);
	memcpy(der + dn, body, bn);
	dn += bn;
	q = der;
	if ((y = d2i_X509(NULL, &q, (long)dn)) == NULL || q != der + dn || X509_verify(y, key) != 1)
		goto done;
	X509_free(*xp);
	*xp = y;
	y = NULL;
	rc = 0;
done:
	OPENSSL_free(tbs);
	ECDSA_SIG_free(es);
	X509_free(y);
	return rc;
}

static int
tp_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ex != NULL && X509_add_ext(x, ex, -1) == 1;

	X509_EXTENSION_free(ex);
	return ok;
}

/* A certificate for pub named cn, issued by issuer (NULL: self-issued,
 * signed by issuer_key, which must then be pub's private half). */
static X509 * __attribute__((unused))
tp_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key, const tp_opts *o)
{
	static const tp_opts none = {.pathlen = -1};
	char bc[64];
	X509V3_CTX ctx;
	X509_NAME *name = NULL;
	const EVP_MD *md;
	X509 *x;
	int ok;

	if (o == NULL)
		o = &none;
	md = o->md != NULL ? EVP_get_digestbyname(o->md) : EVP_sha256();
	if ((x = X509_new()) == NULL || md == NULL)
		goto fail;
	name = X509_NAME_new();
	ok = name != NULL && X509_set_version(x, X509_VERSION_3) == 1 &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), o->serial ? o->serial : 1) == 1 &&
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
		(const unsigned char *)(o->org ? o->org : TP_ORG), -1, -1, 0) == 1 &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
		0) == 1 &&
	    X509_set_subject_name(x, name) == 1 &&
	    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) == 1 &&
	    ASN1_TIME_set_string_X509(X509_getm_notBefore(x),
		o->not_before ? o->not_before : "20240101000000Z") == 1 &&
	    ASN1_TIME_set_string_X509(X509_getm_notAfter(x),
		o->not_after ? o->not_after : TP_FOREVER) == 1 &&
	    X509_set_pubkey(x, pub) == 1;
	if (!ok)
		goto fail;
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if (!o->no_bc) {
		if (o->ca && o->pathlen >= 0)
			snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", o->pathlen);
		else
			snprintf(bc, sizeof bc, "critical,CA:%s", o->ca ? "TRUE" : "FALSE");
		if (!tp_ext(x, &ctx, NID_basic_constraints, bc))
			goto fail;
	}
	if (o->ku != NULL) {
		char ku[128];

		snprintf(ku, sizeof ku, "critical,%s", o->ku);
		if (!tp_ext(x, &ctx, NID_key_usage, ku))
			goto fail;
	}
	if (!tp_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    !tp_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
		goto fail;
	if (o->nc != NULL && !tp_ext(x, &ctx, NID_name_constraints, o->nc))
		goto fail;
	if (o->san != NULL && !tp_ext(x, &ctx, NID_subject_alt_name, o->san))
		goto fail;
	if (o->unknown_critical) {
		static const unsigned char null_der[2] = {0x05, 0x00};
		ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.55555.1.1", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *ex = NULL;

		ok = obj != NULL && os != NULL && ASN1_OCTET_STRING_set(os, null_der, 2) == 1 &&
		    (ex = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os)) != NULL &&
		    X509_add_ext(x, ex, -1) == 1;
		X509_EXTENSION_free(ex);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
		if (!ok)
			goto fail;
	}
	if (X509_sign(x, issuer_key, md) <= 0 || tp_resign(&x, issuer_key, md) < 0)
		goto fail;
	X509_NAME_free(name);
	return x;
fail:
	ERR_print_errors_fp(stderr);
	X509_NAME_free(name);
	X509_free(x);
	return NULL;
}

/* x's DER into out; its length, 0 when it does not fit. */
static size_t __attribute__((unused))
tp_der(X509 *x, uint8_t *out, size_t cap)
{
	unsigned char *p = out;
	int n = x != NULL ? i2d_X509(x, NULL) : -1;

	if (n <= 0 || (size_t)n > cap)
		return 0;
	return i2d_X509(x, &p) == n ? (size_t)n : 0;
}

/* A public key object for a 65-byte point [new reference]. */
static EVP_PKEY * __attribute__((unused))
tp_pub(const uint8_t pt[CS_P256_PT_LEN])
{
	cs_p256_key *k;
	EVP_PKEY *p;

	if (cs_p256_key_parse(&k, pt, CS_P256_PT_LEN, NULL) != CS_OK)
		return NULL;
	p = cs_p256_key_evp(k);
	if (EVP_PKEY_up_ref(p) != 1)
		p = NULL;
	cs_p256_key_free(k);
	return p;
}

/* A maker: root, intermediate (pathlen 0), their keys and DER. */
typedef struct tp_maker {
	cs_p256_secret *root_key, *inter_key;
	X509 *root, *inter;
	uint8_t root_der[TP_DER_MAX], inter_der[TP_DER_MAX];
	size_t root_len, inter_len;
} tp_maker;

/* The maker called name ("maker", "other"...) under seed; 0 on success. */
static int __attribute__((unused))
tp_maker_make(tp_maker *m, const char *seed, const char *name)
{
	char kn[64], cn[160];
	tp_opts ro = {.ca = 1, .pathlen = -1, .ku = "keyCertSign,cRLSign"};
	tp_opts io = {.ca = 1, .pathlen = 0, .ku = "keyCertSign,cRLSign", .serial = 2};

	memset(m, 0, sizeof *m);
	snprintf(kn, sizeof kn, "%s-root", name);
	m->root_key = tp_key(seed, kn);
	snprintf(kn, sizeof kn, "%s-inter", name);
	m->inter_key = tp_key(seed, kn);
	if (m->root_key == NULL || m->inter_key == NULL)
		return -1;
	snprintf(cn, sizeof cn, "%s (%s)", TP_ROOT_CN, name);
	m->root = tp_cert(cn, cs_p256_secret_evp(m->root_key), NULL,
	    cs_p256_secret_evp(m->root_key), &ro);
	snprintf(cn, sizeof cn, "%s (%s)", TP_INTER_CN, name);
	m->inter = tp_cert(cn, cs_p256_secret_evp(m->inter_key), m->root,
	    cs_p256_secret_evp(m->root_key), &io);
	m->root_len = tp_der(m->root, m->root_der, sizeof m->root_der);
	m->inter_len = tp_der(m->inter, m->inter_der, sizeof m->inter_der);
	return m->root_len && m->inter_len ? 0 : -1;
}

/* The maker called name under seed with the certificates made earlier
 * (the same bytes tp_maker_make gives, unless DIR was made otherwise);
 * 0 on success. */
static int __attribute__((unused))
tp_maker_load(tp_maker *m, const char *seed, const char *name, const uint8_t *root_der,
    size_t root_len, const uint8_t *inter_der, size_t inter_len)
{
	const unsigned char *p;
	char kn[64];

	memset(m, 0, sizeof *m);
	if (root_len > sizeof m->root_der || inter_len > sizeof m->inter_der)
		return -1;
	snprintf(kn, sizeof kn, "%s-root", name);
	m->root_key = tp_key(seed, kn);
	snprintf(kn, sizeof kn, "%s-inter", name);
	m->inter_key = tp_key(seed, kn);
	p = root_der;
	m->root = d2i_X509(NULL, &p, (long)root_len);
	p = inter_der;
	m->inter = d2i_X509(NULL, &p, (long)inter_len);
	memcpy(m->root_der, root_der, root_len);
	memcpy(m->inter_der, inter_der, inter_len);
	m->root_len = root_len;
	m->inter_len = inter_len;
	/* the certificates must be this seed's: the intermediate's key is ours */
	if (m->root_key == NULL || m->inter_key == NULL || m->root == NULL || m->inter == NULL ||
	    EVP_PKEY_eq(X509_get0_pubkey(m->inter), cs_p256_secret_evp(m->inter_key)) != 1)
		return -1;
	return 0;
}

static void __attribute__((unused))
tp_maker_free(tp_maker *m)
{
	X509_free(m->root);
	X509_free(m->inter);
	cs_p256_secret_free(m->root_key);
	cs_p256_secret_free(m->inter_key);
	memset(m, 0, sizeof *m);
}

/* A device certificate for the 65-byte key pt under m's intermediate, DER
 * into out; its length or 0. o NULL: a plain device leaf (CA:FALSE,
 * digitalSignature) whose serial number comes from the key (1 + the first 7
 * bytes of SHA-256(pt)), so each device has its own, as a maker's have. */
static size_t __attribute__((unused))
tp_leaf(uint8_t *out, size_t cap, const tp_maker *m, const uint8_t pt[CS_P256_PT_LEN],
    const tp_opts *o)
{
	tp_opts leaf = {.pathlen = -1, .ku = "digitalSignature"};
	uint8_t h[32];
	char cn[96], hex[17];
	int i;
	EVP_PKEY *pub = tp_pub(pt);
	X509 *x;
	size_t n;

	if (pub == NULL)
		return 0;
	if (o != NULL && o->compressed &&
	    EVP_PKEY_set_utf8_string_param(pub, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
		OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED) != 1) {
		EVP_PKEY_free(pub);
		return 0;
	}
	crypto_hash_sha256(h, pt, CS_P256_PT_LEN);
	for (i = 0; i < 7; i++)
		leaf.serial = (leaf.serial << 8) | h[i];
	leaf.serial++;
	sodium_bin2hex(hex, sizeof hex, pt + 1, 8);
	snprintf(cn, sizeof cn, "consign TEST device %s", hex);
	x = tp_cert(cn, pub, m->inter, cs_p256_secret_evp(m->inter_key), o != NULL ? o : &leaf);
	n = tp_der(x, out, cap);
	X509_free(x);
	EVP_PKEY_free(pub);
	return n;
}

/* The TEST firmware: its measurements and signer id are SHA-256 of fixed
 * texts; other: the app of some other firmware (same bootloader, same
 * signer). mkattest reference prints the genuine one's. */
static void __attribute__((unused))
tp_firmware(uint8_t bl[32], uint8_t app[32], uint8_t signer[32], int other)
{
	const char *a = other ? "consign TEST other firmware: app" : "consign TEST firmware: app";

	crypto_hash_sha256(bl, (const uint8_t *)"consign TEST firmware: bootloader", 33);
	crypto_hash_sha256(app, (const uint8_t *)a, strlen(a));
	crypto_hash_sha256(signer, (const uint8_t *)"consign TEST firmware signer", 28);
}

/* The boot seed the TEST firmware on chip name (its attestation key's
 * name) under seed reports: SHA-256("consign-test-boot-seed" 0 seed 0
 * name), the same every boot, so its tokens repeat too. */
static void __attribute__((unused))
tp_boot_seed(uint8_t out[32], const char *seed, const char *name)
{
	crypto_hash_sha256_state st;
	uint8_t z = 0;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)"consign-test-boot-seed", 22);
	crypto_hash_sha256_update(&st, &z, 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)seed, strlen(seed));
	crypto_hash_sha256_update(&st, &z, 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_final(&st, out);
}

/* A PSA token's claims as the TEST firmware makes them; c borrows from the
 * other fields, so a tp_token is filled in place and never copied. */
typedef struct tp_token {
	cs_psa_claims c;
	uint8_t nonce[32], impl[32], boot_seed[32], inst[33], bl[32], app[32], signer[32];
} tp_token;

/* t for a chip whose attestation key's point is iak, asked for nonce:
 * profile 2.0.0, client id -1, lifecycle 0x3000 (SECURED), the TEST
 * implementation id, boot_seed, the TEST firmware's two components BL and
 * App version 1.0.0 (other_fw: the app of other firmware), instance id
 * 0x01 || SHA-256(iak) as TF-M makes it, verifier "consign TEST verifier".
 * Change t->c afterwards for the faults a test needs. */
static void __attribute__((unused))
tp_token_init(tp_token *t, const uint8_t iak[CS_P256_PT_LEN], const uint8_t nonce[32],
    const uint8_t boot_seed[32], int other_fw)
{
	memset(t, 0, sizeof *t);
	memcpy(t->nonce, nonce, 32);
	memcpy(t->boot_seed, boot_seed, 32);
	tp_firmware(t->bl, t->app, t->signer, other_fw);
	crypto_hash_sha256(t->impl, (const uint8_t *)"consign TEST implementation", 27);
	t->inst[0] = 0x01;
	crypto_hash_sha256(t->inst + 1, iak, CS_P256_PT_LEN);
	t->c.profile = CS_PSA_PROFILE_2;
	t->c.client_id = -1;
	t->c.lifecycle = 0x3000;
	t->c.impl_id = (cs_psa_bytes){t->impl, 32};
	t->c.boot_seed = (cs_psa_bytes){t->boot_seed, 32};
	t->c.comp[0] = (cs_psa_component){{"BL", 2}, {t->bl, 32}, {"1.0.0", 5}, {t->signer, 32},
	    {NULL, 0}};
	t->c.comp[1] = (cs_psa_component){{"App", 3}, {t->app, 32}, {"1.0.0", 5}, {t->signer, 32},
	    {NULL, 0}};
	t->c.ncomp = 2;
	t->c.nonce = (cs_psa_bytes){t->nonce, 32};
	t->c.instance_id = (cs_psa_bytes){t->inst, CS_PSA_INSTANCE_ID_LEN};
	t->c.vsi = (cs_psa_text){"consign TEST verifier", 21};
}

/* t's claims signed by iak (tp_ecdsa: the same claims and key give the same
 * bytes), appended to out as a tagged COSE_Sign1 {1: -7} with an empty
 * unprotected map, then decoded and verified with lib/attest as a verifier
 * would. CS_OK, or the library's error in e (CS_MALFORMED "self-check" when
 * the token does not verify). */
static int __attribute__((unused))
tp_token_sign(cs_buf *out, const tp_token *t, const cs_p256_secret *iak, cs_err *e)
{
	static const uint8_t unprot[1] = {0xa0};
	uint8_t pm[8], rs[64];
	cs_buf prot, payload, sig, scratch;
	cs_p256_key *pub = NULL;
	cs_cose_raw_signer rsg;
	cs_psa_token dec;
	size_t start = out->len;
	int rc;

	cs_buf_fixed(&prot, pm, sizeof pm);
	cs_buf_init(&payload, CS_PSA_TOKEN_MAX);
	cs_buf_init(&sig, CS_PSA_TOKEN_MAX + 64);
	cs_buf_init(&scratch, 2 * CS_PSA_TOKEN_MAX);
	if ((rc = cs_es256_prot(&prot)) != CS_OK || (rc = cs_psa_encode(&payload, &t->c, e)) != CS_OK ||
	    (rc = cs_cose_tbs_raw(&sig, prot.p, prot.len, NULL, 0, NULL, 0, payload.p,
		 payload.len)) != CS_OK)
		goto done;
	if (tp_ecdsa(rs, cs_p256_secret_evp(iak), EVP_sha256(), sig.p, sig.len) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "system", "the token's signature failed");
		goto done;
	}
	rsg = (cs_cose_raw_signer){prot.p, prot.len, unprot, 1, rs};
	if (cs_cose_encode_sign1_raw(out, &rsg, payload.p, payload.len) != CS_OK || out->overflow) {
		rc = cs_fail(e, CS_MALFORMED, "system", "the token does not fit");
		goto done;
	}
	if ((rc = cs_p256_key_parse(&pub, cs_p256_secret_point(iak), CS_P256_PT_LEN, e)) != CS_OK ||
	    (rc = cs_psa_decode(&dec, out->p + start, out->len - start, e)) != CS_OK)
		goto done;
	if (cs_psa_verify(&dec, pub, &scratch, e) != CS_OK)
		rc = cs_fail(e, CS_MALFORMED, "self-check", "the token made does not verify");
done:
	if (rc != CS_OK)
		out->len = start;
	cs_p256_key_free(pub);
	cs_buf_free(&payload);
	cs_buf_free(&sig);
	cs_buf_free(&scratch);
	return rc;
}

#endif
