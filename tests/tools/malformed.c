/* Writes the malformed-input corpus of tests/malformed/ from the golden files
 * and the golden keys' fixed seeds (seed = SHA-256("consign golden key NAME")),
 * so every bad variant is reproducible byte for byte and, where it matters,
 * validly signed: the refusal must come from the strict reader, not from a
 * signature check. Each file gets a line in DIR/EXPECT:
 *   FILE EXIT REASON POLICY   (POLICY: "-" or the --policy file to give)
 * Usage: malformed write GOLDEN_DIR OUT_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define TOOL_NAME "malformed"
#include "tool.h"
#include "cosehdr.h"
#include "format/keyfile.h"
#include "format/artifact.h"
#include "format/cbor.h"
#include "format/cose.h"
#include "util/buf.h"
#include "util/file.h"

#define MAXF 16

struct key {
	uint8_t pk[CS_PK_LEN], sk[CS_SK_LEN];
};

struct field {
	uint64_t key;
	const uint8_t *v;
	size_t n;
};

/* A payload as its top-level map entries, values kept as encoded bytes. */
struct pl {
	struct field f[MAXF];
	size_t nf;
	uint8_t *mem;
	size_t memlen;
};

static const char *golden, *out;
static struct key alice, bob, carol, office, station, device;
static FILE *expect;

static void
gkey(struct key *k, const char *name)
{
	char label[64];
	uint8_t seed[32];

	snprintf(label, sizeof label, "consign golden key %s", name);
	crypto_hash_sha256(seed, (const uint8_t *)label, strlen(label));
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	sodium_memzero(seed, sizeof seed);
}

static void
put(const char *name, const uint8_t *p, size_t n, int exit_code, const char *reason,
    const char *policy)
{
	tool_put(out, name, p, n);
	fprintf(expect, "%s %d %s %s\n", name, exit_code, reason, policy);
}

static void
load(struct pl *p, const char *name)
{
	char path[4096];
	uint64_t key;
	int64_t prev = -1;
	size_t n, i;
	const uint8_t *at;
	cs_err e;
	cs_cr r;

	snprintf(path, sizeof path, "%s/%s", golden, name);
	cs_err_clear(&e);
	if (cs_read_file(path, 1 << 20, &p->mem, &p->memlen, &e) != CS_OK)
		die(e.msg);
	cs_cr_init(&r, p->mem, p->memlen, &e);
	if (cs_cr_map(&r, &n, 1, MAXF) != CS_OK)
		die("golden payload is not a map");
	for (i = 0; i < n; i++) {
		if (cs_cr_key(&r, &key, &prev) != CS_OK)
			die("golden payload key");
		at = r.p;
		if (cs_cr_skip(&r, 8) != CS_OK)
			die("golden payload value");
		p->f[i] = (struct field){key, at, (size_t)(r.p - at)};
	}
	p->nf = n;
}

/* Encodes the entries in the order given (no sorting: callers make
 * unsorted and duplicate variants on purpose). */
static void
assemble(cs_buf *b, const struct field *f, size_t nf, int indefinite)
{
	uint8_t h[9];
	size_t i, hl;

	b->len = 0;
	if (indefinite) {
		cs_buf_add(b, "\xbf", 1);
	} else {
		h[0] = (uint8_t)(0xa0 + nf); /* nf < 24 */
		cs_buf_add(b, h, 1);
	}
	for (i = 0; i < nf; i++) {
		h[0] = 0;
		hl = 1;
		if (f[i].key < 24) {
			h[0] = (uint8_t)f[i].key;
		} else {
			h[0] = 0x18;
			h[1] = (uint8_t)f[i].key;
			hl = 2;
		}
		cs_buf_add(b, h, hl);
		cs_buf_add(b, f[i].v, f[i].n);
	}
	if (indefinite)
		cs_buf_add(b, "\xff", 1);
}

