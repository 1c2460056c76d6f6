/* limit: the raw cryptographic limit of batch verification (issue 7). The
 * records of a batch or release are read and decoded once, up front; then a
 * tight loop does exactly the per-record work the spec demands and nothing
 * else: the prime-order check of the device key
 * (crypto_core_ed25519_is_valid_point) and the proof of possession
 * (crypto_sign_verify_detached over the record's exact Sig_structure), on
 * one core and then on every core (wall time), or only one of the two with
 * --cores (so that tests/bench/run can time each right beside the verify it
 * is compared with). With --parts it also times each piece of the
 * verifier's per-record work, that cryptography included, over the same
 * records (CPU time of one thread).
 *
 *   limit [--threads N] [--repeat N] [--cores one|all] [--parts] batch.zip
 *
 * Prints "name value" lines (tests/bench/run collects them). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define TOOL_NAME "limit"
#include "bench.h"
#include "bundle/reader.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "verify/batch.h"
#include "verify/dupset.h"

struct rec {
	uint8_t pk[CS_PK_LEN];
	uint8_t sig[CS_SIG_LEN];
	size_t off, len;        /* the record envelope in the entry */
	size_t tbs_off, tbs_len; /* its Sig_structure in the arena */
};

static struct {
	uint8_t *entry;
	size_t size;
	struct rec *r;
	size_t n;
	uint8_t *tbs;
} G;

/* Threads take records in chunks as they go, so one slowed down by other
 * work on the machine does not leave the others idle at the end. */
#define CHUNK 256

struct slice {
	size_t *next;   /* the next chunk's first record, shared */
	size_t done;
	size_t bad;
	pthread_t th;
};

/* The records entry, whole, and every record split, decoded and its
 * Sig_structure built: none of this is timed as the limit. */
static void
load(const char *path)
{
	cs_zipr *z;
	cs_err e;
	cs_cose c;
	cs_record rec;
	cs_buf tb;
	size_t pos, len, cap, used = 0;

	cs_err_clear(&e);
	if (cs_zipr_open(&z, path, &e) != CS_OK)
		die("cannot open the batch");
	G.entry = bench_records(z, &G.size);
	cs_zipr_close(z);
	cap = G.size / CS_RECORD_MIN + 1;
	if ((G.r = calloc(cap, sizeof *G.r)) == NULL || (G.tbs = malloc(G.size + cap * 64)) == NULL)
		die("out of memory");
	for (pos = 0; pos < G.size; pos += len) {
		struct rec *r = &G.r[G.n];

		if (cs_cbor_item_len(G.entry + pos, G.size - pos, CS_RECORD_MAX, &len) != 0 ||
		    cs_cose_decode(&c, G.entry + pos, len, &e) != CS_OK ||
		    cs_record_decode(&rec, c.payload, c.payload_len, &e) != CS_OK)
			die("a record does not decode");
		memcpy(r->pk, rec.pk, CS_PK_LEN);
		memcpy(r->sig, c.s[0].sig, CS_SIG_LEN);
		r->off = pos;
		r->len = len;
		cs_buf_fixed(&tb, G.tbs + used, G.size + cap * 64 - used);
		if (cs_cose_tbs_raw(&tb, c.prot, c.prot_len, NULL, 0, NULL, 0, c.payload,
			c.payload_len) != CS_OK)
			die("Sig_structure");
		r->tbs_off = used;
		r->tbs_len = tb.len;
		used += tb.len;
		G.n++;
	}
}

static void *
verify_slice(void *arg)
{
	struct slice *s = arg;
	size_t i, from, to;

	for (;;) {
		from = __atomic_fetch_add(s->next, CHUNK, __ATOMIC_RELAXED);
		if (from >= G.n)
			break;
		to = from + CHUNK < G.n ? from + CHUNK : G.n;
		for (i = from; i < to; i++) {
			const struct rec *r = &G.r[i];

			if (crypto_core_ed25519_is_valid_point(r->pk) != 1 ||
			    crypto_sign_verify_detached(r->sig, G.tbs + r->tbs_off, r->tbs_len,
				r->pk) != 0)
				s->bad++;
		}
		s->done += to - from;
	}
	return NULL;
}

/* Records per second over every record, on nth threads; *cps, records
 * per second of this thread's CPU time (what one thread alone costs). */
static double
limit(unsigned nth, double *cps)
{
	struct slice sl[64];
	size_t bad = 0, next = 0;
	unsigned t;
	double t0, c0;

	c0 = cpu();
	t0 = now();
	for (t = 0; t < nth; t++) {
		sl[t].next = &next;
		sl[t].done = sl[t].bad = 0;
		if (t > 0 && pthread_create(&sl[t].th, NULL, verify_slice, &sl[t]) != 0)
			die("cannot start a thread");
	}
	verify_slice(&sl[0]);
	c0 = cpu() - c0;
	for (t = 1; t < nth; t++)
		pthread_join(sl[t].th, NULL);
	t0 = now() - t0;
	*cps = (double)sl[0].done / c0;
	for (t = 0; t < nth; t++)
		bad += sl[t].bad;
	if (bad > 0)
		die("records fail: the limit is measured on a valid batch");
	return (double)G.n / t0;
}

static int
no_confirm(void *ctx, uint32_t index, int type, const uint8_t *v, size_t n)
{
	(void)ctx;
	(void)index;
	(void)type;
	(void)v;
	(void)n;
	return 0;
}

