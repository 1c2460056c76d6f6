/* COSE_Sign1 with ES256 as made outside consign: strict-encoding reader that
 * takes map keys in any order, verification over the project's Sig_structure,
 * and signing for simulated firmware. */
#include "attest/cose_es256.h"

#include <string.h>

#include "format/cose.h"

/* The value of label key in a header map; seen[] refuses repeats of the
 * few labels allowed (labels are read unsorted: COSE does not require
 * deterministic encoding and TF-M's encoder does not sort). */
static int
read_label(cs_cr *r, int64_t *key, int seen[5], int allowed_mask)
{
	int rc;

	if ((rc = cs_cr_int(r, key)) != CS_OK)
		return rc;
	if (*key < 0 || *key > 4 || !(allowed_mask & (1 << *key)))
		return cs_cr_schema(r, "COSE header label %lld is not taken", (long long)*key);
	if (seen[*key]++)
		return cs_cr_schema(r, "COSE header label %lld appears twice", (long long)*key);
	return CS_OK;
}

static int
read_prot(cs_es256_sign1 *s, cs_cr *outer)
{
	cs_cr r;
	size_t n, i;
	int64_t key, alg;
	int seen[5] = {0}, rc;
	uint64_t u;
	const char *t;
	size_t tn;

	cs_cr_init(&r, s->prot, s->prot_len, outer->e);
	if ((rc = cs_cr_map(&r, &n, 1, 3)) != CS_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((rc = read_label(&r, &key, seen, 1 << 1 | 1 << 3 | 1 << 4)) != CS_OK)
			goto fail;
		if (key == 1) {
			if ((rc = cs_cr_int(&r, &alg)) != CS_OK)
				goto fail;
			if (alg != CS_COSE_ALG_ES256) {
				rc = cs_cr_schema(&r, "algorithm %lld is not ES256 (-7)",
				    (long long)alg);
				goto fail;
			}
		} else if (key == 3) {
			if (cs_cr_peek(&r) == CS_CBOR_UINT)
				rc = cs_cr_uint(&r, &u);
			else
				rc = cs_cr_text(&r, &t, &tn, 1, CS_ES256_HDR_MAX);
			if (rc != CS_OK)
				goto fail;
		} else {
			rc = cs_cr_bytes(&r, &s->kid, &s->kid_len, 1, CS_ES256_KID_MAX);
			if (rc != CS_OK)
				goto fail;
		}
	}
	if (!seen[1]) {
		rc = cs_cr_schema(&r, "no algorithm");
		goto fail;
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		goto fail;
	return CS_OK;
fail:
	cs_err_prefix(outer->e, "protected header at offset %zu", cs_cr_offset(outer));
	return rc;
}

static int
read_unprot(cs_es256_sign1 *s, cs_cr *r)
{
	size_t n, i;
	int64_t key;
	int seen[5] = {0}, rc;

	if ((rc = cs_cr_map(r, &n, 0, 1)) != CS_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((rc = read_label(r, &key, seen, 1 << 4)) != CS_OK)
			goto fail;
		if (s->kid != NULL) {
			rc = cs_cr_schema(r, "kid in both headers");
			goto fail;
		}
		if ((rc = cs_cr_bytes(r, &s->kid, &s->kid_len, 1, CS_ES256_KID_MAX)) != CS_OK)
			goto fail;
	}
	return CS_OK;
fail:
	cs_err_prefix(r->e, "unprotected header");
	return rc;
}

int
cs_es256_sign1_read(cs_es256_sign1 *s, cs_cr *r)
{
	uint64_t tag;
	size_t n;
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = cs_cr_tag(r, &tag)) != CS_OK)
		return rc;
	if (tag != CS_COSE_TAG_SIGN1)
		return cs_cr_schema(r, "tag %llu is not COSE_Sign1 (18)", (unsigned long long)tag);
	if ((rc = cs_cr_array(r, &n, 4, 4)) != CS_OK)
		return rc;
	if ((rc = cs_cr_bytes(r, &s->prot, &s->prot_len, 1, CS_ES256_HDR_MAX)) != CS_OK)
		return rc;
	if ((rc = read_prot(s, r)) != CS_OK)
		return rc;
	if ((rc = read_unprot(s, r)) != CS_OK)
		return rc;
	if ((rc = cs_cr_bytes(r, &s->payload, &s->payload_len, 0, SIZE_MAX)) != CS_OK)
		return rc;
	return cs_cr_bytes(r, &s->sig, &n, CS_ES256_SIG_LEN, CS_ES256_SIG_LEN);
}

int
cs_es256_sign1_decode(cs_es256_sign1 *s, const uint8_t *p, size_t n, cs_err *e)
{
	cs_cr r;
	int rc;

	cs_cr_init(&r, p, n, e);
	if ((rc = cs_es256_sign1_read(s, &r)) != CS_OK)
		return rc;
	return cs_cr_done(&r);
}

int
cs_es256_sign1_verify(const cs_es256_sign1 *s, const cs_p256_key *k, const uint8_t *aad,
    size_t aad_len, cs_buf *scratch)
{
	scratch->len = 0;
	if (cs_cose_tbs_raw(scratch, s->prot, s->prot_len, NULL, 0, aad, aad_len, s->payload,
		s->payload_len) != CS_OK)
		return -1;
	return cs_es256_verify(k, s->sig, scratch->p, scratch->len);
}

int
cs_es256_prot(cs_buf *out)
{
	cs_cw w;

	cs_cw_init(&w, out);
	cs_cw_map_begin(&w);
	cs_cw_uint(&w, 1);
	cs_cw_int(&w, CS_COSE_ALG_ES256);
	cs_cw_map_end(&w);
	return cs_cw_finish(&w) == 0 ? CS_OK : CS_MALFORMED;
}

int
cs_es256_sign1_create(cs_buf *out, const uint8_t *prot, size_t prot_len, const uint8_t *unprot,
    size_t unprot_len, const uint8_t *payload, size_t plen, const cs_p256_secret *sk, cs_err *e)
{
	uint8_t sig[CS_ES256_SIG_LEN];
	cs_cose_raw_signer rs;
	cs_es256_sign1 s;
	cs_buf tbs;
	size_t start = out->len;
	int rc;

	cs_buf_init(&tbs, plen + prot_len + 64);
	if (cs_cose_tbs_raw(&tbs, prot, prot_len, NULL, 0, NULL, 0, payload, plen) != CS_OK) {
		rc = cs_fail(e, CS_MALFORMED, "system", "out of memory building ToBeSigned");
		goto done;
	}
	if ((rc = cs_es256_sign(sig, sk, tbs.p, tbs.len, e)) != CS_OK)
		goto done;
	rs = (cs_cose_raw_signer){prot, prot_len, unprot, unprot_len, sig};
	if ((rc = cs_cose_encode_sign1_raw(out, &rs, payload, plen)) != CS_OK) {
		cs_fail(e, rc, "too-large", "COSE_Sign1 does not fit its buffer");
		goto done;
	}
	/* what was written must read back in the profile above: headers the
	 * reader refuses are the caller's mistake, not a token to hand out */
	if ((rc = cs_es256_sign1_decode(&s, out->p + start, out->len - start, e)) != CS_OK) {
		out->len = start;
		cs_err_prefix(e, "new COSE_Sign1");
		goto done;
	}
done:
	cs_buf_free(&tbs);
	return rc;
}
