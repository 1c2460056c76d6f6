/* What each kind of artifact says, as the fields of a JSON report
 * (manifests/report.md): written once, used by verify and inspect alike. */
#include "office.h"

#include <string.h>

#include <sodium.h>

#include "attest/chain.h"
#include "util/file.h"
#include "util/text.h"

static void
set(json_t *r, const char *k, json_t *v)
{
	json_object_set_new(r, k, v);
}

static void
set_digest(json_t *r, const uint8_t d[CS_DIGEST_LEN])
{
	char fp[CMD_FP_LEN];

	cmd_fingerprint(fp, d);
	set(r, "digest", cmd_json_hex(d, CS_DIGEST_LEN));
	set(r, "fingerprint", json_string(fp));
}

static json_t *
kid_of(const uint8_t pk[CS_PK_LEN])
{
	uint8_t k[CS_KID_LEN];

	cs_keyid(k, pk);
	return cmd_json_hex(k, CS_KID_LEN);
}

static json_t *
kid_of_n(const uint8_t *key, size_t len)
{
	uint8_t k[CS_KID_LEN];

	cs_keyid_n(k, key, len);
	return cmd_json_hex(k, CS_KID_LEN);
}

static json_t *
chain_of(uint64_t seq, const uint8_t d[CS_DIGEST_LEN])
{
	char c[OFFICE_CHAIN_MAX];

	office_chain(c, seq, d);
	return json_string(c);
}

void
cmd_desc_signatures(json_t *r, const cs_cose *c, const cs_quorum *q, const cs_policy *p)
{
	static const char *const st[] = {"valid", "bad-signature", "unknown-key", "repeated-signer"};
	json_t *a = json_array(), *s;
	size_t i;

	for (i = 0; i < c->nsig; i++) {
		s = json_object();
		set(s, "kid", cmd_json_hex(c->s[i].kid, CS_KID_LEN));
		if (q != NULL && q->who[i] >= 0)
			set(s, "custodian", json_string(p->cust[q->who[i]].id));
		else
			set(s, "custodian", json_null());
		set(s, "state", json_string(q != NULL ? st[q->state[i]] : "not-checked"));
		json_array_append_new(a, s);
	}
	if (q != NULL)
		set(r, "valid_signatures", json_integer((json_int_t)q->valid));
	set(r, "signatures", a);
}

/* The pinned makers' certificates as custodians compare them: name, SHA-256
 * of the DER, and the subject (null when the bytes are not a certificate,
 * which every check that uses the root refuses). */
