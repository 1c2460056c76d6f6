/* A record's evidence judged against its order and policy
 * (lib/attest/evidence.h), on a TEST maker made here (tests/tools/testpki.h):
 * genuine secure-element and firmware evidence passes, and each forgery a
 * factory could try is refused by the check and with the reason the spec
 * names, binding checks apart from signature work. */
#include "t.h"

#include "../tools/testpki.h"
#include "attest/cose_es256.h"
#include "attest/evidence.h"
#include "crypto/sig.h"

#define SEED "attest_evidence unit test"

static tp_maker mk, other;

/* One device: its P-256 key, the leaf for it, a firmware token and the
 * attestation key's leaf. */
typedef struct dev {
	cs_p256_secret *key, *iak;
	uint8_t leaf[TP_DER_MAX], iak_leaf[TP_DER_MAX], token[CS_PSA_TOKEN_MAX];
	size_t leaf_len, iak_len, token_len;
} dev;

static uint8_t bl[32], app[32], fw_signer[32], od[CS_DIGEST_LEN];

/* What a token claims, by default the genuine firmware's claims. */
typedef struct claim_opts {
	uint32_t lifecycle;       /* 0: SECURED */
	const uint8_t *nonce;     /* NULL: the binding nonce of (od, the device key) */
	const uint8_t *app;       /* NULL: the genuine application */
	cs_p256_secret *instance; /* NULL: the signing chip's own instance id */
} claim_opts;

static size_t
make_token(uint8_t *tok, size_t cap, const dev *d, const claim_opts *o)
{
	uint8_t pm[16], pay[4096], nonce[32], impl[32], boot[32], inst[33];
	cs_psa_claims c;
	cs_buf prot, payload, out;
	cs_err e;

	memset(&c, 0, sizeof c);
	c.profile = CS_PSA_PROFILE_2;
	c.client_id = -1;
	c.lifecycle = o->lifecycle ? o->lifecycle : 0x3000;
	crypto_hash_sha256(impl, (const uint8_t *)"TEST implementation", 19);
	memset(boot, 7, sizeof boot);
	c.impl_id = (cs_psa_bytes){impl, 32};
	c.boot_seed = (cs_psa_bytes){boot, 32};
	c.ncomp = 2;
	c.comp[0] = (cs_psa_component){{"BL", 2}, {bl, 32}, {NULL, 0}, {fw_signer, 32}, {NULL, 0}};
	c.comp[1] = (cs_psa_component){{"App", 3}, {o->app ? o->app : app, 32}, {NULL, 0},
	    {fw_signer, 32}, {NULL, 0}};
	if (o->nonce != NULL)
		memcpy(nonce, o->nonce, 32);
	else
		cs_psa_binding_nonce(nonce, od, cs_p256_secret_point(d->key), 65);
	c.nonce = (cs_psa_bytes){nonce, 32};
	inst[0] = 0x01;
	crypto_hash_sha256(inst + 1, cs_p256_secret_point(o->instance ? o->instance : d->iak), 65);
	c.instance_id = (cs_psa_bytes){inst, 33};
	cs_buf_fixed(&prot, pm, sizeof pm);
	cs_buf_fixed(&payload, pay, sizeof pay);
	cs_buf_fixed(&out, tok, cap);
	cs_err_clear(&e);
	if (cs_es256_prot(&prot) != CS_OK || cs_psa_encode(&payload, &c, &e) != CS_OK ||
	    cs_es256_sign1_create(&out, prot.p, prot.len, (const uint8_t *)"\xa0", 1, payload.p,
		payload.len, d->iak, &e) != CS_OK) {
		printf("# make_token: %s\n", e.msg);
		return 0;
	}
	return out.len;
}

static int
make_dev(dev *d, const tp_maker *m)
{
	static const claim_opts genuine = {0};

	memset(d, 0, sizeof *d);
	if (cs_p256_secret_generate(&d->key, NULL) != CS_OK ||
	    cs_p256_secret_generate(&d->iak, NULL) != CS_OK)
		return -1;
	d->leaf_len = tp_leaf(d->leaf, sizeof d->leaf, m, cs_p256_secret_point(d->key), NULL);
	d->iak_len = tp_leaf(d->iak_leaf, sizeof d->iak_leaf, m, cs_p256_secret_point(d->iak), NULL);
	d->token_len = make_token(d->token, sizeof d->token, d, &genuine);
	return d->leaf_len && d->iak_len && d->token_len ? 0 : -1;
}

