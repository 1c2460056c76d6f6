/* The crypto port on libsodium, for hosts and for the reference firmware.
 * sodium_init() is not needed by these functions and is not called here:
 * they keep no state and choose no implementation at run time (a host
 * program calls cs_crypto_init for the rest of libsodium). In firmware that
 * keeps out libsodium's random source and the code sodium_init selects. */
#include "crypto/port.h"

#include <sodium.h>

_Static_assert(CS_PORT_SK_LEN == crypto_sign_SECRETKEYBYTES, "libsodium's secret key layout");
_Static_assert(CS_PORT_SEED_LEN == crypto_sign_SEEDBYTES, "libsodium's seed length");

void
cs_port_keypair(uint8_t pk[CS_PORT_PK_LEN], uint8_t sk[CS_PORT_SK_LEN],
    const uint8_t seed[CS_PORT_SEED_LEN])
{
	crypto_sign_seed_keypair(pk, sk, seed);
}

void
cs_port_sign(uint8_t sig[CS_PORT_SIG_LEN], const uint8_t *msg, size_t n,
    const uint8_t sk[CS_PORT_SK_LEN])
{
	crypto_sign_detached(sig, NULL, msg, n, sk);
}

int
cs_port_verify(const uint8_t sig[CS_PORT_SIG_LEN], const uint8_t *msg, size_t n,
    const uint8_t pk[CS_PORT_PK_LEN])
{
	return crypto_sign_verify_detached(sig, msg, n, pk) == 0 ? 0 : -1;
}

int
cs_port_point_valid(const uint8_t pk[CS_PORT_PK_LEN])
{
	return crypto_core_ed25519_is_valid_point(pk) == 1;
}

void
cs_port_sha256(uint8_t out[CS_PORT_SHA256_LEN], const cs_port_part *part, size_t nparts)
{
	crypto_hash_sha256_state st;
	size_t i;

	crypto_hash_sha256_init(&st);
	for (i = 0; i < nparts; i++)
		crypto_hash_sha256_update(&st, part[i].p, part[i].n);
	crypto_hash_sha256_final(&st, out);
}

int
cs_port_memcmp(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0 ? 0 : -1;
}

void
cs_port_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}
