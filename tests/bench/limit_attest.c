/* limit_attest: the raw cryptographic limit of verifying an attested batch
 * (issue 18), as limit.c is for a plain one. The records, their evidence and
 * the pinned root are read, decoded and prepared once, up front; then a tight
 * loop does exactly the per-record cryptography and nothing else, with
 * OpenSSL's EVP interface directly, on one core and then on every core (wall
 * time), or one of the two with --cores.
 *
 * In the limit, per record:
 *   - the device key decoded from its 65 octets into an EVP_PKEY, which
 *     checks the point is on the curve (EVP_PKEY_set1_encoded_public_key on
 *     a key holding the P-256 group, the faster of the two ways --parts
 *     times; --decode fromdata takes EVP_PKEY_fromdata instead); an Ed25519
 *     key (firmware evidence alone) gets the prime-order check instead
 *   - the record's signature over its exact Sig_structure (EVP_DigestVerify,
 *     ES256, the DER signature made from r || s up front; Ed25519:
 *     crypto_sign_verify_detached)
 *   - secure-element evidence: the leaf certificate's signature over its
 *     TBSCertificate bytes under the intermediate's key
 *   - firmware evidence: the attestation key's leaf signature likewise, the
 *     attestation key decoded from its 65 octets (as the device key), and
 *     the PSA token's ES256 signature over its Sig_structure
 * and once per batch (per timed run, inside the time): the pinned root and
 * each distinct intermediate parsed (d2i_X509, their keys decoded) and the
 * intermediate's signature checked under the root's key (X509_verify), as
 * consign's chain cache validates a shared intermediate once.
 * Not in the limit: reading and splitting the records, CBOR decoding of the
 * record, the evidence and the token, the Sig_structures' building (made up
 * front), parsing the leaf certificates (their TBS span, signature and key
 * are taken out up front), r || s to DER, the key's 0x04 form and range
 * checks, the binding checks (leaf key == record key, the token's nonce
 * hash, instance id, lifecycle, measurements), the key id hash, the
 * duplicate checks, and everything else consign verify does per record.
 *
 *   limit_attest [--threads N] [--repeat N] [--cores one|all]
 *                [--decode copy|fromdata] [--parts] --root ROOT.der batch.zip
 *
 * With --parts it also times each piece of the raw cryptography and each
 * piece of consign's own evidence and signature work (lib/attest, as
 * lib/verify/rules.c calls it) over the same records, CPU time of one
 * thread: "part_ns_NAME ns-per-record" lines.
 *
 * Prints "name value" lines (tests/bench/run collects them). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <sodium.h>

#define TOOL_NAME "limit_attest"
#include "bench.h"
#include "attest/chain.h"
#include "attest/evidence.h"
#include "attest/p256.h"
#include "attest/psa.h"
#include "bundle/reader.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/file.h"
#include "verify/batch.h"

#define DER_SIG_MAX 80
#define INTER_MAX 4 /* distinct intermediates in one batch */

/* a signature to check: DER ECDSA-Sig-Value over msg[0..len) */
struct sig {
	uint8_t der[DER_SIG_MAX];
	size_t der_len;
	const uint8_t *msg; /* into the records entry or the arena */
	size_t len;
};

struct rec {
	uint8_t pk[CS_DEVICE_KEY_MAX];
	size_t pk_len;
	uint8_t ed_sig[CS_SIG_LEN];     /* an Ed25519 record's signature */
	uint8_t p1363[CS_ES256_SIG_LEN]; /* a P-256 record's as carried, for --parts */
	struct sig rs;                  /* a P-256 record's */
	int has_se, has_fw;
	struct sig se_leaf;             /* under intermediate se_inter */
	unsigned se_inter;
	struct sig iak_leaf;            /* under intermediate iak_inter */
	unsigned iak_inter;
	uint8_t iak[CS_P256_PT_LEN];
	struct sig token;
};

static struct {
	uint8_t *entry;
	size_t size;
	struct rec *r;
	cs_record *dec;     /* the records decoded, for --parts */
	size_t n;
	uint8_t *arena;     /* the Sig_structures */
	size_t arena_cap, used;
	uint8_t order[CS_DIGEST_LEN];
	uint8_t *root;
	size_t root_len;
	const uint8_t *inter[INTER_MAX];
	size_t inter_len[INTER_MAX];
	unsigned ninter;
	unsigned kinds;     /* CS_EV_* every record carries */
} G;

