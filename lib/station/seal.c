/* Sealing a journal into the batch zip, and reading the zip back. */
#include "station/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zip.h>

#include "bundle/bundle.h"
#include "format/cose.h"
#include "station/check.h"
#include "station/journal.h"

#define OUT_CHUNK (1u << 20)
#define READ_CHUNK (64u << 10)

/* ---- journal -> records file ---------------------------------------------- */

struct sink {
	int fd;
	uint8_t *buf;
	size_t len;
	crypto_hash_sha256_state h;
	uint64_t count, confirmed;
	cs_seen seen;
	const cs_order *o;
};

static int
sink_flush(struct sink *s, cs_err *e)
{
	size_t done = 0;
	ssize_t w;

	while (done < s->len) {
		w = write(s->fd, s->buf + done, s->len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return cs_fail(e, CS_MALFORMED, "io", "cannot write the records: %s",
			    strerror(errno));
		done += (size_t)w;
	}
	s->len = 0;
	return CS_OK;
}

static int
sink_record(void *ctx, uint64_t index, const uint8_t *rec, size_t n, cs_err *e)
{
	struct sink *s = ctx;
	int rc;

	/* collect checked each record; a journal is ours, but sealing nothing
	 * unreadable and nothing twice costs little */
	if ((rc = cs_seen_add_journaled(&s->seen, index, rec, n, 1, e)) != CS_OK)
		return rc;
	if (s->len + n > OUT_CHUNK && (rc = sink_flush(s, e)) != CS_OK)
		return rc;
	memcpy(s->buf + s->len, rec, n);
	s->len += n;
	crypto_hash_sha256_update(&s->h, rec, n);
	s->count++;
	return CS_OK;
}

static int
sink_confirm(void *ctx, uint64_t index, cs_err *e)
{
	struct sink *s = ctx;

	(void)e;
	if (!s->seen.rec[index].confirmed) {
		s->seen.rec[index].confirmed = 1;
		s->confirmed++;
	}
	return CS_OK;
}

/* What the archive must say when read back before it takes its place. */
struct readback {
	const cs_order *o;
	const uint8_t *od, *order_env, *station_pk, *records;
	size_t order_len;
	uint64_t count;
	cs_seal_result got;
};

/* A pulled stick or a bad write must not look like a sealed batch. */
static int
read_back(void *ctx, const char *tmp, cs_err *e)
{
	struct readback *b = ctx;
	int rc;

	rc = cs_station_seal_check(tmp, b->o, b->od, b->order_env, b->order_len, b->station_pk,
	    &b->got, e);
	if (rc != CS_OK) {
		cs_err_prefix(e, "reading the batch back");
		return rc;
	}
	if (b->got.count != b->count || sodium_memcmp(b->got.records, b->records, CS_DIGEST_LEN) != 0)
		return cs_fail(e, CS_MALFORMED, "io", "the batch read back differs from what was written");
	return CS_OK;
}

struct cs_seal {
	cs_seal_args a;
	struct sink s;
	cs_journal j;
	char *tmp;            /* the records, streamed out of the journal */
	uint8_t records[CS_DIGEST_LEN];
	uint8_t station_pk[CS_PK_LEN];
	uint64_t torn;
};

void
cs_seal_close(cs_seal *z)
{
	if (z == NULL)
		return;
	cs_journal_close(&z->j);
	if (z->s.fd >= 0)
		close(z->s.fd);
	if (z->tmp != NULL)
		unlink(z->tmp);
	free(z->tmp);
	free(z->s.buf);
	cs_seen_free(&z->s.seen);
	free(z);
}

static int
seal_open(cs_seal **out, const cs_seal_args *a, const uint8_t station_pk[CS_PK_LEN], cs_err *e)
{
	const cs_order *o = a->order;
	cs_journal_visit v = {NULL, sink_record, sink_confirm};
	cs_seal *z;
	char jp[4096];
	size_t i, tlen = strlen(a->dir) + 32;
	int rc;

	*out = NULL;
	for (i = 0; i < o->nstation; i++)
		if (sodium_memcmp(o->station[i], station_pk, CS_PK_LEN) == 0)
			break;
	if (i == o->nstation)
		return cs_fail(e, CS_REJECT, "station-not-allowed",
		    "the order does not allow this station key to seal its batch");
	if ((z = calloc(1, sizeof *z)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	z->a = *a;
	memcpy(z->station_pk, station_pk, CS_PK_LEN);
	z->s.fd = -1;
	z->j.fd = -1;
	*out = z;
	if ((rc = cs_seen_init(&z->s.seen, e)) != CS_OK)
		return rc;
	z->s.seen.evidence = o->evidence;
	if ((z->s.buf = malloc(OUT_CHUNK)) == NULL || (z->tmp = malloc(tlen)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	/* before anything is made in dir: is there a journal at all */
	if ((size_t)snprintf(jp, sizeof jp, "%s/%s", a->dir, CS_JOURNAL_FILE) >= sizeof jp ||
	    access(jp, F_OK) != 0) {
		free(z->tmp);
		z->tmp = NULL;
		return cs_fail(e, CS_MALFORMED, "io", "no journal in this directory: %s",
		    strerror(errno));
	}
	snprintf(z->tmp, tlen, "%s/.records.XXXXXX", a->dir);
	if ((z->s.fd = mkostemp(z->tmp, O_CLOEXEC)) < 0) {
		free(z->tmp);
		z->tmp = NULL;
		return cs_fail(e, CS_MALFORMED, "io", "cannot create a temporary file in the "
		    "journal directory: %s", strerror(errno));
	}
	crypto_hash_sha256_init(&z->s.h);
	z->s.o = o;
	v.ctx = &z->s;
	if ((rc = cs_journal_open(&z->j, a->dir, a->order_digest, 0, &v, e)) != CS_OK)
		return rc;
	z->torn = z->j.torn;
	if ((rc = sink_flush(&z->s, e)) != CS_OK)
		return rc;
	if (z->s.count == 0)
		return cs_fail(e, CS_USAGE, "usage", "the journal holds no records: nothing to seal");
	if (z->s.count > o->quantity)
		return cs_fail(e, CS_MALFORMED, "journal-corrupt",
		    "the journal holds %llu records, the order only %llu",
		    (unsigned long long)z->s.count, (unsigned long long)o->quantity);
	crypto_hash_sha256_final(&z->s.h, z->records);
	return CS_OK;
}

int
cs_seal_open(cs_seal **out, const cs_seal_args *a, const uint8_t station_pk[CS_PK_LEN], cs_err *e)
{
	int rc = seal_open(out, a, station_pk, e);

	if (rc != CS_OK) {
		/* a journal's problem names the journal; the station key's
		 * (station-not-allowed) is the caller's to name */
		if (strcmp(e->reason, "station-not-allowed") != 0)
			cs_err_subject(e, "%s", a->dir);
		cs_seal_close(*out);
		*out = NULL;
	}
	return rc;
}

uint64_t
cs_seal_count(const cs_seal *z)
{
	return z->s.count;
}

int
cs_seal_finish(cs_seal *z, const cs_signer *key, cs_seal_result *res, cs_err *e)
{
	const cs_seal_args *a = &z->a;
	cs_header h;
	cs_buf pay, env;
	cs_bundle_entry ent[3];
	struct readback back;
	cs_bundle_check chk;
	int rc;

	memset(res, 0, sizeof *res);
	if (sodium_memcmp(key->pk, z->station_pk, CS_PK_LEN) != 0)
		return cs_fail(e, CS_USAGE, "usage", "another station key than the one the journal "
		    "was checked for");
	cs_buf_init(&pay, CS_PAYLOAD_MAX);
	cs_buf_init(&env, CS_HEADER_ENTRY_MAX);
	memset(&h, 0, sizeof h);
	memcpy(h.deployment, a->order->deployment, CS_DEPLOY_LEN);
	memcpy(h.order, a->order_digest, CS_DIGEST_LEN);
	memcpy(h.batch, a->order->batch, sizeof h.batch);
	h.count = z->s.count;
	memcpy(h.records, z->records, CS_DIGEST_LEN);
	h.created = a->created > 0 ? (uint64_t)a->created : 0;
	memcpy(h.station_pk, key->pk, CS_PK_LEN);
	if (cs_header_encode(&pay, &h) != CS_OK) {
		rc = cs_fail(e, CS_MALFORMED, "internal", "cannot encode the batch header");
		goto done;
	}
	if ((rc = cs_cose_sign1_with(&env, CS_KIND_HEADER, pay.p, pay.len, key, e)) != CS_OK)
		goto done;
	ent[0] = (cs_bundle_entry){.name = CS_ENTRY_HEADER, .data = env.p, .len = env.len};
	ent[1] = (cs_bundle_entry){.name = CS_ENTRY_ORDER, .data = a->order_env,
	    .len = a->order_len};
	ent[2] = (cs_bundle_entry){.name = CS_ENTRY_RECORDS, .file = z->tmp};
	back = (struct readback){.o = a->order, .od = a->order_digest, .order_env = a->order_env,
	    .station_pk = key->pk, .records = h.records, .order_len = a->order_len,
	    .count = z->s.count};
	chk = (cs_bundle_check){.fn = read_back, .ctx = &back};
	if ((rc = cs_bundle_write_src(a->out, ent, NULL, 3, a->created, &chk, e)) != CS_OK) {
		cs_err_subject(e, "%s", a->out);
		goto done;
	}
	*res = back.got;
	res->torn = z->torn;
	res->unconfirmed = z->s.count - z->s.confirmed;
done:
	cs_buf_free(&pay);
	cs_buf_free(&env);
	return rc;
}

/* ---- reading back --------------------------------------------------------- */

/* Reads a whole small entry into a new buffer of at most max bytes. */
static int
read_small(zip_t *z, zip_uint64_t i, size_t max, uint8_t **out, size_t *n, cs_err *e)
{
	zip_stat_t st;
	zip_file_t *f;
	zip_int64_t r;
	uint8_t *b;
	size_t got = 0;

	*out = NULL;
	if (zip_stat_index(z, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > max)
		return cs_fail(e, CS_REJECT, "zip-size", "entry %llu larger than %zu bytes",
		    (unsigned long long)i, max);
	if ((b = malloc((size_t)st.size + 1)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	if ((f = zip_fopen_index(z, i, 0)) == NULL) {
		free(b);
		return cs_fail(e, CS_MALFORMED, "zip-corrupt", "cannot open entry %llu: %s",
		    (unsigned long long)i, zip_strerror(z));
	}
	/* read one byte past the size, and to the end, so the CRC is checked */
	while ((r = zip_fread(f, b + got, (zip_uint64_t)(st.size + 1 - got))) > 0) {
		got += (size_t)r;
		if (got > st.size)
			break;
	}
	if (r < 0 || got != st.size || zip_fclose(f) != 0) {
		free(b);
		return cs_fail(e, CS_MALFORMED, "zip-corrupt", "entry %llu cannot be read to its end",
		    (unsigned long long)i);
	}
	*out = b;
	*n = got;
	return CS_OK;
}

/* Streams the records entry: digest, count, and each record parsed. */
static int
read_records(zip_t *z, zip_uint64_t i, uint64_t max_count, cs_seal_result *res, cs_err *e)
{
	crypto_hash_sha256_state h;
	zip_file_t *f;
	zip_int64_t r;
	uint8_t *b;
	size_t cap = 2 * CS_RECORD_MAX + READ_CHUNK, len = 0, off = 0;
	int eof = 0, rc = CS_OK;
	cs_record rec;
	cs_cose c;
	cs_cr cr;
	cs_err le;

	if ((b = malloc(cap)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	if ((f = zip_fopen_index(z, i, 0)) == NULL) {
		free(b);
		return cs_fail(e, CS_MALFORMED, "zip-corrupt", "cannot open the records: %s",
		    zip_strerror(z));
	}
	crypto_hash_sha256_init(&h);
	res->count = 0;
	for (;;) {
		/* keep at least one whole record buffered, or everything left */
		if (!eof && len - off < CS_RECORD_MAX) {
			memmove(b, b + off, len - off);
			len -= off;
			off = 0;
			while (!eof && len < cap - READ_CHUNK) {
				r = zip_fread(f, b + len, READ_CHUNK);
				if (r < 0) {
					rc = cs_fail(e, CS_MALFORMED, "zip-corrupt",
					    "the records cannot be read to their end");
					goto done;
				}
				if (r == 0)
					eof = 1;
				crypto_hash_sha256_update(&h, b + len, (size_t)r);
				len += (size_t)r;
			}
		}
		if (off == len)
			break;
		/* the decoder's error is the detail of record-malformed (cs_fail
		 * keeps the first error: given e, it would be the one kept) */
		cs_err_clear(&le);
		cs_cr_init(&cr, b + off, len - off < CS_RECORD_MAX ? len - off : CS_RECORD_MAX, &le);
		if ((rc = cs_cose_read(&c, &cr)) != CS_OK || c.multi ||
		    strcmp(c.kind, CS_KIND_RECORD) != 0 ||
		    cs_record_decode(&rec, c.payload, c.payload_len, &le) != CS_OK) {
			rc = cs_fail(e, CS_REJECT, "record-malformed", "not a record envelope%s%s",
			    le.msg[0] ? ": " : "", le.msg);
			cs_err_prefix(e, "record %llu", (unsigned long long)res->count);
			goto done;
		}
		off += cs_cr_offset(&cr);
		if (++res->count > max_count) {
			rc = cs_fail(e, CS_REJECT, "records-count", "more records than the header says");
			goto done;
		}
	}
	crypto_hash_sha256_final(&h, res->records);
done:
	if (zip_fclose(f) != 0 && rc == CS_OK)
		rc = cs_fail(e, CS_MALFORMED, "zip-corrupt", "the records fail their CRC");
	free(b);
	return rc;
}

int
cs_station_seal_check(const char *zip, const cs_order *o, const uint8_t od[CS_DIGEST_LEN],
    const uint8_t *order_env, size_t order_len, const uint8_t *station_pk, cs_seal_result *res,
    cs_err *e)
{
	static const char *const names[3] = {CS_ENTRY_HEADER, CS_ENTRY_ORDER, CS_ENTRY_RECORDS};
	uint8_t scratch[CS_HEADER_ENTRY_MAX + 256], *hb = NULL, *ob = NULL;
	size_t hn = 0, on = 0;
	zip_uint64_t i;
	zip_stat_t st;
	cs_header h;
	cs_cose c;
	cs_buf sb;
	zip_t *z;
	int zerr, rc = CS_MALFORMED;

	memset(res, 0, sizeof *res);
	if ((z = zip_open(zip, ZIP_RDONLY | ZIP_CHECKCONS, &zerr)) == NULL) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr); /* keeps errno for a system error */
		rc = cs_fail(e, CS_MALFORMED,
		    zerr == ZIP_ER_OPEN || zerr == ZIP_ER_READ || zerr == ZIP_ER_SEEK ? "io"
										     : "zip-corrupt",
		    "not a readable zip: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return rc;
	}
	if (zip_get_num_entries(z, 0) != 3) {
		rc = cs_fail(e, CS_REJECT, "zip-entries", "%lld entries, want 3",
		    (long long)zip_get_num_entries(z, 0));
		goto done;
	}
	for (i = 0; i < 3; i++) {
		const char *nm = zip_get_name(z, i, ZIP_FL_ENC_RAW);

		if (nm == NULL || strcmp(nm, names[i]) != 0) {
			rc = cs_fail(e, CS_REJECT, "zip-entries", "entry %llu is not %s",
			    (unsigned long long)i, names[i]);
			goto done;
		}
		if (zip_stat_index(z, i, 0, &st) != 0 || st.comp_method != ZIP_CM_STORE ||
		    st.encryption_method != ZIP_EM_NONE) {
			rc = cs_fail(e, CS_REJECT, "zip-method", "%s is not stored plainly", names[i]);
			goto done;
		}
	}
	if ((rc = read_small(z, 0, CS_HEADER_ENTRY_MAX, &hb, &hn, e)) != CS_OK ||
	    (rc = read_small(z, 1, CS_ORDER_ENTRY_MAX, &ob, &on, e)) != CS_OK)
		goto done;
	if (on != order_len || memcmp(ob, order_env, on) != 0) {
		rc = cs_fail(e, CS_REJECT, "header-order", "the order entry is not the order given");
		goto done;
	}
	if ((rc = cs_cose_decode(&c, hb, hn, e)) != CS_OK || c.multi ||
	    strcmp(c.kind, CS_KIND_HEADER) != 0 ||
	    (rc = cs_header_decode(&h, c.payload, c.payload_len, e)) != CS_OK) {
		rc = cs_fail(e, CS_MALFORMED, "schema", "the header entry is not a batch header");
		goto done;
	}
	cs_buf_fixed(&sb, scratch, sizeof scratch);
	if ((station_pk != NULL && sodium_memcmp(h.station_pk, station_pk, CS_PK_LEN) != 0) ||
	    cs_cose_verify(&c, 0, h.station_pk, &sb) != 0) {
		rc = cs_fail(e, CS_REJECT, "station-signature",
		    "the header is not signed by the station key");
		goto done;
	}
	if (sodium_memcmp(h.order, od, CS_DIGEST_LEN) != 0) {
		rc = cs_fail(e, CS_REJECT, "header-order", "the header names another order");
		goto done;
	}
	if (strcmp(h.batch, o->batch) != 0 ||
	    sodium_memcmp(h.deployment, o->deployment, CS_DEPLOY_LEN) != 0) {
		rc = cs_fail(e, CS_REJECT, "header-batch", "the header's batch or deployment differs");
		goto done;
	}
	if (zip_stat_index(z, 2, 0, &st) != 0 || st.size > h.count * (uint64_t)CS_RECORD_MAX) {
		rc = cs_fail(e, CS_REJECT, "zip-size", "the records entry is larger than its count allows");
		goto done;
	}
	if ((rc = read_records(z, 2, h.count, res, e)) != CS_OK)
		goto done;
	if (res->count != h.count) {
		rc = cs_fail(e, CS_REJECT, "records-count", "%llu records, the header says %llu",
		    (unsigned long long)res->count, (unsigned long long)h.count);
		goto done;
	}
	if (sodium_memcmp(res->records, h.records, CS_DIGEST_LEN) != 0) {
		rc = cs_fail(e, CS_REJECT, "records-digest", "the records differ from the header's digest");
		goto done;
	}
	cs_digest(res->header, CS_KIND_HEADER, c.payload, c.payload_len);
	rc = CS_OK;
done:
	free(hb);
	free(ob);
	zip_discard(z);
	return rc;
}