/* A COSE_Sign by the signers, or a COSE_Sign1 by one, of kind over b. */
static void
envelope(cs_buf *env, const char *kind, const cs_buf *b, int multi, const struct key *const *who,
    size_t nwho)
{
	cs_buf cur;
	cs_cose c;
	cs_err e;
	size_t i;
	int added;

	env->len = 0;
	cs_err_clear(&e);
	if (!multi) {
		if (cs_cose_sign1_create(env, kind, b->p, b->len, who[0]->sk, &e) != CS_OK)
			die("sign1");
		return;
	}
	cs_buf_init(&cur, 1 << 20);
	if (cs_cose_sign_draft(&cur, kind, b->p, b->len) != CS_OK)
		die("draft");
	for (i = 0; i < nwho; i++) {
		env->len = 0;
		if (cs_cose_decode(&c, cur.p, cur.len, &e) != CS_OK ||
		    cs_cose_sign_add(env, &c, who[i]->sk, &added, &e) != CS_OK)
			die("sign");
		cur.len = 0;
		cs_buf_add(&cur, env->p, env->len);
	}
	env->len = 0;
	cs_buf_add(env, cur.p, cur.len);
	cs_buf_free(&cur);
}

/* A value of another CBOR type than the one encoded in v. */
static const char *
wrong_type(const uint8_t *v, size_t *n)
{
	switch (v[0] >> 5) {
	case 0: *n = 2; return "\x61x";        /* uint -> text */
	case 2: *n = 1; return "\x07";         /* bytes -> uint */
	case 3: *n = 2; return "\x41\x00";     /* text -> bytes */
	case 4: *n = 1; return "\xa0";         /* array -> map */
	default: *n = 1; return "\xf5";        /* null etc. -> true */
	}
}

struct art {
	const char *name, *kind, *payload, *policy;
	int multi;
	const struct key *signer[2];
};

