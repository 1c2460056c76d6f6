/* Fuzzes the trust checks on envelopes: input = 2-byte big-endian length L,
 * a policy envelope of L bytes, then a second envelope tried as a rotation of
 * that policy and as an order under it. Invariants: a quorum counts only
 * valid signatures of distinct custodians (never more than the custodians,
 * never a repeat), acceptance means at least M of them, and a refusal
 * carries one of the documented reasons. */
#include "fuzz.h"

#include "verify/trust.h"

static void
check_quorum(const cs_quorum *q, const cs_cose *c, const cs_policy *p)
{
	size_t i, valid = 0, j;

	FUZZ_REQUIRE(q->nsig == c->nsig && q->valid <= p->ncust);
	for (i = 0; i < q->nsig; i++) {
		if (q->state[i] == CS_SIGN_UNKNOWN) {
			FUZZ_REQUIRE(q->who[i] == -1);
			continue;
		}
		FUZZ_REQUIRE(q->who[i] >= 0 && (size_t)q->who[i] < p->ncust);
		if (q->state[i] == CS_SIGN_VALID) {
			valid++;
			for (j = 0; j < i; j++)
				FUZZ_REQUIRE(q->state[j] != CS_SIGN_VALID || q->who[j] != q->who[i]);
		}
	}
	FUZZ_REQUIRE(valid == q->valid);
}

static int
reason_is(const cs_err *e, const char *const *ok)
{
	for (; *ok != NULL; ok++)
		if (strcmp(e->reason, *ok) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const self_r[] = {"policy-threshold", NULL};
	static const char *const rot_r[] = {"policy-deployment", "policy-rollback", "policy-fork",
	    "policy-predecessor", "policy-threshold-previous", "policy-threshold", NULL};
	static const char *const ord_r[] = {"order-deployment", "order-policy", "order-threshold",
	    NULL};
	static cs_signed ps, s2;
	static cs_policy p, p2;
	static cs_order o;
	static cs_quorum q, q2;
	const uint8_t *pd, *d2;
	size_t pn, n2;
	cs_err e;
	int rc;

	fuzz_init();
	if (!fuzz_split(data, size, &pd, &pn, &d2, &n2))
		return 0;
	cs_err_clear(&e);
	if ((rc = cs_policy_load(&ps, &p, pd, pn, &e)) != CS_OK) {
		fuzz_check_err(rc, &e);
		return 0;
	}
	FUZZ_REQUIRE(p.threshold >= 1 && p.threshold <= p.ncust);
	rc = cs_policy_verify_self(&ps, &p, &q, &e);
	check_quorum(&q, &ps.cose, &p);
	FUZZ_REQUIRE(rc == CS_OK ? q.valid >= p.threshold : q.valid < p.threshold);
	if (rc != CS_OK) {
		fuzz_check_err(rc, &e);
		FUZZ_REQUIRE(rc == CS_REJECT && reason_is(&e, self_r));
	}

	cs_err_clear(&e);
	if (cs_policy_load(&s2, &p2, d2, n2, &e) == CS_OK) {
		rc = cs_policy_verify_rotation(&ps, &p, &s2, &p2, &q, &q2, &e);
		if (rc == CS_OK) {
			FUZZ_REQUIRE(memcmp(p.deployment, p2.deployment, CS_DEPLOY_LEN) == 0);
			FUZZ_REQUIRE(memcmp(ps.digest, s2.digest, CS_DIGEST_LEN) == 0 ||
			    (p2.version == p.version + 1 && p2.has_prev &&
				memcmp(p2.prev, ps.digest, CS_DIGEST_LEN) == 0 &&
				q.valid >= p.threshold && q2.valid >= p2.threshold));
		} else {
			fuzz_check_err(rc, &e);
			FUZZ_REQUIRE(rc == CS_REJECT && reason_is(&e, rot_r));
		}
	}
	cs_err_clear(&e);
	if (cs_order_load(&s2, &o, d2, n2, &e) == CS_OK) {
		rc = cs_order_verify(&s2, &o, &p, ps.digest, &q, &e);
		if (rc == CS_OK) {
			check_quorum(&q, &s2.cose, &p);
			FUZZ_REQUIRE(q.valid >= p.threshold);
			FUZZ_REQUIRE(memcmp(o.policy, ps.digest, CS_DIGEST_LEN) == 0);
		} else {
			fuzz_check_err(rc, &e);
			FUZZ_REQUIRE(rc == CS_REJECT && reason_is(&e, ord_r));
		}
	}
	return 0;
}
