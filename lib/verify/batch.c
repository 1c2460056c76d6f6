/* The fast engine of batch and release verification (batch.h): the rules
 * (rules.c) scheduled over worker threads, memory nearly flat. The calling
 * thread reads and splits the records entry and copies the records into
 * blocks of up to 256; worker threads decode and check whole blocks; the
 * calling thread takes the blocks back in record order. The first pass
 * puts every serial, device key and hardware id (and the chip's instance
 * id, when the order requires firmware evidence) through the duplicate
 * filter (dupset.h: a few bytes a record) and hashes the entry with SHA-256
 * (once per byte); the second checks every record (form, order, range, the
 * deep Ed25519 and prime-order checks when asked), and on the calling
 * thread resolves duplicates exactly and hands each record to the rules
 * (ledger, verdict, exclusions, on_record). Both passes run the entry's
 * bytes through a MAC under a key of the run: if a second read differs
 * from the first (a medium that answers differently), verification fails
 * rather than trust either. The MAC and the hash take the blocks' bytes in
 * record order, fed by the workers as they finish blocks and by the calling
 * thread only when it would otherwise wait. */
#include "verify/rules.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "verify/dupset.h"

/* The entry is read twice (see above): PASS_SCAN decodes each record only to
 * put its values through the duplicate filter, PASS_CHECK checks everything. */
#define VB_RECORDS 256
#define VB_ARENA (128u << 10) /* a block's record bytes: at least CS_RECORD_MAX */
#define CKPT_EVERY 64         /* records between remembered offsets, for confirmations */

/* VB_PROCESSED: decoded and checked, its bytes not yet through the pass's
 * MAC (and the first pass's hash), which take the blocks in record order */
enum { VB_FREE, VB_FILLING, VB_READY, VB_BUSY, VB_PROCESSED, VB_DONE };
enum { PASS_SCAN = 1, PASS_CHECK = 2 };

struct vslot {
	cs_vr_rec r;
	uint32_t off, len;    /* the record's envelope in the block's arena */
	cs_duphash h[CS_DUP_SLOTS_PER_RECORD]; /* decoded: its values of type 1.., hashed */
};

struct vblock {
	struct vblock *next;
	uint64_t seq;
	int state, pass;
	size_t n, used;
	struct vslot slot[VB_RECORDS];
	uint8_t arena[VB_ARENA];
};

struct run {
	cs_vrun *vr;          /* the rules' state: the caller's thread only, but o and v */
	cs_zipr *z;
	int ntype;            /* duplicate types 1..ntype (cs_vr_dup_types) */
	/* threads */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t th[CS_VERIFY_MAX_THREADS];
	unsigned nth;
	int stop;
	struct vblock *blocks;
	size_t nblocks;
	struct vblock *qhead, *qtail;
	uint64_t next_seq, deliver_seq;
	struct vblock *cur;
	/* duplicates */
	cs_dupset dup;
	int have_dup;
	uint64_t *ckpt;
	size_t nckpt;
	cs_zips *cs;          /* second stream, for confirmations */
	FILE *spool;          /* deflated records, copied out once for random access */
	uint8_t *cbuf;        /* confirmation window */
	/* both passes must read the same bytes: a MAC under a key of this run */
	uint8_t mac_key[crypto_onetimeauth_KEYBYTES];
	uint8_t mac[2][crypto_onetimeauth_BYTES];
	uint64_t bytes[2];
	/* the pass's MAC and (PASS_SCAN) the entry's SHA-256, fed with the
	 * blocks' bytes in record order (feed_in_order), then with any bytes
	 * that split into no record (bytes_direct) */
	crypto_onetimeauth_state mac_st;
	crypto_hash_sha256_state sha;
	uint64_t hash_seq;    /* the next block whose bytes go in */
	int hashing;          /* a thread is feeding them */
	int read_failed;      /* the zip stream failed (e is set) */
};

static void
hash_values(const struct run *r, struct vslot *s)
{
	const uint8_t *p;
	uint8_t be[8];
	size_t n;
	int t;

	for (t = 0; t < r->ntype; t++)
		if ((p = cs_vr_dup_value(&s->r, t + 1, be, &n)) != NULL)
			cs_dupset_hash(&r->dup, t + 1, p, n, &s->h[t]);
}

