/* COSE_Sign1 (RFC 9052) signed with ES256, in the shapes made outside
 * consign: a PSA attestation token (RFC 9783) as Trusted Firmware-M makes
 * it, the COSE WG's examples. The Sig_structure is the project's
 * (cs_cose_tbs_raw) and the bytes are read with its strict CBOR reader, so
 * shortest-form heads and definite lengths are required; map keys may come in
 * any order (TF-M does not sort them), never twice. Decoding is zero-copy. */
#ifndef CS_COSE_ES256_H
#define CS_COSE_ES256_H

#include <stddef.h>
#include <stdint.h>

#include "attest/p256.h"
#include "format/cbor.h"
#include "util/buf.h"
#include "util/err.h"

#define CS_ES256_HDR_MAX 64 /* bytes of an encoded protected header */
#define CS_ES256_KID_MAX 64 /* bytes of a key id */

/* Every pointer borrows from the decoded input. */
typedef struct cs_es256_sign1 {
	const uint8_t *prot;    /* the protected header's bytes, as signed */
	size_t prot_len;
	const uint8_t *kid;     /* key id from either header; NULL when none */
	size_t kid_len;
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *sig;     /* CS_ES256_SIG_LEN bytes: r || s */
} cs_es256_sign1;

/* Reads tag 18 [protected, unprotected, payload, signature] at the cursor.
 * Protected: a map of 1 to 3 entries, alg (1) = -7 required, content type (3:
 * unsigned or text) and kid (4: bytes) allowed. Unprotected: a map holding
 * at most kid (4), and not when the protected header has one. Any other
 * label (crit among them) is refused, as is a detached (nil) payload and a
 * signature that is not 64 bytes. CS_MALFORMED with reason "cbor" or
 * "schema" otherwise. */
CS_MUST int cs_es256_sign1_read(cs_es256_sign1 *s, cs_cr *r);

/* Decodes p[0..n) as exactly one such COSE_Sign1 (no trailing bytes). */
CS_MUST int cs_es256_sign1_decode(cs_es256_sign1 *s, const uint8_t *p, size_t n, cs_err *e);

/* 0 when s's signature verifies under k over the Sig_structure
 * ["Signature1", protected, external_aad (aad, may be NULL/0), payload];
 * -1 otherwise. scratch (growable, emptied first) holds the Sig_structure. */
CS_MUST int cs_es256_sign1_verify(const cs_es256_sign1 *s, const cs_p256_key *k, const uint8_t *aad,
    size_t aad_len, cs_buf *scratch);

/* Appends the protected header {1: -7} (3 bytes) to out. */
CS_MUST int cs_es256_prot(cs_buf *out);

/* Signs payload with sk under the given encoded headers (prot a map holding
 * alg -7, unprot a map, both as cs_es256_sign1_read takes them), verifies the
 * result, and appends tag 18 [prot, unprot, payload, r || s] to out. */
CS_MUST int cs_es256_sign1_create(cs_buf *out, const uint8_t *prot, size_t prot_len,
    const uint8_t *unprot, size_t unprot_len, const uint8_t *payload, size_t plen,
    const cs_p256_secret *sk, cs_err *e);

#endif
