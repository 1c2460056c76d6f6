/* The device agent's cryptography, all of it: Ed25519 (RFC 8032) key pairs
 * from a seed, signatures and their verification, the prime-order check of
 * a public key, SHA-256, a constant-time comparison and wiping. A firmware
 * with a secure element or a hardware accelerator replaces the one file that
 * implements this (lib/crypto/port_sodium.c: libsodium, used on hosts and in
 * the reference firmware). Nothing here allocates or keeps state. */
#ifndef CS_PORT_H
#define CS_PORT_H

#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

#define CS_PORT_SEED_LEN 32
#define CS_PORT_PK_LEN 32
#define CS_PORT_SK_LEN 64 /* the seed, then the public key */
#define CS_PORT_SIG_LEN 64
#define CS_PORT_SHA256_LEN 32

/* The key pair of seed: pk, and sk = seed || pk. */
void cs_port_keypair(uint8_t pk[CS_PORT_PK_LEN], uint8_t sk[CS_PORT_SK_LEN],
    const uint8_t seed[CS_PORT_SEED_LEN]);

/* The Ed25519 signature of msg[0..n) by sk. */
void cs_port_sign(uint8_t sig[CS_PORT_SIG_LEN], const uint8_t *msg, size_t n,
    const uint8_t sk[CS_PORT_SK_LEN]);

/* 0 when sig is a valid Ed25519 signature of msg[0..n) under pk (with a
 * canonical S and R and pk not of small order), -1 otherwise. */
CS_MUST int cs_port_verify(const uint8_t sig[CS_PORT_SIG_LEN], const uint8_t *msg, size_t n,
    const uint8_t pk[CS_PORT_PK_LEN]);

/* 1 when pk is the canonical encoding of a point of the prime-order
 * subgroup other than the identity, 0 otherwise. */
CS_MUST int cs_port_point_valid(const uint8_t pk[CS_PORT_PK_LEN]);

/* One piece of a message hashed in pieces. */
typedef struct cs_port_part {
	const void *p;
	size_t n;
} cs_port_part;

/* SHA-256 of the concatenation of part[0..nparts). */
void cs_port_sha256(uint8_t out[CS_PORT_SHA256_LEN], const cs_port_part *part, size_t nparts);

/* 0 when a[0..n) and b[0..n) are equal, -1 otherwise, in a time that does
 * not depend on their contents. */
CS_MUST int cs_port_memcmp(const void *a, const void *b, size_t n);

/* Zeroes p[0..n) in a way the compiler does not remove. */
void cs_port_wipe(void *p, size_t n);

#endif
