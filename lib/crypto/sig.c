/* Ed25519 verification with the prime-order check, key ids and digests on
 * the crypto port; libsodium's initialisation and hex for host programs. */
#include "crypto/sig.h"

#include <string.h>

#include "crypto/port.h"

#if __STDC_HOSTED__
#include <sodium.h>

int
cs_crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}
#endif

int
cs_pk_valid(const uint8_t pk[CS_PK_LEN])
{
	return cs_port_point_valid(pk);
}

int
cs_sig_verify(const uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len,
    const uint8_t pk[CS_PK_LEN])
{
	if (!cs_pk_valid(pk))
		return -1;
	return cs_port_verify(sig, msg, len, pk);
}

void
cs_keyid(uint8_t kid[CS_KID_LEN], const uint8_t pk[CS_PK_LEN])
{
	uint8_t h[CS_PORT_SHA256_LEN];
	cs_port_part part = {pk, CS_PK_LEN};

	cs_port_sha256(h, &part, 1);
	memcpy(kid, h, CS_KID_LEN);
}

void
cs_keyid_n(uint8_t kid[CS_KID_LEN], const uint8_t *key, size_t len)
{
	uint8_t h[CS_PORT_SHA256_LEN];
	cs_port_part part = {key, len};

	cs_port_sha256(h, &part, 1);
	memcpy(kid, h, CS_KID_LEN);
}

void
cs_digest(uint8_t out[CS_DIGEST_LEN], const char *kind, const uint8_t *payload, size_t len)
{
	static const uint8_t zero = 0;
	cs_port_part part[3] = {{kind, strlen(kind)}, {&zero, 1}, {payload, len}};

	cs_port_sha256(out, part, 3);
}

#if __STDC_HOSTED__
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
#endif
