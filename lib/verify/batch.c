/* Batch and release verification: batch-level checks, then one streaming
 * pass over the records with the deep checks on worker threads. */
#include "verify/batch.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "verify/dupset.h"

/* ---- reasons ------------------------------------------------------------ */

int
cs_reason_deep(const char *r)
{
	return r != NULL && (strcmp(r, "record-signature") == 0 ||
				strcmp(r, "record-key-invalid") == 0);
}

int
cs_reason_ledger(const char *r)
{
	return r != NULL && strncmp(r, "record-released-", 16) == 0;
}

static void __attribute__((format(printf, 3, 4)))
problem(cs_verify *v, const char *reason, const char *fmt, ...)
{
	va_list ap;
	cs_vproblem *p;

	if (v->nproblem >= CS_VERIFY_MAX_PROBLEMS) {
		v->more_problems++;
		return;
	}
	p = &v->problem[v->nproblem++];
	snprintf(p->reason, sizeof p->reason, "%s", reason);
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof p->msg, fmt, ap);
	va_end(ap);
}

/* ---- the pipeline --------------------------------------------------------- */

/* The reading thread splits the records entry and copies each record into a
 * block; worker threads decode and check whole blocks; the reading thread
 * takes the blocks back in record order. The entry is read twice (see
 * batch.h): PASS_SCAN decodes each record only to put its values through
 * the duplicate filter, PASS_CHECK checks everything. */
#define VB_RECORDS 256
#define VB_ARENA (128u << 10) /* a block's record bytes: at least CS_RECORD_MAX */
#define CKPT_EVERY 64         /* records between remembered offsets, for confirmations */

/* VB_PROCESSED: decoded and checked, its bytes not yet through the pass's
 * MAC (and the first pass's hash), which take the blocks in record order */
enum { VB_FREE, VB_FILLING, VB_READY, VB_BUSY, VB_PROCESSED, VB_DONE };
enum { PASS_SCAN = 1, PASS_CHECK = 2 };

static const int dup_type[3] = {CS_DUP_SERIAL, CS_DUP_KEY, CS_DUP_HWID};

struct vslot {
	cs_record rec;
	uint64_t index;
	const char *reason;   /* the cheap checks', then the duplicates' and the ledger's */
	const char *deep;     /* the deep checks' verdict, which comes last */
	uint64_t released_in; /* the ledger's verdict: the release holding the value */
	uint8_t decoded;
	uint32_t off, len;    /* the record's envelope in the block's arena */
	cs_duphash h[3];      /* decoded: its serial, key and hardware id, hashed */
	char msg[CS_VREC_MSG_MAX];
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
	cs_verify *v;
	const cs_vopts *o;
	cs_err *e;
	cs_zipr *z;
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
	uint64_t limit;       /* records examined: the header's count */
	int overflow;         /* the entry holds more items than that */
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
	/* release exclusions, walked in order */
	size_t xpos, xi;
	int have_x;
	cs_exclusion x;
	uint64_t mismatches;
	int stopped;          /* on_record asked to stop */
	cs_rclaim *claim;     /* record-released-* claims, for o->earlier */
	size_t nclaim, capclaim;
	int failed_io;        /* a lookup or confirmation failed: e is set */
};

/* Decodes the record in s (its bytes in b's arena) into c and s->rec; 0, or
 * -1 with s->reason and s->msg saying why. */
static int
decode(struct vblock *b, struct vslot *s, cs_cose *c)
{
	cs_err e2;

	s->decoded = 0;
	s->reason = s->deep = NULL;
	s->msg[0] = '\0';
	cs_err_clear(&e2);
	if (cs_cose_decode(c, b->arena + s->off, s->len, &e2) != CS_OK) {
		s->reason = "record-malformed";
		snprintf(s->msg, sizeof s->msg, "%s (%s)", e2.msg, e2.reason);
		return -1;
	}
	if (c->multi || strcmp(c->kind, CS_KIND_RECORD) != 0) {
		s->reason = "record-malformed";
		snprintf(s->msg, sizeof s->msg, "a %s of kind %s, not a record",
		    c->multi ? "COSE_Sign" : "COSE_Sign1", c->kind);
		return -1;
	}
	if (cs_record_decode(&s->rec, c->payload, c->payload_len, &e2) != CS_OK) {
		s->reason = "record-malformed";
		snprintf(s->msg, sizeof s->msg, "payload: %s (%s)", e2.msg, e2.reason);
		return -1;
	}
	s->decoded = 1;
	s->rec.att = NULL;
	return 0;
}

static void
serial_bytes(uint8_t be[8], uint64_t serial)
{
	int k;

	for (k = 0; k < 8; k++)
		be[k] = (uint8_t)(serial >> (56 - 8 * k));
}

/* The value of a duplicate type in a record. */
static const uint8_t *
dup_value(const cs_record *rec, int type, uint8_t be[8], size_t *n)
{
	if (type == CS_DUP_SERIAL) {
		serial_bytes(be, rec->serial);
		*n = 8;
		return be;
	}
	if (type == CS_DUP_KEY) {
		*n = CS_PK_LEN;
		return rec->pk;
	}
	*n = rec->hwid_len;
	return rec->hwid;
}

