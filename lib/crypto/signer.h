/* A key that signs: its secret either in this process (a key file's, in
 * sodium_malloc'd memory) or in a token that never lets it out (p11.h).
 * Everything that signs goes through one, and every signature it makes is
 * checked with libsodium against the public key before anyone sees it. */
#ifndef CS_SIGNER_H
#define CS_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sig.h"
#include "util/err.h"

typedef struct cs_signer {
	uint8_t pk[CS_PK_LEN];
	/* makes a plain Ed25519 signature of msg; CS_OK or a failure in e */
	int (*sign)(void *key, uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len, cs_err *e);
	void *key; /* [borrow] the implementation's state; outlives the signer */
} cs_signer;

/* A signer on libsodium's 64-byte secret key sk [borrow]. */
void cs_signer_sk(cs_signer *s, const uint8_t sk[CS_SK_LEN]);

/* Signs msg, then verifies the signature against s->pk with libsodium: a
 * signature that does not verify is never returned (CS_MALFORMED,
 * "self-check"; sig is zeroed). */
CS_MUST int cs_signer_sign(const cs_signer *s, uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len,
    cs_err *e);

#endif
