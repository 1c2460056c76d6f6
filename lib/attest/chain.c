/* Certificate chains to pinned roots with OpenSSL's X509_verify_cert: the
 * framing, the pinned set, the path checks, and the per-intermediate cache
 * that makes a batch of devices from one maker cost one signature each. */
#include "attest/chain.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <sodium.h>

/* Intermediates at most on a path: OpenSSL's depth counts the certificates
 * between leaf and trust anchor. */
#define PATH_DEPTH (CS_ATTEST_CHAIN_MAX - 2)
#define AUTH_LEVEL 2

/* The certificates above a leaf, as carried: what the cache files a chain
 * under, compared byte for byte (a maker's intermediate is a few hundred
 * bytes; hashing it for every record cost more than comparing it). */
typedef struct upper {
	size_t n;
	const uint8_t *der[CS_ATTEST_CHAIN_MAX - 1];
	size_t len[CS_ATTEST_CHAIN_MAX - 1];
} upper;

typedef struct cache_entry {
	upper up;              /* its bytes in the entry's own copy, buf */
	uint8_t *buf;
	X509 *anchor;          /* the leaf's issuer, validated to a pinned root */
	X509_STORE *store;     /* anchor alone, as trusted, with partial chains */
	cs_p256_key *akey;     /* its key when P-256 and nothing of it applies to
	                        * the leaf but its signature: the fast path */
	size_t root;
} cache_entry;

struct cs_attest_roots {
	size_t n;
	X509 *cert[CS_ATTEST_ROOTS_MAX];
	uint8_t fp[CS_ATTEST_ROOTS_MAX][CS_ATTEST_FP_LEN];
	X509_STORE *store;

	pthread_mutex_t lock; /* guards everything below */
	int frozen;
	size_t cache_max, nentries, hits, misses;
	cache_entry entry[CS_ATTEST_CACHE_MAX];
};

/* ---- framing --------------------------------------------------------- */

int
cs_attest_chain_read(cs_attest_chain *c, cs_cr *r)
{
	size_t i;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = cs_cr_array(r, &c->n, 1, CS_ATTEST_CHAIN_MAX)) != CS_OK)
		return rc;
	for (i = 0; i < c->n; i++)
		if ((rc = cs_cr_bytes(r, &c->der[i], &c->len[i], 1, CS_ATTEST_CERT_MAX)) != CS_OK) {
			cs_err_prefix(r->e, "certificate %zu", i);
			return rc;
		}
	return CS_OK;
}

int
cs_attest_chain_decode(cs_attest_chain *c, const uint8_t *p, size_t n, cs_err *e)
{
	cs_err inner;
	cs_cr r;
	int rc;

	cs_err_clear(&inner);
	cs_cr_init(&r, p, n, &inner);
	if ((rc = cs_attest_chain_read(c, &r)) == CS_OK)
		rc = cs_cr_done(&r);
	if (rc != CS_OK)
		return cs_fail(e, CS_MALFORMED, "attest-malformed", "certificate chain: %s",
		    inner.msg);
	return CS_OK;
}

int
cs_attest_chain_encode(cs_buf *out, const cs_attest_chain *c)
{
	cs_cw w;
	size_t i;

	cs_cw_init(&w, out);
	cs_cw_array_begin(&w);
	for (i = 0; i < c->n; i++)
		cs_cw_bytes(&w, c->der[i], c->len[i]);
	cs_cw_array_end(&w);
	return cs_cw_finish(&w) == 0 ? CS_OK : CS_MALFORMED;
}

/* ---- certificates ------------------------------------------------------ */

/* OpenSSL 3.0's d2i_X509 decodes the subject key through the provider
 * decoders, ten times the cost of the rest of the parse (115 us against 10
 * on the machine this was written on, more than the ECDSA verification it
 * precedes). Leaves on the cache's fast path are parsed in a library context
 * that has only the null provider: everything but that decoding is done, and
 * the key is read as bytes (X509_PUBKEY_get0_param). */
static OSSL_LIB_CTX *parse_only;
static pthread_once_t parse_only_once = PTHREAD_ONCE_INIT;

