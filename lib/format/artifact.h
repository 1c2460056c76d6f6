/* The signed payloads (manifests/): policy, order, device record, batch header,
 * release, receipt. Encoders write canonical CBOR; decoders use the strict
 * reader and check every field's type and limit. Decoding never allocates:
 * variable-length lists are kept as borrowed bytes and walked with iterators. */
#ifndef CS_ARTIFACT_H
#define CS_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sig.h"
#include "format/cbor.h"
#include "util/buf.h"
#include "util/err.h"

#define CS_FORMAT_VERSION 1
#define CS_DEPLOY_LEN 16
#define CS_NONCE_LEN 32
#define CS_ID_MAX 32          /* custodian, key and batch ids: [A-Za-z0-9._-] */
#define CS_NAME_MAX 64        /* people's names, products: printable ASCII */
#define CS_MAX_CUSTODIANS 16
#define CS_MAX_STATIONS 8
#define CS_HWID_MAX 64
/* A device key is Ed25519 (32 bytes) or, made inside a secure element,
 * P-256 in its one encoding: SEC1 uncompressed, 0x04 || x || y (65 bytes).
 * The length says which; the record's COSE algorithm must agree. */
#define CS_ED25519_KEY_LEN 32
#define CS_P256_KEY_LEN 65
#define CS_DEVICE_KEY_MAX 65
#define CS_FW_MAX 32
#define CS_RECORD_MAX 8192    /* one encoded record envelope */
#define CS_MAX_QUANTITY 16777216ull /* devices in one order / batch */
#define CS_PAYLOAD_MAX 4096   /* policy, order, header payloads */

/* Attestation (formats.md, "Evidence"). A record's evidence map is at most
 * CS_EV_MAX bytes encoded, so a record carrying the most of it stays inside
 * CS_RECORD_MAX with its other fields and its envelope; its chains are 1 to
 * CS_EV_CHAIN_MAX DER certificates of at most CS_EV_CERT_MAX bytes (the
 * limits of lib/attest/chain.h), its PSA token at most CS_EV_TOKEN_MAX. */
#define CS_EV_MAX 7168
#define CS_EV_CHAIN_MAX 4
#define CS_EV_CERT_MAX 2048
#define CS_EV_TOKEN_MAX 4096
/* The kinds of evidence an order requires and a record carries (bits). */
#define CS_EV_SE 1u           /* a secure element's certificate chain for the device key */
#define CS_EV_FIRMWARE 2u     /* a PSA token from the firmware that made the key */
#define CS_EV_ALL (CS_EV_SE | CS_EV_FIRMWARE)
/* A policy's attestation roots: at most CS_POLICY_ROOTS_MAX, each one DER
 * certificate of at most CS_EV_CERT_MAX bytes; the whole policy payload stays
 * within CS_PAYLOAD_MAX, so a policy still fits the wire's envelope. */
#define CS_POLICY_ROOTS_MAX 4
/* An order's firmware reference values: measurement value and signer id of
 * 32, 48 or 64 bytes (SHA-256, -384, -512), an optional measurement type. */
#define CS_ORDER_REFS_MAX 16
#define CS_REF_TYPE_MAX 32
#define CS_REF_HASH_MAX 64

#define CS_KIND_POLICY "policy"
#define CS_KIND_ORDER "order"
#define CS_KIND_RECORD "record"
#define CS_KIND_HEADER "batch-header"
#define CS_KIND_RELEASE "release"
#define CS_KIND_RECEIPT "receipt"
#define CS_KIND_WITHDRAWAL "withdrawal"

typedef struct cs_custodian {
	char id[CS_ID_MAX + 1];
	char name[CS_NAME_MAX + 1];
	uint8_t pk[CS_PK_LEN];
} cs_custodian;

/* A maker's certificate the custodians pinned: evidence chains must lead to
 * one of these. der borrows from the decoded payload (or, for the encoder,
 * from the caller). */
typedef struct cs_policy_root {
	char name[CS_NAME_MAX + 1];
	const uint8_t *der;
	size_t len;
} cs_policy_root;

typedef struct cs_policy {
	uint8_t deployment[CS_DEPLOY_LEN];
	uint64_t version;                 /* 1 for the first */
	int has_prev;                     /* version > 1 */
	uint8_t prev[CS_DIGEST_LEN];      /* digest of version - 1 */
	uint64_t threshold;               /* M */
	size_t ncust;                     /* N */
	cs_custodian cust[CS_MAX_CUSTODIANS];
	uint8_t office_pk[CS_PK_LEN];
	size_t nroot;                     /* attestation roots (field 8); 0: none */
	cs_policy_root root[CS_POLICY_ROOTS_MAX];
} cs_policy;

