/* Signing through cs_signer, file keys' implementation, and the self-check. */
#include "crypto/signer.h"

#include <string.h>

#include <sodium.h>

static int
sign_sk(void *key, uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len, cs_err *e)
{
	(void)e;
	crypto_sign_detached(sig, NULL, msg, len, key);
	return CS_OK;
}

void
cs_signer_sk(cs_signer *s, const uint8_t sk[CS_SK_LEN])
{
	/* libsodium's secret key ends with the public key */
	memcpy(s->pk, sk + CS_SK_LEN - CS_PK_LEN, CS_PK_LEN);
	s->sign = sign_sk;
	s->key = (void *)sk;
}

int
cs_signer_sign(const cs_signer *s, uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len,
    cs_err *e)
{
	int rc;

	if ((rc = s->sign(s->key, sig, msg, len, e)) != CS_OK) {
		memset(sig, 0, CS_SIG_LEN);
		return rc;
	}
	/* sign, then verify what was signed, then write */
	if (cs_sig_verify(sig, msg, len, s->pk) != 0) {
		memset(sig, 0, CS_SIG_LEN);
		return cs_fail(e, CS_MALFORMED, "self-check", "the new signature does not verify");
	}
	return CS_OK;
}