static void
parse_only_init(void)
{
	if ((parse_only = OSSL_LIB_CTX_new()) != NULL &&
	    OSSL_PROVIDER_load(parse_only, "null") == NULL) {
		OSSL_LIB_CTX_free(parse_only);
		parse_only = NULL;
	}
	ERR_clear_error();
}

/* Exactly one DER certificate in der[0..len): nothing after it. With
 * keyless, in the parse-only context (no key object: see above). */
static X509 *
parse_cert_in(const uint8_t *der, size_t len, int keyless)
{
	const uint8_t *p = der;
	X509 *x;

	if (len == 0 || len > CS_ATTEST_CERT_MAX)
		return NULL;
	if (keyless) {
		pthread_once(&parse_only_once, parse_only_init);
		if (parse_only == NULL)
			return NULL;
		x = (X509 *)ASN1_item_d2i_ex(NULL, &p, (long)len, ASN1_ITEM_rptr(X509), parse_only,
		    NULL);
		ERR_clear_error(); /* the key's decoding failed, as it was meant to */
	} else {
		x = d2i_X509(NULL, &p, (long)len);
	}
	if (x == NULL)
		return NULL;
	if (p != der + len) {
		X509_free(x);
		return NULL;
	}
	/* extensions decoded now: an undecodable one marks the certificate
	 * invalid, which the path check refuses */
	(void)X509_get_extension_flags(x);
	return x;
}

static X509 *
parse_cert(const uint8_t *der, size_t len)
{
	return parse_cert_in(der, len, 0);
}

static X509_STORE *
new_store(void)
{
	X509_VERIFY_PARAM *vp;
	X509_STORE *s;

	if ((s = X509_STORE_new()) == NULL)
		return NULL;
	vp = X509_STORE_get0_param(s);
	/* No clock: a factory line and an air-gapped office have no time to
	 * trust, and element certificates are commonly valid "forever" anyway.
	 * Partial chains: a pinned certificate is an anchor even when it is not
	 * self-signed (a pinned intermediate, the cache's validated one). */
	if (X509_VERIFY_PARAM_set_flags(vp,
		X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN) != 1) {
		X509_STORE_free(s);
		return NULL;
	}
	X509_VERIFY_PARAM_set_depth(vp, PATH_DEPTH);
	X509_VERIFY_PARAM_set_auth_level(vp, AUTH_LEVEL);
	return s;
}