static EVP_MD *sha256_md;
static EVP_PKEY *group_only;
static int use_fromdata;

/* Threads take records in chunks as they go, so one slowed down by other
 * work on the machine does not leave the others idle at the end. */
#define CHUNK 64

struct slice {
	size_t *next;
	size_t done;
	size_t bad;
	EVP_PKEY **ikey;    /* the batch's intermediates' keys */
	pthread_t th;
};

/* ---- the raw pieces ----------------------------------------------------- */

/* A P-256 public key from its 65 octets; NULL when the point is not on the
 * curve (EC_POINT_oct2point refuses it inside either path). */
static EVP_PKEY *
key_copy(const uint8_t pt[CS_P256_PT_LEN])
{
	EVP_PKEY *k;

	if ((k = EVP_PKEY_new()) == NULL || EVP_PKEY_copy_parameters(k, group_only) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(k, pt, CS_P256_PT_LEN) != 1) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

static EVP_PKEY *
key_fromdata(EVP_PKEY_CTX *ctx, const uint8_t pt[CS_P256_PT_LEN])
{
	OSSL_PARAM p[3];
	EVP_PKEY *k = NULL;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, CS_P256_PT_LEN);
	p[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p) != 1)
		return NULL;
	return k;
}

static EVP_PKEY *
key_of(EVP_PKEY_CTX *ctx, const uint8_t pt[CS_P256_PT_LEN])
{
	return use_fromdata ? key_fromdata(ctx, pt) : key_copy(pt);
}

/* 1 when s verifies under k; ctx is reset for the next one */
static int
verify(EVP_MD_CTX *ctx, EVP_PKEY *k, const struct sig *s)
{
	int ok = EVP_DigestVerifyInit(ctx, NULL, sha256_md, NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, s->der, s->der_len, s->msg, s->len) == 1;

	EVP_MD_CTX_reset(ctx);
	return ok;
}

/* The once-per-batch work: the root and every distinct intermediate parsed,
 * each intermediate's signature checked under the root. */
static void
batch_once(EVP_PKEY *ikey[INTER_MAX], X509 *held[INTER_MAX + 1])
{
	const uint8_t *p = G.root;
	unsigned i;

	if ((held[0] = d2i_X509(NULL, &p, (long)G.root_len)) == NULL)
		die("the root is not a DER certificate");
	for (i = 0; i < G.ninter; i++) {
		p = G.inter[i];
		if ((held[i + 1] = d2i_X509(NULL, &p, (long)G.inter_len[i])) == NULL ||
		    X509_verify(held[i + 1], X509_get0_pubkey(held[0])) != 1 ||
		    (ikey[i] = X509_get0_pubkey(held[i + 1])) == NULL)
			die("an intermediate does not verify under the root");
	}
}

static void
batch_free(X509 *held[INTER_MAX + 1])
{
	unsigned i;

	for (i = 0; i <= G.ninter; i++)
		X509_free(held[i]);
}

