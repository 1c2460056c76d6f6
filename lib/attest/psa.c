/* PSA attestation tokens: a two-pass claims decoder (the profile first, then
 * every claim under that profile's keys), the rules both the decoder and the
 * encoder apply, signature and appraisal checks, the record-binding nonce. */
#include "attest/psa.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "format/cbor.h"

#define SKIP_DEPTH 8 /* nesting followed inside a claim consign does not read */

enum claim {
	C_NONE,
	C_PROFILE,
	C_CLIENT,
	C_LIFECYCLE,
	C_IMPL,
	C_BOOTSEED,
	C_HWVER,
	C_SWCOMP,
	C_NOSW,
	C_NONCE,
	C_INSTANCE,
	C_VSI,
};

#define F1 (1 << CS_PSA_PROFILE_1)
#define F2 (1 << CS_PSA_PROFILE_2)
#define F3 (1 << CS_PSA_PROFILE_TFM)

static const struct {
	int64_t key;
	enum claim c;
	int profiles;
} keys[] = {
	{-75000, C_PROFILE, F1}, {-75001, C_CLIENT, F1}, {-75002, C_LIFECYCLE, F1},
	{-75003, C_IMPL, F1}, {-75004, C_BOOTSEED, F1}, {-75005, C_HWVER, F1},
	{-75006, C_SWCOMP, F1}, {-75007, C_NOSW, F1}, {-75008, C_NONCE, F1},
	{-75009, C_INSTANCE, F1}, {-75010, C_VSI, F1},
	{10, C_NONCE, F2 | F3}, {256, C_INSTANCE, F2 | F3}, {265, C_PROFILE, F2 | F3},
	{268, C_BOOTSEED, F3}, {2394, C_CLIENT, F2 | F3}, {2395, C_LIFECYCLE, F2 | F3},
	{2396, C_IMPL, F2 | F3}, {2397, C_BOOTSEED, F2}, {2398, C_HWVER, F2 | F3},
	{2399, C_SWCOMP, F2 | F3}, {2400, C_VSI, F2 | F3},
};

static const struct {
	const char *name;
	enum cs_psa_profile profile;
} profiles[] = {
	{"PSA_IOT_PROFILE_1", CS_PSA_PROFILE_1},
	{"PSA_IoT_PROFILE_1", CS_PSA_PROFILE_1},
	{"http://arm.com/psa/2.0.0", CS_PSA_PROFILE_2},
	{"tag:psacertified.org,2023:psa#tfm", CS_PSA_PROFILE_TFM},
};

static enum claim
claim_of(int64_t key, int *fams)
{
	size_t i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].key == key) {
			*fams = keys[i].profiles;
			return keys[i].c;
		}
	*fams = 0;
	return C_NONE;
}

static int64_t
key_of(enum claim c, enum cs_psa_profile p)
{
	size_t i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i].c == c && (keys[i].profiles & (1 << p)))
			return keys[i].key;
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

/* Skips one item of any permitted type, strictly encoded, with map keys in
 * any order (cs_cr_skip insists on sorted keys, which TF-M does not write). */
static int
skip_any(cs_cr *r, int depth)
{
	const uint8_t *bp;
	const char *tp;
	size_t n, i;
	uint64_t u;
	int64_t v;
	int b, rc;

	if (depth <= 0)
		return cs_cr_schema(r, "nested too deeply");
	switch (cs_cr_peek(r)) {
	case CS_CBOR_UINT:
		return cs_cr_uint(r, &u);
	case CS_CBOR_NEGINT:
		return cs_cr_int(r, &v);
	case CS_CBOR_BYTES:
		return cs_cr_bytes(r, &bp, &n, 0, SIZE_MAX);
	case CS_CBOR_TEXT:
		return cs_cr_text(r, &tp, &n, 0, SIZE_MAX);
	case CS_CBOR_ARRAY:
		if ((rc = cs_cr_array(r, &n, 0, SIZE_MAX)) != CS_OK)
			return rc;
		for (i = 0; i < n; i++)
			if ((rc = skip_any(r, depth - 1)) != CS_OK)
				return rc;
		return CS_OK;
	case CS_CBOR_MAP:
		if ((rc = cs_cr_map(r, &n, 0, SIZE_MAX)) != CS_OK)
			return rc;
		for (i = 0; i < 2 * n; i++)
			if ((rc = skip_any(r, depth - 1)) != CS_OK)
				return rc;
		return CS_OK;
	case CS_CBOR_TAG:
		if ((rc = cs_cr_tag(r, &u)) != CS_OK)
			return rc;
		return skip_any(r, depth - 1);
	case CS_CBOR_FALSE:
	case CS_CBOR_TRUE:
		return cs_cr_bool(r, &b);
	case CS_CBOR_NULL:
		return cs_cr_null(r);
	default:
		return cs_cr_schema(r,
		    "a float, undefined or other item CBOR allows and claims do not");
	}
}

