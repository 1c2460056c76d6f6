/* The random values artifacts are made with: a new deployment's id, an
 * order's batch nonce. Drawn here, in one place, from libsodium. */
#include "verify/trust.h"

#include <sodium.h>

void
cs_policy_fresh(cs_policy *p)
{
	randombytes_buf(p->deployment, CS_DEPLOY_LEN);
	p->version = 1;
	p->has_prev = 0;
}

void
cs_order_fresh(cs_order *o)
{
	randombytes_buf(o->nonce, CS_NONCE_LEN);
}
