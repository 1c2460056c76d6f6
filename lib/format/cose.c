/* COSE_Sign1 / COSE_Sign in the project's profile: strict decode, Sig_structure,
 * canonical encode, signing that verifies its own result. */
#include "format/cose.h"

#include <string.h>

#include "crypto/port.h"

static const uint8_t empty_map[1] = {0xa0};

/* the one kind whose envelope may be signed with ES256 (artifact.h's
 * CS_KIND_RECORD; this file does not depend on the payloads) */
#define CS_KIND_RECORD_CT "record"

int
cs_cose_ctype(char out[CS_CTYPE_MAX + 1], const char *kind)
{
	size_t n = strlen(kind);

	if (n == 0 || n > CS_KIND_MAX)
		return -1;
	memcpy(out, CS_CTYPE_PREFIX, sizeof CS_CTYPE_PREFIX - 1);
	memcpy(out + sizeof CS_CTYPE_PREFIX - 1, kind, n);
	memcpy(out + sizeof CS_CTYPE_PREFIX - 1 + n, CS_CTYPE_SUFFIX, sizeof CS_CTYPE_SUFFIX);
	return 0;
}

/* The kind inside "application/vnd.consign.KIND+cbor": [a-z-]+ only. */
static int
kind_from_ctype(char kind[CS_KIND_MAX + 1], const char *s, size_t n)
{
	size_t pl = sizeof CS_CTYPE_PREFIX - 1, sl = sizeof CS_CTYPE_SUFFIX - 1, kl, i;

	if (n <= pl + sl || memcmp(s, CS_CTYPE_PREFIX, pl) != 0 ||
	    memcmp(s + n - sl, CS_CTYPE_SUFFIX, sl) != 0)
		return -1;
	kl = n - pl - sl;
	if (kl > CS_KIND_MAX)
		return -1;
	for (i = 0; i < kl; i++)
		if (!((s[pl + i] >= 'a' && s[pl + i] <= 'z') || s[pl + i] == '-'))
			return -1;
	memcpy(kind, s + pl, kl);
	kind[kl] = '\0';
	return 0;
}

/* Protected header map. want_alg / kind / kid say which of alg(1),
 * ctype(3), kid(4) must be present; nothing else may be. The algorithm is
 * EdDSA, or ES256 in a header whose kind is record (a device key made in a
 * secure element is P-256); *alg (may be NULL) receives it. */