int
cs_attest_roots_new(cs_attest_roots **out, size_t cache_max, cs_err *e)
{
	cs_attest_roots *r;

	*out = NULL;
	if (cache_max > CS_ATTEST_CACHE_MAX)
		return cs_fail(e, CS_USAGE, "internal", "cache of %zu entries, at most %d",
		    cache_max, CS_ATTEST_CACHE_MAX);
	if ((r = calloc(1, sizeof *r)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	if ((r->store = new_store()) == NULL || pthread_mutex_init(&r->lock, NULL) != 0) {
		X509_STORE_free(r->store);
		free(r);
		ERR_clear_error();
		return cs_fail(e, CS_MALFORMED, "system",
		    "OpenSSL could not make a certificate store");
	}
	r->cache_max = cache_max;
	*out = r;
	return CS_OK;
}

int
cs_attest_roots_add(cs_attest_roots *r, const uint8_t *der, size_t len, size_t *index, cs_err *e)
{
	uint8_t fp[CS_ATTEST_FP_LEN];
	X509 *x = NULL;
	size_t i;
	int rc = CS_OK;

	if (len > CS_ATTEST_CERT_MAX)
		return cs_fail(e, CS_MALFORMED, "attest-malformed",
		    "root certificate of %zu bytes, above the limit of %d", len,
		    CS_ATTEST_CERT_MAX);
	if ((x = parse_cert(der, len)) == NULL) {
		ERR_clear_error();
		return cs_fail(e, CS_MALFORMED, "attest-malformed",
		    "root is not exactly one DER certificate");
	}
	crypto_hash_sha256(fp, der, len);
	pthread_mutex_lock(&r->lock);
	if (r->frozen) {
		rc = cs_fail(e, CS_USAGE, "internal", "roots added after the first verification");
		goto done;
	}
	for (i = 0; i < r->n; i++)
		if (memcmp(r->fp[i], fp, sizeof fp) == 0) {
			rc = cs_fail(e, CS_USAGE, "attest-root-repeated",
			    "root %zu is pinned already", i);
			goto done;
		}
	if (r->n == CS_ATTEST_ROOTS_MAX) {
		rc = cs_fail(e, CS_USAGE, "too-large", "more than %d pinned roots",
		    CS_ATTEST_ROOTS_MAX);
		goto done;
	}
	if (X509_STORE_add_cert(r->store, x) != 1) {
		ERR_clear_error();
		rc = cs_fail(e, CS_USAGE, "attest-root-repeated",
		    "a root with the same content is pinned already");
		goto done;
	}
	memcpy(r->fp[r->n], fp, sizeof fp);
	r->cert[r->n] = x;
	x = NULL;
	if (index != NULL)
		*index = r->n;
	r->n++;
done:
	pthread_mutex_unlock(&r->lock);
	X509_free(x);
	return rc;
}

size_t
cs_attest_roots_count(const cs_attest_roots *r)
{
	return r->n;
}

void
cs_attest_roots_fingerprint(uint8_t fp[CS_ATTEST_FP_LEN], const cs_attest_roots *r, size_t i)
{
	if (i < r->n)
		memcpy(fp, r->fp[i], CS_ATTEST_FP_LEN);
	else
		memset(fp, 0, CS_ATTEST_FP_LEN);
}

void
cs_attest_roots_stats(cs_attest_roots *r, size_t *hits, size_t *misses)
{
	pthread_mutex_lock(&r->lock);
	*hits = r->hits;
	*misses = r->misses;
	pthread_mutex_unlock(&r->lock);
}

void
cs_attest_roots_free(cs_attest_roots *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nentries; i++) {
		X509_free(r->entry[i].anchor);
		X509_STORE_free(r->entry[i].store);
		free(r->entry[i].buf);
		cs_p256_key_free(r->entry[i].akey);
	}
	for (i = 0; i < r->n; i++)
		X509_free(r->cert[i]);
	X509_STORE_free(r->store);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- validation -------------------------------------------------------- */

static void
upper_of(upper *u, const cs_attest_chain *c)
{
	size_t i;

	u->n = c->n - 1;
	for (i = 1; i < c->n; i++) {
		u->der[i - 1] = c->der[i];
		u->len[i - 1] = c->len[i];
	}
}

static int
upper_eq(const upper *a, const upper *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i] || memcmp(a->der[i], b->der[i], a->len[i]) != 0)
			return 0;
	return 1;
}

/* The errors that mean no path reaches a pinned certificate at all, as
 * opposed to a path that does and fails a check on the way. */
static int
is_root_error(int err)
{
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
		return 1;
	default:
		return 0;
	}
}

/* The checks on the leaf that X509_verify_cert leaves to the caller (it
 * checks no purpose here, having none set). */
static int
leaf_rules(X509 *leaf, cs_err *e)
{
	uint32_t flags = X509_get_extension_flags(leaf);

	if (flags & EXFLAG_INVALID)
		return cs_fail(e, CS_REJECT, "attest-chain-invalid",
		    "certificate 0: an extension cannot be decoded");
	/* EXFLAG_CA: basicConstraints says CA, even when the key usage would
	 * not let it sign certificates (X509_check_ca then says 0) */
	if ((flags & EXFLAG_CA) || X509_check_ca(leaf) != 0)
		return cs_fail(e, CS_REJECT, "attest-chain-invalid",
		    "certificate 0: the leaf is a CA certificate");
	if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE))
		return cs_fail(e, CS_REJECT, "attest-chain-invalid",
		    "certificate 0: the leaf's key usage does not allow digital signatures");
	return CS_OK;
}