/* Any thread: every decoded record's values are hashed for the duplicate
 * set (whatever else fails, so the verdicts do not depend on which checks
 * ran), and in PASS_CHECK the rules' checks run. */
static void
process_block(const struct run *r, struct vblock *b, uint8_t *tbs)
{
	struct vslot *s;
	cs_cose c;
	size_t i;

	for (i = 0; i < b->n; i++) {
		s = &b->slot[i];
		if (cs_vr_decode(r->vr, &s->r, b->arena + s->off, s->len, &c) != 0)
			continue;
		hash_values(r, s);
		if (b->pass == PASS_CHECK)
			cs_vr_check(r->vr, &s->r, &c, tbs);
	}
}

/* With r->mu held: the processed blocks' bytes go through the MAC and the
 * hash in record order, unless another thread is feeding them; 1 when it
 * fed any. The hash is the longest sequential step: workers feed it as
 * they finish blocks (a block finished by another thread waits for the
 * next worker to finish one), the reading thread only when it would
 * otherwise wait, or when it has no workers (fed by the reading thread, it
 * held an export to the reading thread's speed while a worker idled for
 * want of blocks). */
static int
feed_in_order(struct run *r)
{
	struct vblock *n;
	size_t i;
	int fed = 0;

	if (r->hashing)
		return 0;
	r->hashing = 1;
	for (;;) {
		for (n = NULL, i = 0; i < r->nblocks && n == NULL; i++)
			if (r->blocks[i].state == VB_PROCESSED && r->blocks[i].seq == r->hash_seq)
				n = &r->blocks[i];
		if (n == NULL)
			break;
		pthread_mutex_unlock(&r->mu);
		crypto_onetimeauth_update(&r->mac_st, n->arena, n->used);
		if (n->pass == PASS_SCAN)
			crypto_hash_sha256_update(&r->sha, n->arena, n->used);
		pthread_mutex_lock(&r->mu);
		n->state = VB_DONE;
		r->hash_seq++;
		fed = 1;
		/* the reading thread may be waiting to deliver it */
		pthread_cond_broadcast(&r->done);
	}
	r->hashing = 0;
	return fed;
}

/* With r->mu held: takes the first queued block, processes it without the
 * lock and marks it processed; a worker then feeds the bytes on
 * (feed_in_order). 0 when the queue is empty. */
static int
run_queued(struct run *r, uint8_t *tbs, int worker)
{
	struct vblock *b = r->qhead;

	if (b == NULL)
		return 0;
	r->qhead = b->next;
	if (r->qhead == NULL)
		r->qtail = NULL;
	b->state = VB_BUSY;
	pthread_mutex_unlock(&r->mu);
	process_block(r, b, tbs);
	pthread_mutex_lock(&r->mu);
	b->state = VB_PROCESSED;
	if (worker)
		feed_in_order(r);
	return 1;
}

static void *
worker(void *arg)
{
	struct run *r = arg;
	uint8_t *tbs = malloc(CS_RECORD_MAX + 64);

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->stop && r->qhead == NULL)
			pthread_cond_wait(&r->work, &r->mu);
		if (!run_queued(r, tbs, 1))
			break;
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->mu);
	free(tbs);
	return NULL;
}

/* ---- confirmations of duplicate fingerprints --------------------------------- */