static int
read_prot(cs_cr *outer, const uint8_t *p, size_t n, int want_alg, char *kind, uint8_t *kid,
    int *alg_out)
{
	cs_cr r;
	size_t entries, want = (size_t)(want_alg != 0) + (kind != NULL) + (kid != NULL), i;
	int64_t prev = -1, alg = CS_COSE_ALG_EDDSA;
	uint64_t key;
	const char *ct;
	size_t ctn;
	int rc;

	cs_cr_init(&r, p, n, outer->e);
	if ((rc = cs_cr_map(&r, &entries, want, want)) != CS_OK)
		goto fail;
	for (i = 0; i < entries; i++) {
		if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
			goto fail;
		if (key == CS_COSE_HDR_ALG && want_alg) {
			if ((rc = cs_cr_int(&r, &alg)) != CS_OK)
				goto fail;
			/* ES256 is let through here only to be held to the
			 * kind below, once the content type is read */
			if (alg != CS_COSE_ALG_EDDSA && !(alg == CS_COSE_ALG_ES256 && kind != NULL)) {
				rc = cs_cr_schema(&r, "protected header: algorithm %lld is not EdDSA (-8)",
				    (long long)alg);
				goto fail;
			}
		} else if (key == CS_COSE_HDR_CTYPE && kind != NULL) {
			if ((rc = cs_cr_text(&r, &ct, &ctn, 1, CS_CTYPE_MAX)) != CS_OK)
				goto fail;
			if (kind_from_ctype(kind, ct, ctn) != 0) {
				rc = cs_cr_schema(&r, "protected header: content type is not a consign kind");
				goto fail;
			}
		} else if (key == CS_COSE_HDR_KID && kid != NULL) {
			if ((rc = cs_cr_bytes_fixed(&r, kid, CS_KID_LEN)) != CS_OK)
				goto fail;
		} else {
			rc = cs_cr_schema(&r, "protected header: unexpected label %llu",
			    (unsigned long long)key);
			goto fail;
		}
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		goto fail;
	if (alg == CS_COSE_ALG_ES256 && strcmp(kind, CS_KIND_RECORD_CT) != 0) {
		rc = cs_cr_schema(&r, "protected header: algorithm -7 (ES256) in a %s: only device "
		    "records are signed with it", kind);
		goto fail;
	}
	if (alg_out != NULL)
		*alg_out = (int)alg;
	return CS_OK;
fail:
	cs_err_prefix(outer->e, "protected header at offset %zu", cs_cr_offset(outer));
	return rc;
}

static int
read_unprot(cs_cr *r)
{
	size_t n;
	int rc;

	if ((rc = cs_cr_map(r, &n, 0, 0)) != CS_OK)
		cs_err_prefix(r->e, "unprotected header must be empty");
	return rc;
}

int
cs_cose_read(cs_cose *c, cs_cr *r)
{
	const uint8_t *sp;
	size_t n, i, spn, sn;
	uint64_t tag;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = cs_cr_tag(r, &tag)) != CS_OK)
		return rc;
	if (tag != CS_COSE_TAG_SIGN1 && tag != CS_COSE_TAG_SIGN)
		return cs_cr_schema(r, "tag %llu is neither COSE_Sign1 (18) nor COSE_Sign (98)",
		    (unsigned long long)tag);
	c->multi = tag == CS_COSE_TAG_SIGN;
	if ((rc = cs_cr_array(r, &n, 4, 4)) != CS_OK)
		return rc;
	if ((rc = cs_cr_bytes(r, &c->prot, &c->prot_len, 1, 256)) != CS_OK)
		return rc;
	if (c->multi)
		rc = read_prot(r, c->prot, c->prot_len, 0, c->kind, NULL, NULL);
	else
		rc = read_prot(r, c->prot, c->prot_len, 1, c->kind, c->s[0].kid, &c->s[0].alg);
	if (rc != CS_OK)
		return rc;
	if ((rc = read_unprot(r)) != CS_OK)
		return rc;
	if ((rc = cs_cr_bytes(r, &c->payload, &c->payload_len, 1, SIZE_MAX)) != CS_OK)
		return rc;
	if (!c->multi) {
		if ((rc = cs_cr_bytes(r, &c->s[0].sig, &sn, CS_SIG_LEN, CS_SIG_LEN)) != CS_OK)
			return rc;
		c->s[0].prot = c->prot;
		c->s[0].prot_len = c->prot_len;
		c->nsig = 1;
		return CS_OK;
	}
	if ((rc = cs_cr_array(r, &c->nsig, 0, CS_COSE_MAX_SIGS)) != CS_OK)
		return rc;
	for (i = 0; i < c->nsig; i++) {
		if ((rc = cs_cr_array(r, &n, 3, 3)) != CS_OK)
			return rc;
		if ((rc = cs_cr_bytes(r, &sp, &spn, 1, 64)) != CS_OK)
			return rc;
		if ((rc = read_prot(r, sp, spn, 1, NULL, c->s[i].kid, &c->s[i].alg)) != CS_OK)
			return rc;
		c->s[i].prot = sp;
		c->s[i].prot_len = spn;
		if ((rc = read_unprot(r)) != CS_OK)
			return rc;
		if ((rc = cs_cr_bytes(r, &c->s[i].sig, &sn, CS_SIG_LEN, CS_SIG_LEN)) != CS_OK)
			return rc;
	}
	return CS_OK;
}