static void
variants(const struct art *a)
{
	struct field f[MAXF], t;
	struct pl p;
	cs_buf b, env;
	char fn[128];
	const char *wv;
	size_t i, wn;
	size_t nsig = a->multi ? 2 : 1;

	load(&p, a->payload);
	cs_buf_init(&b, 1 << 20);
	cs_buf_init(&env, 1 << 20);

	/* the untouched payload, so the test knows the envelope itself is fine */
	assemble(&b, p.f, p.nf, 0);
	if (b.len != p.memlen || memcmp(b.p, p.mem, b.len) != 0)
		die("reassembled golden payload differs");
	envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
	snprintf(fn, sizeof fn, "%s-valid.cbor", a->name);
	put(fn, env.p, env.len, 0, "-", a->policy);

	/* every field in turn given a value of the wrong type */
	for (i = 0; i < p.nf; i++) {
		memcpy(f, p.f, p.nf * sizeof f[0]);
		wv = wrong_type(f[i].v, &wn);
		f[i].v = (const uint8_t *)wv;
		f[i].n = wn;
		assemble(&b, f, p.nf, 0);
		envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
		snprintf(fn, sizeof fn, "%s-type-field%llu.cbor", a->name,
		    (unsigned long long)f[i].key);
		put(fn, env.p, env.len, 3, "schema", a->policy);
	}

	/* non-canonical encodings of the same content, validly signed */
	memcpy(f, p.f, p.nf * sizeof f[0]);
	f[0].v = (const uint8_t *)"\x18\x01"; /* format version 1, non-shortest */
	f[0].n = 2;
	assemble(&b, f, p.nf, 0);
	envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
	snprintf(fn, sizeof fn, "%s-nonshortest.cbor", a->name);
	put(fn, env.p, env.len, 3, "cbor", a->policy);

	memcpy(f, p.f, p.nf * sizeof f[0]);
	t = f[3];
	f[3] = f[4];
	f[4] = t;
	assemble(&b, f, p.nf, 0);
	envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
	snprintf(fn, sizeof fn, "%s-unsorted.cbor", a->name);
	put(fn, env.p, env.len, 3, "cbor", a->policy);

	memcpy(f, p.f, p.nf * sizeof f[0]);
	f[4].key = f[3].key; /* {.., 3: a, 3: b, ..}: the same key twice */
	assemble(&b, f, p.nf, 0);
	envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
	snprintf(fn, sizeof fn, "%s-duplicate.cbor", a->name);
	put(fn, env.p, env.len, 3, "cbor", a->policy);

	assemble(&b, p.f, p.nf, 1);
	envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
	snprintf(fn, sizeof fn, "%s-indefinite.cbor", a->name);
	put(fn, env.p, env.len, 3, "cbor", a->policy);

	assemble(&b, p.f, p.nf, 0);
	cs_buf_add(&b, "\x00", 1);
	envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
	snprintf(fn, sizeof fn, "%s-trailing.cbor", a->name);
	put(fn, env.p, env.len, 3, "cbor", a->policy);

	memcpy(f, p.f, p.nf * sizeof f[0]);
	f[p.nf - 1].key = 23; /* the last field renamed to one no version knows */
	assemble(&b, f, p.nf, 0);
	envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
	snprintf(fn, sizeof fn, "%s-unknown-field.cbor", a->name);
	put(fn, env.p, env.len, 3, "schema", a->policy);

	/* a huge declared length in place of the last field's value */
	memcpy(f, p.f, p.nf * sizeof f[0]);
	f[p.nf - 1].v = (const uint8_t *)"\x5b\xff\xff\xff\xff\xff\xff\xff\xf0";
	f[p.nf - 1].n = 9;
	assemble(&b, f, p.nf, 0);
	envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
	snprintf(fn, sizeof fn, "%s-huge-length.cbor", a->name);
	put(fn, env.p, env.len, 3, "cbor", a->policy);

	/* the same payload under another kind's content type */
	assemble(&b, p.f, p.nf, 0);
	envelope(&env, strcmp(a->kind, CS_KIND_ORDER) == 0 ? CS_KIND_POLICY : CS_KIND_ORDER, &b,
	    a->multi, a->signer, nsig);
	snprintf(fn, sizeof fn, "%s-kind.cbor", a->name);
	put(fn, env.p, env.len, 3, a->multi ? "schema" : "kind", a->policy);

	/* an unsigned draft: well-formed, but nobody vouches for it */
	if (a->multi) {
		assemble(&b, p.f, p.nf, 0);
		envelope(&env, a->kind, &b, a->multi, a->signer, 0);
		snprintf(fn, sizeof fn, "%s-unsigned.cbor", a->name);
		put(fn, env.p, env.len, 1, strcmp(a->kind, CS_KIND_ORDER) == 0 ? "order-threshold"
		    : "policy-threshold", a->policy);
	}

	cs_buf_free(&b);
	cs_buf_free(&env);
	free(p.mem);
}

/* A text field of a valid payload with a terminal escape in it (same length). */
static void
escape_variant(const struct art *a, const char *text, const char *name)
{
	struct pl p;
	cs_buf b, env;
	uint8_t *hit;
	size_t tl = strlen(text);
	size_t nsig = a->multi ? 2 : 1;

	load(&p, a->payload);
	hit = memmem(p.mem, p.memlen, text, tl);
	if (hit == NULL)
		die("escape target not in golden payload");
	hit[0] = 0x1b; /* ESC, then "[..." would follow on a terminal */
	hit[1] = '[';
	cs_buf_init(&b, 1 << 20);
	cs_buf_init(&env, 1 << 20);
	cs_buf_add(&b, p.mem, p.memlen);
	envelope(&env, a->kind, &b, a->multi, a->signer, nsig);
	put(name, env.p, env.len, 3, "schema", a->policy);
	cs_buf_free(&b);
	cs_buf_free(&env);
	free(p.mem);
}

