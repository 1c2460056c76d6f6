/* Evidence checks for the station and the verifiers (evidence.h). */
#include "attest/evidence.h"

#include <string.h>

#include <sodium.h>

int
cs_appraiser_init(cs_appraiser *a, const cs_policy *p, const cs_order *o,
    const uint8_t od[CS_DIGEST_LEN], cs_err *e)
{
	size_t i;
	int rc;

	memset(a, 0, sizeof *a);
	a->required = o->evidence;
	memcpy(a->order_digest, od, CS_DIGEST_LEN);
	if (a->required == 0)
		return CS_OK;
	for (i = 0; i < o->nref; i++) {
		a->ref[i].value = o->ref[i].value;
		a->ref[i].value_len = o->ref[i].value_len;
		a->ref[i].signer = o->ref[i].signer;
		a->ref[i].signer_len = o->ref[i].signer_len;
		a->ref[i].type = o->ref[i].type[0] != '\0' ? o->ref[i].type : NULL;
	}
	a->nref = o->nref;
	if ((rc = cs_attest_roots_new(&a->roots, CS_ATTEST_CACHE_MAX, e)) != CS_OK)
		return rc;
	for (i = 0; i < p->nroot; i++) {
		cs_err le;

		cs_err_clear(&le);
		if (cs_attest_roots_add(a->roots, p->root[i].der, p->root[i].len, NULL, &le) != CS_OK) {
			cs_appraiser_free(a);
			return cs_fail(e, CS_MALFORMED, strcmp(le.reason, "system") == 0 ? "system"
											  : "attest-malformed",
			    "policy attestation root %zu \"%s\": %s", i, p->root[i].name, le.msg);
		}
	}
	return CS_OK;
}

void
cs_appraiser_free(cs_appraiser *a)
{
	if (a->roots != NULL)
		cs_attest_roots_free(a->roots);
	a->roots = NULL;
}

static void
chain_of(cs_attest_chain *c, const uint8_t *const *der, const size_t *len, size_t n)
{
	memset(c, 0, sizeof *c);
	c->n = n;
	memcpy(c->der, der, n * sizeof der[0]);
	memcpy(c->len, len, n * sizeof len[0]);
}

void
cs_evidence_work_free(cs_evidence_work *w)
{
	cs_attest_cert_free(&w->se_leaf);
	cs_attest_cert_free(&w->iak_leaf);
	w->have_token = 0;
}

static int
bind_se(const cs_record *r, cs_evidence_work *w, cs_err *e)
{
	uint8_t leaf[CS_P256_PT_LEN];
	int rc;

	if (r->pk_len != CS_P256_KEY_LEN)
		return cs_fail(e, CS_REJECT, "attest-leaf-key",
		    "a secure element's chain for an Ed25519 device key");
	if ((rc = cs_attest_cert_parse(&w->se_leaf, r->ev.se[0], r->ev.se_len[0], e)) != CS_OK ||
	    (rc = cs_attest_cert_key(leaf, &w->se_leaf, e)) != CS_OK)
		return rc;
	if (sodium_memcmp(leaf, r->pk, CS_P256_PT_LEN) != 0)
		return cs_fail(e, CS_REJECT, "attest-leaf-key",
		    "the secure element's certificate is for another key than the record's");
	return CS_OK;
}

static int
bind_token(const cs_appraiser *a, const cs_record *r, cs_evidence_work *w, cs_err *e)
{
	uint8_t iak[CS_P256_PT_LEN], nonce[CS_PSA_NONCE_LEN];
	cs_psa_token *t = &w->token;
	int rc;

	if ((rc = cs_psa_decode(t, r->ev.token, r->ev.token_len, e)) != CS_OK)
		return rc;
	w->have_token = 1;
	if ((rc = cs_attest_cert_parse(&w->iak_leaf, r->ev.iak[0], r->ev.iak_len[0], e)) != CS_OK ||
	    (rc = cs_attest_cert_key(iak, &w->iak_leaf, e)) != CS_OK ||
	    (rc = cs_psa_check_instance(&t->claims, iak, e)) != CS_OK)
		return rc;
	cs_psa_binding_nonce(nonce, a->order_digest, r->pk, r->pk_len);
	if ((rc = cs_psa_check_nonce(&t->claims, nonce, e)) != CS_OK ||
	    (rc = cs_psa_check_lifecycle(&t->claims, e)) != CS_OK)
		return rc;
	return cs_psa_check_components(&t->claims, a->ref, a->nref, e);
}