/* leaf_rules and the leaf's key, from the key object OpenSSL decoded */
static int
leaf_checks(X509 *leaf, uint8_t key[CS_P256_PT_LEN], cs_err *e)
{
	int rc;

	if ((rc = leaf_rules(leaf, e)) != CS_OK)
		return rc;
	if (cs_p256_point_of(key, X509_get0_pubkey(leaf)) != 0)
		return cs_fail(e, CS_REJECT, "attest-leaf-key",
		    "certificate 0: the leaf's key is not a P-256 key");
	return CS_OK;
}

/* Runs X509_verify_cert on leaf with the given untrusted certificates
 * against store; on success *chain is the path built [borrowed from ctx]. */
static int
run_verify(X509_STORE_CTX *ctx, X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted,
    cs_err *e)
{
	int err, depth;

	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
		ERR_clear_error();
		return cs_fail(e, CS_MALFORMED, "system", "OpenSSL could not start a verification");
	}
	if (X509_verify_cert(ctx) == 1)
		return CS_OK;
	ERR_clear_error();
	err = X509_STORE_CTX_get_error(ctx);
	depth = X509_STORE_CTX_get_error_depth(ctx);
	return cs_fail(e, CS_REJECT,
	    is_root_error(err) ? "attest-chain-root" : "attest-chain-invalid",
	    "certificate %d: %s", depth, X509_verify_cert_error_string(err));
}

static int
which_root(const cs_attest_roots *r, X509 *top, size_t *root)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (X509_cmp(r->cert[i], top) == 0) {
			*root = i;
			return 0;
		}
	return -1;
}

/* 1 when none of path[from..] carries an extension whose effect on the leaf
 * the cache's shortcut (anchor = path[1]) would skip. */
static int
shortcut_safe(STACK_OF(X509) *path, int from)
{
	static const int nids[] = {NID_name_constraints, NID_policy_constraints,
	    NID_policy_mappings, NID_inhibit_any_policy};
	int i, j;

	for (i = from; i < sk_X509_num(path); i++)
		for (j = 0; j < (int)(sizeof nids / sizeof nids[0]); j++)
			if (X509_get_ext_by_NID(sk_X509_value(path, i), nids[j], -1) >= 0)
				return 0;
	return 1;
}

static cache_entry *
cache_find(cs_attest_roots *r, const upper *u)
{
	size_t i;

	for (i = 0; i < r->nentries; i++)
		if (upper_eq(&r->entry[i].up, u))
			return &r->entry[i];
	return NULL;
}

/* Files path[1] as the anchor for chains carrying exactly the upper
 * certificates u; fast says nothing of the anchor itself applies to the
 * leaf beyond what fast_leaf checks. Failing to (memory, a full cache) only
 * costs speed. */
