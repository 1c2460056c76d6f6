/* Key files a person can read and copy: a comment line and one line of
 * base64 of canonical CBOR (manifests/keys.md). The secret half is encrypted
 * with a passphrase: Argon2id, then XChaCha20-Poly1305 with the whole header
 * as associated data. */
#ifndef CS_KEYFILE_H
#define CS_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sig.h"
#include "format/artifact.h"
#include "util/buf.h"
#include "util/err.h"

#define CS_KEYFILE_MAX 4096             /* bytes in a key file */
#define CS_SALT_LEN 16
#define CS_XNONCE_LEN 24
#define CS_SEED_LEN 32
/* Bounds on stored KDF parameters, checked before anything is allocated:
 * a crafted file cannot make the reader spend more than the "sensitive"
 * level's 1 GiB, or more than 8 passes. */
#define CS_KDF_OPS_MIN 1
#define CS_KDF_OPS_MAX 8
#define CS_KDF_MEM_MIN 8192ull
#define CS_KDF_MEM_MAX (1ull << 30)

enum cs_kdf_level { CS_KDF_INTERACTIVE, CS_KDF_MODERATE, CS_KDF_SENSITIVE };

typedef struct cs_pubkey {
	char id[CS_ID_MAX + 1];
	char name[CS_NAME_MAX + 1];
	uint8_t pk[CS_PK_LEN];
	uint8_t kid[CS_KID_LEN];
} cs_pubkey;

/* sk points to sodium_malloc'd memory (guard pages, mlock'd) holding
 * libsodium's 64-byte secret key; free it only with cs_seckey_free. */
typedef struct cs_seckey {
	cs_pubkey pub;
	uint64_t opslimit, memlimit;  /* as stored in the file */
	uint8_t *sk;
} cs_seckey;

/* A new key pair from libsodium's RNG. id must be a valid id; name printable
 * (NULL: same as id). */
CS_MUST int cs_seckey_generate(cs_seckey *k, const char *id, const char *name, cs_err *e);

/* Wipes and releases the secret. Safe on a zeroed or already freed key. */
void cs_seckey_free(cs_seckey *k);

/* Appends the public key file's text to out. */
CS_MUST int cs_pubkey_format(cs_buf *out, const cs_pubkey *k);

/* Appends the encrypted secret key file's text to out. */
CS_MUST int cs_seckey_format(cs_buf *out, const cs_seckey *k, const char *pass, size_t passlen,
    enum cs_kdf_level level, cs_err *e);

/* Parses a public key file; the key must be a valid prime-order point. */
CS_MUST int cs_pubkey_parse(cs_pubkey *k, const uint8_t *text, size_t n, cs_err *e);

/* Parses a secret key file's header only (public part and KDF bounds), no
 * passphrase needed: for messages and for checking a file before asking. */
CS_MUST int cs_seckey_parse_public(cs_seckey *k, const uint8_t *text, size_t n, cs_err *e);

/* Parses and decrypts a secret key file. A wrong passphrase (or a tampered
 * file) is CS_REJECT with reason "passphrase"; k->sk is then NULL. */
CS_MUST int cs_seckey_unlock(cs_seckey *k, const uint8_t *text, size_t n, const char *pass,
    size_t passlen, cs_err *e);

#endif
