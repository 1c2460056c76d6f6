/* Threshold counting, policy rotation and order binding. Clocks decide nothing. */
#include "verify/trust.h"

#include <string.h>

#include <sodium.h>

void
cs_quorum_count(cs_quorum *q, const cs_cose *c, const cs_policy *p)
{
	uint8_t kids[CS_MAX_CUSTODIANS][CS_KID_LEN], scratch[CS_PAYLOAD_MAX + 512];
	cs_buf sb, big;
	size_t i, j;
	int who, ok;

	memset(q, 0, sizeof *q);
	q->nsig = c->nsig;
	for (j = 0; j < p->ncust; j++)
		cs_keyid(kids[j], p->cust[j].pk);
	cs_buf_fixed(&sb, scratch, sizeof scratch);
	cs_buf_init(&big, c->payload_len + 1024);
	for (i = 0; i < c->nsig; i++) {
		who = -1;
		for (j = 0; j < p->ncust; j++)
			if (memcmp(kids[j], c->s[i].kid, CS_KID_LEN) == 0)
				who = (int)j;
		q->who[i] = who;
		if (who < 0) {
			q->state[i] = CS_SIGN_UNKNOWN;
			continue;
		}
		/* releases can outgrow the fixed scratch (long exclusion lists) */
		ok = cs_cose_verify(c, i, p->cust[who].pk,
			 c->payload_len + c->prot_len + 512 <= sizeof scratch ? &sb : &big) == 0;
		if (!ok)
			q->state[i] = CS_SIGN_BAD;
		else if (q->counted[who])
			q->state[i] = CS_SIGN_REPEAT;
		else {
			q->state[i] = CS_SIGN_VALID;
			q->counted[who] = 1;
			q->valid++;
		}
	}
	cs_buf_free(&big);
}

static int
load(cs_signed *s, const char *kind, const uint8_t *b, size_t n, cs_err *e)
{
	int rc;

	if ((rc = cs_cose_decode(&s->cose, b, n, e)) != CS_OK)
		return rc;
	if (!s->cose.multi || strcmp(s->cose.kind, kind) != 0)
		return cs_fail(e, CS_MALFORMED, "kind", "not %s %s (found a %s of kind %s)",
		    strchr("aeiou", kind[0]) ? "an" : "a", kind,
		    s->cose.multi ? "COSE_Sign" : "COSE_Sign1", s->cose.kind);
	cs_digest(s->digest, kind, s->cose.payload, s->cose.payload_len);
	return CS_OK;
}

int
cs_policy_load(cs_signed *s, cs_policy *p, const uint8_t *b, size_t n, cs_err *e)
{
	int rc;

	if ((rc = load(s, CS_KIND_POLICY, b, n, e)) != CS_OK)
		return rc;
	if ((rc = cs_policy_decode(p, s->cose.payload, s->cose.payload_len, e)) != CS_OK)
		cs_err_prefix(e, "policy payload");
	return rc;
}

int
cs_order_load(cs_signed *s, cs_order *o, const uint8_t *b, size_t n, cs_err *e)
{
	int rc;

	if ((rc = load(s, CS_KIND_ORDER, b, n, e)) != CS_OK)
		return rc;
	if ((rc = cs_order_decode(o, s->cose.payload, s->cose.payload_len, e)) != CS_OK)
		cs_err_prefix(e, "order payload");
	return rc;
}

/* q counts the valid custodian signatures of s under p; fewer than p's
 * threshold is CS_REJECT with reason. */
static int
quorum(const cs_signed *s, const cs_policy *p, cs_quorum *q, const char *reason, cs_err *e)
{
	cs_quorum_count(q, &s->cose, p);
	if (q->valid < p->threshold)
		return cs_fail(e, CS_REJECT, reason,
		    "%zu valid custodian signature%s, policy needs %llu", q->valid,
		    q->valid == 1 ? "" : "s", (unsigned long long)p->threshold);
	return CS_OK;
}

int
cs_policy_verify_self(const cs_signed *s, const cs_policy *p, cs_quorum *q, cs_err *e)
{
	return quorum(s, p, q, "policy-threshold", e);
}

