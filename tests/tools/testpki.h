/* A TEST maker's PKI for consign's tests, tools and fuzz harnesses only:
 * keys derived from a seed string (no key file is ever written), a root and
 * an intermediate named "consign TEST maker ... - not for production", and
 * device certificates for given P-256 keys, with switches for the faults the
 * tests need. Nothing in lib/ or cmd/ includes this. */
#ifndef TESTPKI_H
#define TESTPKI_H

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sodium.h>

#include "attest/p256.h"

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
	if (X509_sign(x, issuer_key, md) <= 0)
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
 * (ECDSA signatures are random, so making them again gives other bytes);
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
 * digitalSignature). */
static size_t __attribute__((unused))
tp_leaf(uint8_t *out, size_t cap, const tp_maker *m, const uint8_t pt[CS_P256_PT_LEN],
    const tp_opts *o)
{
	static const tp_opts leaf = {.pathlen = -1, .ku = "digitalSignature", .serial = 3};
	char cn[96], hex[17];
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
	sodium_bin2hex(hex, sizeof hex, pt + 1, 8);
	snprintf(cn, sizeof cn, "consign TEST device %s", hex);
	x = tp_cert(cn, pub, m->inter, cs_p256_secret_evp(m->inter_key), o != NULL ? o : &leaf);
	n = tp_der(x, out, cap);
	X509_free(x);
	EVP_PKEY_free(pub);
	return n;
}

#endif
