/* SHA-256 for the verifier's hot path: the records digest over every byte
 * of the records entry and each device key's key id. On x86 processors with
 * the SHA extensions it runs them (about five times libsodium's portable
 * code here); anywhere else it is libsodium's crypto_hash_sha256. Same
 * digests either way (tests/unit/verify_sha256.c checks them against
 * libsodium and the FIPS 180-2 examples). */
#ifndef CS_SHA256_H
#define CS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

typedef struct cs_sha256 {
	crypto_hash_sha256_state lib; /* without the extensions */
	uint32_t h[8];
	uint64_t bytes;
	uint8_t buf[64];
	size_t n;
	int ni;
} cs_sha256_state;

void cs_sha256_init(cs_sha256_state *s);
void cs_sha256_update(cs_sha256_state *s, const uint8_t *p, size_t n);
void cs_sha256_final(cs_sha256_state *s, uint8_t out[32]);
void cs_sha256(uint8_t out[32], const uint8_t *p, size_t n);

/* 1 when the SHA extensions are used. */
int cs_sha256_accelerated(void);
/* From now on, libsodium's code only (for tests of that path; call it
 * before any other thread hashes). */
void cs_sha256_portable(void);

#endif