/* ns per record of each piece of the verifier's work, over the same records
 * (the zip reading and the threads' hand-offs excepted), each piece the way
 * lib/verify/batch.c does it. */
static void
parts(void)
{
	uint8_t h[32], kid[32], key[crypto_onetimeauth_KEYBYTES] = {1}, be[8];
	uint8_t tbsm[CS_RECORD_MAX + 64];
	crypto_hash_sha256_state st;
	crypto_onetimeauth_state mac;
	cs_dupset d;
	cs_duphash *dh;
	cs_record *recs;
	cs_cose c;
	cs_buf tb;
	cs_err e;
	size_t i, len, sink = 0;
	int64_t first;
	int t2;
	double t;

#define PART(name, body) \
	do { \
		t = cpu(); \
		for (i = 0; i < G.n; i++) { \
			const struct rec *r = &G.r[i]; \
			(void)r; \
			body; \
		} \
		printf("part_ns_%s %.1f\n", name, (cpu() - t) * 1e9 / (double)G.n); \
	} while (0)
#define WHOLE(name, body) \
	do { \
		t = cpu(); \
		body; \
		printf("part_ns_%s %.1f\n", name, (cpu() - t) * 1e9 / (double)G.n); \
	} while (0)

	if ((recs = calloc(G.n, sizeof *recs)) == NULL || (dh = calloc(3 * G.n, sizeof *dh)) == NULL)
		die("out of memory");
	cs_err_clear(&e);
	PART("split", sink += (size_t)cs_cbor_item_len(G.entry + r->off, G.size - r->off,
			    CS_RECORD_MAX, &len) + len);
	PART("decode", if (cs_cose_decode(&c, G.entry + r->off, r->len, &e) == CS_OK) sink +=
		(size_t)cs_record_decode(&recs[i], c.payload, c.payload_len, &e));
	WHOLE("sha256", crypto_hash_sha256_init(&st);
	    crypto_hash_sha256_update(&st, G.entry, G.size); crypto_hash_sha256_final(&st, h));
	WHOLE("mac_poly1305", crypto_onetimeauth_init(&mac, key);
	    crypto_onetimeauth_update(&mac, G.entry, G.size); crypto_onetimeauth_final(&mac, h));
	PART("keyid", cs_keyid(kid, r->pk); sink += kid[0]);
	PART("sig_structure", cs_buf_fixed(&tb, tbsm, sizeof tbsm);
	    if (cs_cose_decode(&c, G.entry + r->off, r->len, &e) == CS_OK) sink +=
		(size_t)cs_cose_tbs_raw(&tb, c.prot, c.prot_len, NULL, 0, NULL, 0, c.payload,
		    c.payload_len));
	if (cs_dupset_init_filtered(&d, G.n, G.n, 3, &e) != CS_OK)
		die("duplicate set");
	PART("dup_hash_x3", for (t2 = 0; t2 < 3; t2++) {
		const uint8_t *v = t2 == 0 ? be : t2 == 1 ? recs[i].pk : recs[i].hwid;
		size_t vn = t2 == 0 ? 8 : t2 == 1 ? CS_PK_LEN : recs[i].hwid_len;

		for (int b = 0; b < 8; b++)
			be[b] = (uint8_t)(recs[i].serial >> (56 - 8 * b));
		cs_dupset_hash(&d, t2 + 1, v, vn, &dh[3 * i + (size_t)t2]);
	});
	PART("dup_filter_x3", for (t2 = 0; t2 < 3; t2++) {
		if (i + 8 < G.n)
			cs_dupset_prefetch(&d, &dh[3 * (i + 8) + (size_t)t2]);
		sink += (size_t)cs_dupset_scan(&d, t2 + 1, &dh[3 * i + (size_t)t2], 1, &e);
	});
	cs_dupset_scan_end(&d);
	PART("dup_check_x3", for (t2 = 0; t2 < 3; t2++) {
		sink += (size_t)cs_dupset_check_hash(&d, t2 + 1, &dh[3 * i + (size_t)t2], be, 8,
		    (uint32_t)i, 1, no_confirm, NULL, &first, &e);
	});
	printf("dup_candidates %zu\n", d.n);
	cs_dupset_free(&d);
	PART("is_valid_point", sink += (size_t)crypto_core_ed25519_is_valid_point(r->pk));
	PART("sign_verify_detached",
	    sink += (size_t)crypto_sign_verify_detached(r->sig, G.tbs + r->tbs_off, r->tbs_len, r->pk));
#undef PART
#undef WHOLE
	if (sink == 1)
		printf("# %zu\n", sink);
	free(recs);
	free(dh);
}

int
main(int argc, char **argv)
{
	bench_limit_opts o;
	int a;

	if (sodium_init() < 0)
		return 2;
	bench_limit_init(&o);
	for (a = 1; a + 1 < argc && bench_limit_opt(&o, argc, argv, &a); a++)
		;
	if (a != argc - 1)
		die("usage: limit [--threads N] [--repeat N] [--cores one|all] [--parts] batch.zip");
	bench_limit_threads(&o);
	load(argv[a]);
	printf("limit_records %zu\n", G.n);
	bench_limit_runs("limit", &o, limit);
	if (o.parts)
		parts();
	free(G.entry);
	free(G.r);
	free(G.tbs);
	return 0;
}