/* A map key that is an integer not seen before in this map. */
static int
read_key(cs_cr *r, int64_t *key, int64_t *seen, size_t *nseen)
{
	size_t i;
	int rc;

	if (cs_cr_peek(r) != CS_CBOR_UINT && cs_cr_peek(r) != CS_CBOR_NEGINT)
		return cs_cr_schema(r, "a map label that is not an integer");
	if ((rc = cs_cr_int(r, key)) != CS_OK)
		return rc;
	for (i = 0; i < *nseen; i++)
		if (seen[i] == *key)
			return cs_cr_schema(r, "label %lld twice", (long long)*key);
	seen[(*nseen)++] = *key;
	return CS_OK;
}

static int
read_hash(cs_cr *r, cs_psa_bytes *b, const char *what)
{
	int rc;

	if ((rc = cs_cr_bytes(r, &b->p, &b->n, 1, 64)) != CS_OK)
		return rc;
	if (b->n != 32 && b->n != 48 && b->n != 64)
		return cs_cr_schema(r, "%s of %zu bytes, not 32, 48 or 64", what, b->n);
	return CS_OK;
}

static int
read_text(cs_cr *r, cs_psa_text *t, size_t min)
{
	return cs_cr_text(r, &t->p, &t->n, min, CS_PSA_TEXT_MAX);
}

static int
read_component(cs_cr *r, cs_psa_component *c)
{
	int64_t seen[CS_PSA_CLAIMS_MAX], key;
	size_t n, i, ns = 0;
	int rc;

	if ((rc = cs_cr_map(r, &n, 2, CS_PSA_CLAIMS_MAX)) != CS_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = read_key(r, &key, seen, &ns)) != CS_OK)
			return rc;
		switch (key) {
		case 1:
			rc = read_text(r, &c->type, 0);
			break;
		case 2:
			rc = read_hash(r, &c->value, "measurement value");
			break;
		case 4:
			rc = read_text(r, &c->version, 0);
			break;
		case 5:
			rc = read_hash(r, &c->signer, "signer id");
			break;
		case 6:
			rc = read_text(r, &c->desc, 0);
			break;
		default:
			rc = skip_any(r, SKIP_DEPTH);
		}
		if (rc != CS_OK)
			return rc;
	}
	if (c->value.p == NULL || c->signer.p == NULL)
		return cs_cr_schema(r, "a software component without %s",
		    c->value.p == NULL ? "measurement value (2)" : "signer id (5)");
	return CS_OK;
}

static int
read_claim(cs_cr *r, enum claim c, cs_psa_claims *cl)
{
	const char *t;
	size_t n, i;
	uint64_t u;
	int rc;

	switch (c) {
	case C_PROFILE:
		return cs_cr_text(r, &t, &n, 1, CS_PSA_TEXT_MAX); /* read in pass one */
	case C_CLIENT:
		return cs_cr_int(r, &cl->client_id);
	case C_LIFECYCLE:
		if ((rc = cs_cr_uint(r, &u)) != CS_OK)
			return rc;
		if (u > 0xffff)
			return cs_cr_schema(r, "security lifecycle %llu above 0xffff",
			    (unsigned long long)u);
		cl->lifecycle = (uint32_t)u;
		return CS_OK;
	case C_IMPL:
		return cs_cr_bytes(r, &cl->impl_id.p, &cl->impl_id.n, 1, 64);
	case C_BOOTSEED:
		return cs_cr_bytes(r, &cl->boot_seed.p, &cl->boot_seed.n, 1, 64);
	case C_HWVER:
		return read_text(r, &cl->hw_version, 1);
	case C_SWCOMP:
		if ((rc = cs_cr_array(r, &cl->ncomp, 1, CS_PSA_COMPONENTS_MAX)) != CS_OK)
			return rc;
		for (i = 0; i < cl->ncomp; i++)
			if ((rc = read_component(r, &cl->comp[i])) != CS_OK) {
				cs_err_prefix(r->e, "software component %zu", i);
				return rc;
			}
		return CS_OK;
	case C_NOSW:
		return cs_cr_schema(r, "the token says the firmware has no software measurements");
	case C_NONCE:
		return read_hash(r, &cl->nonce, "nonce");
	case C_INSTANCE:
		return cs_cr_bytes(r, &cl->instance_id.p, &cl->instance_id.n, 1, 64);
	case C_VSI:
		return read_text(r, &cl->vsi, 1);
	default:
		return skip_any(r, SKIP_DEPTH);
	}
}