/* One accepted software component: a token's component matches when its
 * measurement value and signer id are these bytes, and its measurement type
 * is type unless type is empty. value and signer borrow like a root's der. */
typedef struct cs_fwref {
	char type[CS_REF_TYPE_MAX + 1];   /* "": any type */
	const uint8_t *value;
	size_t value_len;                 /* 32, 48 or 64 */
	const uint8_t *signer;
	size_t signer_len;                /* 32, 48 or 64 */
} cs_fwref;

typedef struct cs_order {
	uint8_t deployment[CS_DEPLOY_LEN];
	uint8_t policy[CS_DIGEST_LEN];
	char batch[CS_ID_MAX + 1];
	char product[CS_NAME_MAX + 1];
	uint64_t first, last;             /* serial range, inclusive */
	uint64_t quantity;
	uint8_t nonce[CS_NONCE_LEN];
	size_t nstation;
	uint8_t station[CS_MAX_STATIONS][CS_PK_LEN];
	unsigned evidence;                /* CS_EV_* every record must carry (field 11); 0: none */
	size_t nref;                      /* firmware reference values (field 12) */
	cs_fwref ref[CS_ORDER_REFS_MAX];
} cs_order;

/* A record's evidence (field 9) as spans borrowed from the payload: valid as
 * long as the bytes the record was decoded from. The certificates and the
 * token are not parsed here (lib/attest does, in hosted builds). */
typedef struct cs_evidence {
	unsigned kinds;                   /* CS_EV_* carried; 0: no evidence */
	size_t nse;                       /* the secure element's chain, leaf first */
	const uint8_t *se[CS_EV_CHAIN_MAX];
	size_t se_len[CS_EV_CHAIN_MAX];
	const uint8_t *token;             /* the PSA token as the firmware made it */
	size_t token_len;
	size_t niak;                      /* the attestation key's chain, leaf first */
	const uint8_t *iak[CS_EV_CHAIN_MAX];
	size_t iak_len[CS_EV_CHAIN_MAX];
} cs_evidence;

typedef struct cs_record {
	uint8_t deployment[CS_DEPLOY_LEN];
	uint64_t serial;
	uint8_t pk[CS_DEVICE_KEY_MAX];    /* the device key: pk_len bytes */
	size_t pk_len;                    /* CS_ED25519_KEY_LEN or CS_P256_KEY_LEN */
	uint8_t hwid[CS_HWID_MAX];
	size_t hwid_len;
	char firmware[CS_FW_MAX + 1];
	char batch[CS_ID_MAX + 1];
	uint8_t nonce[CS_NONCE_LEN];
	cs_evidence ev;                   /* borrowed from the payload */
} cs_record;

typedef struct cs_header {
	uint8_t deployment[CS_DEPLOY_LEN];
	uint8_t order[CS_DIGEST_LEN];
	char batch[CS_ID_MAX + 1];
	uint64_t count;
	uint8_t records[CS_DIGEST_LEN];   /* SHA-256 of the records entry's bytes */
	uint64_t created;                 /* unix seconds; information only */
	uint8_t station_pk[CS_PK_LEN];
} cs_header;

/* One record left out of a release or refused in a receipt. */
typedef struct cs_exclusion {
	uint64_t index;                   /* 0-based position in the records entry */
	int has_serial;                   /* 0 when the record was unreadable */
	uint64_t serial;
	char reason[CS_REASON_MAX];       /* manifests/reasons.md */
	uint64_t released_in;             /* record-released-*: the earlier release that
					     holds the value (>= 1); 0 for every other reason */
} cs_exclusion;

/* 1 when reason is a per-record code of reasons.md (what an exclusion or a
 * receipt's refusal may carry); cs_reason_batch: a batch-level code (what a
 * receipt's problems may carry). */
CS_MUST int cs_reason_per_record(const char *reason);
/* The per-record code reason if it is one of the attest-* codes, as a
 * string that lives as long as the program (a verdict outlives the error
 * that named it); NULL otherwise. */
const char *cs_reason_attest(const char *reason);
CS_MUST int cs_reason_batch(const char *reason);

/* 1 when reason is one of record-released-serial, -key, -hwid, -instance:
 * the reasons whose exclusion names the earlier release holding the value. */
CS_MUST int cs_reason_released(const char *reason);

/* Which value a record-released-* reason names: 1 serial, 2 device key, 3
 * hardware id, 4 the chip's instance id (the duplicate set's and the
 * released claims' types); 0 for any other reason. */
CS_MUST int cs_reason_released_type(const char *reason);

/* A list of exclusions as borrowed CBOR: walk it with cs_excl_next. */
typedef struct cs_excl_list {
	const uint8_t *p;                 /* the array's items, after its head */
	size_t len;
	size_t n;
} cs_excl_list;

