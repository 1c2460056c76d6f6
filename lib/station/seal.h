/* consign station seal, the library half: the journal's records streamed
 * into the batch zip (manifests/batch.md) under a header signed by the
 * station key, written atomically, then read back and checked. */
#ifndef CS_SEAL_H
#define CS_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/signer.h"
#include "format/artifact.h"
#include "util/err.h"

typedef struct cs_seal_result {
	uint64_t count;                        /* records in the batch */
	uint64_t unconfirmed;                  /* of which the device never confirmed "done" */
	uint64_t torn;                         /* bytes of a torn journal tail discarded */
	uint8_t records[CS_DIGEST_LEN];        /* SHA-256 of records.cborseq */
	uint8_t header[CS_DIGEST_LEN];         /* the header payload's digest */
} cs_seal_result;

/* Seals the journal in dir (the journal of order o, whose envelope is
 * order_env and payload digest od) into out, signed by the station's key
 * (a key file's or a token's) — which the order must allow
 * (station-not-allowed). The records are streamed through a temporary file
 * in dir, never held in memory. created is the header's time (information).
 * The synced temporary archive is read back with cs_station_seal_check
 * (from the medium where the kernel drops its cached pages) before it is
 * renamed onto out; on any failure out is left as it was. */
int cs_station_seal(const char *dir, const cs_order *o, const uint8_t od[CS_DIGEST_LEN],
    const uint8_t *order_env, size_t order_len, const cs_signer *key, const char *out,
    time_t created, cs_seal_result *res, cs_err *e);

/* Reads a batch zip back: exactly the three entries in order, stored, within
 * their limits, each read to its end (CRC); the header signed by station_pk
 * (when not NULL) for this order; the order entry byte for byte order_env;
 * the records' SHA-256 and count as the header says, each one a canonical
 * record envelope. Not the full verifier (consign verify): no custodian,
 * proof-of-possession or uniqueness checks. */
int cs_station_seal_check(const char *zip, const cs_order *o, const uint8_t od[CS_DIGEST_LEN],
    const uint8_t *order_env, size_t order_len, const uint8_t *station_pk, cs_seal_result *res,
    cs_err *e);

#endif