/* ---- the rules, for decoding and encoding alike -------------------------- */

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
hash_size(size_t n)
{
	return n == 32 || n == 48 || n == 64;
}

/* NULL when c follows its profile's rules, otherwise what breaks them. */
static const char *
rule_broken(const cs_psa_claims *c)
{
	const cs_psa_text *h = &c->hw_version;
	size_t i;

	if (c->profile != CS_PSA_PROFILE_1 && c->profile != CS_PSA_PROFILE_2 &&
	    c->profile != CS_PSA_PROFILE_TFM)
		return "no profile";
	if (c->client_id == 0 || c->client_id < INT32_MIN || c->client_id > INT32_MAX)
		return "client id missing, zero or outside 32 bits";
	if (c->lifecycle > 0xffff)
		return "security lifecycle above 0xffff";
	if (c->impl_id.p == NULL || c->impl_id.n != CS_PSA_IMPL_ID_LEN)
		return "implementation id missing or not 32 bytes";
	if (c->profile == CS_PSA_PROFILE_1 ? c->boot_seed.p == NULL || c->boot_seed.n != 32
					    : c->boot_seed.p != NULL &&
						  (c->boot_seed.n < 8 || c->boot_seed.n > 32))
		return c->profile == CS_PSA_PROFILE_1 ? "boot seed missing or not 32 bytes"
						      : "boot seed not 8 to 32 bytes";
	if (h->p != NULL &&
	    !((h->n == 19 && digits(h->p, 13) && h->p[13] == '-' && digits(h->p + 14, 5)) ||
		(c->profile == CS_PSA_PROFILE_1 && h->n == 13 && digits(h->p, 13))))
		return c->profile == CS_PSA_PROFILE_1 ? "hardware version not EAN-13 or EAN-13+5"
						      : "certification reference not EAN-13+5";
	if (c->ncomp == 0 || c->ncomp > CS_PSA_COMPONENTS_MAX)
		return "no software components";
	for (i = 0; i < c->ncomp; i++)
		if (c->comp[i].value.p == NULL || !hash_size(c->comp[i].value.n) ||
		    c->comp[i].signer.p == NULL || !hash_size(c->comp[i].signer.n))
			return "a software component's measurement or signer id missing or not 32, "
			       "48 or 64 bytes";
	if (c->nonce.p == NULL || !hash_size(c->nonce.n))
		return "nonce missing or not 32, 48 or 64 bytes";
	if (c->instance_id.p == NULL || c->instance_id.n != CS_PSA_INSTANCE_ID_LEN ||
	    c->instance_id.p[0] != 0x01)
		return "instance id missing, not 33 bytes, or not of type RAND (0x01)";
	return NULL;
}

/* ---- decoding ----------------------------------------------------------- */

