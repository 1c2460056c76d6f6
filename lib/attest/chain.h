/* X.509 certificate chains from a secure element or an attestation key,
 * validated with OpenSSL to roots the custodians pinned: no system store, no
 * clock, bounded length and sizes, and the maker's intermediate checked once
 * per batch rather than once per record. */
#ifndef CS_ATTEST_CHAIN_H
#define CS_ATTEST_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "attest/p256.h"
#include "format/cbor.h"
#include "util/buf.h"
#include "util/err.h"

/* Certificates on a path, leaf and root included: leaf, at most two
 * intermediates, root. The evidence carries the same at most, the root being
 * optional (if carried it must be the pinned certificate byte for byte). */
#define CS_ATTEST_CHAIN_MAX 4
#define CS_ATTEST_CERT_MAX 2048   /* bytes of one DER certificate, roots too */
#define CS_ATTEST_ROOTS_MAX 16    /* pinned roots in one set */
#define CS_ATTEST_CACHE_MAX 64    /* distinct intermediates remembered per set */
#define CS_ATTEST_FP_LEN 32       /* a certificate's fingerprint: SHA-256(DER) */
#define CS_ATTEST_NAME_MAX 256    /* a subject as shown, NUL included */

/* A chain as it travels, leaf first; every pointer borrows from the input.
 * Its encoding is a CBOR array of 1 to CS_ATTEST_CHAIN_MAX byte strings of 1
 * to CS_ATTEST_CERT_MAX bytes, each one DER certificate (COSE's x5chain,
 * RFC 9360, always in its array form). */
typedef struct cs_attest_chain {
	size_t n;
	const uint8_t *der[CS_ATTEST_CHAIN_MAX];
	size_t len[CS_ATTEST_CHAIN_MAX];
} cs_attest_chain;

/* Reads the framing above at the cursor (reasons "cbor", "schema"). The
 * certificates are not parsed here. */
CS_MUST int cs_attest_chain_read(cs_attest_chain *c, cs_cr *r);

/* Decodes p[0..n) as exactly one chain; CS_MALFORMED with reason
 * "attest-malformed" otherwise. */
CS_MUST int cs_attest_chain_decode(cs_attest_chain *c, const uint8_t *p, size_t n, cs_err *e);

/* Appends c's framing to out (canonical CBOR). */
CS_MUST int cs_attest_chain_encode(cs_buf *out, const cs_attest_chain *c);

/* A set of pinned roots with the validation cache that belongs to it. Roots
 * are added first; the first verification freezes the set, after which it is
 * only read and may be used by several threads at once (the cache has its
 * own lock). A pinned certificate is a trust anchor whether self-signed or
 * not: pinning a maker's intermediate narrows trust to what it issued. */
typedef struct cs_attest_roots cs_attest_roots;

/* A new empty set whose cache remembers up to cache_max intermediates
 * (0: none, every chain validated in full; at most CS_ATTEST_CACHE_MAX). */
CS_MUST int cs_attest_roots_new(cs_attest_roots **out, size_t cache_max, cs_err *e);

/* Pins one DER certificate; *index (may be NULL) is its position, which
 * cs_attest_chain_verify reports. Refused: not exactly one DER certificate
 * ("attest-malformed"), above CS_ATTEST_CERT_MAX bytes, the same certificate
 * twice, more than CS_ATTEST_ROOTS_MAX, or a frozen set (CS_USAGE). */
CS_MUST int cs_attest_roots_add(cs_attest_roots *r, const uint8_t *der, size_t len, size_t *index,
    cs_err *e);

size_t cs_attest_roots_count(const cs_attest_roots *r);

/* SHA-256 of pinned certificate i's DER bytes (what consign sign shows). */
void cs_attest_roots_fingerprint(uint8_t fp[CS_ATTEST_FP_LEN], const cs_attest_roots *r,
    size_t i);

/* Chains validated by way of the cache (hits) and in full (misses). */
void cs_attest_roots_stats(cs_attest_roots *r, size_t *hits, size_t *misses);

void cs_attest_roots_free(cs_attest_roots *r);

/* What a valid chain vouches for. key is the leaf's subject public key in
 * consign's one encoding (a compressed point in the certificate is expanded),
 * checked for that form (cs_p256_point_form); on the cache's fast path it is
 * not also checked to be on the curve: it is for comparing with a key that
 * was parsed (the record's) or for cs_p256_key_parse (an attestation key),
 * either of which refuses a point off the curve. */
typedef struct cs_attest_leaf {
	size_t root;                    /* the pinned root the path ends at */
	uint8_t key[CS_P256_PT_LEN];    /* the leaf's subject public key */
	int cached;                     /* 1: the upper chain came from the cache */
} cs_attest_leaf;

