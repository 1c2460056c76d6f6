/* PSA attestation tokens (lib/attest/psa.h): the TF-M token of
 * ../shared/vectors verifies under its IAK and decodes to the claims of its
 * .diag file (parsed here, so a wrong value fails); tokens made here with the
 * encoder for each refusal: unknown profile, wrong key, bad nonce, debug
 * lifecycle, foreign measurement, another chip's instance id, and the
 * encodings the decoder must refuse. */
#include "t.h"

#include <ctype.h>

#include <openssl/pem.h>

#include <sodium.h>

#include "attest/psa.h"
#include "crypto/sig.h"

/* ---- a reader for the diagnostic notation the .diag file uses: maps,
 * arrays, integers, h'hex' and "text" (RFC 8949 section 8) ---- */

enum dtype { D_INT, D_BYTES, D_TEXT, D_MAP, D_ARRAY };

typedef struct dnode {
	enum dtype t;
	long long i;
	uint8_t b[128];
	size_t n;              /* bytes, text length, or items (maps: pairs) */
	char s[128];
	struct dnode *kid[64]; /* arrays: items; maps: key, value, key, value... */
} dnode;

static dnode pool[256];
static size_t npool;

static void
ws(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

static dnode *
dparse(const char **p)
{
	dnode *d;
	char *end;

	ws(p);
	if (npool == sizeof pool / sizeof pool[0])
		return NULL;
	d = &pool[npool++];
	memset(d, 0, sizeof *d);
	if (**p == '{' || **p == '[') {
		char close = **p == '{' ? '}' : ']';

		d->t = **p == '{' ? D_MAP : D_ARRAY;
		(*p)++;
		ws(p);
		while (**p != close) {
			if (d->n >= 32 || (d->kid[2 * d->n] = dparse(p)) == NULL)
				return NULL;
			ws(p);
			if (d->t == D_MAP) {
				if (**p != ':')
					return NULL;
				(*p)++;
				if ((d->kid[2 * d->n + 1] = dparse(p)) == NULL)
					return NULL;
				ws(p);
			} else {
				d->kid[d->n] = d->kid[2 * d->n];
			}
			d->n++;
			if (**p == ',') {
				(*p)++;
				ws(p);
			} else if (**p != close) {
				return NULL;
			}
		}
		(*p)++;
		return d;
	}
	if (**p == 'h' && (*p)[1] == '\'') {
		const char *q = *p + 2, *e = strchr(q, '\'');
		char hex[300];

		if (e == NULL || (size_t)(e - q) >= sizeof hex)
			return NULL;
		memcpy(hex, q, (size_t)(e - q));
		hex[e - q] = '\0';
		d->t = D_BYTES;
		if (t_unhex(d->b, sizeof d->b, hex) < 0)
			return NULL;
		d->n = strlen(hex) / 2;
		*p = e + 1;
		return d;
	}
	if (**p == '"') {
		const char *q = *p + 1, *e = strchr(q, '"');

		if (e == NULL || (size_t)(e - q) >= sizeof d->s)
			return NULL;
		d->t = D_TEXT;
		d->n = (size_t)(e - q);
		memcpy(d->s, q, d->n);
		*p = e + 1;
		return d;
	}
	d->t = D_INT;
	d->i = strtoll(*p, &end, 10);
	if (end == *p)
		return NULL;
	*p = end;
	return d;
}

static int
bytes_eq(const dnode *d, const cs_psa_bytes *b)
{
	return d->t == D_BYTES && b->p != NULL && b->n == d->n && memcmp(b->p, d->b, d->n) == 0;
}

static int
text_eq(const dnode *d, const cs_psa_text *t)
{
	return d->t == D_TEXT && t->p != NULL && t->n == d->n && memcmp(t->p, d->s, d->n) == 0;
}

static int
component_eq(const dnode *d, const cs_psa_component *c, size_t *fields)
{
	size_t i;
	int ok = d->t == D_MAP;

	for (i = 0; ok && i < d->n; i++) {
		const dnode *k = d->kid[2 * i], *v = d->kid[2 * i + 1];

		(*fields)++;
		switch (k->t == D_INT ? k->i : -1) {
		case 1: ok = text_eq(v, &c->type); break;
		case 2: ok = bytes_eq(v, &c->value); break;
		case 4: ok = text_eq(v, &c->version); break;
		case 5: ok = bytes_eq(v, &c->signer); break;
		case 6: ok = text_eq(v, &c->desc); break;
		default: ok = 0;
		}
	}
	return ok;
}

static size_t
read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* The TF-M token against its .diag, claim by claim. */
static void
tfm_vector(void)
{
	static uint8_t tok[8192], diag[8192];
	char path[4096];
	const char *v = t_vectors(), *dp;
	size_t tn, dn, i, j, fields = 0;
	uint8_t iak[65], other[65];
	cs_p256_key *k = NULL, *ko = NULL;
	cs_p256_secret *sk = NULL;
	cs_psa_token t;
	cs_buf scratch;
	EVP_PKEY *pub;
	dnode *root;
	FILE *f;
	cs_err e;
	int ok;

	if (v == NULL) {
		t_skip("psa: the TF-M token vector (../shared/vectors is absent)");
		return;
	}
	snprintf(path, sizeof path, "%s/psa-token-tfm-2_0_0-sign1.bin", v);
	tn = read_file(path, tok, sizeof tok);
	snprintf(path, sizeof path, "%s/psa-token-tfm-2_0_0-claims.diag", v);
	dn = read_file(path, diag, sizeof diag - 1);
	snprintf(path, sizeof path, "%s/psa-token-tfm-iak-public.pem", v);
	f = fopen(path, "r");
	if (tn == 0 || dn == 0 || f == NULL) {
		t_skip("psa: the TF-M token, its .diag or its key is absent from %s", v);
		if (f != NULL)
			fclose(f);
		return;
	}
	diag[dn] = '\0';
	pub = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	T_OK(pub != NULL && cs_p256_point_of(iak, pub) == 0, "psa: the TF-M IAK is a P-256 key");
	EVP_PKEY_free(pub);
	cs_err_clear(&e);
	T_OK(cs_p256_key_parse(&k, iak, sizeof iak, &e) == CS_OK, "psa: the IAK parses");

	cs_err_clear(&e);
	if (cs_psa_decode(&t, tok, tn, &e) != CS_OK) {
		T_OK(0, "psa: the TF-M token decodes (%s: %s)", e.reason, e.msg);
		goto done;
	}
	T_OK(1, "psa: the TF-M token decodes (%zu bytes, keys unsorted as TF-M writes them)", tn);
	cs_buf_init(&scratch, 8192);
	cs_err_clear(&e);
	T_OK(cs_psa_verify(&t, k, &scratch, &e) == CS_OK,
	    "psa: its signature verifies under psa-token-tfm-iak-public.pem");
	cs_err_clear(&e);
	if (cs_p256_secret_generate(&sk, &e) == CS_OK) {
		memcpy(other, cs_p256_secret_point(sk), 65);
		T_OK(cs_p256_key_parse(&ko, other, 65, &e) == CS_OK &&
			cs_psa_verify(&t, ko, &scratch, &e) == CS_REJECT &&
			strcmp(e.reason, "attest-token-signature") == 0,
		    "psa: it does not verify under another key (attest-token-signature)");
	}
	cs_buf_free(&scratch);

	dp = (const char *)diag;
	npool = 0;
	root = dparse(&dp);
	ws(&dp);
	if (root == NULL || root->t != D_MAP || *dp != '\0') {
		T_OK(0, "psa: the .diag file parses as one map");
		goto done;
	}
	T_OK(root->n == 10, "psa: the .diag names 10 claims (%zu)", root->n);
	for (i = 0; i < root->n; i++) {
		const dnode *key = root->kid[2 * i], *val = root->kid[2 * i + 1];
		long long kk = key->t == D_INT ? key->i : -1;

		switch (kk) {
		case 10: ok = bytes_eq(val, &t.claims.nonce); break;
		case 256: ok = bytes_eq(val, &t.claims.instance_id); break;
		case 265:
			ok = val->t == D_TEXT && strcmp(val->s, "http://arm.com/psa/2.0.0") == 0 &&
			    t.claims.profile == CS_PSA_PROFILE_2;
			break;
		case 2394: ok = val->t == D_INT && val->i == t.claims.client_id; break;
		case 2395: ok = val->t == D_INT && val->i == (long long)t.claims.lifecycle; break;
		case 2396: ok = bytes_eq(val, &t.claims.impl_id); break;
		case 2397: ok = bytes_eq(val, &t.claims.boot_seed); break;
		case 2398: ok = text_eq(val, &t.claims.hw_version); break;
		case 2399:
			ok = val->t == D_ARRAY && val->n == t.claims.ncomp;
			for (j = 0; ok && j < val->n; j++)
				ok = component_eq(val->kid[j], &t.claims.comp[j], &fields);
			break;
		case 2400: ok = text_eq(val, &t.claims.vsi); break;
		default: ok = 0;
		}
		T_OK(ok, "psa: claim %lld decodes as in the .diag", kk);
	}
	T_OK(t.claims.ncomp == 2 && fields == 10,
	    "psa: both software components compared, 5 attributes each (%zu)", fields);
	printf("# vectors: psa-token-tfm-2_0_0-sign1.bin: signature verified, %zu claims and %zu "
	       "component attributes compared with the .diag\n",
	    root->n, fields);
	T_OK(cs_psa_lifecycle_secured(t.claims.lifecycle) &&
		strcmp(cs_psa_lifecycle_name(t.claims.lifecycle), "secured") == 0,
	    "psa: lifecycle 12288 (0x3000) is secured");
	cs_err_clear(&e);
	T_OK(cs_psa_check_lifecycle(&t.claims, &e) == CS_OK, "psa: the lifecycle check passes");
	cs_err_clear(&e);
	T_OK(cs_psa_check_instance(&t.claims, iak, &e) == CS_OK,
	    "psa: TF-M's instance id is 0x01 || SHA-256 of the IAK point");
	cs_err_clear(&e);
	T_OK(cs_psa_check_instance(&t.claims, other, &e) == CS_REJECT &&
		strcmp(e.reason, "attest-token-instance") == 0,
	    "psa: and not of another key (attest-token-instance)");
	{
		uint8_t zero[32] = {0};

		cs_err_clear(&e);
		T_OK(cs_psa_check_nonce(&t.claims, zero, &e) == CS_REJECT &&
			strcmp(e.reason, "attest-token-nonce") == 0,
		    "psa: its 64-byte zero nonce binds no record (attest-token-nonce)");
	}

	/* altered copies */
	{
		static uint8_t bad[8192];
		cs_psa_token t2;

		memcpy(bad, tok, tn);
		bad[tn - 70] ^= 0x01; /* inside the payload's last claim */
		cs_err_clear(&e);
		cs_buf_init(&scratch, 8192);
		T_OK(cs_psa_decode(&t2, bad, tn, &e) != CS_OK ||
			cs_psa_verify(&t2, k, &scratch, &e) == CS_REJECT,
		    "psa: a token with one payload bit flipped is refused");
		cs_buf_free(&scratch);
		for (i = 1, ok = 1; i < tn; i += 7) {
			cs_err_clear(&e);
			ok &= cs_psa_decode(&t2, tok, i, &e) == CS_MALFORMED &&
			    strcmp(e.reason, "attest-token-malformed") == 0;
		}
		T_OK(ok, "psa: every truncation of the token is attest-token-malformed");
		memcpy(bad, tok, tn);
		bad[tn] = 0;
		cs_err_clear(&e);
		T_OK(cs_psa_decode(&t2, bad, tn + 1, &e) == CS_MALFORMED,
		    "psa: a trailing byte is refused");
		/* 2400 -> 2394: the client id's label twice */
		for (i = 0; i + 3 < tn; i++)
			if (tok[i] == 0x19 && tok[i + 1] == 0x09 && tok[i + 2] == 0x60)
				break;
		memcpy(bad, tok, tn);
		bad[i + 2] = 0x5a;
		cs_err_clear(&e);
		T_OK(i + 3 < tn && cs_psa_decode(&t2, bad, tn, &e) == CS_MALFORMED &&
			strstr(e.msg, "twice") != NULL,
		    "psa: a claim label repeated is refused (%s)", e.msg);
		/* 2397 -> 268: a boot seed key of another profile */
		for (i = 0; i + 3 < tn; i++)
			if (tok[i] == 0x19 && tok[i + 1] == 0x09 && tok[i + 2] == 0x5d)
				break;
		memcpy(bad, tok, tn);
		bad[i + 1] = 0x01;
		bad[i + 2] = 0x0c;
		cs_err_clear(&e);
		T_OK(i + 3 < tn && cs_psa_decode(&t2, bad, tn, &e) == CS_MALFORMED &&
			strstr(e.msg, "another profile") != NULL,
		    "psa: claim 268 (the RFC's boot seed) in a 2.0.0 token is refused");
		/* the profile text altered: "2.0.0" -> "2.0.1" */
		for (i = 0; i + 5 < tn; i++)
			if (memcmp(tok + i, "2.0.0", 5) == 0 && tok[i - 1] == '/')
				break;
		memcpy(bad, tok, tn);
		bad[i + 4] = '1';
		cs_err_clear(&e);
		T_OK(i + 5 < tn && cs_psa_decode(&t2, bad, tn, &e) == CS_REJECT &&
			strcmp(e.reason, "attest-token-profile") == 0,
		    "psa: an unknown profile is refused (attest-token-profile: %s)", e.msg);
	}
done:
	cs_p256_key_free(k);
	cs_p256_key_free(ko);
	cs_p256_secret_free(sk);
}

/* ---- tokens made here ---- */

static uint8_t impl[32], seed[32], meas[2][32], signer[32], nonce[32], inst[33];

static void
base_claims(cs_psa_claims *c, enum cs_psa_profile p, const uint8_t iakpt[65])
{
	memset(c, 0, sizeof *c);
	c->profile = p;
	c->client_id = -1;
	c->lifecycle = 0x3000;
	c->impl_id = (cs_psa_bytes){impl, 32};
	c->boot_seed = (cs_psa_bytes){seed, 32};
	c->hw_version = (cs_psa_text){"0604565272829-10010", 19};
	c->ncomp = 2;
	c->comp[0] = (cs_psa_component){{"BL", 2}, {meas[0], 32}, {"1.0.0", 5}, {signer, 32}, {NULL, 0}};
	c->comp[1] = (cs_psa_component){{"SPE", 3}, {meas[1], 32}, {NULL, 0}, {signer, 32}, {"SHA256", 6}};
	c->nonce = (cs_psa_bytes){nonce, 32};
	inst[0] = 1;
	crypto_hash_sha256(inst + 1, iakpt, 65);
	c->instance_id = (cs_psa_bytes){inst, 33};
	c->vsi = (cs_psa_text){"www.example.org", 15};
}

/* Encodes c, signs it with sk into tok; the token's length or 0. */
static size_t
make_token(uint8_t *tok, size_t cap, const cs_psa_claims *c, const cs_p256_secret *sk)
{
	uint8_t pm[16], pay[4096];
	cs_buf prot, payload, out;
	cs_err e;

	cs_buf_fixed(&prot, pm, sizeof pm);
	cs_buf_fixed(&payload, pay, sizeof pay);
	cs_buf_fixed(&out, tok, cap);
	cs_err_clear(&e);
	if (cs_es256_prot(&prot) != CS_OK || cs_psa_encode(&payload, c, &e) != CS_OK ||
	    cs_es256_sign1_create(&out, prot.p, prot.len, (const uint8_t *)"\xa0", 1, payload.p,
		payload.len, sk, &e) != CS_OK) {
		printf("# make_token: %s: %s\n", e.reason, e.msg);
		return 0;
	}
	return out.len;
}

static int
refused(const uint8_t *tok, size_t n, const cs_p256_key *iak, const cs_psa_refval *refs,
    size_t nrefs, const char *reason)
{
	cs_err e;
	int rc;

	cs_err_clear(&e);
	rc = cs_psa_appraise(NULL, tok, n, iak, nonce, refs, nrefs, &e);
	if (rc == CS_OK || strcmp(e.reason, reason) != 0) {
		printf("# got %d %s: %s\n", rc, e.reason, e.msg);
		return 0;
	}
	printf("# refused as expected: %s: %s\n", e.reason, e.msg);
	return 1;
}

static void
made_tokens(void)
{
	static uint8_t tok[8192];
	uint8_t order[32], devkey[32], other[32], bind[32], iakpt[65];
	cs_p256_secret *iak = NULL, *iak2 = NULL;
	cs_p256_key *k = NULL, *k2 = NULL;
	cs_psa_refval refs[2];
	cs_psa_claims c;
	cs_psa_token t;
	size_t n;
	cs_err e;
	enum cs_psa_profile p;

	randombytes_buf(impl, sizeof impl);
	randombytes_buf(seed, sizeof seed);
	randombytes_buf(meas, sizeof meas);
	randombytes_buf(signer, sizeof signer);
	randombytes_buf(order, sizeof order);
	randombytes_buf(devkey, sizeof devkey);
	memcpy(other, devkey, 32);
	other[0] ^= 1;
	cs_psa_binding_nonce(nonce, order, devkey, sizeof devkey);
	cs_err_clear(&e);
	if (cs_p256_secret_generate(&iak, &e) != CS_OK || cs_p256_secret_generate(&iak2, &e) != CS_OK ||
	    cs_p256_key_parse(&k, cs_p256_secret_point(iak), 65, &e) != CS_OK ||
	    cs_p256_key_parse(&k2, cs_p256_secret_point(iak2), 65, &e) != CS_OK) {
		T_OK(0, "psa: attestation keys (%s)", e.msg);
		goto done;
	}
	memcpy(iakpt, cs_p256_secret_point(iak), 65);
	refs[0] = (cs_psa_refval){meas[0], 32, signer, 32, "BL"};
	refs[1] = (cs_psa_refval){meas[1], 32, signer, 32, NULL};

	/* the binding nonce, recomputed by hand */
	{
		crypto_hash_sha256_state st;

		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, (const uint8_t *)"consign-psa-nonce-v1", 20);
		crypto_hash_sha256_update(&st, order, 32);
		crypto_hash_sha256_update(&st, devkey, 32);
		crypto_hash_sha256_final(&st, bind);
		T_OK(memcmp(bind, nonce, 32) == 0,
		    "psa: binding nonce = SHA-256(\"consign-psa-nonce-v1\" || order digest || key)");
		cs_psa_binding_nonce(bind, order, other, 32);
		T_OK(memcmp(bind, nonce, 32) != 0, "psa: another device key gives another nonce");
	}

	for (p = CS_PSA_PROFILE_1; p <= CS_PSA_PROFILE_TFM; p++) {
		base_claims(&c, p, iakpt);
		if (p == CS_PSA_PROFILE_1)
			c.hw_version = (cs_psa_text){"0604565272829", 13};
		n = make_token(tok, sizeof tok, &c, iak);
		cs_err_clear(&e);
		T_OK(n > 0 && cs_psa_appraise(&t, tok, n, k, nonce, refs, 2, &e) == CS_OK &&
			t.claims.profile == p && t.claims.ncomp == 2 &&
			t.claims.comp[1].desc.n == 6 && t.claims.hw_version.n == c.hw_version.n &&
			memcmp(t.claims.comp[0].value.p, meas[0], 32) == 0,
		    "psa: a token of profile %d made here passes the whole appraisal (%s)", (int)p,
		    e.msg);
	}

	base_claims(&c, CS_PSA_PROFILE_2, iakpt);
	n = make_token(tok, sizeof tok, &c, iak);
	T_OK(n > 0 && refused(tok, n, k2, refs, 2, "attest-token-signature"),
	    "psa: a token under another attestation key is refused");
	T_OK(refused(tok, n, k, refs, 1, "attest-token-measurement"),
	    "psa: a component missing from the reference values is refused");
	T_OK(refused(tok, n, k, refs, 0, "attest-token-measurement"),
	    "psa: no reference values accept no component");
	{
		cs_psa_refval wrongtype[2] = {refs[0], refs[1]};

		wrongtype[0].type = "PRoT";
		T_OK(refused(tok, n, k, wrongtype, 2, "attest-token-measurement"),
		    "psa: the right measurement under another component type is refused");
	}

	c.nonce = (cs_psa_bytes){bind, 32}; /* bound to the other device key */
	n = make_token(tok, sizeof tok, &c, iak);
	T_OK(n > 0 && refused(tok, n, k, refs, 2, "attest-token-nonce"),
	    "psa: a token whose nonce binds another record is refused");

	base_claims(&c, CS_PSA_PROFILE_2, iakpt);
	c.lifecycle = 0x4000;
	n = make_token(tok, sizeof tok, &c, iak);
	T_OK(n > 0 && refused(tok, n, k, refs, 2, "attest-token-lifecycle"),
	    "psa: a token in lifecycle non-psa-rot-debug (0x4000) is refused");
	c.lifecycle = 0x5001;
	n = make_token(tok, sizeof tok, &c, iak);
	T_OK(n > 0 && refused(tok, n, k, refs, 2, "attest-token-lifecycle"),
	    "psa: recoverable-psa-rot-debug (0x5001) is refused");
	c.lifecycle = 0x2000;
	n = make_token(tok, sizeof tok, &c, iak);
	T_OK(n > 0 && refused(tok, n, k, refs, 2, "attest-token-lifecycle"),
	    "psa: psa-rot-provisioning (0x2000) is refused");
	T_OK(cs_psa_lifecycle_secured(0x30ff) && !cs_psa_lifecycle_secured(0x3100) &&
		!cs_psa_lifecycle_secured(0x2fff),
	    "psa: secured is exactly 0x3000-0x30ff");

	base_claims(&c, CS_PSA_PROFILE_2, cs_p256_secret_point(iak2));
	n = make_token(tok, sizeof tok, &c, iak);
	T_OK(n > 0 && refused(tok, n, k, refs, 2, "attest-token-instance"),
	    "psa: a token claiming another chip's instance id is refused");

	/* what the encoder refuses to write, the decoder refuses to read */
	base_claims(&c, CS_PSA_PROFILE_2, iakpt);
	c.nonce.n = 31;
	cs_err_clear(&e);
	T_OK(cs_psa_encode(&(cs_buf){0}, &c, &e) == CS_USAGE, "psa: a 31-byte nonce is not encoded");
	base_claims(&c, CS_PSA_PROFILE_2, iakpt);
	c.client_id = 0;
	cs_err_clear(&e);
	T_OK(cs_psa_encode(&(cs_buf){0}, &c, &e) == CS_USAGE, "psa: client id 0 is not encoded");
	base_claims(&c, CS_PSA_PROFILE_1, iakpt);
	c.boot_seed.n = 16;
	cs_err_clear(&e);
	T_OK(cs_psa_encode(&(cs_buf){0}, &c, &e) == CS_USAGE,
	    "psa: profile 1 takes a 32-byte boot seed only");
done:
	cs_p256_key_free(k);
	cs_p256_key_free(k2);
	cs_p256_secret_free(iak);
	cs_p256_secret_free(iak2);
}

