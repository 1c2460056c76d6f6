/* The reference engine of batch and release verification (batch.h): the
 * rules (rules.c) in one loop on the caller's thread, one pass over the
 * records entry, duplicates found in an exact set of every value. Slower
 * and larger than the fast engine, and what the fast one is tested
 * against (tests/cli/verify_engines.sh, tests/fuzz/batch.c). */
#include "verify/rules.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "verify/dupset.h"

/* Every value seen, with the first record holding it: open addressing on
 * SipHash under a key of the run (so a factory cannot line its values up
 * on one probe chain), the values' bytes kept in val. */
struct slot {
	uint64_t h, off;
	uint32_t first;
	uint8_t type, len, used;
};

struct seen {
	struct slot *slot;
	size_t nslot, n;
	uint8_t *val;
	size_t nval, capval;
	uint8_t key[crypto_shorthash_KEYBYTES];
};

static int
grow(struct seen *s)
{
	size_t nn = s->nslot ? 2 * s->nslot : 1024, i, j;
	struct slot *ns;

	if ((ns = calloc(nn, sizeof *ns)) == NULL)
		return -1;
	for (i = 0; i < s->nslot; i++) {
		if (!s->slot[i].used)
			continue;
		for (j = s->slot[i].h & (nn - 1); ns[j].used; j = (j + 1) & (nn - 1))
			;
		ns[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = ns;
	s->nslot = nn;
	return 0;
}

/* *first: the earlier record holding value v of type t, or -1 when it is
 * new (then record index holds it). -1 when out of memory. */
static int
seen_first(struct seen *s, int t, const uint8_t *v, size_t n, uint64_t index, int64_t *first)
{
	uint8_t in[1 + CS_DUP_VALUE_MAX], hb[crypto_shorthash_BYTES], *nv;
	struct slot *sl;
	uint64_t h = 0;
	size_t i, k, cap;

	if (n > CS_DUP_VALUE_MAX)
		return -1;
	in[0] = (uint8_t)t;
	memcpy(in + 1, v, n);
	crypto_shorthash(hb, in, n + 1, s->key);
	for (k = 0; k < sizeof hb; k++)
		h = h << 8 | hb[k];
	if (4 * (s->n + 1) > 3 * s->nslot && grow(s) != 0)
		return -1;
	for (i = h & (s->nslot - 1);; i = (i + 1) & (s->nslot - 1)) {
		sl = &s->slot[i];
		if (!sl->used)
			break;
		if (sl->h == h && sl->type == t && sl->len == n && memcmp(s->val + sl->off, v, n) == 0) {
			*first = sl->first;
			return 0;
		}
	}
	if (s->nval + n > s->capval) {
		cap = s->capval ? 2 * s->capval : 1u << 16;
		if ((nv = realloc(s->val, cap)) == NULL)
			return -1;
		s->val = nv;
		s->capval = cap;
	}
	memcpy(s->val + s->nval, v, n);
	*sl = (struct slot){h, s->nval, (uint32_t)index, (uint8_t)t, (uint8_t)n, 1};
	s->nval += n;
	s->n++;
	*first = -1;
	return 0;
}

/* What one record needs, kept off the stack. */
struct work {
	cs_vr_rec s;
	cs_cose c;
	uint8_t tbs[CS_RECORD_MAX + 64];
	uint8_t win[CS_VERIFY_CHUNK + CS_RECORD_MAX];
};

int
cs_verify_ref(cs_vrun *r)
{
	crypto_hash_sha256_state sha;
	struct seen seen;
	struct work *w;
	cs_vr_reader rd;
	const uint8_t *p, *val;
	uint8_t be[8];
	uint64_t index = 0;
	int64_t first[CS_DUP_SLOTS_PER_RECORD];
	size_t n, vn;
	int what, t, ntype = cs_vr_dup_types(r), rc;

	memset(&seen, 0, sizeof seen);
	randombytes_buf(seen.key, sizeof seen.key);
	if ((w = malloc(sizeof *w)) == NULL)
		return cs_fail(r->e, CS_MALFORMED, "system", "out of memory");
	if ((rc = cs_vr_read_open(&rd, r, w->win, 1)) != CS_OK)
		goto done;
	crypto_hash_sha256_init(&sha);
	for (;;) {
		if ((rc = cs_vr_read(&rd, &what, &p, &n, &index)) != CS_OK)
			goto done;
		if (what == CS_VR_END)
			break;
		crypto_hash_sha256_update(&sha, p, n);
		if (what == CS_VR_TAIL)
			continue;
		w->s.index = index;
		for (t = 0; t < CS_DUP_SLOTS_PER_RECORD; t++)
			first[t] = -1;
		if (cs_vr_decode(r, &w->s, p, n, &w->c) == 0) {
			cs_vr_check(r, &w->s, &w->c, w->tbs);
			for (t = 0; t < ntype; t++) {
				if ((val = cs_vr_dup_value(&w->s, t + 1, be, &vn)) == NULL)
					continue;
				if (seen_first(&seen, t + 1, val, vn, index, &first[t]) != 0) {
					rc = cs_fail(r->e, CS_MALFORMED, "system",
					    "out of memory for the duplicate set");
					goto done;
				}
			}
		}
		cs_vr_record(r, &w->s, first);
		if (r->failed) {
			rc = CS_MALFORMED;
			goto done;
		}
		if (r->stopped)
			break;
	}
	crypto_hash_sha256_final(&sha, r->v->records_digest);
	r->v->streamed = !r->stopped;
	rc = CS_OK;
done:
	cs_vr_read_close(&rd);
	free(seen.slot);
	free(seen.val);
	sodium_memzero(seen.key, sizeof seen.key);
	free(w);
	return rc;
}
