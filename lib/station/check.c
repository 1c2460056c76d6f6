/* Record checks and the batch's uniqueness indexes for the station. */
#include "station/check.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "format/cose.h"

int
cs_station_check_record(const cs_order *o, const cs_appraiser *ap, const uint8_t *env,
    size_t n, cs_record *r, uint8_t digest[CS_DIGEST_LEN], cs_err *e)
{
	uint8_t scratch[CS_RECORD_MAX + 256];
	cs_evidence_work w;
	cs_err le;
	cs_cose c;
	cs_buf sb;
	int rc;

	memset(r, 0, sizeof *r);
	cs_err_clear(&le);
	if (n == 0 || n > CS_RECORD_MAX)
		return cs_fail(e, CS_REJECT, "record-malformed", "record of %zu bytes", n);
	if (cs_cose_decode(&c, env, n, &le) != CS_OK)
		return cs_fail(e, CS_REJECT, "record-malformed", "%s", le.msg);
	if (c.multi || strcmp(c.kind, CS_KIND_RECORD) != 0)
		return cs_fail(e, CS_REJECT, "record-malformed", "not a record envelope");
	if (cs_record_decode(r, c.payload, c.payload_len, &le) != CS_OK)
		return cs_fail(e, CS_REJECT, "record-malformed", "%s", le.msg);
	cs_digest(digest, CS_KIND_RECORD, c.payload, c.payload_len);
	cs_buf_fixed(&sb, scratch, sizeof scratch);
	if ((rc = cs_cose_verify_record(&c, r->pk, r->pk_len, &sb, e)) != CS_OK)
		return rc;
	if (sodium_memcmp(r->deployment, o->deployment, CS_DEPLOY_LEN) != 0)
		return cs_fail(e, CS_REJECT, "record-deployment", "record of another deployment");
	if (strcmp(r->batch, o->batch) != 0)
		return cs_fail(e, CS_REJECT, "record-batch", "record for batch %s, not %s", r->batch,
		    o->batch);
	if (sodium_memcmp(r->nonce, o->nonce, CS_NONCE_LEN) != 0)
		return cs_fail(e, CS_REJECT, "record-nonce", "record carries another batch nonce");
	if (r->serial < o->first || r->serial > o->last)
		return cs_fail(e, CS_REJECT, "record-serial-range",
		    "serial %llu is outside the order's range %llu-%llu",
		    (unsigned long long)r->serial, (unsigned long long)o->first,
		    (unsigned long long)o->last);
	if (ap == NULL || ap->required == 0)
		return CS_OK;
	memset(&w, 0, sizeof w);
	if ((rc = cs_evidence_bind(ap, r, &w, e)) == CS_OK) {
		cs_buf_fixed(&sb, scratch, sizeof scratch);
		rc = cs_evidence_verify(ap, r, &w, &sb, e);
	}
	cs_evidence_work_free(&w);
	return rc;
}

/* ---- the batch so far ---------------------------------------------------- */

#define SEEN_FIRST 1024

int
cs_seen_init(cs_seen *s, cs_err *e)
{
	memset(s, 0, sizeof *s);
	randombytes_buf(s->hkey, sizeof s->hkey);
	s->cap = SEEN_FIRST;
	s->slots = 2 * SEEN_FIRST;
	s->rec = calloc(s->cap, sizeof *s->rec);
	s->by_serial = calloc(s->slots, sizeof *s->by_serial);
	s->by_key = calloc(s->slots, sizeof *s->by_key);
	s->by_hwid = calloc(s->slots, sizeof *s->by_hwid);
	s->by_inst = calloc(s->slots, sizeof *s->by_inst);
	if (!s->rec || !s->by_serial || !s->by_key || !s->by_hwid || !s->by_inst) {
		cs_seen_free(s);
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	}
	return CS_OK;
}

void
cs_seen_free(cs_seen *s)
{
	free(s->rec);
	free(s->by_serial);
	free(s->by_key);
	free(s->by_hwid);
	free(s->by_inst);
	memset(s, 0, sizeof *s);
}