static void *
verify_slice(void *arg)
{
	struct slice *s = arg;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k;
	size_t i, from, to;

	if (md == NULL || kc == NULL)
		die("out of memory");
	for (;;) {
		from = __atomic_fetch_add(s->next, CHUNK, __ATOMIC_RELAXED);
		if (from >= G.n)
			break;
		to = from + CHUNK < G.n ? from + CHUNK : G.n;
		for (i = from; i < to; i++) {
			const struct rec *r = &G.r[i];

			if (r->pk_len == CS_ED25519_KEY_LEN) {
				if (crypto_core_ed25519_is_valid_point(r->pk) != 1 ||
				    crypto_sign_verify_detached(r->ed_sig, r->rs.msg, r->rs.len, r->pk) !=
					0)
					s->bad++;
			} else {
				if ((k = key_of(kc, r->pk)) == NULL || !verify(md, k, &r->rs))
					s->bad++;
				EVP_PKEY_free(k);
			}
			if (r->has_se && !verify(md, s->ikey[r->se_inter], &r->se_leaf))
				s->bad++;
			if (r->has_fw) {
				if (!verify(md, s->ikey[r->iak_inter], &r->iak_leaf) ||
				    (k = key_of(kc, r->iak)) == NULL || !verify(md, k, &r->token))
					s->bad++;
				else
					EVP_PKEY_free(k);
			}
		}
		s->done += to - from;
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(kc);
	return NULL;
}

/* Records per second over every record, on nth threads, the once-per-batch
 * work included; *cps, records per second of this thread's CPU time. */
static double
limit(unsigned nth, double *cps)
{
	struct slice sl[64];
	EVP_PKEY *ikey[INTER_MAX];
	X509 *held[INTER_MAX + 1] = {NULL};
	size_t bad = 0, next = 0;
	unsigned t;
	double t0, c0;

	c0 = cpu();
	t0 = now();
	batch_once(ikey, held);
	for (t = 0; t < nth; t++) {
		sl[t].next = &next;
		sl[t].done = sl[t].bad = 0;
		sl[t].ikey = ikey;
		if (t > 0 && pthread_create(&sl[t].th, NULL, verify_slice, &sl[t]) != 0)
			die("cannot start a thread");
	}
	verify_slice(&sl[0]);
	c0 = cpu() - c0;
	for (t = 1; t < nth; t++)
		pthread_join(sl[t].th, NULL);
	t0 = now() - t0;
	batch_free(held);
	*cps = (double)sl[0].done / c0;
	for (t = 0; t < nth; t++)
		bad += sl[t].bad;
	if (bad > 0)
		die("records fail: the limit is measured on a valid batch");
	return (double)G.n / t0;
}

/* ---- loading: none of this is timed ------------------------------------- */

static void
der_sig(struct sig *s, const uint8_t rs[CS_ES256_SIG_LEN])
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	uint8_t *p = s->der;
	int n;

	if (es == NULL ||
	    ECDSA_SIG_set0(es, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL)) != 1 ||
	    (n = i2d_ECDSA_SIG(es, NULL)) <= 0 || n > DER_SIG_MAX || i2d_ECDSA_SIG(es, &p) != n)
		die("cannot make a DER signature");
	s->der_len = (size_t)n;
	ECDSA_SIG_free(es);
}

/* A Sig_structure into the arena. */
static void
tbs(struct sig *s, const uint8_t *prot, size_t prot_len, const uint8_t *payload, size_t plen)
{
	cs_buf b;

	cs_buf_fixed(&b, G.arena + G.used, G.arena_cap - G.used);
	if (cs_cose_tbs_raw(&b, prot, prot_len, NULL, 0, NULL, 0, payload, plen) != CS_OK)
		die("Sig_structure");
	s->msg = G.arena + G.used;
	s->len = b.len;
	G.used += b.len;
}

static unsigned
inter_index(const uint8_t *der, size_t len)
{
	unsigned i;

	for (i = 0; i < G.ninter; i++)
		if (G.inter_len[i] == len && memcmp(G.inter[i], der, len) == 0)
			return i;
	if (G.ninter == INTER_MAX)
		die("more distinct intermediates than the limit keeps");
	G.inter[G.ninter] = der;
	G.inter_len[G.ninter] = len;
	return G.ninter++;
}

/* A leaf under an intermediate: its TBSCertificate bytes as carried, its
 * signature (ECDSA with SHA-256 only) and its key's 65 octets. */
static void
leaf(struct sig *s, unsigned *inter, uint8_t key[CS_P256_PT_LEN], const uint8_t *const *der,
    const size_t *len, size_t n)
{
	const ASN1_BIT_STRING *bits;
	const X509_ALGOR *alg;
	const unsigned char *p = der[0], *start, *pk;
	ASN1_OBJECT *ka;
	long l;
	int tag, cls, pklen;
	X509 *x;

	if (n != 2)
		die("the limit takes chains of [leaf, intermediate]");
	if ((x = d2i_X509(NULL, &p, (long)len[0])) == NULL ||
	    X509_get_signature_nid(x) != NID_ecdsa_with_SHA256)
		die("a leaf is not an ECDSA-SHA256 certificate");
	X509_get0_signature(&bits, &alg, x);
	if ((size_t)bits->length > DER_SIG_MAX)
		die("a leaf's signature is too long");
	memcpy(s->der, bits->data, (size_t)bits->length);
	s->der_len = (size_t)bits->length;
	if (X509_PUBKEY_get0_param(&ka, &pk, &pklen, NULL, X509_get_X509_PUBKEY(x)) != 1 ||
	    pklen != CS_P256_PT_LEN || pk[0] != 0x04)
		die("a leaf's key is not an uncompressed P-256 point");
	memcpy(key, pk, CS_P256_PT_LEN);
	X509_free(x);
	p = der[0];
	if (ASN1_get_object(&p, &l, &tag, &cls, (long)len[0]) & 0x80)
		die("leaf DER");
	start = p;
	if (ASN1_get_object(&p, &l, &tag, &cls, (long)(len[0] - (size_t)(p - der[0]))) & 0x80)
		die("leaf DER");
	s->msg = start;
	s->len = (size_t)(p - start) + (size_t)l;
	*inter = inter_index(der[1], len[1]);
}