/* Claims maps written byte by byte, signed, and refused at decoding. */
static void
hand_made(void)
{
	static uint8_t tok[8192];
	uint8_t pm[16], pay[4096];
	cs_p256_secret *iak = NULL;
	cs_buf prot, payload, out;
	cs_psa_claims c;
	cs_psa_token t;
	cs_err e;
	cs_cw w;
	struct {
		const char *what, *reason;
		int variant;
	} cases[] = {
		{"a text claim label", "attest-token-malformed", 1},
		{"no software components", "attest-token-malformed", 2},
		{"a component without signer id", "attest-token-malformed", 3},
		{"no profile claim", "attest-token-profile", 4},
		{"a CCA profile", "attest-token-profile", 5},
		{"\"no software measurements\" (profile 1)", "attest-token-malformed", 6},
		{"a 33-byte nonce", "attest-token-malformed", 7},
		{"an instance id of type 0x02", "attest-token-malformed", 8},
		{"an unknown claim (skipped)", "", 9},
	};
	size_t i;

	cs_err_clear(&e);
	if (cs_p256_secret_generate(&iak, &e) != CS_OK)
		return;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int v = cases[i].variant, p1 = v == 6;

		base_claims(&c, p1 ? CS_PSA_PROFILE_1 : CS_PSA_PROFILE_2, cs_p256_secret_point(iak));
		cs_buf_fixed(&payload, pay, sizeof pay);
		cs_cw_init(&w, &payload);
		cs_cw_map_begin(&w);
		if (v != 4) {
			cs_cw_int(&w, p1 ? -75000 : 265);
			cs_cw_textz(&w, v == 5 ? "http://arm.com/CCA-SSD/1.0.0" : p1 ? "PSA_IOT_PROFILE_1"
										: "http://arm.com/psa/2.0.0");
		}
		cs_cw_int(&w, p1 ? -75001 : 2394);
		cs_cw_int(&w, 1);
		cs_cw_int(&w, p1 ? -75002 : 2395);
		cs_cw_uint(&w, 0x3000);
		cs_cw_int(&w, p1 ? -75003 : 2396);
		cs_cw_bytes(&w, impl, 32);
		if (p1) {
			cs_cw_int(&w, -75004);
			cs_cw_bytes(&w, seed, 32);
		}
		if (v == 1) {
			cs_cw_textz(&w, "nonce");
			cs_cw_uint(&w, 1);
		}
		if (v == 6) {
			cs_cw_int(&w, -75007);
			cs_cw_uint(&w, 1);
		} else if (v != 2) {
			cs_cw_int(&w, p1 ? -75006 : 2399);
			cs_cw_array_begin(&w);
			cs_cw_map_begin(&w);
			cs_cw_uint(&w, 2);
			cs_cw_bytes(&w, meas[0], 32);
			if (v != 3) {
				cs_cw_uint(&w, 5);
				cs_cw_bytes(&w, signer, 32);
			}
			cs_cw_map_end(&w);
			cs_cw_array_end(&w);
		}
		cs_cw_int(&w, p1 ? -75008 : 10);
		cs_cw_bytes(&w, v == 7 ? inst : nonce, v == 7 ? 33 : 32);
		cs_cw_int(&w, p1 ? -75009 : 256);
		inst[0] = v == 8 ? 2 : 1;
		cs_cw_bytes(&w, inst, 33);
		if (v == 9) {
			cs_cw_uint(&w, 99999);
			cs_cw_array_begin(&w);
			cs_cw_textz(&w, "anything");
			cs_cw_array_end(&w);
		}
		cs_cw_map_end(&w);
		cs_buf_fixed(&prot, pm, sizeof pm);
		cs_buf_fixed(&out, tok, sizeof tok);
		if (cs_cw_finish(&w) != 0 || cs_es256_prot(&prot) != CS_OK ||
		    cs_es256_sign1_create(&out, prot.p, prot.len, (const uint8_t *)"\xa0", 1, payload.p,
			payload.len, iak, &e) != CS_OK) {
			T_OK(0, "psa: hand-made token %zu encodes", i);
			continue;
		}
		cs_err_clear(&e);
		if (cases[i].reason[0] == '\0')
			T_OK(cs_psa_decode(&t, out.p, out.len, &e) == CS_OK,
			    "psa: %s decodes (%s)", cases[i].what, e.msg);
		else
			T_OK(cs_psa_decode(&t, out.p, out.len, &e) != CS_OK &&
				strcmp(e.reason, cases[i].reason) == 0,
			    "psa: %s is refused (%s: %s)", cases[i].what, e.reason, e.msg);
	}
	inst[0] = 1;
	cs_p256_secret_free(iak);
}

int
main(void)
{
	if (cs_crypto_init() != 0)
		return 2;
	tfm_vector();
	made_tokens();
	hand_made();
	return t_done();
}
