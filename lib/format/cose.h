/* COSE_Sign1 and COSE_Sign (RFC 9052) with EdDSA, in the project's profile:
 * alg, content type (the artifact's kind) and kid protected; the unprotected
 * header always empty. A device record made in a secure element is signed
 * with ES256 instead (its key is P-256). Decoding is zero-copy and
 * allocation-free. */
#ifndef CS_COSE_H
#define CS_COSE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sig.h"
#include "crypto/signer.h"
#include "format/cbor.h"
#include "util/buf.h"
#include "util/err.h"

#define CS_COSE_TAG_SIGN1 18
#define CS_COSE_TAG_SIGN 98
#define CS_COSE_ALG_EDDSA (-8)
#define CS_COSE_ALG_ES256 (-7) /* device records only: a secure element's P-256 key */
#define CS_COSE_HDR_ALG 1
#define CS_COSE_HDR_CTYPE 3
#define CS_COSE_HDR_KID 4
#define CS_COSE_MAX_SIGS 32   /* signatures one COSE_Sign may carry */
#define CS_KIND_MAX 16
/* content type = CS_CTYPE_PREFIX kind CS_CTYPE_SUFFIX */
#define CS_CTYPE_PREFIX "application/vnd.consign."
#define CS_CTYPE_SUFFIX "+cbor"
#define CS_CTYPE_MAX 64

typedef struct cs_cose_sig {
	const uint8_t *prot;  /* the signer's protected header bytes (Sign1: the only one) */
	size_t prot_len;
	uint8_t kid[CS_KID_LEN];
	int alg;              /* CS_COSE_ALG_EDDSA, or CS_COSE_ALG_ES256 (a record's) */
	const uint8_t *sig;   /* CS_SIG_LEN bytes (ES256: r || s, 32 bytes each) */
} cs_cose_sig;

/* A decoded envelope; every pointer borrows from the input buffer. */
typedef struct cs_cose {
	int multi;                 /* 1: COSE_Sign, 0: COSE_Sign1 */
	const uint8_t *prot;       /* body protected header (Sign) / protected (Sign1) */
	size_t prot_len;
	char kind[CS_KIND_MAX + 1];
	const uint8_t *payload;
	size_t payload_len;
	size_t nsig;               /* Sign1: always 1; Sign: 0 for an unsigned draft */
	cs_cose_sig s[CS_COSE_MAX_SIGS];
} cs_cose;

/* Reads one tagged envelope in the profile at the cursor. ES256 (-7) is
 * taken only in a COSE_Sign1 of kind "record"; anywhere else it is schema. */
CS_MUST int cs_cose_read(cs_cose *c, cs_cr *r);

/* Decodes p[0..n) as exactly one envelope; CS_MALFORMED with a reason otherwise. */
CS_MUST int cs_cose_decode(cs_cose *c, const uint8_t *p, size_t n, cs_err *e);

/* Appends the Sig_structure (ToBeSigned) of signature i of c to out. */
CS_MUST int cs_cose_tbs(cs_buf *out, const cs_cose *c, size_t i);

/* The Sig_structure for arbitrary headers: sign_prot == NULL means Sign1. */
CS_MUST int cs_cose_tbs_raw(cs_buf *out, const uint8_t *body_prot, size_t bp_len,
    const uint8_t *sign_prot, size_t sp_len, const uint8_t *aad, size_t aad_len,
    const uint8_t *payload, size_t plen);

/* 0 when signature i is EdDSA and verifies under pk (scratch holds the
 * ToBeSigned); -1 otherwise (an ES256 signature included). */
CS_MUST int cs_cose_verify(const cs_cose *c, size_t i, const uint8_t pk[CS_PK_LEN],
                           cs_buf *scratch);

/* A signer as it is encoded: headers given as encoded bytes. */
typedef struct cs_cose_raw_signer {
	const uint8_t *prot;
	size_t prot_len;
	const uint8_t *unprot;
	size_t unprot_len;
	const uint8_t *sig;
} cs_cose_raw_signer;

