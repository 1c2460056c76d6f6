/* Fuzzes PSA attestation tokens (lib/attest/psa.h). Invariants: a refusal
 * is "attest-token-malformed" or "attest-token-profile"; decoded claims
 * point inside the input and keep the profile's rules; the encoder takes
 * them (so decoding accepts nothing the rules forbid) and what it writes,
 * put back under the same envelope, decodes to the same claims; the
 * signature check and the appraisal under a fixed key never crash and
 * refuse with their own reasons. */
#include "fuzz.h"

#include "attest/psa.h"
#include "format/cose.h"

static cs_p256_key *iak;

static void
done(void)
{
	cs_p256_key_free(iak);
}

static int
inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *b = p;

	return p == NULL ? n == 0 : b >= data && b + n <= data + size;
}

static int
bytes_eq(const cs_psa_bytes *a, const cs_psa_bytes *b)
{
	return (a->p == NULL) == (b->p == NULL) && a->n == b->n &&
	    (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static int
text_eq(const cs_psa_text *a, const cs_psa_text *b)
{
	return (a->p == NULL) == (b->p == NULL) && a->n == b->n &&
	    (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static void
same_claims(const cs_psa_claims *a, const cs_psa_claims *b)
{
	size_t i;

	FUZZ_REQUIRE(a->profile == b->profile && a->client_id == b->client_id &&
	    a->lifecycle == b->lifecycle && a->ncomp == b->ncomp);
	FUZZ_REQUIRE(bytes_eq(&a->impl_id, &b->impl_id) && bytes_eq(&a->boot_seed, &b->boot_seed) &&
	    bytes_eq(&a->nonce, &b->nonce) && bytes_eq(&a->instance_id, &b->instance_id));
	FUZZ_REQUIRE(text_eq(&a->hw_version, &b->hw_version) && text_eq(&a->vsi, &b->vsi));
	for (i = 0; i < a->ncomp; i++) {
		FUZZ_REQUIRE(text_eq(&a->comp[i].type, &b->comp[i].type) &&
		    text_eq(&a->comp[i].version, &b->comp[i].version) &&
		    text_eq(&a->comp[i].desc, &b->comp[i].desc));
		FUZZ_REQUIRE(bytes_eq(&a->comp[i].value, &b->comp[i].value) &&
		    bytes_eq(&a->comp[i].signer, &b->comp[i].signer));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pay[2 * CS_PSA_TOKEN_MAX], env[3 * CS_PSA_TOKEN_MAX];
	static cs_psa_token t, t2;
	static const uint8_t nonce[32];
	const cs_psa_claims *c = &t.claims;
	cs_cose_raw_signer rs;
	cs_buf payload, out, scratch;
	cs_err e;
	size_t i;
	int rc;

	fuzz_init();
	if (iak == NULL) {
		cs_p256_secret *sk;

		FUZZ_REQUIRE(cs_p256_secret_generate(&sk, NULL) == CS_OK);
		FUZZ_REQUIRE(cs_p256_key_parse(&iak, cs_p256_secret_point(sk), 65, NULL) == CS_OK);
		cs_p256_secret_free(sk);
		atexit(done);
	}
	cs_err_clear(&e);
	if ((rc = cs_psa_decode(&t, data, size, &e)) != CS_OK) {
		fuzz_check_err(rc, &e);
		FUZZ_REQUIRE(strcmp(e.reason, "attest-token-malformed") == 0 ||
		    strcmp(e.reason, "attest-token-profile") == 0);
		return 0;
	}
	FUZZ_REQUIRE(size <= CS_PSA_TOKEN_MAX);
	FUZZ_REQUIRE(inside(t.cose.payload, t.cose.payload_len, data, size) &&
	    inside(t.cose.sig, 64, data, size) && inside(t.cose.prot, t.cose.prot_len, data, size));
	FUZZ_REQUIRE(c->impl_id.n == CS_PSA_IMPL_ID_LEN && c->instance_id.n == CS_PSA_INSTANCE_ID_LEN &&
	    c->instance_id.p[0] == 0x01);
	FUZZ_REQUIRE(c->ncomp >= 1 && c->ncomp <= CS_PSA_COMPONENTS_MAX);
	FUZZ_REQUIRE(inside(c->nonce.p, c->nonce.n, data, size) &&
	    inside(c->hw_version.p, c->hw_version.n, data, size) &&
	    inside(c->vsi.p, c->vsi.n, data, size));
	for (i = 0; i < c->ncomp; i++)
		FUZZ_REQUIRE(inside(c->comp[i].value.p, c->comp[i].value.n, data, size) &&
		    inside(c->comp[i].signer.p, c->comp[i].signer.n, data, size) &&
		    inside(c->comp[i].type.p, c->comp[i].type.n, data, size));

	/* the encoder takes what the decoder gave; the result reads back */
	cs_buf_fixed(&payload, pay, sizeof pay);
	cs_err_clear(&e);
	FUZZ_REQUIRE(cs_psa_encode(&payload, c, &e) == CS_OK);
	cs_buf_fixed(&out, env, sizeof env);
	rs = (cs_cose_raw_signer){t.cose.prot, t.cose.prot_len, (const uint8_t *)"\xa0", 1,
	    t.cose.sig};
	FUZZ_REQUIRE(cs_cose_encode_sign1_raw(&out, &rs, payload.p, payload.len) == CS_OK);
	cs_err_clear(&e);
	if (out.len <= CS_PSA_TOKEN_MAX) {
		FUZZ_REQUIRE(cs_psa_decode(&t2, out.p, out.len, &e) == CS_OK);
		same_claims(&t.claims, &t2.claims);
	}

	cs_buf_init(&scratch, 2 * CS_PSA_TOKEN_MAX);
	cs_err_clear(&e);
	rc = cs_psa_verify(&t, iak, &scratch, &e);
	FUZZ_REQUIRE(rc == CS_OK || (rc == CS_REJECT && strcmp(e.reason, "attest-token-signature") == 0));
	cs_buf_free(&scratch);
	cs_err_clear(&e);
	rc = cs_psa_appraise(NULL, data, size, iak, nonce, NULL, 0, &e);
	FUZZ_REQUIRE(rc != CS_OK);
	fuzz_check_err(rc, &e);
	FUZZ_REQUIRE(strncmp(e.reason, "attest-token-", 13) == 0);
	return 0;
}
