/* Ed25519 keys in PKCS#11 tokens: an RFC 7512 URI names the key, p11-kit
 * loads the module, the token signs with CKM_EDDSA and makes key pairs whose
 * secret never leaves it. The signatures are plain Ed25519. */
#ifndef CS_P11_H
#define CS_P11_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/signer.h"
#include "util/err.h"

#define CS_P11_URI_MAX 1024
#define CS_P11_PIN_MAX 256   /* bytes in a PIN */
#define CS_P11_LABEL_MAX 64  /* bytes of a key label consign reads or writes */

typedef struct cs_p11 cs_p11;

/* Where a token (and key) was found, for people. Every text is escaped
 * (cs_escape): labels come from the token. */
typedef struct cs_p11_where {
	char token[4 * 32 + 4];             /* the token's label */
	char maker[4 * 32 + 4];             /* the module's maker ("SoftHSM") */
	unsigned long slot;                 /* the slot's id */
	char label[4 * CS_P11_LABEL_MAX + 4]; /* the key's label ("" before one is found) */
	int pinpad;                         /* the PIN is entered on the token itself */
	int final_try;                      /* the token says one wrong PIN more locks it */
} cs_p11_where;

/* 1 when s is meant as a PKCS#11 URI (starts with "pkcs11:"). */
CS_MUST int cs_p11_is_uri(const char *s);

/* Opens the token that uri names and finds the one Ed25519 key it names, by
 * the key's public object (no PIN is needed for that), into pk. The module is
 * module (a path), else the URI's module-path, else every module p11-kit is
 * configured with (module-name picks one of them). Refused, each with one
 * line: an unreadable URI or one carrying a PIN (usage); a module that does
 * not load or start (token-module); no matching token, or one that cannot
 * sign with CKM_EDDSA (token); no key, or more than one (token-key). *t is
 * NULL on failure. */
CS_MUST int cs_p11_open_key(cs_p11 **t, const char *uri, const char *module, uint8_t pk[CS_PK_LEN],
    cs_err *e);

/* Opens the one token that uri names, to make a key in it (cs_p11_generate);
 * refused as above, and when the token cannot make Ed25519 key pairs. */
CS_MUST int cs_p11_open_token(cs_p11 **t, const char *uri, const char *module, cs_err *e);

/* Where t's token (and key) is. */
void cs_p11_where_is(const cs_p11 *t, cs_p11_where *w);

/* The URI's pin-source as a file path ("file:" dropped), or NULL. */
const char *cs_p11_pin_source(const cs_p11 *t);

/* Logs in as the token's user with pin[0..len) (pin NULL: on the token's
 * PIN pad), once: the token counts wrong PINs, consign never retries. A
 * wrong or locked PIN is CS_REJECT "pin". For a key opened with
 * cs_p11_open_key, then finds its private half and refuses one the token
 * would let out (CKA_EXTRACTABLE true or CKA_SENSITIVE false:
 * token-extractable) or that may not sign (token-key). */
CS_MUST int cs_p11_login(cs_p11 *t, const char *pin, size_t len, cs_err *e);

/* Makes an Ed25519 key pair inside the token (logged in, opened with
 * cs_p11_open_token), labelled label, its CKA_ID the URI's id or else the
 * label's bytes; the secret half sensitive and never extractable, as read
 * back. Refuses when the token already holds an object with that label or
 * id, or the URI names another object (usage). pk gets the public key. */
CS_MUST int cs_p11_generate(cs_p11 *t, const char *label, uint8_t pk[CS_PK_LEN], cs_err *e);

/* Destroys the pair cs_p11_generate made, when what it was made for failed;
 * CS_OK when there is none. */
CS_MUST int cs_p11_destroy_new(cs_p11 *t, cs_err *e);

/* A signer on t's key (after cs_p11_login); valid until cs_p11_close. Each
 * signature is one C_Sign with CKM_EDDSA; cs_signer_sign checks it. */
void cs_p11_signer(cs_p11 *t, cs_signer *s);

/* Logs out, closes the session and releases the modules. NULL is allowed. */
void cs_p11_close(cs_p11 *t);

#endif
