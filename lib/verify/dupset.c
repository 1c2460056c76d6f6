/* The keyed fingerprint table and Bloom filter behind duplicate detection. */
#include "verify/dupset.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* A slot, from the top: fingerprint (CS_DUP_FP_BITS), type (3 bits), held
 * (a record holds the value: a candidate not yet seen in the second pass has
 * none), record index (CS_DUP_INDEX_BITS). The type is never 0, so neither
 * is a used slot. */
#define IX_MASK ((UINT64_C(1) << CS_DUP_INDEX_BITS) - 1)
#define HELD (UINT64_C(1) << CS_DUP_INDEX_BITS)
#define TYPE_SHIFT (CS_DUP_INDEX_BITS + 1)
#define FP_SHIFT (CS_DUP_INDEX_BITS + 4)
#define TYPE_MASK 7
#define KEY_MASK (~(HELD | IX_MASK))
#define MAX_RECORDS ((size_t)1 << CS_DUP_INDEX_BITS)
/* The filter: 512-bit blocks (a cache line); a value's block comes from the
 * low FP_SHIFT bits of its hash's first word (the slot keeps the others), its
 * CS_DUP_FILTER_PROBES bits from 9-bit pieces of the second word. */
#define BLOCK_WORDS 8
#define BLOCK_BITS (64 * BLOCK_WORDS)
#define SEL_MASK ((UINT64_C(1) << FP_SHIFT) - 1)

_Static_assert(FP_SHIFT + CS_DUP_FP_BITS == 64, "a slot is 64 bits");
_Static_assert(CS_DUP_FILTER_PROBES * 9 <= 64, "the probes' bits come from one word");
_Static_assert(CS_DUP_INSTANCE <= TYPE_MASK, "every type fits its field");

static size_t
slot_pos(uint64_t fp, size_t nslot)
{
	/* nslot < 2^27 (16/3 * 2^24 + 1) and fp < 2^36, so the product fits */
	return (size_t)((fp * (uint64_t)nslot) >> CS_DUP_FP_BITS);
}

