/* Checking "already released" claims against the earlier release files. */
#include "verify/released.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "verify/batch.h"

const char *
cs_rclaim_what(int type)
{
	return type == 1 ? "serial" : type == 2 ? "device key" : type == 4 ? "PSA instance id"
									   : "hardware id";
}

/* inst: the record's instance id, NULL when it has none (type 4 only) */
static void
value_hash(uint8_t h[CS_RCLAIM_HASH], int type, const cs_record *r, const uint8_t *inst)
{
	crypto_generichash_state st;
	uint8_t t = (uint8_t)type, be[8];
	int k;

	crypto_generichash_init(&st, NULL, 0, CS_RCLAIM_HASH);
	crypto_generichash_update(&st, &t, 1);
	if (type == 1) {
		for (k = 0; k < 8; k++)
			be[k] = (uint8_t)(r->serial >> (56 - 8 * k));
		crypto_generichash_update(&st, be, sizeof be);
	} else if (type == 2) {
		crypto_generichash_update(&st, r->pk, r->pk_len);
	} else if (type == 4) {
		/* no instance id hashes as the empty value, which no chip has */
		if (inst != NULL)
			crypto_generichash_update(&st, inst, CS_PSA_INSTANCE_ID_LEN);
	} else {
		crypto_generichash_update(&st, r->hwid, r->hwid_len);
	}
	crypto_generichash_final(&st, h, CS_RCLAIM_HASH);
}

void
cs_rclaim_make(cs_rclaim *c, uint64_t index, uint64_t seq, const char *reason, const cs_record *r,
    const uint8_t *inst)
{
	memset(c, 0, sizeof *c);
	c->seq = seq;
	c->index = index;
	c->type = (uint8_t)cs_reason_released_type(reason);
	value_hash(c->h, c->type, r, inst);
}

static int
claim_cmp(const void *a, const void *b)
{
	const cs_rclaim *x = a, *y = b;
	int d;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if ((d = memcmp(x->h, y->h, CS_RCLAIM_HASH)) != 0)
		return d;
	return x->index < y->index ? -1 : x->index > y->index;
}

struct scan {
	cs_rclaim *c;   /* the claims on one release, sorted by hash */
	size_t n;
};

/* Marks every claim whose hash is h (they are adjacent). */
static void
mark(struct scan *s, const uint8_t h[CS_RCLAIM_HASH])
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(s->c[mid].h, h, CS_RCLAIM_HASH) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->n && memcmp(s->c[lo].h, h, CS_RCLAIM_HASH) == 0; lo++)
		s->c[lo].state = CS_RCLAIM_HELD;
}

static int
on_earlier(void *ctx, const cs_vrec *r)
{
	struct scan *s = ctx;
	uint8_t h[CS_RCLAIM_HASH];
	int t;

	/* a value that release accepted: a record it carries, passing, not excluded */
	if (r->excluded || r->reason != NULL || !r->decoded)
		return 0;
	for (t = 1; t <= 3; t++) {
		value_hash(h, t, r->rec, NULL);
		mark(s, h);
	}
	if (r->instance != NULL) {
		value_hash(h, 4, r->rec, r->instance);
		mark(s, h);
	}
	return 0;
}