/* ---- the COSE profile: well-formed envelopes, validly signed over exactly
 * the headers they carry, that only the profile (formats.md, "COSE profile")
 * refuses ---------------------------------------------------------------- */

/* A header map: alg (0: none), the content type of kind (NULL: none), the kid
 * of k (NULL: none), and the unknown label 99 => 0 when extra is set. The
 * writer sorts the labels, so every header is canonical CBOR. */
static void
hdr(cs_buf *b, int64_t alg, const char *kind, const struct key *k, int extra)
{
	uint8_t kid[CS_KID_LEN];

	if (k != NULL)
		cs_keyid(kid, k->pk);
	if (cosehdr(b, alg, kind, k != NULL ? kid : NULL, extra) != 0)
		die("header");
}

/* A COSE_Sign1 with the given headers, signed by k over its protected header. */
static void
sign1_raw(cs_buf *env, const cs_buf *prot, const cs_buf *unprot, const cs_buf *payload,
    const struct key *k)
{
	uint8_t sig[CS_SIG_LEN];
	cs_buf tbs;
	cs_cose_raw_signer rs;

	cs_buf_init(&tbs, 1 << 20);
	if (cs_cose_tbs_raw(&tbs, prot->p, prot->len, NULL, 0, NULL, 0, payload->p,
		payload->len) != CS_OK)
		die("ToBeSigned");
	crypto_sign_detached(sig, NULL, tbs.p, tbs.len, k->sk);
	if (crypto_sign_verify_detached(sig, tbs.p, tbs.len, k->pk) != 0)
		die("sign1 self-check");
	rs = (cs_cose_raw_signer){prot->p, prot->len, unprot->p, unprot->len, sig};
	env->len = 0;
	if (cs_cose_encode_sign1_raw(env, &rs, payload->p, payload->len) != CS_OK)
		die("sign1 encode");
	cs_buf_free(&tbs);
}

struct signer {
	const struct key *k;
	cs_buf prot, unprot;
};

/* A COSE_Sign with the given body headers, each signer signing over the body
 * protected header and its own (in the order given). */
static void
sign_raw(cs_buf *env, const cs_buf *bprot, const cs_buf *bunprot, const cs_buf *payload,
    const struct signer *s, size_t ns)
{
	uint8_t sig[3][CS_SIG_LEN];
	cs_cose_raw_signer rs[3];
	cs_buf tbs;
	size_t i;

	if (ns > 3)
		die("too many signers");
	cs_buf_init(&tbs, 1 << 20);
	for (i = 0; i < ns; i++) {
		tbs.len = 0;
		if (cs_cose_tbs_raw(&tbs, bprot->p, bprot->len, s[i].prot.p, s[i].prot.len, NULL,
			0, payload->p, payload->len) != CS_OK)
			die("ToBeSigned");
		crypto_sign_detached(sig[i], NULL, tbs.p, tbs.len, s[i].k->sk);
		if (crypto_sign_verify_detached(sig[i], tbs.p, tbs.len, s[i].k->pk) != 0)
			die("sign self-check");
		rs[i] = (cs_cose_raw_signer){s[i].prot.p, s[i].prot.len, s[i].unprot.p,
		    s[i].unprot.len, sig[i]};
	}
	env->len = 0;
	if (cs_cose_encode_sign_raw(env, bprot->p, bprot->len, bunprot->p, bunprot->len,
		payload->p, payload->len, rs, ns) != CS_OK)
		die("sign encode");
	cs_buf_free(&tbs);
}

/* The signers of a COSE_Sign variant in the profile's headers, sorted by kid
 * as the writer sorts them: who[0..n). */