static void
load(const char *path, const char *root)
{
	cs_zipr *z;
	cs_err e;
	cs_cose c;
	cs_es256_sign1 t;
	cs_header h;
	cs_buf hb;
	uint8_t key[CS_P256_PT_LEN];
	size_t pos, len, cap;

	cs_err_clear(&e);
	if (cs_read_file(root, CS_ATTEST_CERT_MAX, &G.root, &G.root_len, &e) != CS_OK)
		die("cannot read the root");
	if (cs_zipr_open(&z, path, &e) != CS_OK)
		die("cannot open the batch");
	cs_buf_init(&hb, CS_HEADER_ENTRY_MAX);
	if (cs_zipr_read(z, CS_ZE_HEADER, &hb, CS_HEADER_ENTRY_MAX, &e) != CS_OK ||
	    cs_cose_decode(&c, hb.p, hb.len, &e) != CS_OK ||
	    cs_header_decode(&h, c.payload, c.payload_len, &e) != CS_OK)
		die("cannot read the header");
	memcpy(G.order, h.order, CS_DIGEST_LEN);
	cs_buf_free(&hb);
	G.entry = bench_records(z, &G.size);
	cs_zipr_close(z);
	cap = G.size / CS_RECORD_MIN + 1;
	G.arena_cap = 2 * G.size + cap * 128;
	if ((G.r = calloc(cap, sizeof *G.r)) == NULL || (G.dec = calloc(cap, sizeof *G.dec)) == NULL ||
	    (G.arena = malloc(G.arena_cap)) == NULL)
		die("out of memory");
	G.kinds = CS_EV_ALL;
	for (pos = 0; pos < G.size; pos += len) {
		struct rec *r = &G.r[G.n];
		cs_record *d = &G.dec[G.n];

		if (cs_cbor_item_len(G.entry + pos, G.size - pos, CS_RECORD_MAX, &len) != 0 ||
		    cs_cose_decode(&c, G.entry + pos, len, &e) != CS_OK ||
		    cs_record_decode(d, c.payload, c.payload_len, &e) != CS_OK)
			die("a record does not decode");
		memcpy(r->pk, d->pk, d->pk_len);
		r->pk_len = d->pk_len;
		tbs(&r->rs, c.prot, c.prot_len, c.payload, c.payload_len);
		if (d->pk_len == CS_ED25519_KEY_LEN)
			memcpy(r->ed_sig, c.s[0].sig, CS_SIG_LEN);
		else {
			memcpy(r->p1363, c.s[0].sig, CS_ES256_SIG_LEN);
			der_sig(&r->rs, c.s[0].sig);
		}
		G.kinds &= d->ev.kinds;
		if (d->ev.kinds & CS_EV_SE) {
			r->has_se = 1;
			leaf(&r->se_leaf, &r->se_inter, key, d->ev.se, d->ev.se_len, d->ev.nse);
			if (d->pk_len != CS_P256_PT_LEN || memcmp(key, d->pk, CS_P256_PT_LEN) != 0)
				die("a secure element's leaf is not for the record's key");
		}
		if (d->ev.kinds & CS_EV_FIRMWARE) {
			r->has_fw = 1;
			leaf(&r->iak_leaf, &r->iak_inter, r->iak, d->ev.iak, d->ev.iak_len, d->ev.niak);
			if (cs_es256_sign1_decode(&t, d->ev.token, d->ev.token_len, &e) != CS_OK)
				die("a token does not decode");
			tbs(&r->token, t.prot, t.prot_len, t.payload, t.payload_len);
			der_sig(&r->token, t.sig);
		}
		G.n++;
	}
	if (G.n == 0)
		die("no records");
}