static void
cache_add(cs_attest_roots *r, const upper *u, X509 *anchor, size_t root, int fast)
{
	uint8_t pt[CS_P256_PT_LEN], *buf = NULL;
	cs_p256_key *akey = NULL;
	X509_STORE *s = NULL;
	cache_entry *c;
	size_t i, total = 0, off = 0;
	upper own = *u;

	for (i = 0; i < u->n; i++)
		total += u->len[i];
	if ((buf = malloc(total)) == NULL)
		return;
	for (i = 0; i < u->n; i++) {
		memcpy(buf + off, u->der[i], u->len[i]);
		own.der[i] = buf + off;
		off += u->len[i];
	}
	if ((s = new_store()) == NULL || X509_STORE_add_cert(s, anchor) != 1) {
		X509_STORE_free(s);
		free(buf);
		ERR_clear_error();
		return;
	}
	if (fast && cs_p256_point_of(pt, X509_get0_pubkey(anchor)) == 0 &&
	    cs_p256_key_parse(&akey, pt, sizeof pt, NULL) != CS_OK)
		akey = NULL;
	pthread_mutex_lock(&r->lock);
	if (r->nentries < r->cache_max && cache_find(r, u) == NULL && X509_up_ref(anchor) == 1) {
		c = &r->entry[r->nentries++];
		c->up = own;
		c->buf = buf;
		c->anchor = anchor;
		c->store = s;
		c->akey = akey;
		c->root = root;
		s = NULL;
		akey = NULL;
		buf = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	X509_STORE_free(s);
	cs_p256_key_free(akey);
	free(buf);
}

/* The TBSCertificate's bytes as signed, inside the DER of a certificate
 * OpenSSL has parsed (so the two headers read here are well-formed). */
static int
tbs_span(const uint8_t *der, size_t n, const uint8_t **tbs, size_t *tlen)
{
	const unsigned char *p = der, *start;
	long len;
	int tag, cls, r;

	r = ASN1_get_object(&p, &len, &tag, &cls, (long)n);
	if ((r & 0x81) || tag != V_ASN1_SEQUENCE)
		return -1;
	start = p;
	r = ASN1_get_object(&p, &len, &tag, &cls, (long)(n - (size_t)(p - der)));
	if ((r & 0x81) || tag != V_ASN1_SEQUENCE || len < 0 ||
	    (size_t)len > n - (size_t)(p - der))
		return -1;
	*tbs = start;
	*tlen = (size_t)(p - start) + (size_t)len;
	return 0;
}

enum { FAST_OK, FAST_REFUSED, FAST_NOT_ELIGIBLE };

/* What X509_verify_cert does for a leaf under a trusted issuer that carries
 * no constraint on it (checked when the entry was filed), done with
 * OpenSSL's accessors on a leaf parsed without its key object: issued by
 * the anchor (names, key identifiers, the anchor's key usage), the
 * signature (same algorithm inside and out, ECDSA with SHA-256 under the
 * anchor's key, over the TBSCertificate bytes as carried), no extension it
 * cannot decode, no unknown critical one, not a proxy; then the leaf rules
 * and its key. A leaf this does not cover (another signature algorithm, a
 * key that is not an uncompressed P-256 point) is FAST_NOT_ELIGIBLE: the
 * caller validates it the slow way. */
static int
fast_leaf(const cache_entry *c, X509 *leaf, const uint8_t *der, size_t len,
    uint8_t key[CS_P256_PT_LEN], cs_err *e)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *outer;
	const unsigned char *pk;
	const uint8_t *tbs;
	const void *pval;
	ASN1_OBJECT *alg;
	X509_ALGOR *pa;
	uint32_t flags;
	size_t tlen;
	int pklen, ptype, rc = FAST_NOT_ELIGIBLE, vr;

	X509_get0_signature(&sig, &outer, leaf);
	if (X509_get_signature_nid(leaf) != NID_ecdsa_with_SHA256 ||
	    X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(leaf)) != 0 ||
	    X509_PUBKEY_get0_param(&alg, &pk, &pklen, &pa, X509_get_X509_PUBKEY(leaf)) != 1 ||
	    OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey)
		goto done;
	X509_ALGOR_get0(NULL, &ptype, &pval, pa);
	if (ptype != V_ASN1_OBJECT || OBJ_obj2nid(pval) != NID_X9_62_prime256v1 ||
	    !cs_p256_point_form(pk, (size_t)pklen) || tbs_span(der, len, &tbs, &tlen) != 0)
		goto done;
	rc = FAST_REFUSED;
	if ((vr = X509_check_issued(c->anchor, leaf)) != X509_V_OK) {
		cs_fail(e, CS_REJECT, "attest-chain-root", "certificate 0: %s",
		    X509_verify_cert_error_string(vr));
		goto done;
	}
	flags = X509_get_extension_flags(leaf);
	if (flags & (EXFLAG_CRITICAL | EXFLAG_PROXY)) {
		cs_fail(e, CS_REJECT, "attest-chain-invalid", "certificate 0: %s",
		    X509_verify_cert_error_string(flags & EXFLAG_CRITICAL
			    ? X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION
			    : X509_V_ERR_PROXY_CERTIFICATES_NOT_ALLOWED));
		goto done;
	}
	if ((sig->flags & 0x07) != 0 ||
	    cs_es256_verify_der(c->akey, sig->data, (size_t)sig->length, tbs, tlen) != 0) {
		cs_fail(e, CS_REJECT, "attest-chain-invalid", "certificate 0: %s",
		    X509_verify_cert_error_string(X509_V_ERR_CERT_SIGNATURE_FAILURE));
		goto done;
	}
	if (leaf_rules(leaf, e) != CS_OK)
		goto done;
	memcpy(key, pk, CS_P256_PT_LEN);
	rc = FAST_OK;