static void
free_dev(dev *d)
{
	cs_p256_secret_free(d->key);
	cs_p256_secret_free(d->iak);
}

/* d's record carrying the evidence of kinds (its chains under m's
 * intermediate) */
static void
record_of(cs_record *r, const dev *d, const tp_maker *m, unsigned kinds)
{
	memset(r, 0, sizeof *r);
	r->pk_len = 65;
	memcpy(r->pk, cs_p256_secret_point(d->key), 65);
	r->ev.kinds = kinds;
	if (kinds & CS_EV_SE) {
		r->ev.nse = 2;
		r->ev.se[0] = d->leaf, r->ev.se_len[0] = d->leaf_len;
		r->ev.se[1] = m->inter_der, r->ev.se_len[1] = m->inter_len;
	}
	if (kinds & CS_EV_FIRMWARE) {
		r->ev.token = d->token, r->ev.token_len = d->token_len;
		r->ev.niak = 2;
		r->ev.iak[0] = d->iak_leaf, r->ev.iak_len[0] = d->iak_len;
		r->ev.iak[1] = m->inter_der, r->ev.iak_len[1] = m->inter_len;
	}
}

/* "" when r passes both checks, else "bind:REASON" or "verify:REASON" */
static const char *
judge(const cs_appraiser *a, const cs_record *r)
{
	static char out[64];
	cs_evidence_work w;
	cs_buf scratch;
	cs_err e;

	memset(&w, 0, sizeof w);
	cs_err_clear(&e);
	cs_buf_init(&scratch, CS_RECORD_MAX);
	if (cs_evidence_bind(a, r, &w, &e) != CS_OK)
		snprintf(out, sizeof out, "bind:%s", e.reason);
	else if (cs_evidence_verify(a, r, &w, &scratch, &e) != CS_OK)
		snprintf(out, sizeof out, "verify:%s", e.reason);
	else
		out[0] = '\0';
	cs_evidence_work_free(&w);
	cs_buf_free(&scratch);
	return out;
}

#define JUDGED(a, r, want, ...) \
	do { \
		const char *got_ = judge((a), (r)); \
		T_OK(strcmp(got_, (want)) == 0, __VA_ARGS__); \
		if (strcmp(got_, (want)) != 0) \
			printf("#   got \"%s\", want \"%s\"\n", got_, (want)); \
	} while (0)