static int
read_cose(void *out, const uint8_t *p, size_t n, cs_err *e)
{
	cs_cr r;
	int rc;

	cs_cr_init(&r, p, n, e);
	if ((rc = cs_cose_read(out, &r)) != CS_OK)
		return rc;
	return cs_cr_done(&r);
}

int
cs_cose_decode(cs_cose *c, const uint8_t *p, size_t n, cs_err *e)
{
	return cs_cbor_decode(read_cose, c, p, n, e);
}

int
cs_cose_tbs_raw(cs_buf *out, const uint8_t *body_prot, size_t bp_len,
    const uint8_t *sign_prot, size_t sp_len, const uint8_t *aad, size_t aad_len,
    const uint8_t *payload, size_t plen)
{
	cs_cw w;

	cs_cw_init(&w, out);
	cs_cw_array_begin(&w);
	cs_cw_textz(&w, sign_prot != NULL ? "Signature" : "Signature1");
	cs_cw_bytes(&w, body_prot, bp_len);
	if (sign_prot != NULL)
		cs_cw_bytes(&w, sign_prot, sp_len);
	cs_cw_bytes(&w, aad, aad_len);
	cs_cw_bytes(&w, payload, plen);
	cs_cw_array_end(&w);
	return cs_cw_finish(&w) == 0 ? CS_OK : CS_MALFORMED;
}

int
cs_cose_tbs(cs_buf *out, const cs_cose *c, size_t i)
{
	if (c->multi)
		return cs_cose_tbs_raw(out, c->prot, c->prot_len, c->s[i].prot, c->s[i].prot_len,
		    NULL, 0, c->payload, c->payload_len);
	return cs_cose_tbs_raw(out, c->prot, c->prot_len, NULL, 0, NULL, 0, c->payload,
	    c->payload_len);
}

int
cs_cose_verify(const cs_cose *c, size_t i, const uint8_t pk[CS_PK_LEN], cs_buf *scratch)
{
	uint8_t kid[CS_KID_LEN];

	if (i >= c->nsig || c->s[i].alg != CS_COSE_ALG_EDDSA)
		return -1;
	cs_keyid(kid, pk);
	if (cs_port_memcmp(kid, c->s[i].kid, CS_KID_LEN) != 0)
		return -1;
	scratch->len = 0;
	if (cs_cose_tbs(scratch, c, i) != CS_OK)
		return -1;
	return cs_sig_verify(c->s[i].sig, scratch->p, scratch->len, pk);
}

int
cs_cose_alg_of_key(size_t len)
{
	return len == 32 ? CS_COSE_ALG_EDDSA : len == 65 ? CS_COSE_ALG_ES256 : 0;
}

int
cs_cose_encode_sign1_raw(cs_buf *out, const cs_cose_raw_signer *s, const uint8_t *payload,
    size_t plen)
{
	cs_cw w;

	cs_cw_init(&w, out);
	cs_cw_tag(&w, CS_COSE_TAG_SIGN1);
	cs_cw_array_begin(&w);
	cs_cw_bytes(&w, s->prot, s->prot_len);
	cs_cw_raw(&w, s->unprot, s->unprot_len);
	cs_cw_bytes(&w, payload, plen);
	cs_cw_bytes(&w, s->sig, CS_SIG_LEN);
	cs_cw_array_end(&w);
	return cs_cw_finish(&w) == 0 ? CS_OK : CS_MALFORMED;
}

int
cs_cose_encode_sign_raw(cs_buf *out, const uint8_t *prot, size_t prot_len,
    const uint8_t *unprot, size_t unprot_len, const uint8_t *payload, size_t plen,
    const cs_cose_raw_signer *s, size_t ns)
{
	cs_cw w;
	size_t i;

	cs_cw_init(&w, out);
	cs_cw_tag(&w, CS_COSE_TAG_SIGN);
	cs_cw_array_begin(&w);
	cs_cw_bytes(&w, prot, prot_len);
	cs_cw_raw(&w, unprot, unprot_len);
	cs_cw_bytes(&w, payload, plen);
	cs_cw_array_begin(&w);
	for (i = 0; i < ns; i++) {
		cs_cw_array_begin(&w);
		cs_cw_bytes(&w, s[i].prot, s[i].prot_len);
		cs_cw_raw(&w, s[i].unprot, s[i].unprot_len);
		cs_cw_bytes(&w, s[i].sig, CS_SIG_LEN);
		cs_cw_array_end(&w);
	}
	cs_cw_array_end(&w);
	cs_cw_array_end(&w);
	return cs_cw_finish(&w) == 0 ? CS_OK : CS_MALFORMED;
}

