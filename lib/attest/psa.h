/* Arm PSA initial attestation tokens (RFC 9783 and the profiles before it):
 * COSE_Sign1 ES256 by the chip's attestation key (IAK) over the claims its
 * firmware measured. Decoded strictly, verified under a given IAK, and
 * appraised for consign: the nonce binds the record, the lifecycle is
 * SECURED, every software component is one the order lists. */
#ifndef CS_PSA_H
#define CS_PSA_H

#include <stddef.h>
#include <stdint.h>

#include "attest/cose_es256.h"
#include "attest/p256.h"
#include "util/buf.h"
#include "util/err.h"

#define CS_PSA_TOKEN_MAX 4096      /* bytes of one token */
#define CS_PSA_CLAIMS_MAX 32       /* entries in the claims map */
#define CS_PSA_COMPONENTS_MAX 16   /* software components in one token */
#define CS_PSA_TEXT_MAX 128        /* bytes of a text claim or attribute */
#define CS_PSA_IMPL_ID_LEN 32
#define CS_PSA_INSTANCE_ID_LEN 33  /* UEID type RAND: 0x01 || 32 bytes */
#define CS_PSA_NONCE_LEN 32        /* the binding nonce consign asks for */

/* The profiles taken, by their claim keys:
 *   CS_PSA_PROFILE_1   "PSA_IOT_PROFILE_1" (also spelt "PSA_IoT_PROFILE_1"):
 *                      private-use keys -75000..-75010, boot seed required
 *   CS_PSA_PROFILE_2   "http://arm.com/psa/2.0.0" (TF-M 1.x/2.0): EAT keys
 *                      10, 256, 265 and 2394..2400, boot seed 2397 optional
 *   CS_PSA_PROFILE_TFM "tag:psacertified.org,2023:psa#tfm" (RFC 9783 as
 *                      published): as 2.0.0 but the boot seed is EAT's 268
 * Any other profile value is refused ("attest-token-profile"). */
enum cs_psa_profile {
	CS_PSA_PROFILE_1 = 1,
	CS_PSA_PROFILE_2 = 2,
	CS_PSA_PROFILE_TFM = 3,
};

/* Byte and text spans borrowed from the token; p == NULL when absent. Text
 * is printable ASCII (the strict reader refuses anything else). */
typedef struct cs_psa_bytes {
	const uint8_t *p;
	size_t n;
} cs_psa_bytes;

typedef struct cs_psa_text {
	const char *p;
	size_t n;
} cs_psa_text;

typedef struct cs_psa_component {
	cs_psa_text type;     /* 1 measurement type ("BL", "SPE"...), optional */
	cs_psa_bytes value;   /* 2 measurement value: 32, 48 or 64 bytes */
	cs_psa_text version;  /* 4 version, optional */
	cs_psa_bytes signer;  /* 5 signer id: 32, 48 or 64 bytes */
	cs_psa_text desc;     /* 6 measurement description, optional */
} cs_psa_component;

typedef struct cs_psa_claims {
	enum cs_psa_profile profile;
	int64_t client_id;            /* nonzero, within int32 */
	uint32_t lifecycle;           /* 0..0xffff: major state in bits 15..8 */
	cs_psa_bytes impl_id;         /* CS_PSA_IMPL_ID_LEN bytes */
	cs_psa_bytes boot_seed;       /* profile 1: 32 bytes; later: 8..32, optional */
	cs_psa_text hw_version;       /* certification reference, optional: EAN-13
	                               * (profile 1 only) or EAN-13 "-" 5 digits */
	size_t ncomp;                 /* 1..CS_PSA_COMPONENTS_MAX */
	cs_psa_component comp[CS_PSA_COMPONENTS_MAX];
	cs_psa_bytes nonce;           /* 32, 48 or 64 bytes */
	cs_psa_bytes instance_id;     /* CS_PSA_INSTANCE_ID_LEN bytes, first 0x01 */
	cs_psa_text vsi;              /* verification service indicator, optional */
} cs_psa_claims;

typedef struct cs_psa_token {
	cs_es256_sign1 cose;
	cs_psa_claims claims;
} cs_psa_token;

