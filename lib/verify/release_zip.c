/* Writing a release zip: the verified batch's entries and a release.cose. */
#include "verify/release_zip.h"

#include <string.h>

#include <sodium.h>

#include "bundle/bundle.h"

/* Pulls the records entry of the source zip into the new one, hashing it on
 * the way: a records entry that is not the one verified fails the write. */
struct copy {
	cs_zips *s;
	crypto_hash_sha256_state st;
	uint64_t done, size;
	const uint8_t *want;
	cs_err *e;
	int checked;
};

static int
copy_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	struct copy *c = ctx;
	uint8_t d[CS_DIGEST_LEN];

	if (cs_zips_read(c->s, buf, cap, got, c->e) != CS_OK)
		return -1;
	crypto_hash_sha256_update(&c->st, buf, *got);
	c->done += *got;
	if (c->done == c->size && !c->checked) {
		c->checked = 1;
		crypto_hash_sha256_final(&c->st, d);
		if (memcmp(d, c->want, CS_DIGEST_LEN) != 0) {
			cs_fail(c->e, CS_MALFORMED, "io", "the records changed while being copied");
			return -1;
		}
	}
	return 0;
}

int
cs_release_zip_write(const char *out, cs_zipr *z, const cs_verify *v, const uint8_t *rel,
    size_t reln, cs_err *e)
{
	cs_bundle_entry ent[4];
	cs_bundle_source src[4];
	struct copy c;
	int rc;

	memset(ent, 0, sizeof ent);
	memset(src, 0, sizeof src);
	memset(&c, 0, sizeof c);
	if ((rc = cs_zips_open(&c.s, z, CS_ZE_RECORDS, e)) != CS_OK)
		return rc;
	crypto_hash_sha256_init(&c.st);
	c.size = cs_zipr_size(z, CS_ZE_RECORDS);
	c.want = v->header.records;
	c.e = e;
	ent[0].name = CS_ENTRY_HEADER;
	ent[0].data = v->header_buf.p;
	ent[0].len = v->header_buf.len;
	ent[1].name = CS_ENTRY_ORDER;
	ent[1].data = v->order_buf.p;
	ent[1].len = v->order_buf.len;
	ent[2].name = CS_ENTRY_RECORDS;
	src[2].read = copy_read;
	src[2].ctx = &c;
	src[2].size = c.size;
	ent[3].name = CS_ENTRY_RELEASE;
	ent[3].data = rel;
	ent[3].len = reln;
	if (c.size == 0) {
		uint8_t d[CS_DIGEST_LEN];

		/* nothing will be pulled, so nothing would be checked */
		crypto_hash_sha256(d, (const uint8_t *)"", 0);
		if (memcmp(d, v->header.records, CS_DIGEST_LEN) != 0) {
			cs_zips_close(c.s);
			return cs_fail(e, CS_REJECT, "records-digest", "the records differ from the header");
		}
	}
	rc = cs_bundle_write_src(out, ent, src, 4, (time_t)v->header.created, NULL, e);
	cs_zips_close(c.s);
	if (rc != CS_OK)
		cs_err_subject(e, "%s", out);
	return rc;
}