void
cs_seen_hwid_digest(uint8_t out[CS_DIGEST_LEN], const uint8_t *hwid, size_t n)
{
	crypto_hash_sha256(out, hwid, n);
}

enum { BY_SERIAL, BY_KEY, BY_HWID, BY_INST };

static size_t
hash(const cs_seen *s, const uint8_t *k, size_t n)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;
	size_t i;

	crypto_shorthash(h, k, n, s->hkey);
	for (i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return (size_t)(v & (s->slots - 1));
}

/* The bytes an index keys on for record i. */
static const uint8_t *
key_of(const cs_seen_rec *r, int which, uint8_t sbuf[8], size_t *n)
{
	int i;

	switch (which) {
	case BY_SERIAL:
		for (i = 0; i < 8; i++)
			sbuf[i] = (uint8_t)(r->serial >> (56 - 8 * i));
		*n = 8;
		return sbuf;
	case BY_KEY: *n = CS_DIGEST_LEN; return r->key;
	case BY_INST: *n = CS_PSA_INSTANCE_ID_LEN; return r->inst;
	default: *n = CS_DIGEST_LEN; return r->hwid;
	}
}

static uint32_t *
table(const cs_seen *s, int which)
{
	return which == BY_SERIAL ? s->by_serial : which == BY_KEY ? s->by_key
	       : which == BY_INST ? s->by_inst : s->by_hwid;
}

static int64_t
find(const cs_seen *s, int which, const uint8_t *k, size_t n)
{
	const uint32_t *t = table(s, which);
	uint8_t sb[8];
	const uint8_t *rk;
	size_t h = hash(s, k, n), kn;

	for (; t[h] != 0; h = (h + 1) & (s->slots - 1)) {
		rk = key_of(&s->rec[t[h] - 1], which, sb, &kn);
		if (kn == n && memcmp(rk, k, n) == 0)
			return (int64_t)t[h] - 1;
	}
	return -1;
}

static void
insert(cs_seen *s, int which, size_t i)
{
	uint32_t *t = table(s, which);
	uint8_t sb[8];
	const uint8_t *k;
	size_t kn, h;

	k = key_of(&s->rec[i], which, sb, &kn);
	for (h = hash(s, k, kn); t[h] != 0; h = (h + 1) & (s->slots - 1))
		;
	t[h] = (uint32_t)i + 1;
}

int64_t
cs_seen_serial(const cs_seen *s, uint64_t serial)
{
	uint8_t k[8];
	int i;

	for (i = 0; i < 8; i++)
		k[i] = (uint8_t)(serial >> (56 - 8 * i));
	return find(s, BY_SERIAL, k, 8);
}

void
cs_seen_key_digest(uint8_t out[CS_DIGEST_LEN], const uint8_t *key, size_t n)
{
	crypto_hash_sha256(out, key, n);
}

int64_t
cs_seen_key(const cs_seen *s, const uint8_t key[CS_DIGEST_LEN])
{
	return find(s, BY_KEY, key, CS_DIGEST_LEN);
}

int64_t
cs_seen_hwid(const cs_seen *s, const uint8_t hwid[CS_DIGEST_LEN])
{
	return find(s, BY_HWID, hwid, CS_DIGEST_LEN);
}

int64_t
cs_seen_instance(const cs_seen *s, const uint8_t inst[CS_PSA_INSTANCE_ID_LEN])
{
	return find(s, BY_INST, inst, CS_PSA_INSTANCE_ID_LEN);
}