typedef struct cs_release {
	uint8_t deployment[CS_DEPLOY_LEN];
	uint64_t seq;                     /* 1 for the first release */
	int has_prev;
	uint8_t prev[CS_DIGEST_LEN];      /* digest of release seq - 1 */
	uint8_t policy[CS_DIGEST_LEN];
	uint8_t order[CS_DIGEST_LEN];
	char batch[CS_ID_MAX + 1];
	uint8_t header[CS_DIGEST_LEN];    /* digest of the batch header payload */
	uint8_t records[CS_DIGEST_LEN];   /* as in the header */
	uint64_t count;                   /* records in the batch */
	uint64_t accepted;                /* count - excluded */
	cs_excl_list excluded;
} cs_release;

typedef struct cs_receipt {
	uint8_t deployment[CS_DEPLOY_LEN];
	uint8_t header[CS_DIGEST_LEN];
	char batch[CS_ID_MAX + 1];
	uint8_t order[CS_DIGEST_LEN];
	uint64_t count;
	uint64_t accepted;
	cs_excl_list refused;             /* per-record refusals */
	size_t nproblem;                  /* batch-level reasons; 0 when the batch passed */
	char problem[8][CS_REASON_MAX];
} cs_receipt;

#define CS_RECEIPT_MAX_PROBLEMS 8

/* M custodians take back a release that was reserved, and may have been
 * signed, but is not to enter the chain: the ledger frees its sequence only
 * with one, and a cloud given one refuses that release (manifests/release.md). */
typedef struct cs_withdrawal {
	uint8_t deployment[CS_DEPLOY_LEN];
	uint8_t policy[CS_DIGEST_LEN];    /* the policy whose custodians sign it */
	uint64_t seq;                     /* the release's sequence */
	uint8_t release[CS_DIGEST_LEN];   /* the release digest withdrawn */
} cs_withdrawal;

/* Encoders append the canonical payload to out; CS_OK or CS_USAGE when a
 * field is out of its limits (the same limits the decoder enforces). */
CS_MUST int cs_policy_encode(cs_buf *out, const cs_policy *p);
CS_MUST int cs_order_encode(cs_buf *out, const cs_order *o);
CS_MUST int cs_record_encode(cs_buf *out, const cs_record *r);
CS_MUST int cs_header_encode(cs_buf *out, const cs_header *h);
/* x[0..nx) must be in ascending index order. */
CS_MUST int cs_release_encode(cs_buf *out, const cs_release *r, const cs_exclusion *x, size_t nx);
CS_MUST int cs_receipt_encode(cs_buf *out, const cs_receipt *r, const cs_exclusion *x, size_t nx);
CS_MUST int cs_withdrawal_encode(cs_buf *out, const cs_withdrawal *w);

/* Decoders: p[0..n) must be exactly one canonical payload of the kind. A
 * policy's roots, an order's reference values and a record's evidence borrow
 * from p[0..n): they are valid while those bytes are. */
CS_MUST int cs_policy_decode(cs_policy *p, const uint8_t *b, size_t n, cs_err *e);
CS_MUST int cs_order_decode(cs_order *o, const uint8_t *b, size_t n, cs_err *e);
CS_MUST int cs_record_decode(cs_record *r, const uint8_t *b, size_t n, cs_err *e);
CS_MUST int cs_header_decode(cs_header *h, const uint8_t *b, size_t n, cs_err *e);
CS_MUST int cs_release_decode(cs_release *r, const uint8_t *b, size_t n, cs_err *e);
CS_MUST int cs_receipt_decode(cs_receipt *r, const uint8_t *b, size_t n, cs_err *e);
CS_MUST int cs_withdrawal_decode(cs_withdrawal *w, const uint8_t *b, size_t n, cs_err *e);

/* Walks an exclusion list: returns 1 and fills *x while items remain, 0 at the
 * end. *pos starts at 0. The list was fully checked when decoded. */
CS_MUST int cs_excl_next(const cs_excl_list *l, size_t *pos, size_t *i, cs_exclusion *x);

/* Reads only the common fields (format version, deployment id, kind) of any
 * payload, for dispatch; kind gets the kind string. */
CS_MUST int cs_payload_kind(const uint8_t *b, size_t n, char kind[17], uint8_t dep[CS_DEPLOY_LEN],
    cs_err *e);

/* The names of the evidence kinds in ev (CS_EV_*): "secure-element",
 * "firmware", "secure-element+firmware", or "none". */
const char *cs_evidence_name(unsigned ev);

/* 1 if s is a valid id: 1..CS_ID_MAX of [A-Za-z0-9._-]. */
CS_MUST int cs_id_valid(const char *s);
/* 1 if s is 1..max printable ASCII bytes. */
CS_MUST int cs_text_valid(const char *s, size_t max);

#endif
