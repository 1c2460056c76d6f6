/* P-256 keys and ES256 signatures (COSE alg -7) on OpenSSL 3's libcrypto,
 * which the project uses for P-256 and X.509 only (libsodium does the rest). */
#ifndef CS_P256_H
#define CS_P256_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "util/err.h"

/* The one encoding of a P-256 public key in consign: SEC1 uncompressed,
 * 0x04 || x || y, each coordinate 32 bytes big-endian and below p. No
 * compressed form: a key has exactly one byte string, so comparing keys
 * (leaf certificate against record, duplicates, the ledger) is memcmp. */
#define CS_P256_PT_LEN 65
#define CS_P256_SCALAR_LEN 32
/* r || s, 32 bytes each, big-endian: the COSE (and IEEE P1363) form */
#define CS_ES256_SIG_LEN 64
#define CS_COSE_ALG_ES256 (-7)

/* A parsed public key: parse once, verify many. Immutable once made, so one
 * key may be used by several threads at once. */
typedef struct cs_p256_key cs_p256_key;

/* Checks pt[0..len) is a P-256 public key in the encoding above and makes a
 * key of it. Refused (CS_REJECT, reason "p256-key") when the length is not
 * 65, the first byte is not 0x04 (so the one-byte point at infinity 0x00 and
 * compressed points are refused), a coordinate is >= p (non-canonical), or
 * the point is not on the curve; P-256 has cofactor 1, so a point on the
 * curve other than infinity is in the prime-order group. CS_MALFORMED
 * ("system") when OpenSSL fails for want of memory. *out is NULL on failure. */
CS_MUST int cs_p256_key_parse(cs_p256_key **out, const uint8_t *pt, size_t len, cs_err *e);

/* 1 when pt[0..len) has the form above (65 bytes, 0x04, both coordinates
 * below p), without the curve check cs_p256_key_parse adds: for bytes that
 * are only compared with a key that was parsed, or parsed later. */
CS_MUST int cs_p256_point_form(const uint8_t *pt, size_t len);

/* The key's 65-byte encoding. */
const uint8_t *cs_p256_key_point(const cs_p256_key *k);

/* OpenSSL's key object [borrowed]: for X.509 code that compares keys. */
EVP_PKEY *cs_p256_key_evp(const cs_p256_key *k);

void cs_p256_key_free(cs_p256_key *k);

/* 0 when sig (r || s) is a valid ECDSA P-256 / SHA-256 signature of msg
 * under k; -1 otherwise. r and s must each be in [1, n-1] (n the group
 * order), checked before OpenSSL sees them; both s and n - s verify (ECDSA as
 * standardised has no low-S rule, and secure elements produce either). The
 * message is hashed by OpenSSL (EVP_DigestVerify with SHA-256). */
CS_MUST int cs_es256_verify(const cs_p256_key *k, const uint8_t sig[CS_ES256_SIG_LEN],
    const uint8_t *msg, size_t len);

/* The same for a signature in the DER form certificates carry
 * (ECDSA-Sig-Value): OpenSSL parses it and refuses anything but DER, and
 * checks r and s are in [1, n-1]. */
CS_MUST int cs_es256_verify_der(const cs_p256_key *k, const uint8_t *der, size_t der_len,
    const uint8_t *msg, size_t len);

/* The same for a key given as its encoding (parses, verifies, frees): -1 also
 * when pt is not a valid key. For one-off checks; a key used for many
 * signatures should be parsed once. */
CS_MUST int cs_es256_verify_pt(const uint8_t pt[CS_P256_PT_LEN], const uint8_t sig[CS_ES256_SIG_LEN],
    const uint8_t *msg, size_t len);

/* The 65-byte encoding of an OpenSSL public key, 0 when it is an EC key on
 * P-256; -1 for any other key type or curve. */
CS_MUST int cs_p256_point_of(uint8_t pt[CS_P256_PT_LEN], EVP_PKEY *pkey);

/* ---- signing: simulated secure elements, attestation keys of simulated
 * firmware, and the test maker's certificates. A real secure element never
 * lets its scalar out; these exist for the simulator and the tests. */

typedef struct cs_p256_secret cs_p256_secret;

/* A key pair from a 32-byte big-endian scalar d, 1 <= d <= n-1 (CS_USAGE,
 * reason "p256-scalar", otherwise). The caller keeps d in its own protected
 * memory and wipes it; OpenSSL holds its copy in a BIGNUM freed with
 * BN_clear_free when the secret is freed. */
CS_MUST int cs_p256_secret_from_scalar(cs_p256_secret **out, const uint8_t d[CS_P256_SCALAR_LEN],
    cs_err *e);

/* A new key pair whose scalar comes from libsodium's random generator. */
CS_MUST int cs_p256_secret_generate(cs_p256_secret **out, cs_err *e);

/* The public key's 65-byte encoding. */
const uint8_t *cs_p256_secret_point(const cs_p256_secret *sk);

/* OpenSSL's key object [borrowed]: for X509_sign in test tooling. */
EVP_PKEY *cs_p256_secret_evp(const cs_p256_secret *sk);

/* Signs msg (ECDSA P-256 / SHA-256, nonce from OpenSSL's generator), verifies
 * the signature under the public key, and writes r || s to sig. On failure
 * sig is zeroed and CS_MALFORMED returned (reason "self-check" when the new
 * signature does not verify). */
CS_MUST int cs_es256_sign(uint8_t sig[CS_ES256_SIG_LEN], const cs_p256_secret *sk, const uint8_t *msg,
    size_t len, cs_err *e);

void cs_p256_secret_free(cs_p256_secret *sk);

#endif