int
cs_evidence_bind(const cs_appraiser *a, const cs_record *r, cs_evidence_work *w, cs_err *e)
{
	unsigned missing = a->required & ~r->ev.kinds;
	int rc;

	if (missing != 0)
		return cs_fail(e, CS_REJECT, "attest-missing",
		    "the order requires %s evidence, the record carries %s",
		    cs_evidence_name(missing), cs_evidence_name(r->ev.kinds & a->required));
	if ((a->required & CS_EV_SE) && (rc = bind_se(r, w, e)) != CS_OK)
		return rc;
	if ((a->required & CS_EV_FIRMWARE) && (rc = bind_token(a, r, w, e)) != CS_OK)
		return rc;
	return CS_OK;
}

int
cs_evidence_verify(const cs_appraiser *a, const cs_record *r, const cs_evidence_work *w,
    cs_buf *scratch, cs_err *e)
{
	cs_attest_chain c;
	cs_attest_leaf leaf;
	cs_p256_key *k = NULL;
	const cs_psa_token *tp;
	cs_psa_token t;
	int rc;

	if (a->required & CS_EV_SE) {
		chain_of(&c, r->ev.se, r->ev.se_len, r->ev.nse);
		if ((rc = cs_attest_chain_verify_leaf(a->roots, &c, w != NULL ? &w->se_leaf : NULL, &leaf, e)) != CS_OK ||
		    (rc = cs_attest_leaf_is(&leaf, r->pk, e)) != CS_OK)
			return rc;
	}
	if (a->required & CS_EV_FIRMWARE) {
		cs_err ke;

		chain_of(&c, r->ev.iak, r->ev.iak_len, r->ev.niak);
		if ((rc = cs_attest_chain_verify_leaf(a->roots, &c, w != NULL ? &w->iak_leaf : NULL,
			&leaf, e)) != CS_OK)
			return rc;
		cs_err_clear(&ke);
		if (cs_p256_key_parse(&k, leaf.key, CS_P256_PT_LEN, &ke) != CS_OK)
			return strcmp(ke.reason, "system") == 0
				   ? cs_fail(e, ke.status, "system", "%s", ke.msg)
				   : cs_fail(e, CS_REJECT, "attest-leaf-key",
					 "the attestation key is not a P-256 point on the curve");
		tp = &t;
		if (w != NULL && w->have_token)
			tp = &w->token;
		else
			rc = cs_psa_decode(&t, r->ev.token, r->ev.token_len, e);
		if (rc == CS_OK)
			rc = cs_psa_verify(tp, k, scratch, e);
		cs_p256_key_free(k);
		if (rc != CS_OK)
			return rc;
	}
	return CS_OK;
}

int
cs_evidence_reason_deep(const char *reason)
{
	static const char *const deep[] = {"attest-chain-root", "attest-chain-invalid",
	    "attest-malformed", "attest-token-signature", NULL};
	size_t i;

	for (i = 0; reason != NULL && deep[i] != NULL; i++)
		if (strcmp(reason, deep[i]) == 0)
			return 1;
	return 0;
}

int
cs_evidence_instance(unsigned required, const cs_record *r, uint8_t out[CS_PSA_INSTANCE_ID_LEN])
{
	cs_psa_token t;
	cs_err e;

	if (!(required & CS_EV_FIRMWARE) || !(r->ev.kinds & CS_EV_FIRMWARE))
		return 0;
	cs_err_clear(&e);
	/* the decoder takes only an instance id of CS_PSA_INSTANCE_ID_LEN bytes */
	if (cs_psa_decode(&t, r->ev.token, r->ev.token_len, &e) != CS_OK ||
	    t.claims.instance_id.n != CS_PSA_INSTANCE_ID_LEN)
		return 0;
	memcpy(out, t.claims.instance_id.p, CS_PSA_INSTANCE_ID_LEN);
	return 1;
}