static void
signers(struct signer *s, const struct key *const *who, size_t n)
{
	struct signer t;
	uint8_t a[CS_KID_LEN], b[CS_KID_LEN];
	size_t i, j;

	for (i = 0; i < n; i++) {
		s[i].k = who[i];
		cs_buf_init(&s[i].prot, 256);
		cs_buf_init(&s[i].unprot, 256);
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0; j--) {
			cs_keyid(a, s[j].k->pk);
			cs_keyid(b, s[j - 1].k->pk);
			if (memcmp(a, b, CS_KID_LEN) >= 0)
				break;
			t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		hdr(&s[i].prot, CS_COSE_ALG_EDDSA, NULL, s[i].k, 0);
		hdr(&s[i].unprot, 0, NULL, NULL, 0);
	}
}

static void
signers_free(struct signer *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		cs_buf_free(&s[i].prot);
		cs_buf_free(&s[i].unprot);
	}
}

/* The kind whose name a variant's payload carries in place of its own. */
static const char *
other_kind(const char *kind)
{
	if (strcmp(kind, CS_KIND_POLICY) == 0)
		return CS_KIND_ORDER;
	if (strcmp(kind, CS_KIND_ORDER) == 0)
		return CS_KIND_POLICY;
	if (strcmp(kind, CS_KIND_RECORD) == 0)
		return CS_KIND_HEADER;
	return CS_KIND_RECORD;
}

/* Each variant differs from the valid envelope only in the header named by
 * its file name, and carries valid Ed25519 signatures over exactly the
 * headers it has: a reader that skipped the profile check would accept it.
 * The builder first reproduces the valid envelope byte for byte, so nothing
 * else can differ. COSE_Sign variants of a signer's headers change the first
 * signer's only and add a third valid custodian (carol), so the file is
 * accepted even by a reader that would drop the odd signature instead of
 * refusing the file: only the profile check refuses it. */