/* Streams release seq and marks the claims c[0..n) on it. */
static int
check_one(cs_rclaim *c, size_t n, const cs_vearlier *ea, unsigned threads, int engine,
    cs_err *e)
{
	static const char *const what = "earlier release";
	const cs_policy *pol = NULL;
	const uint8_t *pd = NULL;
	uint8_t want[CS_DIGEST_LEN];
	cs_verify *v = NULL;
	cs_zipr *z = NULL;
	struct scan s = {c, n};
	cs_vopts vo;
	size_t i;
	int found = 0, rc;

	if ((rc = ea->open(ea->ctx, c[0].seq, &z, &pol, &pd, want, &found, e)) != CS_OK)
		return rc;
	if (!found) {
		for (i = 0; i < n; i++)
			c[i].state = CS_RCLAIM_UNAVAILABLE;
		return CS_OK;
	}
	if ((v = calloc(1, sizeof *v)) == NULL) {
		cs_zipr_close(z);
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	}
	memset(&vo, 0, sizeof vo);
	vo.policy = pol;
	vo.policy_digest = pd;
	vo.threads = threads;
	vo.engine = engine;
	vo.expect = CS_V_RELEASE;
	vo.drafting = 1; /* its place in the chain is its digest, checked below */
	vo.on_record = on_earlier;
	vo.ctx = &s;
	rc = cs_verify_zip(v, z, &vo, e);
	if (rc == CS_OK && v->release.seq != c[0].seq)
		rc = cs_fail(e, CS_REJECT, "release-exclusions", "the %s given as %llu is release %llu",
		    what, (unsigned long long)c[0].seq, (unsigned long long)v->release.seq);
	else if (rc == CS_OK && sodium_memcmp(v->release_s.digest, want, CS_DIGEST_LEN) != 0)
		rc = cs_fail(e, CS_REJECT, "release-exclusions", "the %s %llu is not the one in the "
		    "chain (another digest)", what, (unsigned long long)c[0].seq);
	else if (rc == CS_OK && v->release_q.valid < pol->threshold)
		rc = cs_fail(e, CS_REJECT, "release-exclusions", "the %s %llu carries %zu valid "
		    "signatures, its policy needs %llu", what, (unsigned long long)c[0].seq,
		    v->release_q.valid, (unsigned long long)pol->threshold);
	else if (rc == CS_REJECT)
		rc = cs_fail(e, CS_REJECT, "release-exclusions", "the %s %llu does not verify (%s)",
		    what, (unsigned long long)c[0].seq, v->nproblem ? v->problem[0].reason : "rejected");
	if (rc == CS_OK)
		for (i = 0; i < n; i++)
			if (c[i].state != CS_RCLAIM_HELD)
				c[i].state = CS_RCLAIM_NOT_HELD;
	cs_verify_free(v);
	free(v);
	cs_zipr_close(z);
	return rc;
}

int
cs_rclaims_check(cs_rclaim *c, size_t n, const cs_vearlier *ea, unsigned threads, int engine,
    cs_err *e)
{
	size_t i, j;
	int rc;

	qsort(c, n, sizeof *c, claim_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && c[j].seq == c[i].seq; j++)
			;
		if ((rc = check_one(c + i, j - i, ea, threads, engine, e)) != CS_OK)
			return rc;
	}
	return CS_OK;
}

/* ---- a directory of earlier releases ------------------------------------------ */

#define DIR_MAX_FILES 100000

struct efile {
	uint64_t seq;
	int has_prev;
	uint8_t d[CS_DIGEST_LEN], prev[CS_DIGEST_LEN], policy[CS_DIGEST_LEN];
	char *path;
};

struct cs_earlier_dir {
	char *dir;
	struct efile *f;
	size_t n;
	const cs_policy *pol;
	uint8_t pd[CS_DIGEST_LEN];
	uint64_t upto;
	uint8_t prev[CS_DIGEST_LEN];
};

static int
efile_cmp(const void *a, const void *b)
{
	const struct efile *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return memcmp(x->d, y->d, CS_DIGEST_LEN);
}

void
cs_earlier_dir_close(cs_earlier_dir *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->f[i].path);
	free(d->f);
	free(d->dir);
	free(d);
}

/* Loads the release entry of one zip into f; 0, or -1 when it is not a
 * release zip (skipped: a directory may hold other files). */
static int
load_one(struct efile *f, const char *path)
{
	cs_verify *v;
	cs_zipr *z = NULL;
	cs_err e;
	int rc = -1;

	cs_err_clear(&e);
	if ((v = calloc(1, sizeof *v)) == NULL)
		return -1;
	if (cs_zipr_open(&z, path, &e) == CS_OK && cs_zipr_entries(z) == CS_V_RELEASE &&
	    cs_verify_load(v, z, &e) == CS_OK) {
		f->seq = v->release.seq;
		f->has_prev = v->release.has_prev;
		memcpy(f->d, v->release_s.digest, CS_DIGEST_LEN);
		memcpy(f->prev, v->release.prev, CS_DIGEST_LEN);
		memcpy(f->policy, v->release.policy, CS_DIGEST_LEN);
		rc = 0;
	}
	cs_verify_free(v);
	free(v);
	cs_zipr_close(z);
	return rc;
}