static int
find_profile(cs_cr *r, enum cs_psa_profile *profile, cs_err *outer)
{
	int64_t seen[CS_PSA_CLAIMS_MAX], key;
	const char *t = NULL, *pt;
	size_t n, i, j, ns = 0, tn = 0, ptn;
	int fams, rc, found = 0, p1key = 0;
	char shown[CS_PSA_TEXT_MAX + 1];

	if ((rc = cs_cr_map(r, &n, 1, CS_PSA_CLAIMS_MAX)) != CS_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = read_key(r, &key, seen, &ns)) != CS_OK)
			return rc;
		if (claim_of(key, &fams) == C_PROFILE) {
			if (found++)
				return cs_cr_schema(r, "two profile claims");
			if ((rc = cs_cr_text(r, &pt, &ptn, 1, CS_PSA_TEXT_MAX)) != CS_OK)
				return rc;
			t = pt;
			tn = ptn;
			p1key = key < 0;
		} else if ((rc = skip_any(r, SKIP_DEPTH)) != CS_OK) {
			return rc;
		}
	}
	if ((rc = cs_cr_done(r)) != CS_OK)
		return rc;
	if (!found)
		return cs_fail(outer, CS_REJECT, "attest-token-profile",
		    "the token names no profile");
	for (j = 0; j < sizeof profiles / sizeof profiles[0]; j++)
		if (strlen(profiles[j].name) == tn && memcmp(profiles[j].name, t, tn) == 0 &&
		    (profiles[j].profile == CS_PSA_PROFILE_1) == p1key) {
			*profile = profiles[j].profile;
			return CS_OK;
		}
	memcpy(shown, t, tn); /* printable ASCII: cs_cr_text saw to that */
	shown[tn] = '\0';
	return cs_fail(outer, CS_REJECT, "attest-token-profile",
	    "profile \"%s\" is not one consign takes",
	    shown);
}

static int
decode_claims(cs_psa_claims *cl, const uint8_t *p, size_t n, cs_err *e)
{
	int64_t seen[CS_PSA_CLAIMS_MAX], key;
	enum cs_psa_profile profile = CS_PSA_PROFILE_1;
	const char *broken;
	size_t entries, i, ns = 0;
	cs_err inner;
	cs_cr r;
	enum claim c;
	int fams, rc;

	memset(cl, 0, sizeof *cl);
	cs_err_clear(&inner);
	cs_cr_init(&r, p, n, &inner);
	if ((rc = find_profile(&r, &profile, e)) != CS_OK) {
		if (inner.status != CS_OK)
			return cs_fail(e, CS_MALFORMED, "attest-token-malformed", "claims: %s",
			    inner.msg);
		return rc;
	}
	cl->profile = profile;
	cs_cr_init(&r, p, n, &inner);
	if ((rc = cs_cr_map(&r, &entries, 1, CS_PSA_CLAIMS_MAX)) != CS_OK)
		goto bad;
	for (i = 0; i < entries; i++) {
		if ((rc = read_key(&r, &key, seen, &ns)) != CS_OK)
			goto bad;
		c = claim_of(key, &fams);
		if (c != C_NONE && !(fams & (1 << profile))) {
			rc = cs_cr_schema(&r,
			    "claim %lld belongs to another profile than the token's",
			    (long long)key);
			goto bad;
		}
		if ((rc = read_claim(&r, c, cl)) != CS_OK) {
			cs_err_prefix(&inner, "claim %lld", (long long)key);
			goto bad;
		}
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		goto bad;
	if ((broken = rule_broken(cl)) != NULL)
		return cs_fail(e, CS_MALFORMED, "attest-token-malformed", "claims: %s", broken);
	return CS_OK;
bad:
	return cs_fail(e, CS_MALFORMED, "attest-token-malformed", "claims: %s", inner.msg);
}

int
cs_psa_decode(cs_psa_token *t, const uint8_t *p, size_t n, cs_err *e)
{
	cs_err inner;
	int rc;

	memset(t, 0, sizeof *t);
	if (n > CS_PSA_TOKEN_MAX)
		return cs_fail(e, CS_MALFORMED, "attest-token-malformed",
		    "token of %zu bytes, above the limit of %d", n, CS_PSA_TOKEN_MAX);
	cs_err_clear(&inner);
	if (cs_es256_sign1_decode(&t->cose, p, n, &inner) != CS_OK)
		return cs_fail(e, CS_MALFORMED, "attest-token-malformed", "token envelope: %s",
		    inner.msg);
	if ((rc = decode_claims(&t->claims, t->cose.payload, t->cose.payload_len, e)) != CS_OK)
		memset(t, 0, sizeof *t);
	return rc;
}

int
cs_psa_verify(const cs_psa_token *t, const cs_p256_key *iak, cs_buf *scratch, cs_err *e)
{
	if (cs_es256_sign1_verify(&t->cose, iak, NULL, 0, scratch) != 0)
		return cs_fail(e, CS_REJECT, "attest-token-signature",
		    "the token's signature does not verify under the attestation key");
	return CS_OK;
}

/* ---- appraisal ---------------------------------------------------------- */

int
cs_psa_lifecycle_secured(uint32_t v)
{
	return v >= 0x3000 && v <= 0x30ff;
}

const char *
cs_psa_lifecycle_name(uint32_t v)
{
	static const char *names[] = {"unknown", "assembly-and-test", "psa-rot-provisioning",
	    "secured", "non-psa-rot-debug", "recoverable-psa-rot-debug", "decommissioned"};

	if (v > 0xffff || (v >> 12) > 6 || ((v >> 8) & 0xf) != 0)
		return "invalid";
	return names[v >> 12];
}

void
cs_psa_binding_nonce(uint8_t out[CS_PSA_NONCE_LEN], const uint8_t order_digest[32],
    const uint8_t *device_key, size_t key_len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)CS_PSA_NONCE_DOMAIN,
	    sizeof CS_PSA_NONCE_DOMAIN - 1);
	crypto_hash_sha256_update(&st, order_digest, 32);
	crypto_hash_sha256_update(&st, device_key, key_len);
	crypto_hash_sha256_final(&st, out);
}