static void
profile_variants(const struct art *a)
{
	const struct key *three[3] = {a->signer[0], a->signer[1], &carol};
	uint8_t kfield[2 + CS_KIND_MAX];
	struct signer s[3];
	struct pl p;
	cs_buf b, env, ref, prot, unprot, empty;
	char fn[128];
	size_t i, kl;

	load(&p, a->payload);
	cs_buf_init(&b, 1 << 20);
	cs_buf_init(&env, 1 << 20);
	cs_buf_init(&ref, 1 << 20);
	cs_buf_init(&prot, 256);
	cs_buf_init(&unprot, 256);
	cs_buf_init(&empty, 16);
	hdr(&empty, 0, NULL, NULL, 0);
	assemble(&b, p.f, p.nf, 0);
	envelope(&ref, a->kind, &b, a->multi, a->signer, a->multi ? 2 : 1);

	if (!a->multi) {
		const struct key *k = a->signer[0];

		hdr(&prot, CS_COSE_ALG_EDDSA, a->kind, k, 0);
		sign1_raw(&env, &prot, &empty, &b, k);
		if (env.len != ref.len || memcmp(env.p, ref.p, env.len) != 0)
			die("raw COSE_Sign1 differs from the library's");

		/* (1) unprotected header {99: 0} */
		hdr(&unprot, 0, NULL, NULL, 1);
		sign1_raw(&env, &prot, &unprot, &b, k);
		snprintf(fn, sizeof fn, "%s-unprot-label.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);

		/* (2) protected header {1: -8, 3: ct, 4: kid, 99: 0} */
		hdr(&prot, CS_COSE_ALG_EDDSA, a->kind, k, 1);
		sign1_raw(&env, &prot, &empty, &b, k);
		snprintf(fn, sizeof fn, "%s-prot-label.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);

		/* (3) alg ES256 (-7), the signature still Ed25519: outside the
		 * profile but for a record, whose ES256 is for a P-256 key (an
		 * Ed25519 key's record does not verify with it) */
		hdr(&prot, -7, a->kind, k, 0);
		sign1_raw(&env, &prot, &empty, &b, k);
		snprintf(fn, sizeof fn, "%s-alg-es256.cbor", a->name);
		if (strcmp(a->kind, "record") == 0)
			put(fn, env.p, env.len, 1, "record-signature", a->policy);
		else
			put(fn, env.p, env.len, 3, "schema", a->policy);

		/* (4) kid moved: protected {1: -8, 3: ct}, unprotected {4: kid} */
		hdr(&prot, CS_COSE_ALG_EDDSA, a->kind, NULL, 0);
		hdr(&unprot, 0, NULL, k, 0);
		sign1_raw(&env, &prot, &unprot, &b, k);
		snprintf(fn, sizeof fn, "%s-kid-unprot.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);
	} else {
		hdr(&prot, 0, a->kind, NULL, 0);
		signers(s, a->signer, 2);
		sign_raw(&env, &prot, &empty, &b, s, 2);
		signers_free(s, 2);
		if (env.len != ref.len || memcmp(env.p, ref.p, env.len) != 0)
			die("raw COSE_Sign differs from the library's");

		/* the body's headers, two custodians (the threshold) signing */
		signers(s, a->signer, 2);

		/* (1) body unprotected header {99: 0} */
		hdr(&unprot, 0, NULL, NULL, 1);
		sign_raw(&env, &prot, &unprot, &b, s, 2);
		snprintf(fn, sizeof fn, "%s-unprot-label.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);

		/* (2) body protected header {3: ct, 99: 0} */
		hdr(&prot, 0, a->kind, NULL, 1);
		sign_raw(&env, &prot, &empty, &b, s, 2);
		snprintf(fn, sizeof fn, "%s-prot-label.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);

		/* (2') body protected header {1: -8, 3: ct}: alg is the signers' */
		hdr(&prot, CS_COSE_ALG_EDDSA, a->kind, NULL, 0);
		sign_raw(&env, &prot, &empty, &b, s, 2);
		snprintf(fn, sizeof fn, "%s-prot-alg.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);
		signers_free(s, 2);

		/* the first signer's headers, three custodians signing */
		hdr(&prot, 0, a->kind, NULL, 0);

		/* (1) a signer's unprotected header {99: 0} */
		signers(s, three, 3);
		hdr(&s[0].unprot, 0, NULL, NULL, 1);
		sign_raw(&env, &prot, &empty, &b, s, 3);
		signers_free(s, 3);
		snprintf(fn, sizeof fn, "%s-sig-unprot-label.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);

		/* (2) a signer's protected header {1: -8, 4: kid, 99: 0} */
		signers(s, three, 3);
		hdr(&s[0].prot, CS_COSE_ALG_EDDSA, NULL, s[0].k, 1);
		sign_raw(&env, &prot, &empty, &b, s, 3);
		signers_free(s, 3);
		snprintf(fn, sizeof fn, "%s-sig-prot-label.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);

		/* (3) a signer's alg ES256 (-7), the signature still Ed25519 */
		signers(s, three, 3);
		hdr(&s[0].prot, -7, NULL, s[0].k, 0);
		sign_raw(&env, &prot, &empty, &b, s, 3);
		signers_free(s, 3);
		snprintf(fn, sizeof fn, "%s-alg-es256.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);

		/* (4) a signer's kid moved: protected {1: -8}, unprotected {4: kid} */
		signers(s, three, 3);
		hdr(&s[0].prot, CS_COSE_ALG_EDDSA, NULL, NULL, 0);
		hdr(&s[0].unprot, 0, NULL, s[0].k, 0);
		sign_raw(&env, &prot, &empty, &b, s, 3);
		signers_free(s, 3);
		snprintf(fn, sizeof fn, "%s-kid-unprot.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);
	}

	/* (5) the content type of the envelope's own kind over a payload whose
	 * kind field names another kind (everything else the payload's own) */
	{
		struct field f[MAXF];
		const char *other = other_kind(a->kind);

		kl = strlen(other);
		kfield[0] = (uint8_t)(0x60 + kl); /* kl < 24 */
		memcpy(kfield + 1, other, kl);
		memcpy(f, p.f, p.nf * sizeof f[0]);
		for (i = 0; i < p.nf && f[i].key != 2; i++)
			;
		if (i == p.nf)
			die("payload without a kind field");
		f[i].v = kfield;
		f[i].n = 1 + kl;
		assemble(&b, f, p.nf, 0);
		envelope(&env, a->kind, &b, a->multi, a->signer, a->multi ? 2 : 1);
		snprintf(fn, sizeof fn, "%s-kind-field.cbor", a->name);
		put(fn, env.p, env.len, 3, "schema", a->policy);
	}

	cs_buf_free(&b);
	cs_buf_free(&env);
	cs_buf_free(&ref);
	cs_buf_free(&prot);
	cs_buf_free(&unprot);
	cs_buf_free(&empty);
	free(p.mem);
}

static void
raw(const char *name, const void *p, size_t n, int exit_code, const char *reason)
{
	put(name, p, n, exit_code, reason, "-");
}

/* Deeply nested arrays, as a whole file. */
static void
deep(void)
{
	static uint8_t b[20001];

	memset(b, 0x81, sizeof b - 1);
	b[sizeof b - 1] = 0x00;
	raw("deep-arrays.cbor", b, sizeof b, 3, "cbor");
	memset(b, 0xd8, sizeof b - 1); /* tag 24 (0xd8 0x18) repeated: tags of tags */
	for (size_t i = 1; i < sizeof b - 1; i += 2)
		b[i] = 0x18;
	b[sizeof b - 1] = 0x00;
	raw("deep-tags.cbor", b, sizeof b, 3, "cbor");
}

/* Secret key file with chosen KDF parameters and a random ciphertext. */
static void
seckey(const char *name, uint64_t ops, uint64_t mem, const char *reason)
{
	uint8_t hm[512], fm[1024], ct[48], salt[16], nonce[24];
	char b64[2048], text[4096];
	cs_buf hdr, file;
	cs_cw w;
	int n;

	memset(salt, 0x5a, sizeof salt);
	memset(nonce, 0xa5, sizeof nonce);
	memset(ct, 0x3c, sizeof ct);
	cs_buf_fixed(&hdr, hm, sizeof hm);
	cs_cw_init(&w, &hdr);
	cs_cw_map_begin(&w);
	cs_cw_uint(&w, 0);
	cs_cw_uint(&w, 1);
	cs_cw_uint(&w, 2);
	cs_cw_textz(&w, "secret-key");
	cs_cw_uint(&w, 3);
	cs_cw_textz(&w, "alice");
	cs_cw_uint(&w, 4);
	cs_cw_textz(&w, "Alice Custodian");
	cs_cw_uint(&w, 5);
	cs_cw_bytes(&w, alice.pk, CS_PK_LEN);
	cs_cw_uint(&w, 6);
	cs_cw_textz(&w, "argon2id13");
	cs_cw_uint(&w, 7);
	cs_cw_uint(&w, ops);
	cs_cw_uint(&w, 8);
	cs_cw_uint(&w, mem);
	cs_cw_uint(&w, 9);
	cs_cw_bytes(&w, salt, sizeof salt);
	cs_cw_uint(&w, 10);
	cs_cw_bytes(&w, nonce, sizeof nonce);
	cs_cw_map_end(&w);
	if (cs_cw_finish(&w) != 0)
		die("key header");
	cs_buf_fixed(&file, fm, sizeof fm);
	cs_cw_init(&w, &file);
	cs_cw_array_begin(&w);
	cs_cw_bytes(&w, hdr.p, hdr.len);
	cs_cw_bytes(&w, ct, sizeof ct);
	cs_cw_array_end(&w);
	if (cs_cw_finish(&w) != 0)
		die("key file");
	sodium_bin2base64(b64, sizeof b64, file.p, file.len, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(text, sizeof text, "consign secret key: alice\n%s\n", b64);
	put(name, (const uint8_t *)text, (size_t)n, strcmp(reason, "passphrase") == 0 ? 1 : 3,
	    reason, "-");
}

/* A public key file through the library's writer: a small-order key is
 * written as any other, and refused only when read. */
static void
pubkey(const char *name, const uint8_t pk[CS_PK_LEN])
{
	uint8_t tm[1024];
	cs_pubkey k = {.id = "evil", .name = "Evil"};
	cs_buf text;

	memcpy(k.pk, pk, CS_PK_LEN);
	cs_buf_fixed(&text, tm, sizeof tm);
	if (cs_pubkey_format(&text, &k) != CS_OK)
		die("pub file");
	put(name, text.p, text.len, 3, "schema", "-");
}

int
main(int argc, char **argv)
{
	static const struct art arts[] = {
		{"policy", CS_KIND_POLICY, "policy.payload", "-", 1, {&alice, &bob}},
		{"order", CS_KIND_ORDER, "order.payload", "policy.cbor", 1, {&alice, &bob}},
		{"record", CS_KIND_RECORD, "record.payload", "-", 0, {&device, NULL}},
		{"header", CS_KIND_HEADER, "header.payload", "-", 0, {&station, NULL}},
	};
	char path[4096];
	uint8_t pk[CS_PK_LEN];
	size_t i;

	if (argc != 4 || strcmp(argv[1], "write") != 0) {
		fprintf(stderr, "usage: malformed write GOLDEN_DIR OUT_DIR\n");
		return 2;
	}
	golden = argv[2];
	out = argv[3];
	if (sodium_init() < 0)
		return 3;
	gkey(&alice, "alice");
	gkey(&bob, "bob");
	gkey(&carol, "carol");
	gkey(&office, "office");
	gkey(&station, "station");
	gkey(&device, "device");
	snprintf(path, sizeof path, "%s/EXPECT", out);
	if ((expect = fopen(path, "w")) == NULL)
		die("cannot write EXPECT");
	fprintf(expect, "# FILE EXIT REASON POLICY, written by tests/tools/malformed.c\n");
	for (i = 0; i < sizeof arts / sizeof arts[0]; i++)
		variants(&arts[i]);
	escape_variant(&arts[0], "Custodian", "policy-name-escape.cbor");
	escape_variant(&arts[1], "Sensor", "order-product-escape.cbor");
	escape_variant(&arts[2], "1.4.2", "record-firmware-escape.cbor");
	for (i = 0; i < sizeof arts / sizeof arts[0]; i++)
		profile_variants(&arts[i]);

	raw("empty.cbor", "", 0, 3, "cbor");
	raw("float.cbor", "\xd8\x62\xfb\x3f\xf0\x00\x00\x00\x00\x00\x00", 11, 3, "cbor");
	raw("huge-array.cbor", "\xd8\x62\x9b\x00\x00\x00\x01\x00\x00\x00\x00", 11, 3, "cbor");
	raw("huge-bytes.cbor", "\xd8\x62\x84\x5b\xff\xff\xff\xff\xff\xff\xff\xff", 12, 3, "cbor");
	deep();

	seckey("key-kdf-memory.key", 2, 1ull << 62, "schema");
	seckey("key-kdf-passes.key", 1ull << 32, 1ull << 26, "schema");
	seckey("key-kdf-zero.key", 0, 0, "schema");
	seckey("key-wrong-ciphertext.key", 1, 8192, "passphrase");
	memset(pk, 0, sizeof pk);
	pk[0] = 1; /* the identity: small order */
	pubkey("pub-small-order.pub", pk);
	raw("pub-bad-base64.pub", "consign public key: x\n!!!!\n", 27, 3, "keyfile");
	raw("pub-no-line.pub", "consign public key: x", 21, 3, "keyfile");
	raw("pub-two-lines.pub", "consign public key: x\nAAAA\nAAAA\n", 32, 3, "keyfile");
	fclose(expect);
	(void)office;
	return 0;
}