int
cs_earlier_dir_open(cs_earlier_dir **out, const char *dir, const cs_policy *pol,
    const uint8_t pol_digest[CS_DIGEST_LEN], cs_err *e)
{
	cs_earlier_dir *d;
	struct dirent *de;
	struct efile f, *nf;
	size_t len, cap = 0, i;
	char *path;
	DIR *dh;
	int rc = CS_OK;

	*out = NULL;
	if ((dh = opendir(dir)) == NULL)
		return cs_fail(e, CS_USAGE, "io", "cannot read the directory: %s", strerror(errno));
	if ((d = calloc(1, sizeof *d)) == NULL || (d->dir = strdup(dir)) == NULL) {
		closedir(dh);
		free(d);
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	}
	d->pol = pol;
	memcpy(d->pd, pol_digest, CS_DIGEST_LEN);
	while ((de = readdir(dh)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".zip") != 0)
			continue;
		if (d->n == DIR_MAX_FILES) {
			rc = cs_fail(e, CS_MALFORMED, "too-large", "more than %d zips",
			    DIR_MAX_FILES);
			break;
		}
		if ((path = malloc(strlen(dir) + len + 2)) == NULL) {
			rc = cs_fail(e, CS_MALFORMED, "system", "out of memory");
			break;
		}
		sprintf(path, "%s/%s", dir, de->d_name);
		memset(&f, 0, sizeof f);
		if (load_one(&f, path) != 0) {
			free(path);
			continue;
		}
		f.path = path;
		if (d->n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((nf = realloc(d->f, cap * sizeof *nf)) == NULL) {
				free(path);
				rc = cs_fail(e, CS_MALFORMED, "system", "out of memory");
				break;
			}
			d->f = nf;
		}
		d->f[d->n++] = f;
	}
	closedir(dh);
	if (rc == CS_OK && d->n > 0) {
		qsort(d->f, d->n, sizeof *d->f, efile_cmp);
		for (i = 1; i < d->n && rc == CS_OK; i++)
			if (d->f[i].seq == d->f[i - 1].seq &&
			    memcmp(d->f[i].d, d->f[i - 1].d, CS_DIGEST_LEN) != 0)
				rc = cs_fail(e, CS_MALFORMED, "release-chain", "two different releases "
				    "%llu: %s and %s", (unsigned long long)d->f[i].seq,
				    d->f[i - 1].path, d->f[i].path);
	}
	if (rc != CS_OK) {
		cs_earlier_dir_close(d);
		return rc;
	}
	*out = d;
	return CS_OK;
}

void
cs_earlier_dir_bind(cs_earlier_dir *d, uint64_t seq, const uint8_t prev[CS_DIGEST_LEN])
{
	d->upto = seq;
	memcpy(d->prev, prev, CS_DIGEST_LEN);
}

size_t
cs_earlier_dir_count(const cs_earlier_dir *d)
{
	return d->n;
}

static const struct efile *
find(const cs_earlier_dir *d, uint64_t seq, const uint8_t digest[CS_DIGEST_LEN])
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->f[i].seq == seq && memcmp(d->f[i].d, digest, CS_DIGEST_LEN) == 0)
			return &d->f[i];
	return NULL;
}

static int
dir_open(void *ctx, uint64_t seq, cs_zipr **z, const cs_policy **pol, const uint8_t **pol_digest,
    uint8_t digest[CS_DIGEST_LEN], int *found, cs_err *e)
{
	cs_earlier_dir *d = ctx;
	const struct efile *f = NULL;
	uint64_t k;
	cs_err ze;
	int rc;

	*found = 0;
	if (seq == 0 || seq >= d->upto)
		return CS_OK;
	/* the chain back from the release being checked, one predecessor at a time */
	memcpy(digest, d->prev, CS_DIGEST_LEN);
	for (k = d->upto - 1;; k--) {
		if ((f = find(d, k, digest)) == NULL)
			return CS_OK;
		if (k == seq)
			break;
		if (!f->has_prev)
			return CS_OK;
		memcpy(digest, f->prev, CS_DIGEST_LEN);
	}
	if (memcmp(f->policy, d->pd, CS_DIGEST_LEN) != 0)
		return CS_OK;
	/* the reader's refusal goes to its own cs_err: cs_fail keeps the
	 * first error, and this one is the claim's */
	cs_err_clear(&ze);
	if ((rc = cs_zipr_open(z, f->path, &ze)) != CS_OK)
		return rc == CS_REJECT ? cs_fail(e, CS_REJECT, "release-exclusions",
					     "%s: %s", f->path, ze.msg)
				       : cs_err_take(e, &ze);
	*pol = d->pol;
	*pol_digest = d->pd;
	*found = 1;
	return CS_OK;
}

void
cs_earlier_dir_get(cs_earlier_dir *d, cs_vearlier *ea)
{
	ea->ctx = d;
	ea->open = dir_open;
	ea->where = d->dir;
}