/* Decodes p[0..n) (at most CS_PSA_TOKEN_MAX bytes) as a tagged COSE_Sign1
 * ES256 (cs_es256_sign1_read) whose payload is one claims map; does not
 * verify the signature. The map's keys may come in any order, never twice;
 * keys of no profile are skipped (but must be strictly encoded too, their
 * text printable ASCII), keys of another profile than the token's refused. Every claim the profile requires must be there with its type and
 * size, software components included (profile 1's "no software
 * measurements" is refused: consign needs measurements to appraise).
 * Refused: CS_MALFORMED "attest-token-malformed" for everything but an
 * unknown or missing profile, which is CS_REJECT "attest-token-profile". */
CS_MUST int cs_psa_decode(cs_psa_token *t, const uint8_t *p, size_t n, cs_err *e);

/* CS_OK when the token's signature verifies under iak; CS_REJECT
 * "attest-token-signature" otherwise. scratch (growable) holds the
 * Sig_structure. */
CS_MUST int cs_psa_verify(const cs_psa_token *t, const cs_p256_key *iak, cs_buf *scratch, cs_err *e);

/* 1 when v is in the SECURED major state (0x3000..0x30ff). */
CS_MUST int cs_psa_lifecycle_secured(uint32_t v);

/* The major state's name ("secured", "non-psa-rot-debug", ...; "invalid"). */
const char *cs_psa_lifecycle_name(uint32_t v);

/* The nonce consign asks a device's firmware to put in its token, binding
 * the token to one record: SHA-256 over the 20 ASCII bytes
 * "consign-psa-nonce-v1", the order's 32-byte digest (cs_digest of the order
 * payload) and the device's public key as the record carries it (32 bytes
 * Ed25519, or the 65-byte uncompressed P-256 point). The key's length tells
 * the algorithm, so the concatenation is unambiguous. */
#define CS_PSA_NONCE_DOMAIN "consign-psa-nonce-v1"
void cs_psa_binding_nonce(uint8_t out[CS_PSA_NONCE_LEN], const uint8_t order_digest[32],
    const uint8_t *device_key, size_t key_len);

/* Reference values an order accepts: a component matches when its
 * measurement value and signer id are equal to one entry's, and its
 * measurement type too when the entry names one (type == NULL: any). */
typedef struct cs_psa_refval {
	const uint8_t *value;
	size_t value_len;
	const uint8_t *signer;
	size_t signer_len;
	const char *type;
} cs_psa_refval;

/* The appraisal checks, each CS_OK or CS_REJECT with its reason:
 * "attest-token-nonce" the nonce is not want (32 bytes);
 * "attest-token-lifecycle" not SECURED;
 * "attest-token-instance" the instance id is not 0x01 || SHA-256(iak), the
 *     construction TF-M and the PSA attestation API use, so one chip has
 *     one instance id whatever key it is asked about;
 * "attest-token-measurement" a software component matching no entry of refs
 *     (message: its index, type and measurement). */
CS_MUST int cs_psa_check_nonce(const cs_psa_claims *c, const uint8_t want[CS_PSA_NONCE_LEN], cs_err *e);
CS_MUST int cs_psa_check_lifecycle(const cs_psa_claims *c, cs_err *e);
CS_MUST int cs_psa_check_instance(const cs_psa_claims *c, const uint8_t iak[CS_P256_PT_LEN], cs_err *e);
CS_MUST int cs_psa_check_components(const cs_psa_claims *c, const cs_psa_refval *refs, size_t nrefs,
    cs_err *e);

/* All of it in order, first failure reported: decode, signature under iak,
 * instance id, nonce, lifecycle, components. *t (may be NULL) receives the
 * decoded token, whose pointers borrow from p. */
CS_MUST int cs_psa_appraise(cs_psa_token *t, const uint8_t *p, size_t n, const cs_p256_key *iak,
    const uint8_t nonce[CS_PSA_NONCE_LEN], const cs_psa_refval *refs, size_t nrefs, cs_err *e);

/* Appends c as a canonical CBOR claims map in its profile's keys (for the
 * simulated attesting firmware and the tests); CS_USAGE when a claim breaks
 * the rules cs_psa_decode applies. */
CS_MUST int cs_psa_encode(cs_buf *out, const cs_psa_claims *c, cs_err *e);

#endif
