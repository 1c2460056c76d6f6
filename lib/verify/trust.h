/* Who may sign what: counting distinct custodian signatures against a policy,
 * policy rotation, and an order's binding to its policy. */
#ifndef CS_TRUST_H
#define CS_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "format/artifact.h"
#include "format/cose.h"
#include "util/err.h"

enum cs_sig_state {
	CS_SIGN_VALID,    /* counted */
	CS_SIGN_BAD,      /* kid of a custodian, signature does not verify */
	CS_SIGN_UNKNOWN,  /* kid of no custodian of this policy */
	CS_SIGN_REPEAT,   /* valid, but this custodian was already counted */
};

typedef struct cs_quorum {
	size_t valid;                       /* distinct custodians with a valid signature */
	size_t nsig;
	enum cs_sig_state state[CS_COSE_MAX_SIGS];
	int who[CS_COSE_MAX_SIGS];          /* custodian index, -1 when unknown */
	int counted[CS_MAX_CUSTODIANS];     /* 1: this custodian's signature counted */
} cs_quorum;

/* Classifies every signature of c against the custodians of p. Only valid
 * signatures by distinct custodians count; nothing else changes the count. */
void cs_quorum_count(cs_quorum *q, const cs_cose *c, const cs_policy *p);

/* A decoded signed artifact: the envelope, and its payload digest. */
typedef struct cs_signed {
	cs_cose cose;
	uint8_t digest[CS_DIGEST_LEN];
} cs_signed;

/* Decodes a policy envelope (COSE_Sign of kind "policy") and its payload. */
CS_MUST int cs_policy_load(cs_signed *s, cs_policy *p, const uint8_t *b, size_t n, cs_err *e);
/* Decodes an order envelope (COSE_Sign of kind "order") and its payload. */
CS_MUST int cs_order_load(cs_signed *s, cs_order *o, const uint8_t *b, size_t n, cs_err *e);

/* A first policy (version 1) is checked against its own custodians: CS_OK
 * with M valid distinct signatures, else CS_REJECT "policy-threshold". Its
 * trust comes from the verifier pinning its digest, not from this check. */
CS_MUST int cs_policy_verify_self(const cs_signed *s, const cs_policy *p, cs_quorum *q, cs_err *e);

/* A rotation from the pinned policy old to next: same deployment, version
 * exactly old+1 naming old's digest, M of old's custodians and M of next's.
 * The same digest as old is accepted as old itself (re-verified). Reasons:
 * policy-deployment, policy-rollback, policy-fork, policy-predecessor,
 * policy-threshold-previous, policy-threshold. qold / qnew are filled. */
CS_MUST int cs_policy_verify_rotation(const cs_signed *olds, const cs_policy *old, const cs_signed *news,
    const cs_policy *next, cs_quorum *qold, cs_quorum *qnew, cs_err *e);

/* An order under policy p (digest pd): deployment, policy digest, M valid
 * distinct signatures. Reasons: order-deployment, order-policy, order-threshold. */
CS_MUST int cs_order_verify(const cs_signed *s, const cs_order *o, const cs_policy *p,
    const uint8_t pd[CS_DIGEST_LEN], cs_quorum *q, cs_err *e);

/* A first policy: a new random deployment id, version 1, no predecessor
 * (lib/verify/fresh.c). */
void cs_policy_fresh(cs_policy *p);
/* A new order's random batch nonce: every record of its batch repeats it. */
void cs_order_fresh(cs_order *o);

/* Decodes a withdrawal envelope (COSE_Sign of kind "withdrawal"). */
CS_MUST int cs_withdrawal_load(cs_signed *s, cs_withdrawal *w, const uint8_t *b, size_t n, cs_err *e);

/* A withdrawal under policy p (digest pd): deployment, policy digest, M
 * valid distinct signatures. Reasons: withdrawal-deployment,
 * withdrawal-policy, withdrawal-threshold. */
CS_MUST int cs_withdrawal_verify(const cs_signed *s, const cs_withdrawal *w, const cs_policy *p,
    const uint8_t pd[CS_DIGEST_LEN], cs_quorum *q, cs_err *e);

/* 1 when M <= N/2: two disjoint groups of M could then sign two different
 * successors, so callers warn. */
CS_MUST int cs_policy_split_risk(const cs_policy *p);

#endif
