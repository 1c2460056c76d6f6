/* Ed25519 verification with the prime-order check, key ids, digests, hex. */
#include "crypto/sig.h"

#include <string.h>

#include <sodium.h>

int
cs_crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int
cs_pk_valid(const uint8_t pk[CS_PK_LEN])
{
	return crypto_core_ed25519_is_valid_point(pk) == 1;
}

int
cs_sig_verify(const uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len,
    const uint8_t pk[CS_PK_LEN])
{
	if (!cs_pk_valid(pk))
		return -1;
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -1;
}

void
cs_keyid(uint8_t kid[CS_KID_LEN], const uint8_t pk[CS_PK_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, CS_PK_LEN);
	memcpy(kid, h, CS_KID_LEN);
}

void
cs_digest(uint8_t out[CS_DIGEST_LEN], const char *kind, const uint8_t *payload, size_t len)
{
	crypto_hash_sha256_state st;
	static const uint8_t zero = 0;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)kind, strlen(kind));
	crypto_hash_sha256_update(&st, &zero, 1);
	crypto_hash_sha256_update(&st, payload, len);
	crypto_hash_sha256_final(&st, out);
}

void
cs_hex(char *out, const uint8_t *p, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

int
cs_unhex(uint8_t *out, size_t n, const char *hex)
{
	size_t got = 0;
	const char *end = NULL;

	if (strlen(hex) != 2 * n)
		return -1;
	if (sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, &end) != 0 || got != n || *end != '\0')
		return -1;
	return 0;
}