/* Doubles the record array and rebuilds the indexes at twice the slots. */
static int
grow(cs_seen *s, cs_err *e)
{
	size_t ncap = s->cap * 2, i;
	cs_seen_rec *nr;
	uint32_t *a, *b, *c, *d;

	if ((nr = realloc(s->rec, ncap * sizeof *nr)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	s->rec = nr;
	a = calloc(2 * ncap, sizeof *a);
	b = calloc(2 * ncap, sizeof *b);
	c = calloc(2 * ncap, sizeof *c);
	d = calloc(2 * ncap, sizeof *d);
	if (!a || !b || !c || !d) {
		free(a);
		free(b);
		free(c);
		free(d);
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	}
	free(s->by_serial);
	free(s->by_key);
	free(s->by_hwid);
	free(s->by_inst);
	s->by_serial = a;
	s->by_key = b;
	s->by_hwid = c;
	s->by_inst = d;
	s->cap = ncap;
	s->slots = 2 * ncap;
	for (i = 0; i < s->n; i++) {
		insert(s, BY_SERIAL, i);
		insert(s, BY_KEY, i);
		insert(s, BY_HWID, i);
		if (s->rec[i].has_inst)
			insert(s, BY_INST, i);
	}
	return CS_OK;
}

int
cs_seen_add(cs_seen *s, const cs_record *r, const uint8_t digest[CS_DIGEST_LEN], cs_err *e)
{
	uint8_t hw[CS_DIGEST_LEN], kd[CS_DIGEST_LEN], inst[CS_PSA_INSTANCE_ID_LEN];
	cs_seen_rec *n;
	int64_t at;
	int rc, has_inst;

	has_inst = cs_evidence_instance(s->evidence, r, inst);
	cs_seen_hwid_digest(hw, r->hwid, r->hwid_len);
	cs_seen_key_digest(kd, r->pk, r->pk_len);
	if (cs_seen_serial(s, r->serial) >= 0)
		return cs_fail(e, CS_REJECT, "record-duplicate-serial",
		    "serial %llu is already in this batch", (unsigned long long)r->serial);
	if ((at = cs_seen_key(s, kd)) >= 0)
		return cs_fail(e, CS_REJECT, "record-duplicate-key",
		    "device key already in this batch (serial %llu)",
		    (unsigned long long)s->rec[at].serial);
	if ((at = cs_seen_hwid(s, hw)) >= 0)
		return cs_fail(e, CS_REJECT, "record-duplicate-hwid",
		    "hardware id already in this batch (serial %llu)",
		    (unsigned long long)s->rec[at].serial);
	if (has_inst && (at = cs_seen_instance(s, inst)) >= 0)
		return cs_fail(e, CS_REJECT, "record-duplicate-instance",
		    "a device with the same chip (PSA instance id) is already in this batch "
		    "(serial %llu)", (unsigned long long)s->rec[at].serial);
	if (s->n >= CS_MAX_QUANTITY)
		return cs_fail(e, CS_REJECT, "too-large", "more than %llu records", CS_MAX_QUANTITY);
	if (s->n == s->cap && (rc = grow(s, e)) != CS_OK)
		return rc;
	n = &s->rec[s->n];
	memset(n, 0, sizeof *n);
	n->serial = r->serial;
	memcpy(n->key, kd, CS_DIGEST_LEN);
	memcpy(n->hwid, hw, CS_DIGEST_LEN);
	memcpy(n->digest, digest, CS_DIGEST_LEN);
	if ((n->has_inst = (uint8_t)has_inst))
		memcpy(n->inst, inst, CS_PSA_INSTANCE_ID_LEN);
	insert(s, BY_SERIAL, s->n);
	insert(s, BY_KEY, s->n);
	insert(s, BY_HWID, s->n);
	if (has_inst)
		insert(s, BY_INST, s->n);
	s->n++;
	return CS_OK;
}

int
cs_seen_add_journaled(cs_seen *s, uint64_t index, const uint8_t *rec, size_t n, int strict,
    cs_err *e)
{
	uint8_t digest[CS_DIGEST_LEN];
	cs_record r;
	cs_cose c;
	int rc = CS_MALFORMED;

	if (cs_cose_decode(&c, rec, n, e) != CS_OK ||
	    (strict && (c.multi || strcmp(c.kind, CS_KIND_RECORD) != 0)) ||
	    cs_record_decode(&r, c.payload, c.payload_len, e) != CS_OK) {
		if (strict)
			cs_fail(e, CS_MALFORMED, "journal-corrupt", "not a record");
		goto fail;
	}
	cs_digest(digest, CS_KIND_RECORD, c.payload, c.payload_len);
	if ((rc = cs_seen_add(s, &r, digest, e)) == CS_OK)
		return CS_OK;
fail:
	cs_err_prefix(e, "journal record %llu", (unsigned long long)index);
	return rc;
}