/* ---- --parts ------------------------------------------------------------ */

/* ns per record of each piece, raw and as consign does it, over the same
 * records (CPU time of this thread). */
static void
parts(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY **keys, *ikey[INTER_MAX], *k;
	X509 *held[INTER_MAX + 1] = {NULL};
	cs_p256_key **pk;
	cs_appraiser ap;
	cs_psa_token tok;
	cs_evidence_work w;
	cs_attest_chain ch;
	cs_attest_leaf lf;
	cs_buf sb;
	cs_err e;
	uint8_t kid[CS_KID_LEN], pt[CS_P256_PT_LEN], scratch[CS_RECORD_MAX + 64];
	size_t i, sink = 0, bad = 0, hits, misses;
	unsigned c;
	double t;

#define PART(name, cond, ...) \
	do { \
		size_t m_ = 0; \
		t = cpu(); \
		for (i = 0; i < G.n; i++) { \
			const struct rec *r = &G.r[i]; \
			const cs_record *d = &G.dec[i]; \
			(void)r; \
			(void)d; \
			if (!(cond)) \
				continue; \
			m_++; \
			__VA_ARGS__; \
		} \
		t = cpu() - t; \
		if (m_ > 0) \
			printf("part_ns_%s %.1f\n", name, t * 1e9 / (double)G.n); \
	} while (0)

	if (md == NULL || kc == NULL || (keys = calloc(G.n, sizeof *keys)) == NULL ||
	    (pk = calloc(G.n, sizeof *pk)) == NULL)
		die("out of memory");
	t = cpu();
	batch_once(ikey, held);
	printf("part_us_batch_once %.1f\n", (cpu() - t) * 1e6);

	/* the raw pieces (the limit is made of these) */
	PART("raw_key_copy", r->pk_len == CS_P256_PT_LEN, k = key_copy(r->pk); bad += k == NULL;
	     EVP_PKEY_free(k));
	PART("raw_key_fromdata", r->pk_len == CS_P256_PT_LEN, k = key_fromdata(kc, r->pk);
	     bad += k == NULL; EVP_PKEY_free(k));
	for (i = 0; i < G.n; i++)
		if (G.r[i].pk_len == CS_P256_PT_LEN && (keys[i] = key_copy(G.r[i].pk)) == NULL)
			die("a device key does not decode");
	PART("raw_es256_record", r->pk_len == CS_P256_PT_LEN, bad += !verify(md, keys[i], &r->rs));
	PART("raw_es256_record_newctx", r->pk_len == CS_P256_PT_LEN, {
		EVP_MD_CTX *x = EVP_MD_CTX_new();
		bad += !verify(x, keys[i], &r->rs);
		EVP_MD_CTX_free(x);
	});
	PART("raw_ed25519_record", r->pk_len == CS_ED25519_KEY_LEN,
	     bad += crypto_core_ed25519_is_valid_point(r->pk) != 1 ||
		 crypto_sign_verify_detached(r->ed_sig, r->rs.msg, r->rs.len, r->pk) != 0);
	PART("raw_se_leaf_sig", r->has_se, bad += !verify(md, ikey[r->se_inter], &r->se_leaf));
	PART("raw_iak_leaf_sig", r->has_fw, bad += !verify(md, ikey[r->iak_inter], &r->iak_leaf));
	PART("raw_iak_key_copy", r->has_fw, k = key_copy(r->iak); bad += k == NULL;
	     EVP_PKEY_free(k));
	for (i = 0; i < G.n; i++) {
		EVP_PKEY_free(keys[i]);
		keys[i] = NULL;
		if (G.r[i].has_fw && (keys[i] = key_copy(G.r[i].iak)) == NULL)
			die("an attestation key does not decode");
	}
	PART("raw_es256_token", r->has_fw, bad += !verify(md, keys[i], &r->token));
	for (i = 0; i < G.n; i++)
		EVP_PKEY_free(keys[i]);
	batch_free(held);
	if (bad > 0)
		die("a raw piece failed: the parts are measured on a valid batch");

	/* consign's pieces, as lib/verify/rules.c calls them */
	cs_err_clear(&e);
	memset(&ap, 0, sizeof ap);
	ap.required = G.kinds;
	memcpy(ap.order_digest, G.order, CS_DIGEST_LEN);
	if (G.kinds & CS_EV_FIRMWARE) {
		/* the reference values: the first token's components */
		if (cs_psa_decode(&tok, G.dec[0].ev.token, G.dec[0].ev.token_len, &e) != CS_OK)
			die("the first token does not decode");
		for (c = 0; c < tok.claims.ncomp && c < CS_ORDER_REFS_MAX; c++) {
			static char type[CS_ORDER_REFS_MAX][CS_PSA_TEXT_MAX + 1];

			memcpy(type[c], tok.claims.comp[c].type.p, tok.claims.comp[c].type.n);
			type[c][tok.claims.comp[c].type.n] = '\0';
			ap.ref[c] = (cs_psa_refval){tok.claims.comp[c].value.p, tok.claims.comp[c].value.n,
			    tok.claims.comp[c].signer.p, tok.claims.comp[c].signer.n, type[c]};
		}
		ap.nref = c;
	}
	if (cs_attest_roots_new(&ap.roots, CS_ATTEST_CACHE_MAX, &e) != CS_OK ||
	    cs_attest_roots_add(ap.roots, G.root, G.root_len, NULL, &e) != CS_OK)
		die("the root does not pin");
	PART("lib_p256_key_parse", d->pk_len == CS_P256_PT_LEN,
	     bad += cs_p256_key_parse(&pk[i], d->pk, d->pk_len, NULL) != CS_OK);
	PART("lib_es256_verify", d->pk_len == CS_P256_PT_LEN,
	     bad += cs_es256_verify(pk[i], r->p1363, r->rs.msg, r->rs.len) != 0);
	for (i = 0; i < G.n; i++) {
		cs_p256_key_free(pk[i]);
		pk[i] = NULL;
	}
	PART("lib_keyid", 1, cs_keyid_n(kid, d->pk, d->pk_len); sink += kid[0]);
	PART("lib_leaf_key_of_se", d->ev.kinds & CS_EV_SE,
	     bad += cs_attest_leaf_key_of(pt, d->ev.se[0], d->ev.se_len[0], &e) != CS_OK);
	PART("lib_leaf_key_of_iak", d->ev.kinds & CS_EV_FIRMWARE,
	     bad += cs_attest_leaf_key_of(pt, d->ev.iak[0], d->ev.iak_len[0], &e) != CS_OK);
	PART("lib_psa_decode", d->ev.kinds & CS_EV_FIRMWARE,
	     bad += cs_psa_decode(&tok, d->ev.token, d->ev.token_len, &e) != CS_OK);
	PART("lib_binding_nonce", d->ev.kinds & CS_EV_FIRMWARE,
	     cs_psa_binding_nonce(pt, G.order, d->pk, d->pk_len); sink += pt[0]);
	PART("lib_evidence_bind", 1, {
		memset(&w, 0, sizeof w);
		bad += cs_evidence_bind(&ap, d, &w, &e) != CS_OK;
		cs_evidence_work_free(&w);
	});
	PART("lib_chain_verify_se", d->ev.kinds & CS_EV_SE, {
		ch.n = d->ev.nse;
		memcpy(ch.der, d->ev.se, sizeof ch.der);
		memcpy(ch.len, d->ev.se_len, sizeof ch.len);
		bad += cs_attest_chain_verify(ap.roots, &ch, &lf, &e) != CS_OK;
	});
	PART("lib_chain_verify_iak", d->ev.kinds & CS_EV_FIRMWARE, {
		ch.n = d->ev.niak;
		memcpy(ch.der, d->ev.iak, sizeof ch.der);
		memcpy(ch.len, d->ev.iak_len, sizeof ch.len);
		bad += cs_attest_chain_verify(ap.roots, &ch, &lf, &e) != CS_OK;
	});
	PART("lib_iak_key_parse", d->ev.kinds & CS_EV_FIRMWARE, {
		bad += cs_p256_key_parse(&pk[i], r->iak, CS_P256_PT_LEN, NULL) != CS_OK;
	});
	PART("lib_psa_verify", d->ev.kinds & CS_EV_FIRMWARE, {
		cs_buf_fixed(&sb, scratch, sizeof scratch);
		bad += cs_psa_decode(&tok, d->ev.token, d->ev.token_len, &e) != CS_OK ||
		    cs_psa_verify(&tok, pk[i], &sb, &e) != CS_OK;
	});
	for (i = 0; i < G.n; i++)
		cs_p256_key_free(pk[i]);
	PART("lib_evidence_verify", 1, {
		cs_buf_fixed(&sb, scratch, sizeof scratch);
		bad += cs_evidence_verify(&ap, d, NULL, &sb, &e) != CS_OK;
	});
	/* both as rules.c makes them, the verify taking up the bind's parses */
	PART("lib_evidence_bind_verify", 1, {
		memset(&w, 0, sizeof w);
		cs_buf_fixed(&sb, scratch, sizeof scratch);
		bad += cs_evidence_bind(&ap, d, &w, &e) != CS_OK ||
		    cs_evidence_verify(&ap, d, &w, &sb, &e) != CS_OK;
		cs_evidence_work_free(&w);
	});
	/* the records entry's digest (the header's), per record: libsodium's, as
	 * consign takes it, beside OpenSSL's */
	t = cpu();
	crypto_hash_sha256(pt, G.entry, G.size);
	printf("part_ns_lib_entry_sha256 %.1f\n", (cpu() - t) * 1e9 / (double)G.n);
	t = cpu();
	if (EVP_Digest(G.entry, G.size, pt, NULL, sha256_md, NULL) != 1)
		die("SHA-256");
	printf("part_ns_openssl_entry_sha256 %.1f\n", (cpu() - t) * 1e9 / (double)G.n);
	printf("part_record_bytes %.0f\n", (double)G.size / (double)G.n);
#undef PART
	cs_attest_roots_stats(ap.roots, &hits, &misses);
	printf("part_chain_cache_hits %zu\npart_chain_cache_misses %zu\n", hits, misses);
	if (bad > 0) {
		fprintf(stderr, "limit_attest: %s (%s)\n", e.msg, e.reason);
		die("a piece of consign's failed: the parts are measured on a valid batch");
	}
	if (sink == 1)
		printf("# %zu\n", sink);
	cs_appraiser_free(&ap);
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(kc);
	free(keys);
	free(pk);
}