int
cs_policy_verify_rotation(const cs_signed *olds, const cs_policy *old, const cs_signed *news,
    const cs_policy *next, cs_quorum *qold, cs_quorum *qnew, cs_err *e)
{
	memset(qold, 0, sizeof *qold);
	memset(qnew, 0, sizeof *qnew);
	if (sodium_memcmp(old->deployment, next->deployment, CS_DEPLOY_LEN) != 0)
		return cs_fail(e, CS_REJECT, "policy-deployment",
		    "policy belongs to another deployment");
	if (sodium_memcmp(olds->digest, news->digest, CS_DIGEST_LEN) == 0)
		return cs_policy_verify_self(news, next, qnew, e);
	if (next->version < old->version)
		return cs_fail(e, CS_REJECT, "policy-rollback",
		    "version %llu is older than the pinned version %llu",
		    (unsigned long long)next->version, (unsigned long long)old->version);
	if (next->version == old->version)
		return cs_fail(e, CS_REJECT, "policy-fork",
		    "a different policy with the pinned version %llu", (unsigned long long)old->version);
	if (next->version != old->version + 1 || !next->has_prev ||
	    sodium_memcmp(next->prev, olds->digest, CS_DIGEST_LEN) != 0)
		return cs_fail(e, CS_REJECT, "policy-predecessor",
		    "version %llu does not name the pinned version %llu as its predecessor",
		    (unsigned long long)next->version, (unsigned long long)old->version);
	cs_quorum_count(qold, &news->cose, old);
	cs_quorum_count(qnew, &news->cose, next);
	if (qold->valid < old->threshold)
		return cs_fail(e, CS_REJECT, "policy-threshold-previous",
		    "%zu valid signature%s from the previous custodians, rotation needs %llu",
		    qold->valid, qold->valid == 1 ? "" : "s", (unsigned long long)old->threshold);
	if (qnew->valid < next->threshold)
		return cs_fail(e, CS_REJECT, "policy-threshold",
		    "%zu valid signature%s from the new custodians, policy needs %llu", qnew->valid,
		    qnew->valid == 1 ? "" : "s", (unsigned long long)next->threshold);
	return CS_OK;
}

/* A document the custodians sign under a policy (an order, a withdrawal):
 * how messages name it and its reasons. */
struct under {
	const char *name, *deployment, *policy, *threshold;
};

static const struct under order_under = {
	"order", "order-deployment", "order-policy", "order-threshold"};
static const struct under withdrawal_under = {
	"the withdrawal", "withdrawal-deployment", "withdrawal-policy", "withdrawal-threshold"};

/* s, naming deployment dep and policy pol, is bound to p (digest pd) and
 * carries its threshold of valid signatures. */
static int
verify_under(const struct under *u, const cs_signed *s, const uint8_t dep[CS_DEPLOY_LEN],
    const uint8_t pol[CS_DIGEST_LEN], const cs_policy *p, const uint8_t pd[CS_DIGEST_LEN],
    cs_quorum *q, cs_err *e)
{
	memset(q, 0, sizeof *q);
	if (sodium_memcmp(dep, p->deployment, CS_DEPLOY_LEN) != 0)
		return cs_fail(e, CS_REJECT, u->deployment, "%s belongs to another deployment",
		    u->name);
	if (sodium_memcmp(pol, pd, CS_DIGEST_LEN) != 0)
		return cs_fail(e, CS_REJECT, u->policy, "%s was made under another policy", u->name);
	return quorum(s, p, q, u->threshold, e);
}

int
cs_order_verify(const cs_signed *s, const cs_order *o, const cs_policy *p,
    const uint8_t pd[CS_DIGEST_LEN], cs_quorum *q, cs_err *e)
{
	return verify_under(&order_under, s, o->deployment, o->policy, p, pd, q, e);
}

int
cs_policy_split_risk(const cs_policy *p)
{
	return p->threshold * 2 <= p->ncust;
}

int
cs_withdrawal_load(cs_signed *s, cs_withdrawal *w, const uint8_t *b, size_t n, cs_err *e)
{
	int rc;

	if ((rc = load(s, CS_KIND_WITHDRAWAL, b, n, e)) != CS_OK)
		return rc;
	if ((rc = cs_withdrawal_decode(w, s->cose.payload, s->cose.payload_len, e)) != CS_OK)
		cs_err_prefix(e, "withdrawal payload");
	return rc;
}

int
cs_withdrawal_verify(const cs_signed *s, const cs_withdrawal *w, const cs_policy *p,
    const uint8_t pd[CS_DIGEST_LEN], cs_quorum *q, cs_err *e)
{
	return verify_under(&withdrawal_under, s, w->deployment, w->policy, p, pd, q, e);
}
