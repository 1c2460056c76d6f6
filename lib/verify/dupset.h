/* Duplicate detection for batch verification: a compact open-addressing
 * table of keyed fingerprints (SipHash-2-4 under a random key drawn per run,
 * so a factory cannot grind values into one probe chain), each confirmed
 * exactly against the earlier record before it counts. 8 bytes a slot,
 * 4 slots a record (3 values at load <= 0.75): 32 bytes per record. */
#ifndef CS_DUPSET_H
#define CS_DUPSET_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CS_DUP_INDEX_BITS 24 /* record indexes below CS_MAX_QUANTITY = 2^24 */
#define CS_DUP_FP_BITS 40
#define CS_DUP_SLOTS_PER_RECORD 4
#define CS_DUP_VALUE_MAX 64  /* longest value (a hardware id) */

enum cs_dup_type { CS_DUP_SERIAL = 1, CS_DUP_KEY = 2, CS_DUP_HWID = 3 };

typedef struct cs_dupset {
	uint64_t *slot;   /* fingerprint << 24 | record index; 0 = empty */
	size_t nslot;
	size_t n;         /* records inserted */
	size_t max;       /* records that fit */
	uint8_t key[16];
} cs_dupset;

/* Exact confirmation: 1 when record index holds the same value of type,
 * 0 when not (a fingerprint collision), -1 on error (e filled by the callee). */
typedef int (*cs_dup_confirm)(void *ctx, uint32_t index, int type, const uint8_t *v, size_t n);

/* A table for max records (max <= 2^24), memory allocated up front. */
int cs_dupset_init(cs_dupset *d, size_t max, cs_err *e) __attribute__((warn_unused_result));
void cs_dupset_free(cs_dupset *d);

/* Looks v up among values of its type and, when it is new and the record
 * still fits (index < 2^24, fewer than max records), inserts it for record
 * index. *first is the earlier record holding the same value, or -1. Each
 * fingerprint match is confirmed with confirm(); only a confirmed match is a
 * duplicate. CS_OK, or CS_MALFORMED when confirm failed. */
int cs_dupset_check(cs_dupset *d, int type, const uint8_t *v, size_t n, uint32_t index,
    int insert, cs_dup_confirm confirm, void *ctx, int64_t *first)
    __attribute__((warn_unused_result));

#endif