/* Reads up to cap bytes of the records entry at off into buf. */
static int
conf_read(struct run *r, uint64_t off, uint8_t *buf, size_t cap, size_t *got)
{
	uint64_t size = cs_zipr_size(r->z, CS_ZE_RECORDS);
	uint8_t tmp[1 << 14];
	size_t g, n;
	cs_zips *s = NULL;
	int rc;

	*got = 0;
	if (off >= size)
		return CS_OK;
	if (cap > size - off)
		cap = (size_t)(size - off);
	if (cs_zipr_stored(r->z, CS_ZE_RECORDS)) {
		if (r->cs == NULL && (rc = cs_zips_open(&r->cs, r->z, CS_ZE_RECORDS, r->vr->e)) != CS_OK)
			return rc;
		if ((rc = cs_zips_seek(r->cs, off, r->vr->e)) != CS_OK)
			return rc;
		while (*got < cap) {
			if ((rc = cs_zips_read(r->cs, buf + *got, cap - *got, &g, r->vr->e)) != CS_OK)
				return rc;
			if (g == 0)
				break;
			*got += g;
		}
		return CS_OK;
	}
	/* deflated: no seeking; copy the entry out once, then read it at will */
	if (r->spool == NULL) {
		if ((r->spool = tmpfile()) == NULL)
			return cs_fail(r->vr->e, CS_MALFORMED, "io", "cannot create a temporary file");
		if ((rc = cs_zips_open(&s, r->z, CS_ZE_RECORDS, r->vr->e)) != CS_OK)
			return rc;
		for (;;) {
			if ((rc = cs_zips_read(s, tmp, sizeof tmp, &g, r->vr->e)) != CS_OK) {
				cs_zips_close(s);
				return rc;
			}
			if (g == 0)
				break;
			if (fwrite(tmp, 1, g, r->spool) != g) {
				cs_zips_close(s);
				return cs_fail(r->vr->e, CS_MALFORMED, "io", "cannot write a temporary file");
			}
		}
		cs_zips_close(s);
		if (fflush(r->spool) != 0)
			return cs_fail(r->vr->e, CS_MALFORMED, "io", "cannot write a temporary file");
	}
	if (fseeko(r->spool, (off_t)off, SEEK_SET) != 0)
		return cs_fail(r->vr->e, CS_MALFORMED, "io", "cannot read a temporary file");
	n = fread(buf, 1, cap, r->spool);
	*got = n;
	return CS_OK;
}

/* Reads record index again and compares its value of type with val. The
 * earlier record was seen with the same fingerprint as val: read again, a
 * value with another fingerprint means the bytes changed underneath (a
 * medium that answers differently the second time), not a collision. */
static int
confirm(void *ctx, uint32_t index, int type, const uint8_t *val, size_t vn)
{
	struct run *r = ctx;
	uint64_t off;
	size_t have = 0, pos = 0, len, k, skip, wn;
	const uint8_t *w;
	uint8_t be[8];
	cs_duphash hw, hv;
	cs_cose c;
	cs_vr_rec rec;
	int sp;

	if (index / CKPT_EVERY >= r->nckpt)
		return 0;
	/* from the nearest remembered offset, split forward to the record */
	off = r->ckpt[index / CKPT_EVERY];
	skip = index % CKPT_EVERY;
	for (k = 0;;) {
		sp = cs_cbor_item_len(r->cbuf + pos, have - pos, CS_RECORD_MAX, &len);
		if (sp == 1 || (sp == -1 && have - pos < CS_RECORD_MAX && pos > 0)) {
			off += pos;
			if (conf_read(r, off, r->cbuf, 2 * CS_RECORD_MAX, &have) != CS_OK)
				goto fail;
			pos = 0;
			if (have == 0)
				break;
			continue;
		}
		if (sp != 0)
			break;
		if (k == skip) {
			if (cs_vr_decode(r->vr, &rec, r->cbuf + pos, len, &c) != 0 ||
			    (w = cs_vr_dup_value(&rec, type, be, &wn)) == NULL)
				break;
			if (wn == vn && memcmp(w, val, vn) == 0)
				return 1;
			cs_dupset_hash(&r->dup, type, w, wn, &hw);
			cs_dupset_hash(&r->dup, type, val, vn, &hv);
			if (cs_dupset_same(&hw, &hv))
				return 0;
			break;
		}
		pos += len;
		k++;
	}
	cs_fail(r->vr->e, CS_MALFORMED, "io", "record %u changed while the batch was being read", index);
fail:
	r->vr->failed = 1;
	return -1;
}

/* ---- records back in order ------------------------------------------------------ */

/* The first pass: every decoded record's values through the filter. */
static void
scan_slot(struct run *r, const struct vslot *s)
{
	int t;

	if (!s->r.decoded || r->vr->failed)
		return;
	for (t = 0; t < r->ntype; t++)
		if ((t + 1 != CS_DUP_INSTANCE || s->r.has_inst) &&
		    cs_dupset_scan(&r->dup, t + 1, &s->h[t], 1, r->vr->e) != CS_OK) {
			r->vr->failed = 1;
			return;
		}
}