static void
init(void)
{
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx;

	if (sodium_init() < 0 || cs_crypto_init() != 0)
		die("cannot initialise the libraries");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &group_only, EVP_PKEY_KEY_PARAMETERS, params) != 1)
		die("OpenSSL cannot make the P-256 group");
	EVP_PKEY_CTX_free(ctx);
}

int
main(int argc, char **argv)
{
	bench_limit_opts o;
	const char *root = NULL;
	int a;

	init();
	bench_limit_init(&o);
	for (a = 1; a + 1 < argc; a++) {
		if (bench_limit_opt(&o, argc, argv, &a))
			continue;
		if (strcmp(argv[a], "--root") == 0)
			root = argv[++a];
		else if (strcmp(argv[a], "--decode") == 0 && strcmp(argv[a + 1], "copy") == 0)
			use_fromdata = 0, a++;
		else if (strcmp(argv[a], "--decode") == 0 && strcmp(argv[a + 1], "fromdata") == 0)
			use_fromdata = 1, a++;
		else
			break;
	}
	if (a != argc - 1 || root == NULL)
		die("usage: limit_attest [--threads N] [--repeat N] [--cores one|all] "
		    "[--decode copy|fromdata] [--parts] --root ROOT.der batch.zip");
	bench_limit_threads(&o);
	load(argv[a], root);
	printf("limit_attest_records %zu\n", G.n);
	printf("limit_attest_evidence %s\n", cs_evidence_name(G.kinds));
	printf("limit_attest_intermediates %u\n", G.ninter);
	bench_limit_runs("limit_attest", &o, limit);
	if (o.parts)
		parts();
	EVP_PKEY_free(group_only);
	EVP_MD_free(sha256_md);
	free(G.entry);
	free(G.r);
	free(G.dec);
	free(G.arena);
	cs_file_free(G.root, G.root_len);
	return 0;
}