static void
hash_values(const struct run *r, struct vslot *s)
{
	const uint8_t *p;
	uint8_t be[8];
	size_t n;
	int t;

	for (t = 0; t < 3; t++) {
		p = dup_value(&s->rec, dup_type[t], be, &n);
		cs_dupset_hash(&r->dup, dup_type[t], p, n, &s->h[t]);
	}
}

/* The checks of one record against the order (any thread). Every decoded
 * record takes part in duplicate detection, whatever else fails, so the
 * verdicts do not depend on which checks ran. */
static void
cheap_checks(const struct run *r, struct vslot *s)
{
	const cs_order *ord = &r->v->order;

	if (memcmp(s->rec.deployment, ord->deployment, CS_DEPLOY_LEN) != 0) {
		s->reason = "record-deployment";
		snprintf(s->msg, sizeof s->msg, "belongs to another deployment");
	} else if (strcmp(s->rec.batch, ord->batch) != 0) {
		s->reason = "record-batch";
		snprintf(s->msg, sizeof s->msg, "batch id \"%s\", the order's is \"%s\"",
		    s->rec.batch, ord->batch);
	} else if (memcmp(s->rec.nonce, ord->nonce, CS_NONCE_LEN) != 0) {
		s->reason = "record-nonce";
		snprintf(s->msg, sizeof s->msg, "batch nonce differs from the order's");
	} else if (s->rec.serial < ord->first || s->rec.serial > ord->last) {
		s->reason = "record-serial-range";
		snprintf(s->msg, sizeof s->msg, "serial %llu outside the order's %llu-%llu",
		    (unsigned long long)s->rec.serial, (unsigned long long)ord->first,
		    (unsigned long long)ord->last);
	}
}

/* The per-record deep work: exactly the prime-order check and one Ed25519
 * verification over the Sig_structure, plus the key id (a hash of 32 bytes).
 * cs_sig_verify would repeat the prime-order check, the costlier half. Its
 * verdict waits in s->deep: a duplicate or the ledger speaks first. */
static void
deep_check(struct vslot *s, const cs_cose *c, uint8_t *tbs)
{
	uint8_t kid[CS_KID_LEN];
	cs_buf out;

	if (!cs_pk_valid(s->rec.pk)) {
		s->deep = "record-key-invalid";
		return;
	}
	cs_keyid(kid, s->rec.pk);
	cs_buf_fixed(&out, tbs, CS_RECORD_MAX + 64);
	if (memcmp(kid, c->s[0].kid, CS_KID_LEN) != 0 ||
	    cs_cose_tbs_raw(&out, c->prot, c->prot_len, NULL, 0, NULL, 0, c->payload,
		c->payload_len) != CS_OK ||
	    crypto_sign_verify_detached(c->s[0].sig, out.p, out.len, s->rec.pk) != 0)
		s->deep = "record-signature";
}