/* The second pass, on the caller's thread in record order: the duplicates
 * resolved exactly, then the record to the rules. */
static void
deliver_slot(struct run *r, struct vslot *s)
{
	int64_t first[CS_DUP_SLOTS_PER_RECORD] = {-1, -1, -1, -1};
	const uint8_t *p;
	uint8_t be[8];
	size_t n;
	int t;

	if (r->vr->failed)
		return;
	for (t = 0; s->r.decoded && t < r->ntype; t++) {
		if ((p = cs_vr_dup_value(&s->r, t + 1, be, &n)) == NULL)
			continue;
		if (cs_dupset_check_hash(&r->dup, t + 1, &s->h[t], p, n, (uint32_t)s->r.index, 1,
			confirm, r, &first[t], r->vr->e) != CS_OK) {
			r->vr->failed = 1;
			return;
		}
	}
	cs_vr_record(r->vr, &s->r, first);
}

/* Filter blocks asked for this many records ahead of their scan. */
#define SCAN_AHEAD 8

static void
prefetch_slot(struct run *r, const struct vblock *b, size_t i)
{
	int t;

	if (i < b->n && b->slot[i].r.decoded)
		for (t = 0; t < r->ntype; t++)
			if (t + 1 != CS_DUP_INSTANCE || b->slot[i].r.has_inst)
				cs_dupset_prefetch(&r->dup, &b->slot[i].h[t]);
}

static void
deliver_block(struct run *r, struct vblock *b)
{
	size_t i;

	for (i = 0; b->pass == PASS_SCAN && i < SCAN_AHEAD; i++)
		prefetch_slot(r, b, i);
	for (i = 0; i < b->n; i++) {
		if (b->pass == PASS_SCAN) {
			prefetch_slot(r, b, i + SCAN_AHEAD);
			scan_slot(r, &b->slot[i]);
		} else if (!r->vr->failed) {
			deliver_slot(r, &b->slot[i]);
		}
	}
}

/* The block to deliver next, when it is done. Called with mu held. */
static struct vblock *
next_done(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nblocks; i++)
		if (r->blocks[i].state == VB_DONE && r->blocks[i].seq == r->deliver_seq)
			return &r->blocks[i];
	return NULL;
}

/* Delivers what is done, in order; want_free 1: until a block is free, 2:
 * until every block is back. Rather than wait, the caller's thread
 * processes queued blocks itself, or feeds processed ones to the MAC and
 * the hash. */