static json_t *
roots_of(const cs_policy *p)
{
	json_t *a = json_array(), *o;
	uint8_t fp[CS_DIGEST_LEN];
	char subject[CS_ATTEST_NAME_MAX];
	cs_err e;
	size_t i;

	for (i = 0; i < p->nroot; i++) {
		o = json_object();
		crypto_hash_sha256(fp, p->root[i].der, p->root[i].len);
		cs_err_clear(&e);
		set(o, "name", cmd_json_text(p->root[i].name));
		set(o, "sha256", cmd_json_hex(fp, sizeof fp));
		set(o, "subject", cs_attest_cert_subject(subject, p->root[i].der, p->root[i].len, &e) ==
					  CS_OK
				      ? cmd_json_text(subject)
				      : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
evidence_of(unsigned ev)
{
	json_t *a = json_array();

	if (ev & CS_EV_SE)
		json_array_append_new(a, json_string("secure-element"));
	if (ev & CS_EV_FIRMWARE)
		json_array_append_new(a, json_string("firmware"));
	return a;
}

void
cmd_desc_policy(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_policy *p)
{
	json_t *cs = json_array(), *c;
	size_t i;

	set_digest(r, digest);
	set(r, "version", cmd_json_u64(p->version));
	set(r, "previous", p->has_prev ? cmd_json_hex(p->prev, CS_DIGEST_LEN) : json_null());
	set(r, "threshold", cmd_json_u64(p->threshold));
	for (i = 0; i < p->ncust; i++) {
		c = json_object();
		set(c, "id", json_string(p->cust[i].id));
		set(c, "name", cmd_json_text(p->cust[i].name));
		set(c, "kid", kid_of(p->cust[i].pk));
		json_array_append_new(cs, c);
	}
	set(r, "custodians", cs);
	set(r, "office_kid", kid_of(p->office_pk));
	set(r, "deployment", cmd_json_hex(p->deployment, CS_DEPLOY_LEN));
	set(r, "attestation_roots", roots_of(p));
}

void
cmd_desc_order(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_order *o)
{
	json_t *st = json_array(), *refs = json_array();
	size_t i;

	set_digest(r, digest);
	set(r, "batch", json_string(o->batch));
	set(r, "product", cmd_json_text(o->product));
	set(r, "first", cmd_json_u64(o->first));
	set(r, "last", cmd_json_u64(o->last));
	set(r, "quantity", cmd_json_u64(o->quantity));
	set(r, "policy", cmd_json_hex(o->policy, CS_DIGEST_LEN));
	for (i = 0; i < o->nstation; i++)
		json_array_append_new(st, kid_of(o->station[i]));
	set(r, "stations", st);
	set(r, "deployment", cmd_json_hex(o->deployment, CS_DEPLOY_LEN));
	set(r, "evidence", evidence_of(o->evidence));
	for (i = 0; i < o->nref; i++) {
		json_t *f = json_object();

		set(f, "type", o->ref[i].type[0] != '\0' ? cmd_json_text(o->ref[i].type) : json_null());
		set(f, "measurement", cmd_json_hex(o->ref[i].value, o->ref[i].value_len));
		set(f, "signer", cmd_json_hex(o->ref[i].signer, o->ref[i].signer_len));
		json_array_append_new(refs, f);
	}
	set(r, "firmware_references", refs);
}

void
cmd_desc_record(json_t *r, const cs_record *rec)
{
	set(r, "serial", cmd_json_u64(rec->serial));
	set(r, "public_key", cmd_json_hex(rec->pk, rec->pk_len));
	set(r, "algorithm", json_string(rec->pk_len == CS_P256_KEY_LEN ? "ES256" : "EdDSA"));
	set(r, "kid", kid_of_n(rec->pk, rec->pk_len));
	set(r, "hardware_id", cmd_json_hex(rec->hwid, rec->hwid_len));
	set(r, "firmware", cmd_json_text(rec->firmware));
	set(r, "batch", json_string(rec->batch));
	set(r, "deployment", cmd_json_hex(rec->deployment, CS_DEPLOY_LEN));
	if (rec->ev.kinds != 0)
		set(r, "evidence", evidence_of(rec->ev.kinds));
}

void
cmd_desc_header(json_t *r, const cs_header *h)
{
	set(r, "batch", json_string(h->batch));
	set(r, "order", cmd_json_hex(h->order, CS_DIGEST_LEN));
	set(r, "records", cmd_json_u64(h->count));
	set(r, "records_digest", cmd_json_hex(h->records, CS_DIGEST_LEN));
	set(r, "created", cmd_json_u64(h->created));
	set(r, "station_kid", kid_of(h->station_pk));
	set(r, "deployment", cmd_json_hex(h->deployment, CS_DEPLOY_LEN));
}

json_t *
cmd_desc_exclusion(const cs_exclusion *x)
{
	json_t *o = json_object();

	set(o, "index", cmd_json_u64(x->index));
	set(o, "serial", x->has_serial ? cmd_json_u64(x->serial) : json_null());
	set(o, "reason", json_string(x->reason));
	if (x->released_in != 0)
		set(o, "released_in", cmd_json_u64(x->released_in));
	return o;
}

json_t *
cmd_desc_exclusions(const cs_excl_list *l)
{
	json_t *a = json_array();
	cs_exclusion x;
	size_t pos = 0, i = 0;

	while (cs_excl_next(l, &pos, &i, &x))
		json_array_append_new(a, cmd_desc_exclusion(&x));
	return a;
}

void
cmd_desc_receipt(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_receipt *rc)
{
	json_t *bp = json_array();
	size_t i;

	set_digest(r, digest);
	set(r, "batch", json_string(rc->batch));
	set(r, "order", cmd_json_hex(rc->order, CS_DIGEST_LEN));
	set(r, "header", cmd_json_hex(rc->header, CS_DIGEST_LEN));
	set(r, "records", cmd_json_u64(rc->count));
	set(r, "accepted", cmd_json_u64(rc->accepted));
	set(r, "refused", cmd_desc_exclusions(&rc->refused));
	for (i = 0; i < rc->nproblem; i++)
		json_array_append_new(bp, json_string(rc->problem[i]));
	set(r, "batch_problems", bp);
	set(r, "deployment", cmd_json_hex(rc->deployment, CS_DEPLOY_LEN));
}

void
cmd_desc_withdrawal(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_withdrawal *w)
{
	set_digest(r, digest);
	set(r, "sequence", cmd_json_u64(w->seq));
	set(r, "release", cmd_json_hex(w->release, CS_DIGEST_LEN));
	set(r, "policy", cmd_json_hex(w->policy, CS_DIGEST_LEN));
	set(r, "deployment", cmd_json_hex(w->deployment, CS_DEPLOY_LEN));
}

void
cmd_desc_release(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_release *rel)
{
	set(r, "release", chain_of(rel->seq, digest));
	set(r, "sequence", cmd_json_u64(rel->seq));
	set(r, "after", rel->has_prev ? chain_of(rel->seq - 1, rel->prev) : json_null());
	set(r, "policy", cmd_json_hex(rel->policy, CS_DIGEST_LEN));
	set(r, "accepted", cmd_json_u64(rel->accepted));
}

json_t *
cmd_desc_order_ref(const cs_verify *v, const cs_quorum *q, const cs_policy *p)
{
	json_t *o = json_object();

	set_digest(o, v->order_s.digest);
	set(o, "quantity", cmd_json_u64(v->order.quantity));
	/* what each device must carry: a release's reader (the cloud's
	 * import) checks every exported device carries exactly that */
	set(o, "evidence", evidence_of(v->order.evidence));
	cmd_desc_signatures(o, &v->order_s.cose, q, p);
	return o;
}

void
cmd_desc_problems(json_t *r, const cs_verify *v)
{
	size_t i;

	for (i = 0; i < v->nproblem; i++)
		cmd_json_problem(r, v->problem[i].reason, v->problem[i].msg, -1);
}

void
cmd_desc_zip(json_t *r, const cs_verify *v, const cs_policy *pol, json_t *failures,
    json_t *excluded)
{
	int rel = v->kind == CS_V_RELEASE;

	cmd_desc_problems(r, v);
	set(r, "batch", json_string(v->order.batch));
	set(r, "order", cmd_desc_order_ref(v, &v->order_q, pol));
	set(r, "header", cmd_json_hex(v->header_digest, CS_DIGEST_LEN));
	set(r, "records", cmd_json_u64(v->records));
	set(r, "header_records", cmd_json_u64(v->header.count));
	set(r, "failed", cmd_json_u64(v->failed));
	set(r, "failures", failures != NULL ? json_incref(failures) : json_array());
	if (!rel)
		return;
	cmd_desc_release(r, v->release_s.digest, &v->release);
	set(r, "excluded", excluded != NULL ? json_incref(excluded)
					    : cmd_desc_exclusions(&v->release.excluded));
	cmd_desc_signatures(r, &v->release_s.cose, v->have_release_q ? &v->release_q : NULL, pol);
}

json_t *
cmd_desc_vrec_exclusion(const cs_vrec *r)
{
	json_t *x = json_object();

	set(x, "index", cmd_json_u64(r->index));
	set(x, "serial", r->decoded ? cmd_json_u64(r->rec->serial) : json_null());
	set(x, "reason", json_string(r->excl_reason));
	if (r->excl_released_in != 0) {
		set(x, "released_in", cmd_json_u64(r->excl_released_in));
		/* what a registry checks the claim against: the value */
		if (r->decoded && strcmp(r->excl_reason, "record-released-key") == 0)
			set(x, "value", cmd_json_hex(r->rec->pk, r->rec->pk_len));
		else if (r->decoded && strcmp(r->excl_reason, "record-released-hwid") == 0)
			set(x, "value", cmd_json_hex(r->rec->hwid, r->rec->hwid_len));
		else if (r->decoded && strcmp(r->excl_reason, "record-released-instance") == 0)
			set(x, "value", r->instance != NULL
						? cmd_json_hex(r->instance, CS_PSA_INSTANCE_ID_LEN)
						: json_null());
		else if (r->decoded)
			set(x, "value", json_sprintf("%llu", (unsigned long long)r->rec->serial));
	}
	set(x, "checked", json_boolean(r->reason != NULL));
	return x;
}

int
office_load_withdrawal(const char *path, const cs_policy *pol, const uint8_t pd[CS_DIGEST_LEN],
    uint8_t digest[CS_DIGEST_LEN])
{
	cs_signed s;
	cs_withdrawal w;
	cs_quorum q;
	uint8_t *buf;
	size_t n;
	cs_err e;
	int rc;

	if ((rc = cmd_read_kind(path, CS_KIND_WITHDRAWAL, &buf, &n)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	if ((rc = cs_withdrawal_load(&s, &w, buf, n, &e)) == CS_OK &&
	    (rc = cs_withdrawal_verify(&s, &w, pol, pd, &q, &e)) == CS_OK)
		memcpy(digest, w.release, CS_DIGEST_LEN);
	cs_file_free(buf, n);
	return rc == CS_OK ? CS_OK : cmd_report(path, &e);
}