done:
	ERR_clear_error();
	return rc;
}

int
cs_attest_chain_verify(cs_attest_roots *r, const cs_attest_chain *c, cs_attest_leaf *out,
    cs_err *e)
{
	return cs_attest_chain_verify_leaf(r, c, NULL, out, e);
}

/* The fast path on a hit, with the caller's parse of the leaf when it is
 * one of c->der[0], else a parse of its own. */
static int
fast_hit(const cache_entry *hit, const cs_attest_chain *c, const cs_attest_cert *leaf,
    uint8_t key[CS_P256_PT_LEN], cs_err *e)
{
	X509 *own = NULL;
	int fast;

	if (leaf == NULL || leaf->x == NULL || leaf->der != c->der[0] || leaf->len != c->len[0]) {
		if ((own = parse_cert_in(c->der[0], c->len[0], 1)) == NULL)
			return FAST_NOT_ELIGIBLE; /* the slow path says what is wrong */
	}
	fast = fast_leaf(hit, own != NULL ? own : leaf->x, c->der[0], c->len[0], key, e);
	X509_free(own);
	return fast;
}

int
cs_attest_chain_verify_leaf(cs_attest_roots *r, const cs_attest_chain *c,
    const cs_attest_cert *leaf, cs_attest_leaf *out, cs_err *e)
{
	X509 *cert[CS_ATTEST_CHAIN_MAX] = {NULL};
	STACK_OF(X509) *untrusted = NULL, *path;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *hit_store = NULL;
	cache_entry *hit = NULL;
	int fast;
	upper up;
	size_t i, hit_root = 0, m;
	int rc;

	memset(out, 0, sizeof *out);
	if (c->n == 0 || c->n > CS_ATTEST_CHAIN_MAX)
		return cs_fail(e, CS_MALFORMED, "attest-malformed", "a chain of %zu certificates",
		    c->n);
	for (i = 0; i < c->n; i++)
		if (c->len[i] == 0 || c->len[i] > CS_ATTEST_CERT_MAX)
			return cs_fail(e, CS_MALFORMED, "attest-malformed",
			    "certificate %zu: %zu bytes, the limit is %d", i, c->len[i],
			    CS_ATTEST_CERT_MAX);
	upper_of(&up, c);

	pthread_mutex_lock(&r->lock);
	r->frozen = 1;
	if (c->n >= 2 && (hit = cache_find(r, &up)) != NULL) {
		r->hits++;
		/* entries are never removed before the set is freed */
		hit_store = hit->store;
		hit_root = hit->root;
	} else {
		r->misses++;
	}
	pthread_mutex_unlock(&r->lock);

	/* a hit looks at the leaf only: the bytes above it are the ones validated */
	if (hit != NULL && hit->akey != NULL) {
		fast = fast_hit(hit, c, leaf, out->key, e);
		if (fast == FAST_OK) {
			out->root = hit_root;
			out->cached = 1;
			return CS_OK;
		}
		if (fast == FAST_REFUSED) { /* every refusal there is CS_REJECT */
			memset(out, 0, sizeof *out);
			return CS_REJECT;
		}
	}
	for (i = 0; i < (hit != NULL ? 1 : c->n); i++)
		if ((cert[i] = parse_cert(c->der[i], c->len[i])) == NULL) {
			ERR_clear_error();
			rc = cs_fail(e, CS_MALFORMED, "attest-malformed",
			    "certificate %zu is not exactly one DER certificate", i);
			goto done;
		}
	if ((ctx = X509_STORE_CTX_new()) == NULL) {
		rc = cs_fail(e, CS_MALFORMED, "system", "out of memory");
		goto done;
	}

	if (hit != NULL) {
		if ((rc = run_verify(ctx, hit_store, cert[0], NULL, e)) != CS_OK)
			goto done;
		path = X509_STORE_CTX_get0_chain(ctx);
		if (sk_X509_num(path) != 2 || X509_cmp(sk_X509_value(path, 0), cert[0]) != 0) {
			rc = cs_fail(e, CS_REJECT, "attest-chain-invalid",
			    "certificate 0: not issued by the certificate after it");
			goto done;
		}
		out->root = hit_root;
		out->cached = 1;
	} else {
		if ((untrusted = sk_X509_new_null()) == NULL) {
			rc = cs_fail(e, CS_MALFORMED, "system", "out of memory");
			goto done;
		}
		for (i = 1; i < c->n; i++)
			if (!sk_X509_push(untrusted, cert[i])) {
				rc = cs_fail(e, CS_MALFORMED, "system", "out of memory");
				goto done;
			}
		if ((rc = run_verify(ctx, r->store, cert[0], untrusted, e)) != CS_OK)
			goto done;
		path = X509_STORE_CTX_get0_chain(ctx);
		m = (size_t)sk_X509_num(path);
		/* the path is the chain as given, in order, then perhaps the root */
		for (i = 0; i < c->n; i++)
			if (i >= m || X509_cmp(sk_X509_value(path, (int)i), cert[i]) != 0) {
				rc = cs_fail(e, CS_REJECT, "attest-chain-invalid",
				    "certificate %zu is not on the path to the pinned root", i);
				goto done;
			}
		if (m > c->n + 1 ||
		    which_root(r, sk_X509_value(path, (int)m - 1), &out->root) != 0) {
			rc = cs_fail(e, CS_REJECT, "attest-chain-invalid",
			    "the path does not end at a pinned root");
			goto done;
		}
		if ((rc = leaf_checks(cert[0], out->key, e)) != CS_OK)
			goto done;
		/* the first intermediate becomes the anchor for its siblings; when
		 * it is itself the pinned certificate, the full path already costs
		 * one signature */
		if (c->n >= 2 && m >= 3 && r->cache_max > 0 && shortcut_safe(path, 2))
			cache_add(r, &up, cert[1], out->root, shortcut_safe(path, 1));
		goto done;
	}
	rc = leaf_checks(cert[0], out->key, e);
done:
	if (rc != CS_OK) {
		memset(out, 0, sizeof *out);
		ERR_clear_error();
	}
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	for (i = 0; i < c->n; i++)
		X509_free(cert[i]);
	return rc;
}

