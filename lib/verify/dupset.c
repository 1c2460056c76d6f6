/* The keyed fingerprint table behind duplicate detection. */
#include "verify/dupset.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define FP_MASK ((UINT64_C(1) << CS_DUP_FP_BITS) - 1)
#define IX_MASK ((UINT64_C(1) << CS_DUP_INDEX_BITS) - 1)

int
cs_dupset_init(cs_dupset *d, size_t max, cs_err *e)
{
	memset(d, 0, sizeof *d);
	if (max > (size_t)1 << CS_DUP_INDEX_BITS)
		return cs_fail(e, CS_USAGE, "internal", "duplicate set for %zu records", max);
	d->max = max;
	d->nslot = CS_DUP_SLOTS_PER_RECORD * max + 1;
	/* calloc: pages are touched only as the table fills */
	if ((d->slot = calloc(d->nslot, sizeof *d->slot)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory for %zu records", max);
	randombytes_buf(d->key, sizeof d->key);
	return CS_OK;
}

void
cs_dupset_free(cs_dupset *d)
{
	free(d->slot);
	sodium_memzero(d, sizeof *d);
}

int
cs_dupset_check(cs_dupset *d, int type, const uint8_t *v, size_t n, uint32_t index,
    int insert, cs_dup_confirm confirm, void *ctx, int64_t *first)
{
	uint8_t in[1 + CS_DUP_VALUE_MAX], h8[crypto_shorthash_BYTES];
	uint64_t h, fp, s;
	size_t pos;
	int same;

	*first = -1;
	if (n > CS_DUP_VALUE_MAX)
		n = CS_DUP_VALUE_MAX;
	in[0] = (uint8_t)type;
	memcpy(in + 1, v, n);
	crypto_shorthash(h8, in, 1 + n, d->key);
	memcpy(&h, h8, sizeof h);
	fp = h & FP_MASK;
	if (fp == 0)
		fp = 1;
	pos = (size_t)(((unsigned __int128)h * d->nslot) >> 64);
	/* linear probing; the table always keeps an empty slot, so this ends */
	while ((s = d->slot[pos]) != 0) {
		if (s >> CS_DUP_INDEX_BITS == fp) {
			same = confirm(ctx, (uint32_t)(s & IX_MASK), type, v, n);
			if (same < 0)
				return CS_MALFORMED;
			if (same) {
				*first = (int64_t)(s & IX_MASK);
				return CS_OK;
			}
		}
		if (++pos == d->nslot)
			pos = 0;
	}
	if (insert && index <= IX_MASK && d->n < 3 * d->max) {
		d->slot[pos] = fp << CS_DUP_INDEX_BITS | index;
		d->n++;
	}
	return CS_OK;
}