int
cs_psa_check_nonce(const cs_psa_claims *c, const uint8_t want[CS_PSA_NONCE_LEN], cs_err *e)
{
	if (c->nonce.n != CS_PSA_NONCE_LEN ||
	    sodium_memcmp(c->nonce.p, want, CS_PSA_NONCE_LEN) != 0)
		return cs_fail(e, CS_REJECT, "attest-token-nonce",
		    "the token's nonce does not bind this record (order and device key)");
	return CS_OK;
}

int
cs_psa_check_lifecycle(const cs_psa_claims *c, cs_err *e)
{
	if (!cs_psa_lifecycle_secured(c->lifecycle))
		return cs_fail(e, CS_REJECT, "attest-token-lifecycle",
		    "security lifecycle 0x%04x (%s), not secured (0x3000-0x30ff)",
		    (unsigned)c->lifecycle, cs_psa_lifecycle_name(c->lifecycle));
	return CS_OK;
}

int
cs_psa_check_instance(const cs_psa_claims *c, const uint8_t iak[CS_P256_PT_LEN], cs_err *e)
{
	uint8_t want[CS_PSA_INSTANCE_ID_LEN];

	want[0] = 0x01;
	crypto_hash_sha256(want + 1, iak, CS_P256_PT_LEN);
	if (c->instance_id.n != sizeof want ||
	    sodium_memcmp(c->instance_id.p, want, sizeof want) != 0)
		return cs_fail(e, CS_REJECT, "attest-token-instance",
		    "the instance id is not 0x01 || SHA-256 of the attestation key");
	return CS_OK;
}

static int
text_is(const cs_psa_text *t, const char *s)
{
	return t->p != NULL && strlen(s) == t->n && memcmp(t->p, s, t->n) == 0;
}

int
cs_psa_check_components(const cs_psa_claims *c, const cs_psa_refval *refs, size_t nrefs,
    cs_err *e)
{
	const cs_psa_component *k;
	char hex[2 * 8 + 1], type[CS_PSA_TEXT_MAX + 1];
	size_t i, j;

	for (i = 0; i < c->ncomp; i++) {
		k = &c->comp[i];
		for (j = 0; j < nrefs; j++)
			if (refs[j].value_len == k->value.n &&
			    memcmp(refs[j].value, k->value.p, k->value.n) == 0 &&
			    refs[j].signer_len == k->signer.n &&
			    memcmp(refs[j].signer, k->signer.p, k->signer.n) == 0 &&
			    (refs[j].type == NULL || text_is(&k->type, refs[j].type)))
				break;
		if (j == nrefs) {
			sodium_bin2hex(hex, sizeof hex, k->value.p, 8);
			snprintf(type, sizeof type, "%.*s", (int)k->type.n,
			    k->type.p != NULL ? k->type.p : "");
			return cs_fail(e, CS_REJECT, "attest-token-measurement",
			    "software component %zu (type \"%s\", measurement %s...) is not among "
			    "the order's reference values",
			    i, type, hex);
		}
	}
	return CS_OK;
}

