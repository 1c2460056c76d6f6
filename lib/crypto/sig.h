/* Ed25519 verification as the project means it, key ids and artifact digests. */
#ifndef CS_SIG_H
#define CS_SIG_H

#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

#define CS_PK_LEN 32
#define CS_SK_LEN 64
#define CS_SIG_LEN 64
#define CS_KID_LEN 16
#define CS_DIGEST_LEN 32

/* Initialises libsodium; 0 on success. Every host program calls it first
 * (freestanding builds have neither this nor cs_hex and cs_unhex). */
CS_MUST int cs_crypto_init(void);

/* 1 when pk encodes a point of the prime-order subgroup (not small order,
 * canonical), 0 otherwise. */
CS_MUST int cs_pk_valid(const uint8_t pk[CS_PK_LEN]);

/* 0 when sig is a valid Ed25519 signature of msg under pk AND pk is a valid
 * prime-order point; -1 otherwise. libsodium's own check alone accepts some
 * mixed-order keys (ed25519-speccheck case 3). */
CS_MUST int cs_sig_verify(const uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len,
    const uint8_t pk[CS_PK_LEN]);

/* Key id: the first 16 bytes of SHA-256(pk). */
void cs_keyid(uint8_t kid[CS_KID_LEN], const uint8_t pk[CS_PK_LEN]);

/* The key id of a key of any algorithm, as its bytes are carried: the first
 * 16 bytes of SHA-256(key[0..len)) (a device record's 32-byte Ed25519 or
 * 65-byte P-256 key, formats.md). */
void cs_keyid_n(uint8_t kid[CS_KID_LEN], const uint8_t *key, size_t len);

/* The digest by which one artifact names another:
 * SHA-256(kind || 0x00 || canonical payload). Never over an envelope, so
 * signatures can be added without changing it. */
void cs_digest(uint8_t out[CS_DIGEST_LEN], const char *kind, const uint8_t *payload, size_t len);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void cs_hex(char *out, const uint8_t *p, size_t n);

/* Parses exactly 2n hex digits into out; 0 on success. */
CS_MUST int cs_unhex(uint8_t *out, size_t n, const char *hex);

#endif
