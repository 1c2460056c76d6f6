/* Duplicate detection for batch verification: serials, device keys,
 * hardware ids and (when the order requires firmware evidence) the PSA
 * instance ids of the chips are unique within a batch, and a repeat is
 * reported with the first record that holds the value. Values are hashed with SipHash under a
 * random key drawn per run, so a factory cannot grind values into one probe
 * chain or one filter block; every fingerprint match is confirmed exactly
 * against the earlier record before it counts.
 *
 * The table: 8-byte slots (a fingerprint, the value's type and the index of
 * the record holding it), open addressing with linear probing. Two ways to
 * fill it:
 *
 * - one pass (cs_dupset_init): every value goes in; up to 4 values and
 *   16/3 slots a record (load 3/4), so 43 bytes a record.
 * - two passes (cs_dupset_init_filtered), what batch verification uses.
 *   The first pass tests and sets every value in a blocked Bloom filter of
 *   CS_DUP_FILTER_BITS bits a value (3.75 bytes a record of 3 values, 5
 *   of 4); a value the
 *   filter may have seen before becomes a candidate, a slot without a
 *   holder. The filter is freed (cs_dupset_scan_end) and the second pass
 *   looks every value up among the candidates only: the first record that
 *   holds one becomes its holder, later ones are confirmed as above. A Bloom
 *   filter has no false negatives, so every real repeat is a candidate;
 *   false candidates (a few in a thousand values) cost a slot each. Memory
 *   is the filter during the first pass, then the candidates. */
#ifndef CS_DUPSET_H
#define CS_DUPSET_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CS_DUP_INDEX_BITS 24 /* record indexes below CS_MAX_QUANTITY = 2^24 */
#define CS_DUP_FP_BITS 36    /* fingerprint bits kept in a slot */
#define CS_DUP_SLOTS_PER_RECORD 4
#define CS_DUP_VALUE_MAX 65  /* longest value (a P-256 device key) */
#define CS_DUP_FILTER_BITS 10 /* filter bits a value: ~1% false candidates when full */
#define CS_DUP_FILTER_PROBES 7 /* bits set per value, all in one 512-bit block */
#define CS_DUP_CAND_MIN 1024  /* candidate slots allocated first (two passes) */

/* CS_DUP_SLOTS_PER_RECORD types at most: a record holds one value of each */
enum cs_dup_type { CS_DUP_SERIAL = 1, CS_DUP_KEY = 2, CS_DUP_HWID = 3, CS_DUP_INSTANCE = 4 };

typedef struct cs_dupset {
	uint64_t *slot;   /* fingerprint, type, held bit, record index; 0 = empty */
	size_t nslot;
	size_t maxslot;   /* the table never grows beyond this */
	size_t maxused;   /* slots in use never exceed this (load 3/4 of maxslot) */
	size_t n;         /* slots in use */
	size_t max;       /* records that fit */
	uint64_t *filter; /* two passes, first pass: the Bloom filter */
	size_t nblock;    /* 512-bit blocks in it */
	int filtered;     /* 1 before cs_dupset_scan_end, 2 after */
	uint8_t key[16];
} cs_dupset;

/* A value's 128-bit keyed hash: the slot's fingerprint and the filter's
 * block and bits all come from it. */
typedef struct cs_duphash {
	uint64_t a, b;
} cs_duphash;

/* Exact confirmation: 1 when record index holds the same value of type,
 * 0 when not (a fingerprint collision), -1 on error (e filled by the callee). */
typedef int (*cs_dup_confirm)(void *ctx, uint32_t index, int type, const uint8_t *v, size_t n);

/* A one-pass table for max records (max <= 2^24) of up to
 * CS_DUP_SLOTS_PER_RECORD values each, memory allocated up front. */
CS_MUST int cs_dupset_init(cs_dupset *d, size_t max, cs_err *e);
/* A two-pass set for max records of per values each (1 to
 * CS_DUP_SLOTS_PER_RECORD: the filter, allocated up front, holds per values
 * for each) in an entry that can hold at most scanmax (>= max): candidates
 * come from all of them, so the table grows as they come, up to
 * CS_DUP_SLOTS_PER_RECORD slots for each of scanmax records (at most 2^24). */
CS_MUST int cs_dupset_init_filtered(cs_dupset *d, size_t max, size_t scanmax, unsigned per,
    cs_err *e);
void cs_dupset_free(cs_dupset *d);

/* Hashes value v of type under d's key (only reads d: any thread). */
void cs_dupset_hash(const cs_dupset *d, int type, const uint8_t *v, size_t n, cs_duphash *h);
/* 1 when two hashes share a slot fingerprint: what a confirmation resolves. */
CS_MUST int cs_dupset_same(const cs_duphash *x, const cs_duphash *y);

/* First pass (two passes only): tests the value in the filter, sets it there
 * when insert is set (its record will be inserted in the second pass), and
 * makes it a candidate when the filter may have seen it. CS_OK, or
 * CS_MALFORMED (out of memory, or more candidates than the table's limit). */
CS_MUST int cs_dupset_scan(cs_dupset *d, int type, const cs_duphash *h, int insert, cs_err *e);
/* Asks the processor for h's filter block ahead of cs_dupset_scan: the
 * filter is larger than the caches, each value a likely miss. */
void cs_dupset_prefetch(const cs_dupset *d, const cs_duphash *h);
/* Ends the first pass: frees the filter. */
void cs_dupset_scan_end(cs_dupset *d);

/* Looks v up among values of its type and, when it is new and the record
 * still fits (index < 2^24, below max records), inserts it for record index
 * (two passes: only when it is a candidate; any other value is new and
 * never repeated). *first is the earlier record holding the same value, or
 * -1. Each fingerprint match is confirmed with confirm(); only a confirmed
 * match is a duplicate. CS_OK, or CS_MALFORMED when confirm failed (the
 * callee filled its own error) or the table cannot take the value.
 * cs_dupset_check_hash takes h from cs_dupset_hash and fills e. */
CS_MUST int cs_dupset_check(cs_dupset *d, int type, const uint8_t *v, size_t n, uint32_t index,
    int insert, cs_dup_confirm confirm, void *ctx, int64_t *first);
CS_MUST int cs_dupset_check_hash(cs_dupset *d, int type, const cs_duphash *h, const uint8_t *v,
    size_t n, uint32_t index, int insert, cs_dup_confirm confirm, void *ctx, int64_t *first,
    cs_err *e);

#endif
