/* A device record's evidence judged against its order and its policy's
 * attestation roots (manifests/formats.md, "Evidence"): one set of rules for
 * the station and both verify engines. */
#ifndef CS_ATTEST_EVIDENCE_H
#define CS_ATTEST_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "attest/chain.h"
#include "attest/psa.h"
#include "format/artifact.h"
#include "util/buf.h"
#include "util/err.h"

/* What one order's records are judged against. The reference values borrow
 * from the order, which must outlive the appraiser. */
typedef struct cs_appraiser {
	unsigned required;                  /* the order's CS_EV_*; 0: nothing is checked */
	uint8_t order_digest[CS_DIGEST_LEN];
	size_t nref;
	cs_psa_refval ref[CS_ORDER_REFS_MAX];
	cs_attest_roots *roots;             /* the policy's roots; NULL when required is 0 */
} cs_appraiser;

/* Readies a for records of order o (digest od) made under policy p. When o
 * requires no evidence, nothing is allocated and every record passes. A
 * policy root that is not one DER certificate is CS_MALFORMED
 * "attest-malformed" naming the root: no record of the order can be judged.
 * CS_MALFORMED "system" when memory runs out. */
CS_MUST int cs_appraiser_init(cs_appraiser *a, const cs_policy *p, const cs_order *o,
    const uint8_t od[CS_DIGEST_LEN], cs_err *e);
void cs_appraiser_free(cs_appraiser *a);

/* What the binding checks parsed of one record, for its signature work to
 * take up rather than parse again (each leaf certificate's parse costs a
 * quarter of its signature check). It borrows from the record. Zero it
 * before cs_evidence_bind; free it after the record. */
typedef struct cs_evidence_work {
	cs_attest_cert se_leaf, iak_leaf;
	cs_psa_token token;
	int have_token;
} cs_evidence_work;

void cs_evidence_work_free(cs_evidence_work *w);

/* The binding checks, which every verifier makes (no signature is checked,
 * only the leaf certificates parsed): each kind the order requires is
 * carried (attest-missing); a secure element's chain certifies the record's
 * own P-256 key (attest-leaf-key, attest-malformed for a leaf that is no
 * certificate); the PSA token decodes in a known profile
 * (attest-token-malformed, attest-token-profile), names the chip whose key
 * heads the attestation key chain (attest-token-instance), carries this
 * record's binding nonce (attest-token-nonce), a SECURED lifecycle
 * (attest-token-lifecycle) and only components among the order's reference
 * values (attest-token-measurement). Evidence the order does not require is
 * not judged. CS_OK, or the first failure in that order with its reason
 * (CS_REJECT, or CS_MALFORMED for the malformed ones); reason "system" when
 * the library or memory failed, which is not the record's fault. What was
 * parsed stays in w (zeroed by the caller) for cs_evidence_verify. */
CS_MUST int cs_evidence_bind(const cs_appraiser *a, const cs_record *r, cs_evidence_work *w,
    cs_err *e);

/* The signature work, after cs_evidence_bind passed with w (NULL: parse
 * again what it parsed): the secure element's
 * chain, then the attestation key's, validated to the policy's roots
 * (attest-chain-root, attest-chain-invalid, attest-malformed above the leaf),
 * and the token's signature under the attestation key
 * (attest-token-signature). scratch (growable) holds the token's
 * Sig_structure. Safe on several threads at once (the roots' cache locks). */
CS_MUST int cs_evidence_verify(const cs_appraiser *a, const cs_record *r,
    const cs_evidence_work *w, cs_buf *scratch, cs_err *e);

/* 1 for the reasons only cs_evidence_verify finds (besides attest-malformed,
 * which either may find): a verifier that does not make the deep checks
 * takes a release's exclusion for them on the custodians' word. */
CS_MUST int cs_evidence_reason_deep(const char *reason);

/* The chip's identity, for duplicate detection: when required (an order's
 * CS_EV_*) asks for firmware evidence and r carries a PSA token that
 * decodes (cs_psa_decode: no certificate parsed, no signature checked), the
 * token's instance id into out, and 1; else 0. It is read whatever else
 * the record fails, so that what counts as a duplicate does not depend on
 * which checks ran; once cs_evidence_bind passed, it is 0x01 || SHA-256 of
 * the attestation key, one value for one chip whatever record it attests. */
CS_MUST int cs_evidence_instance(unsigned required, const cs_record *r,
    uint8_t out[CS_PSA_INSTANCE_ID_LEN]);

#endif