int
cs_attest_leaf_is(const cs_attest_leaf *l, const uint8_t key[CS_P256_PT_LEN], cs_err *e)
{
	if (sodium_memcmp(l->key, key, CS_P256_PT_LEN) != 0)
		return cs_fail(e, CS_REJECT, "attest-leaf-key",
		    "the leaf certificate is for another key than the record's");
	return CS_OK;
}

int
cs_attest_cert_parse(cs_attest_cert *c, const uint8_t *der, size_t len, cs_err *e)
{
	memset(c, 0, sizeof *c);
	if ((c->x = parse_cert_in(der, len, 1)) == NULL) {
		ERR_clear_error();
		return cs_fail(e, CS_MALFORMED, "attest-malformed",
		    "not exactly one DER certificate");
	}
	c->der = der;
	c->len = len;
	return CS_OK;
}

void
cs_attest_cert_free(cs_attest_cert *c)
{
	X509_free(c->x);
	memset(c, 0, sizeof *c);
}

int
cs_attest_cert_key(uint8_t key[CS_P256_PT_LEN], const cs_attest_cert *c, cs_err *e)
{
	const unsigned char *pk;
	const void *pval;
	ASN1_OBJECT *alg;
	X509_ALGOR *pa;
	X509 *x;
	int pklen, ptype, rc = CS_OK;

	/* the bytes as carried when they are already the one encoding; else a
	 * full parse, whose key object expands a compressed point */
	if (X509_PUBKEY_get0_param(&alg, &pk, &pklen, &pa, X509_get_X509_PUBKEY(c->x)) == 1 &&
	    OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey) {
		X509_ALGOR_get0(NULL, &ptype, &pval, pa);
		if (ptype == V_ASN1_OBJECT && OBJ_obj2nid(pval) == NID_X9_62_prime256v1 &&
		    cs_p256_point_form(pk, (size_t)pklen)) {
			memcpy(key, pk, CS_P256_PT_LEN);
			return CS_OK;
		}
	}
	if ((x = parse_cert(c->der, c->len)) == NULL ||
	    cs_p256_point_of(key, X509_get0_pubkey(x)) != 0)
		rc = cs_fail(e, CS_REJECT, "attest-leaf-key",
		    "the certificate's key is not a P-256 key");
	ERR_clear_error();
	X509_free(x);
	return rc;
}