int
main(void)
{
	cs_policy pol;
	cs_order ord;
	cs_appraiser a;
	cs_record r;
	cs_err e;
	dev d, d2;
	claim_opts co;
	uint8_t other_od[CS_DIGEST_LEN], nonce[32], flipped[CS_PSA_TOKEN_MAX], oleaf[TP_DER_MAX];
	size_t olen;

	if (cs_crypto_init() != 0)
		return 2;
	crypto_hash_sha256(bl, (const uint8_t *)"bootloader", 10);
	crypto_hash_sha256(app, (const uint8_t *)"application", 11);
	crypto_hash_sha256(fw_signer, (const uint8_t *)"firmware signer", 15);
	memset(od, 0x0d, sizeof od);
	if (tp_maker_make(&mk, SEED, "maker") != 0 || tp_maker_make(&other, SEED, "other") != 0 ||
	    make_dev(&d, &mk) != 0 || make_dev(&d2, &mk) != 0) {
		T_OK(0, "the TEST maker and devices are made");
		return t_done();
	}

	memset(&pol, 0, sizeof pol);
	pol.nroot = 1;
	strcpy(pol.root[0].name, "TEST maker");
	pol.root[0].der = mk.root_der, pol.root[0].len = mk.root_len;
	memset(&ord, 0, sizeof ord);

	/* ---- an order that requires nothing judges nothing ---- */
	cs_err_clear(&e);
	T_OK(cs_appraiser_init(&a, &pol, &ord, od, &e) == CS_OK && a.roots == NULL,
	    "no evidence required: nothing allocated");
	record_of(&r, &d, &other, CS_EV_SE);
	JUDGED(&a, &r, "", "no evidence required: a chain to an unknown maker is not judged");
	cs_appraiser_free(&a);

	/* ---- a secure element's chain ---- */
	ord.evidence = CS_EV_SE;
	T_OK(cs_appraiser_init(&a, &pol, &ord, od, &e) == CS_OK, "secure-element appraiser");
	record_of(&r, &d, &mk, CS_EV_SE);
	JUDGED(&a, &r, "", "a genuine secure element's record passes");
	record_of(&r, &d, &mk, 0);
	JUDGED(&a, &r, "bind:attest-missing", "no evidence: attest-missing");
	record_of(&r, &d, &mk, CS_EV_FIRMWARE);
	JUDGED(&a, &r, "bind:attest-missing", "firmware evidence where a secure element's is "
					      "required: attest-missing");
	record_of(&r, &d, &mk, CS_EV_SE);
	r.ev.se[0] = d2.leaf, r.ev.se_len[0] = d2.leaf_len;
	JUDGED(&a, &r, "bind:attest-leaf-key", "a genuine leaf for another device's key");
	record_of(&r, &d, &mk, CS_EV_SE);
	r.pk_len = 32;
	JUDGED(&a, &r, "bind:attest-leaf-key", "a secure element's chain on an Ed25519 key");
	record_of(&r, &d, &mk, CS_EV_SE);
	r.ev.se[0] = (const uint8_t *)"\x30\x03\x02\x01\x01", r.ev.se_len[0] = 5;
	JUDGED(&a, &r, "bind:attest-malformed", "a leaf that is no certificate");
	/* the factory's own chip maker: a valid chain for the very key, to an
	 * unpinned root; only the signature work can tell */
	olen = tp_leaf(oleaf, sizeof oleaf, &other, cs_p256_secret_point(d.key), NULL);
	record_of(&r, &d, &other, CS_EV_SE);
	r.ev.se[0] = oleaf, r.ev.se_len[0] = olen;
	JUDGED(&a, &r, "verify:attest-chain-root", "a self-made chain for the record's key: "
						   "attest-chain-root");
	record_of(&r, &d, &mk, CS_EV_SE);
	r.ev.nse = 1;
	JUDGED(&a, &r, "verify:attest-chain-root", "a leaf without its intermediate");
	record_of(&r, &d, &mk, CS_EV_SE);
	r.ev.se[1] = other.inter_der, r.ev.se_len[1] = other.inter_len;
	JUDGED(&a, &r, "verify:attest-chain-root", "the genuine leaf under another intermediate");
	cs_appraiser_free(&a);

	/* ---- firmware evidence ---- */
	ord.evidence = CS_EV_FIRMWARE;
	ord.nref = 2;
	strcpy(ord.ref[0].type, "BL");
	ord.ref[0].value = bl, ord.ref[0].value_len = 32;
	ord.ref[0].signer = fw_signer, ord.ref[0].signer_len = 32;
	ord.ref[1].value = app, ord.ref[1].value_len = 32; /* any type */
	ord.ref[1].signer = fw_signer, ord.ref[1].signer_len = 32;
	T_OK(cs_appraiser_init(&a, &pol, &ord, od, &e) == CS_OK, "firmware appraiser");
	record_of(&r, &d, &mk, CS_EV_FIRMWARE);
	JUDGED(&a, &r, "", "a token from the owner's firmware on a genuine chip passes");
	record_of(&r, &d, &mk, CS_EV_SE);
	JUDGED(&a, &r, "bind:attest-missing", "no token: attest-missing");
	/* record d2 carrying d's token and chain: the nonce binds d's key */
	record_of(&r, &d2, &mk, CS_EV_FIRMWARE);
	r.ev.token = d.token, r.ev.token_len = d.token_len;
	r.ev.iak[0] = d.iak_leaf, r.ev.iak_len[0] = d.iak_len;
	JUDGED(&a, &r, "bind:attest-token-nonce", "another device's token copied: attest-token-nonce");
	/* a token made for another order */
	memset(other_od, 0x0e, sizeof other_od);
	cs_psa_binding_nonce(nonce, other_od, cs_p256_secret_point(d.key), 65);
	co = (claim_opts){.nonce = nonce};
	record_of(&r, &d, &mk, CS_EV_FIRMWARE);
	r.ev.token_len = make_token(flipped, sizeof flipped, &d, &co);
	r.ev.token = flipped;
	JUDGED(&a, &r, "bind:attest-token-nonce", "a token for another order's nonce");
	co = (claim_opts){.lifecycle = 0x4000};
	r.ev.token_len = make_token(flipped, sizeof flipped, &d, &co);
	JUDGED(&a, &r, "bind:attest-token-lifecycle", "a debug lifecycle: attest-token-lifecycle");
	co = (claim_opts){.app = bl};
	r.ev.token_len = make_token(flipped, sizeof flipped, &d, &co);
	JUDGED(&a, &r, "bind:attest-token-measurement", "other firmware: attest-token-measurement");
	co = (claim_opts){.instance = d2.iak};
	r.ev.token_len = make_token(flipped, sizeof flipped, &d, &co);
	JUDGED(&a, &r, "bind:attest-token-instance", "another chip's instance id");
	record_of(&r, &d, &mk, CS_EV_FIRMWARE);
	r.ev.iak[0] = d2.iak_leaf, r.ev.iak_len[0] = d2.iak_len;
	JUDGED(&a, &r, "bind:attest-token-instance", "the token beside another chip's certificate");
	record_of(&r, &d, &mk, CS_EV_FIRMWARE);
	r.ev.token = (const uint8_t *)"\xa0", r.ev.token_len = 1;
	JUDGED(&a, &r, "bind:attest-token-malformed", "a token that is no COSE_Sign1");
	record_of(&r, &d, &mk, CS_EV_FIRMWARE);
	memcpy(flipped, d.token, d.token_len);
	flipped[d.token_len - 1] ^= 0x01;
	r.ev.token = flipped;
	JUDGED(&a, &r, "verify:attest-token-signature", "a flipped bit in the token's signature");
	/* a chip of the factory's own maker attesting genuinely-looking claims */
	olen = tp_leaf(oleaf, sizeof oleaf, &other, cs_p256_secret_point(d.iak), NULL);
	record_of(&r, &d, &other, CS_EV_FIRMWARE);
	r.ev.iak[0] = oleaf, r.ev.iak_len[0] = olen;
	JUDGED(&a, &r, "verify:attest-chain-root", "an attestation key of an unpinned maker");
	cs_appraiser_free(&a);

	/* ---- a reference value's type narrows it ---- */
	strcpy(ord.ref[1].type, "BL");
	T_OK(cs_appraiser_init(&a, &pol, &ord, od, &e) == CS_OK, "appraiser with typed references");
	record_of(&r, &d, &mk, CS_EV_FIRMWARE);
	JUDGED(&a, &r, "bind:attest-token-measurement",
	    "the application's measurement listed for type BL only");
	cs_appraiser_free(&a);
	strcpy(ord.ref[1].type, "");

	/* ---- both ---- */
	ord.evidence = CS_EV_ALL;
	T_OK(cs_appraiser_init(&a, &pol, &ord, od, &e) == CS_OK, "appraiser for both kinds");
	record_of(&r, &d, &mk, CS_EV_ALL);
	JUDGED(&a, &r, "", "both kinds of evidence pass");
	record_of(&r, &d, &mk, CS_EV_SE);
	JUDGED(&a, &r, "bind:attest-missing", "a secure element's chain alone, both required");
	cs_appraiser_free(&a);

	/* ---- the policy's roots ---- */
	pol.root[0].der = (const uint8_t *)"\x30\x03\x02\x01\x01", pol.root[0].len = 5;
	cs_err_clear(&e);
	T_OK(cs_appraiser_init(&a, &pol, &ord, od, &e) == CS_MALFORMED &&
		 strcmp(e.reason, "attest-malformed") == 0 && strstr(e.msg, "TEST maker") != NULL,
	    "a policy root that is no certificate is refused, named (%s)", e.msg);
	pol.nroot = 0;
	T_OK(cs_appraiser_init(&a, &pol, &ord, od, &e) == CS_OK, "a policy without roots");
	record_of(&r, &d, &mk, CS_EV_ALL);
	JUDGED(&a, &r, "verify:attest-chain-root", "no root pinned: nothing chains");
	cs_appraiser_free(&a);

	T_OK(cs_evidence_reason_deep("attest-chain-root") && cs_evidence_reason_deep("attest-malformed") &&
		 !cs_evidence_reason_deep("attest-token-nonce") &&
		 !cs_evidence_reason_deep("attest-missing"),
	    "the deep reasons are the signature work's");
	free_dev(&d), free_dev(&d2);
	tp_maker_free(&mk), tp_maker_free(&other);
	return t_done();
}