/* Validates c to one of r's roots and fills *out. The path OpenSSL builds
 * must be exactly the chain given, in order (plus the pinned root when the
 * chain leaves it out): no certificate carried that is not on it. Checked:
 * every signature on the path, CA and path-length constraints, name
 * constraints, unknown critical extensions, key and signature strength
 * (OpenSSL security level 2: RSA >= 2048 bits, no SHA-1), and the leaf
 * itself: not a CA, digitalSignature if it has a key usage, a P-256 key.
 * Not checked: validity dates (no clock: X509_V_FLAG_NO_CHECK_TIME; a device
 * on the line and the office have no trustworthy time, and secure-element
 * certificates are commonly issued to last indefinitely), revocation (no
 * network; a root is retired by a policy rotation), extended key usage.
 *
 * Cache: the first chain with given intermediates (and root) is validated in
 * full; when it passes, its first intermediate, already validated to a pinned
 * root, becomes the only trust anchor for the next chains carrying exactly
 * the same certificates above the leaf (keyed by SHA-256 of their DER), so
 * each of those costs one signature check (the leaf's) plus the same leaf
 * checks. The shortcut is not taken when a certificate above that
 * intermediate carries name constraints or policy constraints, mappings or
 * inhibitAnyPolicy, which apply to the leaf and would be skipped. When the
 * intermediate has a P-256 key and no such extension itself, a leaf signed
 * with ECDSA-SHA256 over an uncompressed P-256 key is checked without
 * X509_verify_cert (OpenSSL 3.0's key decoding in d2i_X509 costs more than
 * the signature): issued-by (X509_check_issued), the signature over the
 * TBSCertificate as carried, critical and undecodable extensions, the leaf
 * rules; any other leaf goes through X509_verify_cert with the
 * intermediate as the only trust anchor.
 *
 * Reasons (CS_REJECT unless said): "attest-malformed" (CS_MALFORMED: a
 * certificate that is not one DER certificate, or above the limits),
 * "attest-chain-root" (no path to a pinned root: unknown issuer, an unpinned
 * self-signed root), "attest-chain-invalid" (a path to a pinned root that
 * fails a check above, or certificates not on it), "attest-leaf-key" (the
 * leaf's key is not P-256). CS_MALFORMED "system" when memory runs out. */
CS_MUST int cs_attest_chain_verify(cs_attest_roots *r, const cs_attest_chain *c, cs_attest_leaf *out,
    cs_err *e);

/* One certificate parsed once for the cheap and the deep checks of a record
 * (a chain's leaf): der borrows from the input, x is OpenSSL's parse without
 * a key object. A zeroed struct holds nothing. */
typedef struct cs_attest_cert {
	void *x;
	const uint8_t *der;
	size_t len;
} cs_attest_cert;

/* Parses der[0..len) as exactly one DER certificate of at most
 * CS_ATTEST_CERT_MAX bytes; CS_MALFORMED "attest-malformed" otherwise
 * ("system" when memory runs out). No signature or rule is checked. */
CS_MUST int cs_attest_cert_parse(cs_attest_cert *c, const uint8_t *der, size_t len, cs_err *e);
void cs_attest_cert_free(cs_attest_cert *c);

/* The subject key of a parsed certificate, without any validation: for the
 * cheap binding check (leaf key == record key) where the signatures are not
 * verified (the cloud's verify without --deep). Refused: a key that is not
 * P-256 ("attest-leaf-key"). A compressed point is expanded. */
CS_MUST int cs_attest_cert_key(uint8_t key[CS_P256_PT_LEN], const cs_attest_cert *c, cs_err *e);

/* cs_attest_chain_verify with the leaf already parsed: leaf, when not NULL,
 * must be cs_attest_cert_parse of c->der[0] (the same bytes; otherwise it is
 * not used and the leaf is parsed again). The verdict is the same. */
CS_MUST int cs_attest_chain_verify_leaf(cs_attest_roots *r, const cs_attest_chain *c,
    const cs_attest_cert *leaf, cs_attest_leaf *out, cs_err *e);

/* CS_OK when the leaf's key is key (the record's device key or the token's
 * attestation key); CS_REJECT "attest-leaf-key" otherwise. */
CS_MUST int cs_attest_leaf_is(const cs_attest_leaf *l, const uint8_t key[CS_P256_PT_LEN], cs_err *e);

/* cs_attest_cert_parse and cs_attest_cert_key of one DER certificate. */
CS_MUST int cs_attest_leaf_key_of(uint8_t key[CS_P256_PT_LEN], const uint8_t *der, size_t len,
    cs_err *e);

/* One DER certificate's subject as one line of printable ASCII (RFC 2253
 * form, other bytes escaped) into out; CS_MALFORMED "attest-malformed" when
 * der is not a certificate. For showing pinned roots and device leaves. */
CS_MUST int cs_attest_cert_subject(char out[CS_ATTEST_NAME_MAX], const uint8_t *der, size_t len,
    cs_err *e);

/* Appends one DER certificate as PEM ("-----BEGIN CERTIFICATE-----") to out,
 * for clouds that register device certificates. */
CS_MUST int cs_attest_cert_pem(cs_buf *out, const uint8_t *der, size_t len, cs_err *e);

#endif