static void
drain(struct run *r, int want_free, uint8_t *tbs)
{
	struct vblock *b;
	size_t i;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		if ((b = next_done(r)) != NULL) {
			pthread_mutex_unlock(&r->mu);
			deliver_block(r, b);
			pthread_mutex_lock(&r->mu);
			/* under the lock: workers look at every block's state */
			b->n = b->used = 0;
			b->state = VB_FREE;
			r->deliver_seq++;
			continue;
		}
		if (want_free == 0)
			break;
		if (want_free == 1) {
			for (i = 0; i < r->nblocks; i++)
				if (r->blocks[i].state == VB_FREE)
					break;
			if (i < r->nblocks)
				break;
		} else if (r->deliver_seq == r->next_seq) {
			break;
		}
		if (run_queued(r, tbs, 0) || feed_in_order(r))
			continue;
		pthread_cond_wait(&r->done, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
}

static void
submit(struct run *r, uint8_t *tbs)
{
	struct vblock *b = r->cur;

	r->cur = NULL;
	if (b == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	b->seq = r->next_seq++;
	if (r->nth == 0) {
		pthread_mutex_unlock(&r->mu);
		process_block(r, b, tbs);
		pthread_mutex_lock(&r->mu);
		b->state = VB_PROCESSED;
		feed_in_order(r);
	} else {
		b->state = VB_READY;
		b->next = NULL;
		if (r->qtail != NULL)
			r->qtail->next = b;
		else
			r->qhead = b;
		r->qtail = b;
		pthread_cond_signal(&r->work);
	}
	pthread_mutex_unlock(&r->mu);
	drain(r, 0, tbs);
}

static struct vblock *
get_block(struct run *r, int pass, uint8_t *tbs)
{
	size_t i;

	drain(r, 1, tbs);
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->nblocks; i++)
		if (r->blocks[i].state == VB_FREE)
			break;
	r->blocks[i].state = VB_FILLING;
	r->blocks[i].pass = pass;
	r->blocks[i].n = r->blocks[i].used = 0;
	pthread_mutex_unlock(&r->mu);
	return &r->blocks[i];
}

/* Copies one record into the block being filled; full blocks go out. */
static void
add_record(struct run *r, int pass, const uint8_t *p, size_t len, uint64_t index, uint8_t *tbs)
{
	struct vblock *b = r->cur;
	struct vslot *s;

	if (b != NULL && (b->n == VB_RECORDS || b->used + len > VB_ARENA)) {
		submit(r, tbs);
		b = NULL;
	}
	if (b == NULL)
		b = r->cur = get_block(r, pass, tbs);
	s = &b->slot[b->n++];
	s->r.index = index;
	s->off = (uint32_t)b->used;
	s->len = (uint32_t)len;
	memcpy(b->arena + b->used, p, len);
	b->used += len;
}

/* ---- threads ------------------------------------------------------------------ */

static int
start_threads(struct run *r, unsigned want)
{
	unsigned i;

	r->nblocks = 2 * (size_t)(want ? want : 1) + 2;
	if ((r->blocks = calloc(r->nblocks, sizeof *r->blocks)) == NULL)
		return cs_fail(r->vr->e, CS_MALFORMED, "system", "out of memory");
	/* the caller's thread verifies too, so want threads means want - 1 workers */
	for (i = 0; i + 1 < want && i < CS_VERIFY_MAX_THREADS; i++) {
		if (pthread_create(&r->th[i], NULL, worker, r) != 0)
			break;
		r->nth++;
	}
	return CS_OK;
}

static void
stop_threads(struct run *r)
{
	unsigned i;

	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < r->nth; i++)
		pthread_join(r->th[i], NULL);
	r->nth = 0;
}

/* Bytes that are in no block (after the entry could not be split) go
 * through the MAC and the hash directly, once every block before them has. */
static void
bytes_direct(struct run *r, int pass, const uint8_t *p, size_t n)
{
	crypto_onetimeauth_update(&r->mac_st, p, n);
	if (pass == PASS_SCAN)
		crypto_hash_sha256_update(&r->sha, p, n);
}

/* One pass over the records entry (rules.h's reader): the records go out
 * in blocks and come back in order, every byte through the pass's MAC (and
 * in PASS_SCAN through SHA-256, once) in order: the records' bytes from the
 * blocks (feed_in_order), then any that split into no record
 * (bytes_direct). The hash is taken in the first pass; the second pass's
 * bytes are those (the MACs and counts must agree), and its reading thread
 * also delivers every record to the rules. */
static int
read_pass(struct run *r, int pass, uint8_t *win, uint8_t *tbs)
{
	cs_verify *v = r->vr->v;
	cs_vr_reader rd;
	const uint8_t *p;
	uint64_t index = 0;
	size_t n;
	int what, rc, tail = 0;

	if ((rc = cs_vr_read_open(&rd, r->vr, win, pass == PASS_CHECK)) != CS_OK)
		return rc;
	crypto_onetimeauth_init(&r->mac_st, r->mac_key);
	crypto_hash_sha256_init(&r->sha);
	r->hash_seq = r->next_seq;
	for (;;) {
		if ((rc = cs_vr_read(&rd, &what, &p, &n, &index)) != CS_OK) {
			r->read_failed = 1;
			goto done;
		}
		if (what == CS_VR_END)
			break;
		if (what == CS_VR_TAIL) {
			if (!tail) {
				/* the records before it first */
				submit(r, tbs);
				drain(r, 2, tbs);
				tail = 1;
			}
			bytes_direct(r, pass, p, n);
			continue;
		}
		if (pass == PASS_CHECK && index % CKPT_EVERY == 0)
			r->ckpt[index / CKPT_EVERY] = rd.at;
		add_record(r, pass, p, n, index, tbs);
		if (r->vr->stopped || r->vr->failed)
			break;
	}
	submit(r, tbs);
	drain(r, 2, tbs);
	r->bytes[pass - 1] = rd.bytes;
	if (r->vr->failed) {
		rc = CS_MALFORMED;
		goto done;
	}
	crypto_onetimeauth_final(&r->mac_st, r->mac[pass - 1]);
	if (pass == PASS_SCAN)
		crypto_hash_sha256_final(&r->sha, v->records_digest);
	else
		v->streamed = !r->vr->stopped;
	rc = CS_OK;
done:
	if (rc != CS_OK && r->read_failed) {
		/* what was read before the error goes through the filter all the
		 * same, and the second pass delivers those records */
		submit(r, tbs);
		drain(r, 2, tbs);
	}
	cs_vr_read_close(&rd);
	return rc;
}

