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

/* What to seal: the journal in dir, of order (whose envelope is order_env
 * and payload digest order_digest), into out; created is the header's time
 * (information only). Every pointer must outlive the cs_seal. */
typedef struct cs_seal_args {
	const char *dir;
	const cs_order *order;
	const uint8_t *order_digest;
	const uint8_t *order_env;
	size_t order_len;
	const char *out;
	time_t created;
} cs_seal_args;

typedef struct cs_seal cs_seal;

/* Checks everything that needs no secret, before anyone is asked for a
 * passphrase or PIN: that the order allows station_pk
 * (station-not-allowed, no subject: the caller names its key), that dir
 * holds the order's journal, and streams its records into a temporary
 * file in dir (never held in memory). Errors name dir. */
CS_MUST int cs_seal_open(cs_seal **s, const cs_seal_args *a, const uint8_t station_pk[CS_PK_LEN],
    cs_err *e);
/* Records found in the journal. */
uint64_t cs_seal_count(const cs_seal *s);
/* Signs the header with key (the station key checked by cs_seal_open),
 * writes the batch zip atomically, and reads the synced temporary archive
 * back with cs_station_seal_check (from the medium, its cached pages
 * dropped) before it is renamed onto out; on any failure out is left as it
 * was (errors about it name out). */
CS_MUST int cs_seal_finish(cs_seal *s, const cs_signer *key, cs_seal_result *res, cs_err *e);
/* Removes the temporary records file and frees s (NULL is fine). */
void cs_seal_close(cs_seal *s);

/* Reads a batch zip back: exactly the three entries in order, stored, within
 * their limits, each read to its end (CRC); the header signed by station_pk
 * (when not NULL) for this order; the order entry byte for byte order_env;
 * the records' SHA-256 and count as the header says, each one a canonical
 * record envelope. Not the full verifier (consign verify): no custodian,
 * proof-of-possession or uniqueness checks. */
CS_MUST int cs_station_seal_check(const char *zip, const cs_order *o, const uint8_t od[CS_DIGEST_LEN],
    const uint8_t *order_env, size_t order_len, const uint8_t *station_pk, cs_seal_result *res,
    cs_err *e);

#endif