static int
table_alloc(cs_dupset *d, size_t nslot, cs_err *e)
{
	/* calloc: pages are touched only as the table fills */
	if ((d->slot = calloc(nslot, sizeof *d->slot)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory for %zu duplicate slots",
		    nslot);
	d->nslot = nslot;
	return CS_OK;
}

int
cs_dupset_init(cs_dupset *d, size_t max, cs_err *e)
{
	memset(d, 0, sizeof *d);
	if (max > MAX_RECORDS)
		return cs_fail(e, CS_USAGE, "internal", "duplicate set for %zu records", max);
	d->max = max;
	/* every value of every record, at a load of at most 3/4 */
	d->maxused = CS_DUP_SLOTS_PER_RECORD * max;
	d->maxslot = d->maxused / 3 * 4 + 4 + 1;
	randombytes_buf(d->key, sizeof d->key);
	return table_alloc(d, d->maxslot, e);
}

int
cs_dupset_init_filtered(cs_dupset *d, size_t max, size_t scanmax, unsigned per, cs_err *e)
{
	size_t bits;

	memset(d, 0, sizeof *d);
	if (max > MAX_RECORDS)
		return cs_fail(e, CS_USAGE, "internal", "duplicate set for %zu records", max);
	if (per < 1 || per > CS_DUP_SLOTS_PER_RECORD)
		return cs_fail(e, CS_USAGE, "internal", "duplicate set for %u values a record", per);
	if (scanmax > MAX_RECORDS)
		scanmax = MAX_RECORDS;
	if (scanmax < max)
		scanmax = max;
	d->max = max;
	/* candidates are values repeated (at most half of them all) and the
	 * filter's false ones: 3/4 of the slots is room enough */
	d->maxslot = CS_DUP_SLOTS_PER_RECORD * scanmax + 1;
	d->maxused = 3 * scanmax;
	d->filtered = 1;
	bits = per * max * CS_DUP_FILTER_BITS;
	d->nblock = bits / BLOCK_BITS + 1;
	randombytes_buf(d->key, sizeof d->key);
	if ((d->filter = calloc(d->nblock * BLOCK_WORDS, sizeof *d->filter)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory for a %zu-record filter",
		    max);
	return table_alloc(d, d->maxslot < CS_DUP_CAND_MIN ? d->maxslot : CS_DUP_CAND_MIN, e);
}

void
cs_dupset_free(cs_dupset *d)
{
	free(d->slot);
	free(d->filter);
	sodium_memzero(d, sizeof *d);
}

void
cs_dupset_hash(const cs_dupset *d, int type, const uint8_t *v, size_t n, cs_duphash *h)
{
	uint8_t in[1 + CS_DUP_VALUE_MAX], out[crypto_shorthash_siphashx24_BYTES];

	if (n > CS_DUP_VALUE_MAX)
		n = CS_DUP_VALUE_MAX;
	in[0] = (uint8_t)type;
	memcpy(in + 1, v, n);
	crypto_shorthash_siphashx24(out, in, 1 + n, d->key);
	memcpy(&h->a, out, sizeof h->a);
	memcpy(&h->b, out + sizeof h->a, sizeof h->b);
}

int
cs_dupset_same(const cs_duphash *x, const cs_duphash *y)
{
	return x->a >> FP_SHIFT == y->a >> FP_SHIFT;
}

/* Doubles the table (up to maxslot), placing every slot again. */
static int
grow(cs_dupset *d, cs_err *e)
{
	uint64_t *old = d->slot, s;
	size_t nold = d->nslot, i, p, n = 2 * nold;

	if (n > d->maxslot)
		n = d->maxslot;
	if (table_alloc(d, n, e) != CS_OK) {
		d->slot = old;
		d->nslot = nold;
		return CS_MALFORMED;
	}
	for (i = 0; i < nold; i++) {
		if ((s = old[i]) == 0)
			continue;
		for (p = slot_pos(s >> FP_SHIFT, n); d->slot[p] != 0;)
			if (++p == n)
				p = 0;
		d->slot[p] = s;
	}
	free(old);
	return CS_OK;
}

/* Grows a table that would pass a load of 3/4 with one more slot. */
static int
room(cs_dupset *d, cs_err *e)
{
	if (4 * (d->n + 1) > 3 * d->nslot && d->nslot < d->maxslot)
		return grow(d, e);
	return CS_OK;
}

static uint64_t
key_of(int type, const cs_duphash *h)
{
	return (h->a >> FP_SHIFT) << FP_SHIFT | (uint64_t)(type & TYPE_MASK) << TYPE_SHIFT;
}

static uint64_t *
filter_block(const cs_dupset *d, const cs_duphash *h)
{
	return d->filter + ((h->a & SEL_MASK) * (uint64_t)d->nblock >> FP_SHIFT) * BLOCK_WORDS;
}

void
cs_dupset_prefetch(const cs_dupset *d, const cs_duphash *h)
{
	if (d->filtered == 1)
		__builtin_prefetch(filter_block(d, h), 1);
}

int
cs_dupset_scan(cs_dupset *d, int type, const cs_duphash *h, int insert, cs_err *e)
{
	uint64_t *w, bits = h->b, key = key_of(type, h), m;
	size_t pos;
	int k, hit = 1;

	if (d->filtered != 1)
		return cs_fail(e, CS_USAGE, "internal", "the duplicate filter's pass is over");
	w = filter_block(d, h);
	for (k = 0; k < CS_DUP_FILTER_PROBES; k++, bits >>= 9) {
		m = UINT64_C(1) << (bits & 63);
		if ((w[(bits >> 6) & (BLOCK_WORDS - 1)] & m) == 0)
			hit = 0;
		if (insert)
			w[(bits >> 6) & (BLOCK_WORDS - 1)] |= m;
	}
	if (!hit)
		return CS_OK;
	if (room(d, e) != CS_OK)
		return CS_MALFORMED;
	for (pos = slot_pos(key >> FP_SHIFT, d->nslot); d->slot[pos] != 0;) {
		if ((d->slot[pos] & KEY_MASK) == key)
			return CS_OK; /* already a candidate */
		if (++pos == d->nslot)
			pos = 0;
	}
	if (d->n >= d->maxused)
		return cs_fail(e, CS_MALFORMED, "system", "more than %zu repeated values: beyond the "
		    "duplicate table's limit", d->maxused);
	d->slot[pos] = key;
	d->n++;
	return CS_OK;
}

void
cs_dupset_scan_end(cs_dupset *d)
{
	free(d->filter);
	d->filter = NULL;
	d->filtered = 2;
}

int
cs_dupset_check_hash(cs_dupset *d, int type, const cs_duphash *h, const uint8_t *v,
    size_t n, uint32_t index, int insert, cs_dup_confirm confirm, void *ctx, int64_t *first,
    cs_err *e)
{
	uint64_t s, key = key_of(type, h);
	size_t pos, cand = SIZE_MAX;
	int same, known = 0;

	*first = -1;
	if (d->filtered == 1)
		return cs_fail(e, CS_USAGE, "internal", "the duplicate filter's pass is not over");
	if (n > CS_DUP_VALUE_MAX)
		n = CS_DUP_VALUE_MAX;
	/* a new slot is only made in a one-pass table (never grows) or for a
	 * fingerprint collision among candidates; make room before probing */
	if (insert && d->filtered == 2 && room(d, e) != CS_OK)
		return CS_MALFORMED;
	/* linear probing; the table always keeps an empty slot, so this ends */
	for (pos = slot_pos(key >> FP_SHIFT, d->nslot); (s = d->slot[pos]) != 0;) {
		if ((s & KEY_MASK) == key) {
			known = 1;
			if (s & HELD) {
				same = confirm(ctx, (uint32_t)(s & IX_MASK), type, v, n);
				if (same < 0)
					return CS_MALFORMED;
				if (same) {
					*first = (int64_t)(s & IX_MASK);
					return CS_OK;
				}
			} else if (cand == SIZE_MAX) {
				cand = pos;
			}
		}
		if (++pos == d->nslot)
			pos = 0;
	}
	if (!insert || index > IX_MASK)
		return CS_OK;
	if (cand != SIZE_MAX) {
		d->slot[cand] |= HELD | index; /* the candidate's first holder */
		return CS_OK;
	}
	if (d->filtered == 2 && !known)
		return CS_OK; /* not a candidate: no record before or after repeats it */
	if (d->n >= d->maxused) /* a one-pass table: never, 4 values a record */
		return cs_fail(e, CS_MALFORMED, "system", "more than %zu distinct values: beyond the "
		    "duplicate table's limit", d->maxused);
	d->slot[pos] = key | HELD | index;
	d->n++;
	return CS_OK;
}

int
cs_dupset_check(cs_dupset *d, int type, const uint8_t *v, size_t n, uint32_t index,
    int insert, cs_dup_confirm confirm, void *ctx, int64_t *first)
{
	cs_duphash h;
	cs_err e;

	cs_err_clear(&e);
	cs_dupset_hash(d, type, v, n, &h);
	return cs_dupset_check_hash(d, type, &h, v, n, index, insert, confirm, ctx, first, &e);
}