static int
stream_records(struct run *r)
{
	cs_vrun *vr = r->vr;
	uint8_t *win = NULL, *tbs = NULL;
	unsigned want = vr->o->threads;
	int rc, scan_failed;
	long ncpu;

	if (want == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		want = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (want > CS_VERIFY_MAX_THREADS)
		want = CS_VERIFY_MAX_THREADS;
	/* Every record examined is in the duplicate set, so a repeat anywhere
	 * among them is found; memory is the filter for that many records, as
	 * for an honest batch of the header's count. */
	if ((rc = cs_dupset_init_filtered(&r->dup, (size_t)vr->limit, (size_t)vr->limit,
		 (unsigned)r->ntype, vr->e)) != CS_OK)
		return rc;
	r->have_dup = 1;
	randombytes_buf(r->mac_key, sizeof r->mac_key);
	r->nckpt = (size_t)(vr->limit / CKPT_EVERY + 1);
	if ((r->ckpt = calloc(r->nckpt + 1, sizeof *r->ckpt)) == NULL ||
	    (r->cbuf = malloc(2 * CS_RECORD_MAX)) == NULL ||
	    (win = malloc(CS_VERIFY_CHUNK + CS_RECORD_MAX)) == NULL ||
	    (tbs = malloc(CS_RECORD_MAX + 64)) == NULL) {
		rc = cs_fail(vr->e, CS_MALFORMED, "system", "out of memory");
		goto done;
	}
	if ((rc = start_threads(r, want)) != CS_OK)
		goto done;
	/* A zip error in the first pass comes again, at the same byte, in the
	 * second, which reports it with the records before it (and the first
	 * pass saw all of those); if it does not come again, the bytes changed. */
	rc = read_pass(r, PASS_SCAN, win, tbs);
	if (vr->failed)
		rc = CS_MALFORMED;
	if (rc != CS_OK && (!r->read_failed || vr->failed))
		goto done;
	scan_failed = rc != CS_OK;
	cs_err_clear(vr->e);
	r->read_failed = 0;
	cs_dupset_scan_end(&r->dup);
	if ((rc = read_pass(r, PASS_CHECK, win, tbs)) != CS_OK || !vr->v->streamed)
		goto done;
	if (scan_failed || r->bytes[0] != r->bytes[1] ||
	    sodium_memcmp(r->mac[0], r->mac[1], sizeof r->mac[0]) != 0)
		rc = cs_fail(vr->e, CS_MALFORMED, "io", "%s changed while the batch was being read",
		    CS_ENTRY_RECORDS);
done:
	if (r->blocks != NULL)
		stop_threads(r);
	free(win);
	free(tbs);
	return rc;
}

int
cs_verify_fast(cs_vrun *vr)
{
	struct run *r;
	int rc;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return cs_fail(vr->e, CS_MALFORMED, "system", "out of memory");
	r->vr = vr;
	r->z = vr->z;
	r->ntype = cs_vr_dup_types(vr);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	rc = stream_records(r);
	if (r->have_dup)
		cs_dupset_free(&r->dup);
	free(r->ckpt);
	free(r->cbuf);
	free(r->blocks);
	cs_zips_close(r->cs);
	if (r->spool != NULL)
		fclose(r->spool);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->done);
	sodium_memzero(r->mac_key, sizeof r->mac_key);
	sodium_memzero(&r->mac_st, sizeof r->mac_st); /* holds the key's halves */
	free(r);
	return rc;
}