int
cs_attest_leaf_key_of(uint8_t key[CS_P256_PT_LEN], const uint8_t *der, size_t len, cs_err *e)
{
	cs_attest_cert c;
	int rc;

	if ((rc = cs_attest_cert_parse(&c, der, len, e)) != CS_OK)
		return rc;
	rc = cs_attest_cert_key(key, &c, e);
	cs_attest_cert_free(&c);
	return rc;
}

static int
print_subject(BIO *b, X509 *x)
{
	/* RFC 2253 with bytes above 0x7f escaped; controls escaped by the caller */
	return X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0;
}

static int
print_pem(BIO *b, X509 *x)
{
	return PEM_write_bio_X509(b, x) == 1;
}

/* One DER certificate printed by print (1: done) into a new memory BIO *b,
 * whose text is *p, *n bytes; on failure *b is NULL and errors are cleared. */
static int
cert_print(BIO **b, char **p, long *n, const uint8_t *der, size_t len,
    int (*print)(BIO *, X509 *), const char *cannot, cs_err *e)
{
	X509 *x;
	int rc = CS_OK;

	*b = NULL;
	if ((x = parse_cert(der, len)) == NULL)
		rc = cs_fail(e, CS_MALFORMED, "attest-malformed", "not exactly one DER certificate");
	else if ((*b = BIO_new(BIO_s_mem())) == NULL || !print(*b, x) ||
	    (*n = BIO_get_mem_data(*b, p)) < 0)
		rc = cs_fail(e, CS_MALFORMED, "system", "%s", cannot);
	X509_free(x);
	if (rc != CS_OK) {
		ERR_clear_error();
		BIO_free(*b);
		*b = NULL;
	}
	return rc;
}

int
cs_attest_cert_subject(char out[CS_ATTEST_NAME_MAX], const uint8_t *der, size_t len, cs_err *e)
{
	BIO *b;
	char *p;
	long n;
	size_t i, o = 0;
	int rc;

	out[0] = '\0';
	if ((rc = cert_print(&b, &p, &n, der, len, print_subject,
		 "cannot print a certificate subject", e)) != CS_OK)
		return rc;
	for (i = 0; i < (size_t)n && o + 5 < CS_ATTEST_NAME_MAX; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch >= 0x20 && ch <= 0x7e && ch != '\\') {
			out[o++] = (char)ch;
		} else {
			static const char hx[] = "0123456789abcdef";

			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hx[ch >> 4];
			out[o++] = hx[ch & 15];
		}
	}
	out[o] = '\0';
	BIO_free(b);
	return CS_OK;
}

int
cs_attest_cert_pem(cs_buf *out, const uint8_t *der, size_t len, cs_err *e)
{
	BIO *b;
	char *p;
	long n;
	int rc;

	if ((rc = cert_print(&b, &p, &n, der, len, print_pem, "cannot write PEM", e)) != CS_OK)
		return rc;
	/* written PEM is never empty: n == 0 needs no case of its own */
	if (cs_buf_add(out, p, (size_t)n) != 0) {
		ERR_clear_error();
		rc = cs_fail(e, CS_MALFORMED, "too-large", "PEM does not fit its buffer");
	}
	BIO_free(b);
	return rc;
}