static void
process_block(const struct run *r, struct vblock *b, uint8_t *tbs)
{
	struct vslot *s;
	cs_cose c;
	size_t i;

	for (i = 0; i < b->n; i++) {
		s = &b->slot[i];
		if (decode(b, s, &c) != 0)
			continue;
		hash_values(r, s);
		if (b->pass == PASS_SCAN)
			continue;
		cheap_checks(r, s);
		if (s->reason == NULL && r->o->deep) {
			if (tbs != NULL)
				deep_check(s, &c, tbs);
			else /* cannot verify without scratch: fail closed */
				s->deep = "record-signature";
		}
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
		if (r->cs == NULL && (rc = cs_zips_open(&r->cs, r->z, CS_ZE_RECORDS, r->e)) != CS_OK)
			return rc;
		if ((rc = cs_zips_seek(r->cs, off, r->e)) != CS_OK)
			return rc;
		while (*got < cap) {
			if ((rc = cs_zips_read(r->cs, buf + *got, cap - *got, &g, r->e)) != CS_OK)
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
			return cs_fail(r->e, CS_MALFORMED, "io", "cannot create a temporary file");
		if ((rc = cs_zips_open(&s, r->z, CS_ZE_RECORDS, r->e)) != CS_OK)
			return rc;
		for (;;) {
			if ((rc = cs_zips_read(s, tmp, sizeof tmp, &g, r->e)) != CS_OK) {
				cs_zips_close(s);
				return rc;
			}
			if (g == 0)
				break;
			if (fwrite(tmp, 1, g, r->spool) != g) {
				cs_zips_close(s);
				return cs_fail(r->e, CS_MALFORMED, "io", "cannot write a temporary file");
			}
		}
		cs_zips_close(s);
		if (fflush(r->spool) != 0)
			return cs_fail(r->e, CS_MALFORMED, "io", "cannot write a temporary file");
	}
	if (fseeko(r->spool, (off_t)off, SEEK_SET) != 0)
		return cs_fail(r->e, CS_MALFORMED, "io", "cannot read a temporary file");
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
	cs_record rec;
	cs_err e2;
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
			cs_err_clear(&e2);
			if (cs_cose_decode(&c, r->cbuf + pos, len, &e2) != CS_OK ||
			    cs_record_decode(&rec, c.payload, c.payload_len, &e2) != CS_OK)
				break;
			w = dup_value(&rec, type, be, &wn);
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
	cs_fail(r->e, CS_MALFORMED, "io", "record %u changed while the batch was being read", index);
fail:
	r->failed_io = 1;
	return -1;
}

/* ---- records back in order ------------------------------------------------------ */

/* The first pass: every decoded record's values through the filter. */
static void
scan_slot(struct run *r, const struct vslot *s)
{
	int t;

	if (!s->decoded || r->failed_io)
		return;
	for (t = 0; t < 3; t++)
		if (cs_dupset_scan(&r->dup, dup_type[t], &s->h[t], 1, r->e) != CS_OK) {
			r->failed_io = 1;
			return;
		}
}

/* Duplicates within the batch, then the ledger, then the deep checks: the
 * verdict is the first of these that fails, after the cheap checks. */
static void
final_checks(struct run *r, struct vslot *s)
{
	static const char *const dup_reason[3] = {"record-duplicate-serial", "record-duplicate-key",
	    "record-duplicate-hwid"};
	const uint8_t *p;
	uint8_t be[8];
	const char *why = NULL;
	size_t n;
	int64_t first;
	int t;

	if (r->failed_io || !s->decoded)
		return;
	for (t = 0; t < 3; t++) {
		p = dup_value(&s->rec, dup_type[t], be, &n);
		if (cs_dupset_check_hash(&r->dup, dup_type[t], &s->h[t], p, n, (uint32_t)s->index, 1,
			confirm, r, &first, r->e) != CS_OK) {
			r->failed_io = 1;
			return;
		}
		if (first < 0 || s->reason != NULL)
			continue;
		s->reason = dup_reason[t];
		if (t == 0)
			snprintf(s->msg, sizeof s->msg, "serial %llu is also in record %lld",
			    (unsigned long long)s->rec.serial, (long long)first);
		else
			snprintf(s->msg, sizeof s->msg, "%s also in record %lld",
			    t == 1 ? "device key" : "hardware id", (long long)first);
	}
	if (s->reason == NULL && r->o->lookup != NULL && r->o->lookup->record != NULL) {
		if (r->o->lookup->record(r->o->lookup->ctx, &s->rec, &why, &s->released_in, r->e) !=
		    CS_OK) {
			r->failed_io = 1;
			return;
		}
		if (why != NULL) {
			s->reason = why;
			snprintf(s->msg, sizeof s->msg, "%s already released in release %llu",
			    strcmp(why, "record-released-serial") == 0 ? "serial"
			    : strcmp(why, "record-released-key") == 0 ? "device key"
								      : "hardware id",
			    (unsigned long long)s->released_in);
		}
	}
	if (s->reason == NULL && s->deep != NULL) {
		s->reason = s->deep;
		snprintf(s->msg, sizeof s->msg, "%s", strcmp(s->deep, "record-key-invalid") == 0
		    ? "the device key is not a valid prime-order point"
		    : "the proof-of-possession signature does not verify under the record's own key");
	}
}

/* Keeps a record-released-* claim for checking against the release it
 * names, when the caller gave the earlier releases. */
static void
add_claim(struct run *r, const struct vslot *s, const char *reason, uint64_t seq)
{
	cs_rclaim *n;
	size_t cap;

	r->v->claims++;
	if (r->o->earlier == NULL || r->failed_io)
		return;
	if (r->nclaim == r->capclaim) {
		cap = r->capclaim ? 2 * r->capclaim : 64;
		if ((n = realloc(r->claim, cap * sizeof *n)) == NULL) {
			cs_fail(r->e, CS_MALFORMED, "system", "out of memory for released claims");
			r->failed_io = 1;
			return;
		}
		r->claim = n;
		r->capclaim = cap;
	}
	cs_rclaim_make(&r->claim[r->nclaim++], s->index, seq, reason, &s->rec);
}

/* Called on the caller's thread for every record, in order. */
static void
deliver_slot(struct run *r, struct vslot *s)
{
	cs_verify *v = r->v;
	cs_vrec vr;
	char xr[CS_REASON_MAX];
	int listed = 0, ok, skipped;

	final_checks(r, s);
	if (r->failed_io)
		return;
	memset(&vr, 0, sizeof vr);
	vr.index = s->index;
	vr.decoded = s->decoded;
	vr.rec = s->decoded ? &s->rec : NULL;
	vr.reason = s->reason;
	vr.msg = s->reason ? s->msg : "";
	if (cs_reason_ledger(s->reason))
		vr.released_in = s->released_in;
	v->records++;
	if (s->reason != NULL)
		v->failed++;
	if (v->kind == CS_V_RELEASE) {
		while (r->have_x && r->x.index < s->index)
			r->have_x = cs_excl_next(&v->release.excluded, &r->xpos, &r->xi, &r->x);
		listed = r->have_x && r->x.index == s->index;
		if (listed) {
			vr.excluded = 1;
			memcpy(xr, r->x.reason, sizeof xr);
			vr.excl_reason = xr;
			/* a reason this run could not check is taken on the custodians'
			 * word, when nothing this run found ranks before it: a record
			 * both already released and forged is excluded for the ledger
			 * (checked first), and a run without the ledger finds only the
			 * signature */
			skipped = (!r->o->deep && cs_reason_deep(r->x.reason)) ||
				  (r->o->lookup == NULL && cs_reason_ledger(r->x.reason));
			ok = (s->reason != NULL && strcmp(s->reason, r->x.reason) == 0) ||
			     (skipped && (s->reason == NULL || (cs_reason_ledger(r->x.reason) &&
								   cs_reason_deep(s->reason))));
			if (ok && (r->x.has_serial != s->decoded ||
				      (s->decoded && r->x.serial != s->rec.serial)))
				ok = 0;
			/* "released before" names the release: an earlier one, the
			 * very one the ledger knows, and (given the earlier
			 * releases) one that holds the value */
			vr.excl_released_in = r->x.released_in;
			if (ok && r->x.released_in != 0) {
				if (r->x.released_in >= v->release.seq)
					ok = 0;
				else if (r->o->lookup != NULL && s->released_in != r->x.released_in)
					ok = 0;
				else if (s->decoded)
					add_claim(r, s, r->x.reason, r->x.released_in);
			}
			if (ok) {
				v->excluded++;
			} else {
				r->mismatches++;
				if (r->x.released_in != 0 && r->x.released_in >= v->release.seq)
					problem(v, "release-exclusions", "record %llu is excluded for %s "
					    "in release %llu, which is not before this one",
					    (unsigned long long)s->index, r->x.reason,
					    (unsigned long long)r->x.released_in);
				else if (r->x.released_in != 0 && s->reason != NULL &&
					 strcmp(s->reason, r->x.reason) == 0)
					problem(v, "release-exclusions", "record %llu is excluded for %s "
					    "in release %llu, the ledger says release %llu",
					    (unsigned long long)s->index, r->x.reason,
					    (unsigned long long)r->x.released_in,
					    (unsigned long long)s->released_in);
				else
					problem(v, "release-exclusions",
					    "record %llu is excluded for %s but %s%s",
					    (unsigned long long)s->index, r->x.reason,
					    s->reason ? "fails " : "passes",
					    s->reason ? s->reason : " (or its serial differs)");
			}
			r->have_x = cs_excl_next(&v->release.excluded, &r->xpos, &r->xi, &r->x);
		} else if (s->reason != NULL) {
			r->mismatches++;
			problem(v, "release-exclusions", "record %llu fails %s but is not excluded",
			    (unsigned long long)s->index, s->reason);
		}
	}
	if (v->kind == CS_V_BATCH && cs_reason_ledger(s->reason))
		add_claim(r, s, s->reason, s->released_in);
	if (r->o->on_record != NULL && !r->stopped && r->o->on_record(r->o->ctx, &vr) != 0)
		r->stopped = 1;
}

/* Filter blocks asked for this many records ahead of their scan. */
#define SCAN_AHEAD 8

static void
prefetch_slot(struct run *r, const struct vblock *b, size_t i)
{
	int t;

	if (i < b->n && b->slot[i].decoded)
		for (t = 0; t < 3; t++)
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
		} else if (!r->failed_io) {
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
	s->index = index;
	s->off = (uint32_t)b->used;
	s->len = (uint32_t)len;
	memcpy(b->arena + b->used, p, len);
	b->used += len;
}

/* ---- batch-level checks --------------------------------------------------------- */

int
cs_verify_load(cs_verify *v, cs_zipr *z, cs_err *e)
{
	cs_err e2;
	int rc;

	memset(v, 0, sizeof *v);
	cs_buf_init(&v->header_buf, CS_HEADER_ENTRY_MAX + 1);
	cs_buf_init(&v->order_buf, CS_ORDER_ENTRY_MAX + 1);
	cs_buf_init(&v->release_buf, CS_RELEASE_ENTRY_MAX + 1);
	v->kind = cs_zipr_entries(z);

	if ((rc = cs_zipr_read(z, CS_ZE_HEADER, &v->header_buf, CS_HEADER_ENTRY_MAX, e)) != CS_OK ||
	    (rc = cs_zipr_read(z, CS_ZE_ORDER, &v->order_buf, CS_ORDER_ENTRY_MAX, e)) != CS_OK)
		return rc;
	if (v->kind == CS_V_RELEASE &&
	    (rc = cs_zipr_read(z, CS_ZE_RELEASE, &v->release_buf, CS_RELEASE_ENTRY_MAX, e)) != CS_OK)
		return rc;
	cs_err_clear(&e2);
	if ((rc = cs_order_load(&v->order_s, &v->order, v->order_buf.p, v->order_buf.len, &e2)) !=
	    CS_OK) {
		cs_err_prefix(&e2, CS_ENTRY_ORDER);
		*e = e2;
		return rc;
	}
	if ((rc = cs_cose_decode(&v->header_cose, v->header_buf.p, v->header_buf.len, &e2)) == CS_OK &&
	    (v->header_cose.multi || strcmp(v->header_cose.kind, CS_KIND_HEADER) != 0))
		rc = cs_fail(&e2, CS_MALFORMED, "kind", "not a batch header (a %s)",
		    v->header_cose.kind);
	if (rc == CS_OK)
		rc = cs_header_decode(&v->header, v->header_cose.payload, v->header_cose.payload_len,
		    &e2);
	if (rc != CS_OK) {
		cs_err_prefix(&e2, CS_ENTRY_HEADER);
		*e = e2;
		return rc;
	}
	cs_digest(v->header_digest, CS_KIND_HEADER, v->header_cose.payload,
	    v->header_cose.payload_len);
	if (v->kind != CS_V_RELEASE)
		return CS_OK;
	if ((rc = cs_cose_decode(&v->release_s.cose, v->release_buf.p, v->release_buf.len, &e2)) ==
		CS_OK &&
	    (!v->release_s.cose.multi || strcmp(v->release_s.cose.kind, CS_KIND_RELEASE) != 0))
		rc = cs_fail(&e2, CS_MALFORMED, "kind", "not a release (a %s)",
		    v->release_s.cose.kind);
	if (rc == CS_OK)
		rc = cs_release_decode(&v->release, v->release_s.cose.payload,
		    v->release_s.cose.payload_len, &e2);
	if (rc != CS_OK) {
		cs_err_prefix(&e2, CS_ENTRY_RELEASE);
		*e = e2;
		return rc;
	}
	cs_digest(v->release_s.digest, CS_KIND_RELEASE, v->release_s.cose.payload,
	    v->release_s.cose.payload_len);
	return CS_OK;
}

static int
batch_checks(cs_verify *v, const cs_vopts *o, cs_err *e)
{
	const cs_header *h = &v->header;
	const cs_order *ord = &v->order;
	uint8_t scratch[CS_HEADER_ENTRY_MAX + 256];
	cs_buf sb;
	cs_err e2;
	uint64_t seq = 0;
	size_t i;

	cs_err_clear(&e2);
	if (cs_order_verify(&v->order_s, ord, o->policy, o->policy_digest, &v->order_q, &e2) != CS_OK)
		problem(v, e2.reason, "order: %s", e2.msg);
	if (memcmp(h->order, v->order_s.digest, CS_DIGEST_LEN) != 0)
		problem(v, "header-order", "the header names another order than %s",
		    CS_ENTRY_ORDER);
	if (memcmp(h->deployment, ord->deployment, CS_DEPLOY_LEN) != 0 ||
	    strcmp(h->batch, ord->batch) != 0)
		problem(v, "header-batch", "the header's batch id \"%s\" or deployment differs from the "
		    "order's \"%s\"", h->batch, ord->batch);
	for (i = 0; i < ord->nstation; i++)
		if (memcmp(ord->station[i], h->station_pk, CS_PK_LEN) == 0)
			break;
	if (i == ord->nstation)
		problem(v, "station-not-allowed", "the header's station key is not one the order "
		    "allows");
	cs_buf_fixed(&sb, scratch, sizeof scratch);
	if (cs_cose_verify(&v->header_cose, 0, h->station_pk, &sb) != 0)
		problem(v, "station-signature", "the header's signature does not verify under its "
		    "station key");
	if (h->count > ord->quantity)
		problem(v, "quantity-exceeded", "%llu records, the order's quantity is %llu",
		    (unsigned long long)h->count, (unsigned long long)ord->quantity);
	if (o->lookup != NULL && o->lookup->batch != NULL) {
		if (o->lookup->batch(o->lookup->ctx, v->header_digest, &seq, e) != CS_OK)
			return CS_MALFORMED;
		if (seq != 0)
			problem(v, "batch-released", "this batch was already released (release %llu)",
			    (unsigned long long)seq);
	}
	if (o->lookup != NULL && o->lookup->order != NULL) {
		if (o->lookup->order(o->lookup->ctx, v->order_s.digest, &v->released, e) != CS_OK)
			return CS_MALFORMED;
		if (v->released > ord->quantity || h->count > ord->quantity - v->released)
			problem(v, "quantity-remaining",
			    "%llu records, but only %llu of the order's %llu remain after earlier "
			    "releases", (unsigned long long)h->count,
			    (unsigned long long)(v->released > ord->quantity ? 0
										: ord->quantity - v->released),
			    (unsigned long long)ord->quantity);
	}
	return CS_OK;
}

static void
release_checks(cs_verify *v, const cs_vopts *o)
{
	const cs_release *rl = &v->release;
	char a[2 * CS_DIGEST_LEN + 1];
	size_t i;

	cs_quorum_count(&v->release_q, &v->release_s.cose, o->policy);
	v->have_release_q = 1;
	if (v->release_q.valid < o->policy->threshold && !o->drafting)
		problem(v, "release-threshold",
		    "%zu valid signature%s from distinct custodians, the policy needs %llu",
		    v->release_q.valid, v->release_q.valid == 1 ? "" : "s",
		    (unsigned long long)o->policy->threshold);
	if (memcmp(rl->deployment, o->policy->deployment, CS_DEPLOY_LEN) != 0)
		problem(v, "release-deployment", "the release belongs to another deployment");
	if (memcmp(rl->policy, o->policy_digest, CS_DIGEST_LEN) != 0)
		problem(v, "release-policy", "the release was made under another policy");
	if (memcmp(rl->order, v->order_s.digest, CS_DIGEST_LEN) != 0 ||
	    strcmp(rl->batch, v->order.batch) != 0 ||
	    memcmp(rl->header, v->header_digest, CS_DIGEST_LEN) != 0 ||
	    memcmp(rl->records, v->header.records, CS_DIGEST_LEN) != 0 ||
	    rl->count != v->header.count)
		problem(v, "release-batch", "the release names another batch (order, batch id, header, "
		    "records digest or count) than the one it carries");
	for (i = 0; i < o->nwithdrawn; i++)
		if (sodium_memcmp(o->withdrawn[i], v->release_s.digest, CS_DIGEST_LEN) == 0) {
			problem(v, "release-withdrawn", "release %llu was withdrawn by the custodians",
			    (unsigned long long)rl->seq);
			break;
		}
	switch (o->drafting ? -1 : o->chain) {
	case -1:
		break;
	case CS_CHAIN_NONE:
		problem(v, "release-chain-unpinned", "no chain position given (--first or --after "
		    "SEQ:DIGEST): a release is accepted only as the next in the chain");
		break;
	case CS_CHAIN_FIRST:
		if (rl->seq != 1)
			problem(v, "release-skipped", "release %llu, but --first expects release 1",
			    (unsigned long long)rl->seq);
		break;
	default:
		cs_hex(a, o->after_digest, CS_DIGEST_LEN);
		if (rl->seq == o->after_seq &&
		    memcmp(v->release_s.digest, o->after_digest, CS_DIGEST_LEN) != 0)
			problem(v, "release-chain", "release %llu is a fork: release %llu:%s was "
			    "imported, this is another release with the same sequence",
			    (unsigned long long)rl->seq, (unsigned long long)o->after_seq, a);
		else if (rl->seq <= o->after_seq)
			problem(v, "release-replayed", "release %llu is not after the last imported "
			    "release %llu", (unsigned long long)rl->seq,
			    (unsigned long long)o->after_seq);
		else if (rl->seq > o->after_seq + 1)
			problem(v, "release-skipped", "release %llu skips from %llu",
			    (unsigned long long)rl->seq, (unsigned long long)o->after_seq);
		else if (!rl->has_prev || memcmp(rl->prev, o->after_digest, CS_DIGEST_LEN) != 0)
			problem(v, "release-chain", "release %llu does not name %llu:%s as its "
			    "predecessor (a fork)", (unsigned long long)rl->seq,
			    (unsigned long long)o->after_seq, a);
	}
}

/* ---- the records -------------------------------------------------------------- */

static int
start_threads(struct run *r, unsigned want)
{
	unsigned i;

	r->nblocks = 2 * (size_t)(want ? want : 1) + 2;
	if ((r->blocks = calloc(r->nblocks, sizeof *r->blocks)) == NULL)
		return cs_fail(r->e, CS_MALFORMED, "system", "out of memory");
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

/* One pass over the records entry: the entry split into records that go
 * out in blocks and come back in order, every byte through the pass's MAC
 * (and in PASS_SCAN through SHA-256, once) in order: the records' bytes
 * from the blocks (feed_in_order), then any that split into no record
 * (bytes_direct). The hash is taken in the first pass; the second pass's
 * bytes are those (the MACs and counts must agree), and its reading thread
 * also delivers every record to the caller. */
static int
read_pass(struct run *r, int pass, uint8_t *win, uint8_t *tbs)
{
	cs_verify *v = r->v;
	size_t cap = CS_VERIFY_CHUNK + CS_RECORD_MAX, have = 0, pos = 0, got, len;
	uint64_t base = 0, index = 0, *bytes = &r->bytes[pass - 1];
	cs_zips *s = NULL;
	int eof = 0, split = 1, rc, sp;

	if ((rc = cs_zips_open(&s, r->z, CS_ZE_RECORDS, r->e)) != CS_OK)
		return rc;
	crypto_onetimeauth_init(&r->mac_st, r->mac_key);
	crypto_hash_sha256_init(&r->sha);
	r->hash_seq = r->next_seq;
	for (;;) {
		if (have - pos < CS_RECORD_MAX && !eof) {
			memmove(win, win + pos, have - pos);
			base += pos;
			have -= pos;
			pos = 0;
			while (have < CS_RECORD_MAX && !eof) {
				if ((rc = cs_zips_read(s, win + have, cap - have, &got, r->e)) != CS_OK) {
					r->read_failed = 1;
					goto done;
				}
				if (!split)
					bytes_direct(r, pass, win + have, got);
				*bytes += got;
				have += got;
				eof = got == 0;
			}
		}
		if (pos == have)
			break;
		if (!split) {
			pos = have;
			continue;
		}
		sp = cs_cbor_item_len(win + pos, have - pos, CS_RECORD_MAX, &len);
		if (sp != 0) {
			if (pass == PASS_CHECK)
				problem(v, "records-malformed", "the records entry cannot be split after "
				    "record %llu (offset %llu): %s", (unsigned long long)index,
				    (unsigned long long)(base + pos),
				    sp > 0 ? "it ends inside an item" : "not well-formed CBOR, an "
				    "indefinite length, or an item above 8 KiB");
			split = 0;
			/* the records before this point first */
			submit(r, tbs);
			drain(r, 2, tbs);
			bytes_direct(r, pass, win + pos, have - pos);
			continue;
		}
		if (index == r->limit) {
			/* an item past the header's count: the batch fails
			 * records-count, and nothing a factory appends is examined,
			 * kept or reported one by one */
			r->overflow = 1;
			split = 0;
			submit(r, tbs);
			drain(r, 2, tbs);
			bytes_direct(r, pass, win + pos, have - pos);
			continue;
		}
		if (pass == PASS_CHECK && index % CKPT_EVERY == 0)
			r->ckpt[index / CKPT_EVERY] = base + pos;
		add_record(r, pass, win + pos, len, index, tbs);
		pos += len;
		index++;
		if (r->stopped || r->failed_io)
			break;
	}
	submit(r, tbs);
	drain(r, 2, tbs);
	if (r->failed_io) {
		rc = CS_MALFORMED;
		goto done;
	}
	crypto_onetimeauth_final(&r->mac_st, r->mac[pass - 1]);
	if (pass == PASS_SCAN)
		crypto_hash_sha256_final(&r->sha, v->records_digest);
	else
		v->streamed = !r->stopped;
	rc = CS_OK;
done:
	if (rc != CS_OK && r->read_failed) {
		/* what was read before the error goes through the filter all the
		 * same, and the second pass delivers those records */
		submit(r, tbs);
		drain(r, 2, tbs);
	}
	cs_zips_close(s);
	return rc;
}

static int
stream_records(struct run *r)
{
	cs_verify *v = r->v;
	const cs_vopts *o = r->o;
	uint8_t *win = NULL, *tbs = NULL;
	uint64_t size = cs_zipr_size(r->z, CS_ZE_RECORDS);
	unsigned want = o->threads;
	int rc, scan_failed;
	long ncpu;

	if (want == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		want = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (want > CS_VERIFY_MAX_THREADS)
		want = CS_VERIFY_MAX_THREADS;
	/* Every record examined is in the duplicate set, so a repeat anywhere
	 * among them is found: the records examined are the header's count
	 * (at most 2^24), whatever their size; an item past it is never
	 * examined (read_pass). Memory is the filter for that many records, as
	 * for an honest batch of the count, and never more than the entry can
	 * hold items (one byte the smallest). */
	r->limit = v->header.count < size ? v->header.count : size;
	if ((rc = cs_dupset_init_filtered(&r->dup, (size_t)r->limit, (size_t)r->limit, r->e)) !=
	    CS_OK)
		return rc;
	r->have_dup = 1;
	randombytes_buf(r->mac_key, sizeof r->mac_key);
	r->nckpt = (size_t)(r->limit / CKPT_EVERY + 1);
	if ((r->ckpt = calloc(r->nckpt + 1, sizeof *r->ckpt)) == NULL ||
	    (r->cbuf = malloc(2 * CS_RECORD_MAX)) == NULL ||
	    (win = malloc(CS_VERIFY_CHUNK + CS_RECORD_MAX)) == NULL ||
	    (tbs = malloc(CS_RECORD_MAX + 64)) == NULL) {
		rc = cs_fail(r->e, CS_MALFORMED, "system", "out of memory");
		goto done;
	}
	if ((rc = start_threads(r, want)) != CS_OK)
		goto done;
	/* A zip error in the first pass comes again, at the same byte, in the
	 * second, which reports it with the records before it (and the first
	 * pass saw all of those); if it does not come again, the bytes changed. */
	rc = read_pass(r, PASS_SCAN, win, tbs);
	if (r->failed_io)
		rc = CS_MALFORMED;
	if (rc != CS_OK && (!r->read_failed || r->failed_io))
		goto done;
	scan_failed = rc != CS_OK;
	cs_err_clear(r->e);
	r->read_failed = 0;
	cs_dupset_scan_end(&r->dup);
	if ((rc = read_pass(r, PASS_CHECK, win, tbs)) != CS_OK || !v->streamed)
		goto done;
	if (scan_failed || r->bytes[0] != r->bytes[1] ||
	    sodium_memcmp(r->mac[0], r->mac[1], sizeof r->mac[0]) != 0)
		rc = cs_fail(r->e, CS_MALFORMED, "io", "%s changed while the batch was being read",
		    CS_ENTRY_RECORDS);
done:
	if (r->blocks != NULL)
		stop_threads(r);
	free(win);
	free(tbs);
	return rc;
}

/* ---- "released before", against the releases named ------------------------------ */

/* Every record-released-* claim against the release it names: a release's
 * exclusion that no earlier release bears out is release-exclusions; a
 * verdict of the lookup (the office's index) that the release files do not
 * bear out means the index was altered, and nothing is drafted from it. */
static int
check_claims(struct run *r)
{
	cs_verify *v = r->v;
	const cs_rclaim *c;
	const char *where = r->o->earlier->where ? r->o->earlier->where : "the releases given";
	cs_err e2;
	size_t i;
	int rc;

	cs_err_clear(&e2);
	rc = cs_rclaims_check(r->claim, r->nclaim, r->o->earlier, r->o->threads, &e2);
	if (rc != CS_OK && v->kind == CS_V_RELEASE && e2.status == CS_REJECT) {
		problem(v, e2.reason, "%s", e2.msg);
		return CS_OK;
	}
	if (rc != CS_OK) {
		*r->e = e2;
		return rc;
	}
	for (i = 0; i < r->nclaim; i++) {
		c = &r->claim[i];
		if (c->state == CS_RCLAIM_HELD) {
			v->claims_checked++;
			continue;
		}
		if (v->kind == CS_V_BATCH)
			return cs_fail(r->e, CS_MALFORMED, "ledger-inconsistent", "record %llu: the "
			    "index says its %s was released in release %llu, but %s: the index was "
			    "altered (consign ledger rebuild)", (unsigned long long)c->index,
			    cs_rclaim_what(c->type), (unsigned long long)c->seq,
			    c->state == CS_RCLAIM_UNAVAILABLE ? "that release's file is missing"
							     : "that release does not hold it");
		r->mismatches++;
		if (c->state == CS_RCLAIM_UNAVAILABLE)
			problem(v, "release-exclusions", "record %llu is excluded as released in release "
			    "%llu, which is not in %s: it cannot be checked",
			    (unsigned long long)c->index, (unsigned long long)c->seq, where);
		else
			problem(v, "release-exclusions", "record %llu is excluded as released in release "
			    "%llu, but that release holds no such %s", (unsigned long long)c->index,
			    (unsigned long long)c->seq, cs_rclaim_what(c->type));
	}
	return CS_OK;
}

/* ---- entry point ------------------------------------------------------------------ */

int
cs_verify_zip(cs_verify *v, cs_zipr *z, const cs_vopts *o, cs_err *e)
{
	struct run *r = NULL;
	uint64_t size;
	int rc;

	memset(v, 0, sizeof *v);
	v->kind = cs_zipr_entries(z);
	if (o->policy == NULL || o->policy_digest == NULL)
		return cs_fail(e, CS_USAGE, "usage", "a batch is verified against a policy");
	if (o->expect != 0 && o->expect != v->kind)
		return cs_fail(e, CS_USAGE, "usage", "a %s, where a %s was expected",
		    v->kind == CS_V_RELEASE ? "release" : "batch",
		    o->expect == CS_V_RELEASE ? "release" : "batch");
	if ((rc = cs_verify_load(v, z, e)) == CS_REJECT) {
		/* an entry broke a zip limit while being read */
		problem(v, e->reason, "%s", e->msg);
		cs_err_clear(e);
		return CS_REJECT;
	}
	if (rc != CS_OK)
		return rc;
	if ((rc = batch_checks(v, o, e)) != CS_OK)
		return rc;
	if (v->kind == CS_V_RELEASE)
		release_checks(v, o);
	size = cs_zipr_size(z, CS_ZE_RECORDS);
	if (size > v->header.count * (uint64_t)CS_RECORD_MAX) {
		problem(v, "zip-size", "%s holds %llu bytes, more than %llu records can fill",
		    CS_ENTRY_RECORDS, (unsigned long long)size, (unsigned long long)v->header.count);
		return CS_REJECT;
	}
	if ((r = calloc(1, sizeof *r)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	r->v = v;
	r->o = o;
	r->e = e;
	r->z = z;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	if (v->kind == CS_V_RELEASE)
		r->have_x = cs_excl_next(&v->release.excluded, &r->xpos, &r->xi, &r->x);
	rc = stream_records(r);
	if (rc == CS_REJECT) {
		/* the records entry broke a zip limit while being read (zip-size) */
		problem(v, e->reason, "%s", e->msg);
		cs_err_clear(e);
		rc = CS_OK;
	}
	if (rc == CS_OK && v->streamed) {
		if (r->overflow)
			problem(v, "records-count", "%s holds more than the header's %llu records",
			    CS_ENTRY_RECORDS, (unsigned long long)v->header.count);
		else if (!r->overflow && v->records != v->header.count)
			problem(v, "records-count", "%s holds %llu records, the header says %llu",
			    CS_ENTRY_RECORDS, (unsigned long long)v->records,
			    (unsigned long long)v->header.count);
		if (memcmp(v->records_digest, v->header.records, CS_DIGEST_LEN) != 0)
			problem(v, "records-digest", "SHA-256 of %s differs from the header's",
			    CS_ENTRY_RECORDS);
		if (v->kind == CS_V_RELEASE && r->have_x) {
			r->mismatches++;
			problem(v, "release-exclusions", "record %llu is excluded but not in the batch",
			    (unsigned long long)r->x.index);
		}
	}
	if (rc == CS_OK && r->nclaim > 0)
		rc = check_claims(r);
	free(r->claim);
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
	if (rc != CS_OK)
		return rc;
	if (v->nproblem > 0 || (v->kind == CS_V_BATCH && v->failed > 0))
		return CS_REJECT;
	return CS_OK;
}

void
cs_verify_free(cs_verify *v)
{
	cs_buf_free(&v->header_buf);
	cs_buf_free(&v->order_buf);
	cs_buf_free(&v->release_buf);
}