/* Encodes tag 18 [prot, unprot, payload, sig] with caller-made headers. */
CS_MUST int cs_cose_encode_sign1_raw(cs_buf *out, const cs_cose_raw_signer *s,
    const uint8_t *payload, size_t plen);

/* Encodes tag 98 [prot, unprot, payload, [signers]] with caller-made headers. */
CS_MUST int cs_cose_encode_sign_raw(cs_buf *out, const uint8_t *prot, size_t prot_len,
    const uint8_t *unprot, size_t unprot_len, const uint8_t *payload, size_t plen,
    const cs_cose_raw_signer *s, size_t ns);

/* Re-encodes a decoded envelope in the profile, signatures sorted by kid then
 * signature bytes and exact repeats dropped (so merging is order-free). */
CS_MUST int cs_cose_encode(cs_buf *out, const cs_cose *c);

/* The functions below, up to cs_cose_ctype, sign and grow their
 * buffers: hosted builds only (a device signs its record in the agent). */

/* Signs payload as a COSE_Sign1 of the given kind with sk (libsodium's
 * 64-byte secret key), verifies the result, and appends it to out. */
CS_MUST int cs_cose_sign1_create(cs_buf *out, const char *kind, const uint8_t *payload, size_t plen,
    const uint8_t sk[CS_SK_LEN], cs_err *e);

/* The same with any signer (a key file's or a token's); the signature is
 * verified against s->pk before it is encoded. */
CS_MUST int cs_cose_sign1_with(cs_buf *out, const char *kind, const uint8_t *payload, size_t plen,
    const cs_signer *s, cs_err *e);

/* Signs payload as a COSE_Sign1 of kind record with a P-256 secret (ES256,
 * kid of its 65-byte point), verifies the result, and appends it to out: the
 * simulated secure element and the test tools (a real element signs inside
 * itself, through the device agent's HAL). sk is a cs_p256_secret. */
struct cs_p256_secret;
CS_MUST int cs_cose_sign1_es256(cs_buf *out, const uint8_t *payload, size_t plen,
    const struct cs_p256_secret *sk, cs_err *e);

/* Appends an unsigned COSE_Sign draft of the given kind to out. */
CS_MUST int cs_cose_sign_draft(cs_buf *out, const char *kind, const uint8_t *payload, size_t plen);

/* Adds sk's signature to c (already decoded) and appends the new envelope to
 * out; verifies it first. *added is 0 when c already held that very signature. */
CS_MUST int cs_cose_sign_add(cs_buf *out, const cs_cose *c, const uint8_t sk[CS_SK_LEN], int *added,
    cs_err *e);

/* The same with any signer. */
CS_MUST int cs_cose_sign_add_with(cs_buf *out, const cs_cose *c, const cs_signer *s, int *added,
    cs_err *e);

/* A device record's proof of possession: the COSE_Sign1 c (of kind record)
 * signed by the device key key[0..len) it carries, with the key's own
 * algorithm (32 bytes: Ed25519, EdDSA; 65 bytes: P-256, ES256) and key id
 * (cs_keyid_n). CS_OK; CS_REJECT "record-key-invalid" when the key is not a
 * valid point (Ed25519: of the prime-order subgroup; P-256: on the curve, in
 * its one encoding); CS_REJECT "record-signature" when the algorithm is not
 * the key's, the key id is another's or the signature does not verify;
 * CS_MALFORMED "system" when memory runs out. */
CS_MUST int cs_cose_verify_record(const cs_cose *c, const uint8_t *key, size_t len,
    cs_buf *scratch, cs_err *e);

/* The COSE algorithm a device key of len bytes signs with: CS_COSE_ALG_EDDSA
 * (32), CS_COSE_ALG_ES256 (65), 0 for any other length. */
int cs_cose_alg_of_key(size_t len);

/* Content type for a kind; 0 on success. */
CS_MUST int cs_cose_ctype(char out[CS_CTYPE_MAX + 1], const char *kind);

#endif
