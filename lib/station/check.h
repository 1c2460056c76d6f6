/* What the station checks in each record a device returns, and the records
 * of the batch so far (no serial, device key, hardware id or chip twice). */
#ifndef CS_STATION_CHECK_H
#define CS_STATION_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "attest/evidence.h"
#include "format/artifact.h"
#include "util/err.h"

/* Checks one record envelope against the order: a canonical COSE_Sign1 of
 * kind record (record-malformed), a valid device key (record-key-invalid:
 * Ed25519 of the prime-order subgroup, or P-256), signed by that key with
 * its algorithm and a matching kid (record-signature), and the order's
 * deployment, batch id and nonce and a serial in its range
 * (record-deployment, record-batch, record-nonce, record-serial-range).
 * Then, when ap (may be NULL) requires evidence, the record's evidence in
 * full: the binding checks and the chains and token signature
 * (lib/attest/evidence.h, reasons attest-*).
 * Fills *r (its evidence borrows from env) and the record's payload digest.
 * Allocation-free for an Ed25519 key without evidence; a P-256 key and
 * evidence are parsed by OpenSSL, whose failure (not the record's) is
 * CS_MALFORMED "system". */
CS_MUST int cs_station_check_record(const cs_order *o, const cs_appraiser *ap, const uint8_t *env,
    size_t n, cs_record *r, uint8_t digest[CS_DIGEST_LEN], cs_err *e);

/* One record of the batch as the station remembers it. */
typedef struct cs_seen_rec {
	uint64_t serial;
	uint8_t key[CS_DIGEST_LEN];     /* SHA-256 of the device key (32 or 65 bytes) */
	uint8_t hwid[CS_DIGEST_LEN];    /* SHA-256 of the hardware id */
	uint8_t digest[CS_DIGEST_LEN];  /* the record's payload digest */
	uint8_t inst[CS_PSA_INSTANCE_ID_LEN]; /* its chip's instance id, when has_inst */
	uint8_t has_inst;
	int confirmed;                  /* its device said it got "done" */
} cs_seen_rec;

/* The batch so far: records by index, and four hash indexes (SipHash with a
 * random key, so devices cannot choose colliding values). Grows as needed,
 * never beyond CS_MAX_QUANTITY records. */
typedef struct cs_seen {
	cs_seen_rec *rec;
	size_t n, cap;
	uint32_t *by_serial, *by_key, *by_hwid, *by_inst; /* slots hold index + 1; 0 is empty */
	size_t slots;                           /* a power of two, at least 2 * cap */
	unsigned evidence;                      /* the order's CS_EV_*, set after cs_seen_init:
						   with CS_EV_FIRMWARE the chips' instance
						   ids are kept (cs_evidence_instance) */
	uint8_t hkey[16];
} cs_seen;

CS_MUST int cs_seen_init(cs_seen *s, cs_err *e);
void cs_seen_free(cs_seen *s);

/* The SHA-256 of a hardware id, as the index keeps it. */
void cs_seen_hwid_digest(uint8_t out[CS_DIGEST_LEN], const uint8_t *hwid, size_t n);

/* The SHA-256 of a device key, as the index keeps it. */
void cs_seen_key_digest(uint8_t out[CS_DIGEST_LEN], const uint8_t *key, size_t n);

/* Index of the record with this serial / key digest / hardware id digest, or -1. */
int64_t cs_seen_serial(const cs_seen *s, uint64_t serial);
int64_t cs_seen_key(const cs_seen *s, const uint8_t key[CS_DIGEST_LEN]);
int64_t cs_seen_hwid(const cs_seen *s, const uint8_t hwid[CS_DIGEST_LEN]);
/* Index of the record whose chip has this instance id, or -1. */
int64_t cs_seen_instance(const cs_seen *s, const uint8_t inst[CS_PSA_INSTANCE_ID_LEN]);

/* Adds r (with its payload digest) as the next index. CS_REJECT with
 * record-duplicate-serial / -key / -hwid / -instance when one is already
 * there (then nothing is added); too-large above CS_MAX_QUANTITY. */
CS_MUST int cs_seen_add(cs_seen *s, const cs_record *r, const uint8_t digest[CS_DIGEST_LEN],
                        cs_err *e);

/* Adds the record envelope rec (n bytes), index of the station's own
 * journal, as cs_seen_add does. An envelope that does not decode is
 * CS_MALFORMED with the decoder's reason; with strict, one that is not a
 * COSE_Sign1 of kind record is journal-corrupt. Every failure's message
 * starts "journal record INDEX". */
CS_MUST int cs_seen_add_journaled(cs_seen *s, uint64_t index, const uint8_t *rec, size_t n,
    int strict, cs_err *e);

#endif