static int
sigcmp(const cs_cose_sig *a, const cs_cose_sig *b)
{
	int c = memcmp(a->kid, b->kid, CS_KID_LEN);

	return c != 0 ? c : memcmp(a->sig, b->sig, CS_SIG_LEN);
}

int
cs_cose_encode(cs_buf *out, const cs_cose *c)
{
	cs_cose_raw_signer rs[CS_COSE_MAX_SIGS];
	size_t order[CS_COSE_MAX_SIGS], i, j, ns = 0, t;

	if (!c->multi) {
		rs[0] = (cs_cose_raw_signer){c->prot, c->prot_len, empty_map, 1, c->s[0].sig};
		return cs_cose_encode_sign1_raw(out, &rs[0], c->payload, c->payload_len);
	}
	for (i = 0; i < c->nsig && i < CS_COSE_MAX_SIGS; i++)
		order[i] = i;
	for (i = 1; i < c->nsig; i++)
		for (j = i; j > 0 && sigcmp(&c->s[order[j]], &c->s[order[j - 1]]) < 0; j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (i = 0; i < c->nsig; i++) {
		const cs_cose_sig *s = &c->s[order[i]];

		if (i > 0 && sigcmp(s, &c->s[order[i - 1]]) == 0)
			continue;
		rs[ns++] = (cs_cose_raw_signer){s->prot, s->prot_len, empty_map, 1, s->sig};
	}
	return cs_cose_encode_sign_raw(out, c->prot, c->prot_len, empty_map, 1, c->payload,
	    c->payload_len, rs, ns);
}

/* Making signatures with a key in memory, into buffers that grow: host
 * tools only (the device agent signs its record itself, into its own fixed
 * buffers, and a freestanding build has no heap). */
#if __STDC_HOSTED__
#include <stdlib.h>

#include "attest/p256.h"

int
cs_cose_verify_record(const cs_cose *c, const uint8_t *key, size_t len, cs_buf *scratch,
    cs_err *e)
{
	uint8_t kid[CS_KID_LEN];
	cs_p256_key *k = NULL;
	cs_err pe;
	int rc, alg = cs_cose_alg_of_key(len);

	if (alg == CS_COSE_ALG_EDDSA && !cs_pk_valid(key))
		return cs_fail(e, CS_REJECT, "record-key-invalid",
		    "device key is not a valid prime-order point");
	if (alg == CS_COSE_ALG_ES256) {
		cs_err_clear(&pe);
		if ((rc = cs_p256_key_parse(&k, key, len, &pe)) != CS_OK)
			return rc == CS_REJECT ? cs_fail(e, CS_REJECT, "record-key-invalid",
						     "device key is not a P-256 point: %s", pe.msg)
					       : cs_fail(e, rc, pe.reason, "%s", pe.msg);
	}
	rc = CS_OK;
	cs_keyid_n(kid, key, len);
	scratch->len = 0;
	if (alg == 0 || c->multi || c->nsig != 1 || c->s[0].alg != alg ||
	    cs_port_memcmp(kid, c->s[0].kid, CS_KID_LEN) != 0 || cs_cose_tbs(scratch, c, 0) != CS_OK)
		rc = -1;
	else if (alg == CS_COSE_ALG_EDDSA)
		rc = cs_sig_verify(c->s[0].sig, scratch->p, scratch->len, key);
	else
		rc = cs_es256_verify(k, c->s[0].sig, scratch->p, scratch->len);
	cs_p256_key_free(k);
	if (rc != 0)
		return cs_fail(e, CS_REJECT, "record-signature",
		    "the record is not signed by its own device key");
	return CS_OK;
}

/* {1: alg, [3: ctype,] 4: kid}; alg 0: none */
static int
make_prot(cs_buf *b, const char *kind, int alg, const uint8_t *kid)
{
	char ct[CS_CTYPE_MAX + 1];
	cs_cw w;

	cs_cw_init(&w, b);
	cs_cw_map_begin(&w);
	if (alg) {
		cs_cw_uint(&w, CS_COSE_HDR_ALG);
		cs_cw_int(&w, alg);
	}
	if (kind != NULL) {
		if (cs_cose_ctype(ct, kind) != 0)
			return CS_USAGE;
		cs_cw_uint(&w, CS_COSE_HDR_CTYPE);
		cs_cw_textz(&w, ct);
	}
	if (kid != NULL) {
		cs_cw_uint(&w, CS_COSE_HDR_KID);
		cs_cw_bytes(&w, kid, CS_KID_LEN);
	}
	cs_cw_map_end(&w);
	return cs_cw_finish(&w) == 0 ? CS_OK : CS_MALFORMED;
}

int
cs_cose_sign1_create(cs_buf *out, const char *kind, const uint8_t *payload, size_t plen,
    const uint8_t sk[CS_SK_LEN], cs_err *e)
{
	cs_signer s;

	cs_signer_sk(&s, sk);
	return cs_cose_sign1_with(out, kind, payload, plen, &s, e);
}

/* A COSE_Sign1 of kind with the profile's protected header (alg, kid):
 * sign(ctx, ...) makes the signature over the ToBeSigned and checks it
 * against its own public key before anything is written to out. */
_Static_assert(CS_ES256_SIG_LEN == CS_SIG_LEN, "r || s is as long as an Ed25519 signature");
typedef int (*sign1_fn)(const void *ctx, uint8_t sig[CS_SIG_LEN], const uint8_t *m, size_t n,
    cs_err *e);

static int
sign1(cs_buf *out, const char *kind, int alg, const uint8_t kid[CS_KID_LEN],
    const uint8_t *payload, size_t plen, sign1_fn sign, const void *ctx, cs_err *e)
{
	uint8_t protm[128], sig[CS_SIG_LEN];
	cs_buf prot, tbs;
	cs_cose_raw_signer rs;
	int rc;

	cs_buf_fixed(&prot, protm, sizeof protm);
	cs_buf_init(&tbs, plen + 256);
	if (make_prot(&prot, kind, alg, kid) != CS_OK) {
		rc = cs_fail(e, CS_USAGE, "internal", "cannot build a protected header for %s", kind);
		goto done;
	}
	if (cs_cose_tbs_raw(&tbs, prot.p, prot.len, NULL, 0, NULL, 0, payload, plen) != CS_OK) {
		rc = cs_fail(e, CS_MALFORMED, "internal", "out of memory building ToBeSigned");
		goto done;
	}
	if ((rc = sign(ctx, sig, tbs.p, tbs.len, e)) != CS_OK)
		goto done;
	rs = (cs_cose_raw_signer){prot.p, prot.len, empty_map, 1, sig};
	if ((rc = cs_cose_encode_sign1_raw(out, &rs, payload, plen)) != CS_OK)
		cs_fail(e, rc, "internal", "output too large");
done:
	cs_buf_free(&tbs);
	return rc;
}

static int
sign_eddsa(const void *ctx, uint8_t sig[CS_SIG_LEN], const uint8_t *m, size_t n, cs_err *e)
{
	return cs_signer_sign(ctx, sig, m, n, e);
}

static int
sign_es256(const void *ctx, uint8_t sig[CS_SIG_LEN], const uint8_t *m, size_t n, cs_err *e)
{
	return cs_es256_sign(sig, ctx, m, n, e);
}

int
cs_cose_sign1_with(cs_buf *out, const char *kind, const uint8_t *payload, size_t plen,
    const cs_signer *s, cs_err *e)
{
	uint8_t kid[CS_KID_LEN];

	cs_keyid(kid, s->pk);
	return sign1(out, kind, CS_COSE_ALG_EDDSA, kid, payload, plen, sign_eddsa, s, e);
}

int
cs_cose_sign1_es256(cs_buf *out, const uint8_t *payload, size_t plen,
    const struct cs_p256_secret *sk, cs_err *e)
{
	uint8_t kid[CS_KID_LEN];

	cs_keyid_n(kid, cs_p256_secret_point(sk), CS_P256_PT_LEN);
	return sign1(out, CS_KIND_RECORD_CT, CS_COSE_ALG_ES256, kid, payload, plen, sign_es256, sk, e);
}

int
cs_cose_sign_draft(cs_buf *out, const char *kind, const uint8_t *payload, size_t plen)
{
	uint8_t protm[128];
	cs_buf prot;
	int rc;

	cs_buf_fixed(&prot, protm, sizeof protm);
	if ((rc = make_prot(&prot, kind, 0, NULL)) != CS_OK)
		return rc;
	return cs_cose_encode_sign_raw(out, prot.p, prot.len, empty_map, 1, payload, plen, NULL, 0);
}

int
cs_cose_sign_add(cs_buf *out, const cs_cose *c, const uint8_t sk[CS_SK_LEN], int *added,
    cs_err *e)
{
	cs_signer s;

	cs_signer_sk(&s, sk);
	return cs_cose_sign_add_with(out, c, &s, added, e);
}

int
cs_cose_sign_add_with(cs_buf *out, const cs_cose *c, const cs_signer *s, int *added, cs_err *e)
{
	uint8_t protm[64], sig[CS_SIG_LEN];
	cs_buf prot, tbs;
	cs_cose *n = NULL;
	size_t i;
	int rc = CS_MALFORMED;

	*added = 0;
	cs_buf_fixed(&prot, protm, sizeof protm);
	cs_buf_init(&tbs, c->payload_len + c->prot_len + 256);
	if (!c->multi)
		return cs_fail(e, CS_USAGE, "not-multi", "a COSE_Sign1 takes no further signatures");
	if ((n = malloc(sizeof *n)) == NULL)
		return cs_fail(e, CS_MALFORMED, "internal", "out of memory");
	*n = *c;
	cs_keyid(n->s[n->nsig < CS_COSE_MAX_SIGS ? n->nsig : 0].kid, s->pk);
	if (n->nsig >= CS_COSE_MAX_SIGS) {
		rc = cs_fail(e, CS_REJECT, "too-many-signatures", "already %d signatures",
		    CS_COSE_MAX_SIGS);
		goto done;
	}
	if (make_prot(&prot, NULL, CS_COSE_ALG_EDDSA, n->s[n->nsig].kid) != CS_OK)
		goto done;
	n->s[n->nsig].prot = prot.p;
	n->s[n->nsig].prot_len = prot.len;
	n->s[n->nsig].sig = sig;
	if (cs_cose_tbs(&tbs, n, n->nsig) != CS_OK) {
		rc = cs_fail(e, CS_MALFORMED, "internal", "out of memory building ToBeSigned");
		goto done;
	}
	if ((rc = cs_signer_sign(s, sig, tbs.p, tbs.len, e)) != CS_OK)
		goto done;
	for (i = 0; i < c->nsig; i++)
		if (cs_port_memcmp(c->s[i].sig, sig, CS_SIG_LEN) == 0)
			break;
	*added = i == c->nsig;
	n->nsig++;
	if ((rc = cs_cose_encode(out, n)) != CS_OK)
		cs_fail(e, rc, "internal", "output too large");
done:
	free(n);
	cs_buf_free(&tbs);
	return rc;
}
#endif