int
cs_psa_appraise(cs_psa_token *t, const uint8_t *p, size_t n, const cs_p256_key *iak,
    const uint8_t nonce[CS_PSA_NONCE_LEN], const cs_psa_refval *refs, size_t nrefs, cs_err *e)
{
	cs_psa_token local;
	cs_buf scratch;
	int rc;

	if (t == NULL)
		t = &local;
	if ((rc = cs_psa_decode(t, p, n, e)) != CS_OK)
		return rc;
	cs_buf_init(&scratch, CS_PSA_TOKEN_MAX + 64);
	rc = cs_psa_verify(t, iak, &scratch, e);
	cs_buf_free(&scratch);
	if (rc != CS_OK)
		return rc;
	if ((rc = cs_psa_check_instance(&t->claims, cs_p256_key_point(iak), e)) != CS_OK ||
	    (rc = cs_psa_check_nonce(&t->claims, nonce, e)) != CS_OK ||
	    (rc = cs_psa_check_lifecycle(&t->claims, e)) != CS_OK)
		return rc;
	return cs_psa_check_components(&t->claims, refs, nrefs, e);
}

/* ---- encoding ----------------------------------------------------------- */

static void
put_text(cs_cw *w, const cs_psa_text *t)
{
	cs_cw_text(w, t->p, t->n);
}

int
cs_psa_encode(cs_buf *out, const cs_psa_claims *c, cs_err *e)
{
	enum cs_psa_profile p = c->profile;
	const char *broken, *name = NULL;
	size_t i;
	cs_cw w;

	if ((broken = rule_broken(c)) != NULL)
		return cs_fail(e, CS_USAGE, "attest-token-malformed", "claims: %s", broken);
	for (i = 0; i < sizeof profiles / sizeof profiles[0] && name == NULL; i++)
		if (profiles[i].profile == p)
			name = profiles[i].name;
	cs_cw_init(&w, out);
	cs_cw_map_begin(&w);
	cs_cw_int(&w, key_of(C_PROFILE, p));
	cs_cw_textz(&w, name);
	cs_cw_int(&w, key_of(C_CLIENT, p));
	cs_cw_int(&w, c->client_id);
	cs_cw_int(&w, key_of(C_LIFECYCLE, p));
	cs_cw_uint(&w, c->lifecycle);
	cs_cw_int(&w, key_of(C_IMPL, p));
	cs_cw_bytes(&w, c->impl_id.p, c->impl_id.n);
	if (c->boot_seed.p != NULL) {
		cs_cw_int(&w, key_of(C_BOOTSEED, p));
		cs_cw_bytes(&w, c->boot_seed.p, c->boot_seed.n);
	}
	if (c->hw_version.p != NULL) {
		cs_cw_int(&w, key_of(C_HWVER, p));
		put_text(&w, &c->hw_version);
	}
	cs_cw_int(&w, key_of(C_SWCOMP, p));
	cs_cw_array_begin(&w);
	for (i = 0; i < c->ncomp; i++) {
		const cs_psa_component *k = &c->comp[i];

		cs_cw_map_begin(&w);
		if (k->type.p != NULL) {
			cs_cw_uint(&w, 1);
			put_text(&w, &k->type);
		}
		cs_cw_uint(&w, 2);
		cs_cw_bytes(&w, k->value.p, k->value.n);
		if (k->version.p != NULL) {
			cs_cw_uint(&w, 4);
			put_text(&w, &k->version);
		}
		cs_cw_uint(&w, 5);
		cs_cw_bytes(&w, k->signer.p, k->signer.n);
		if (k->desc.p != NULL) {
			cs_cw_uint(&w, 6);
			put_text(&w, &k->desc);
		}
		cs_cw_map_end(&w);
	}
	cs_cw_array_end(&w);
	cs_cw_int(&w, key_of(C_NONCE, p));
	cs_cw_bytes(&w, c->nonce.p, c->nonce.n);
	cs_cw_int(&w, key_of(C_INSTANCE, p));
	cs_cw_bytes(&w, c->instance_id.p, c->instance_id.n);
	if (c->vsi.p != NULL) {
		cs_cw_int(&w, key_of(C_VSI, p));
		put_text(&w, &c->vsi);
	}
	cs_cw_map_end(&w);
	if (cs_cw_finish(&w) != 0)
		return cs_fail(e, CS_MALFORMED, "too-large", "claims do not fit their buffer");
	return CS_OK;
}
