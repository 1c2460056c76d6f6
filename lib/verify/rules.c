/* What batch and release verification accepts, for both engines (rules.h):
 * batch-level and release checks, the records entry split, each record's
 * checks and the rank of its verdicts, a release's exclusions matched
 * against them, and the entry's own problems. */
#include "verify/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "attest/evidence.h"
#include "attest/p256.h"
#include "verify/dupset.h"

int
cs_reason_deep(const char *r)
{
	return r != NULL && (strcmp(r, "record-signature") == 0 ||
				strcmp(r, "record-key-invalid") == 0 ||
				cs_evidence_reason_deep(r));
}

int
cs_reason_ledger(const char *r)
{
	return r != NULL && strncmp(r, "record-released-", 16) == 0;
}

void
cs_vr_problem(cs_verify *v, const char *reason, const char *fmt, ...)
{
	va_list ap;
	cs_vproblem *p;

	if (v->nproblem >= CS_VERIFY_MAX_PROBLEMS) {
		v->more_problems++;
		return;
	}
	p = &v->problem[v->nproblem++];
	snprintf(p->reason, sizeof p->reason, "%s", reason);
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof p->msg, fmt, ap);
	va_end(ap);
}

#define problem cs_vr_problem

/* ---- the entries --------------------------------------------------------------- */

int
cs_verify_load(cs_verify *v, cs_zipr *z, cs_err *e)
{
	cs_err e2;
	int rc;

	memset(v, 0, sizeof *v);
	cs_buf_init(&v->header_buf, CS_HEADER_ENTRY_MAX + 1);
	cs_buf_init(&v->order_buf, CS_ORDER_ENTRY_MAX + 1);
	cs_buf_init(&v->release_buf, CS_RELEASE_ENTRY_MAX + 1);
	v->kind = cs_zipr_entries(z);

	if ((rc = cs_zipr_read(z, CS_ZE_HEADER, &v->header_buf, CS_HEADER_ENTRY_MAX, e)) != CS_OK ||
	    (rc = cs_zipr_read(z, CS_ZE_ORDER, &v->order_buf, CS_ORDER_ENTRY_MAX, e)) != CS_OK)
		return rc;
	if (v->kind == CS_V_RELEASE &&
	    (rc = cs_zipr_read(z, CS_ZE_RELEASE, &v->release_buf, CS_RELEASE_ENTRY_MAX, e)) != CS_OK)
		return rc;
	cs_err_clear(&e2);
	if ((rc = cs_order_load(&v->order_s, &v->order, v->order_buf.p, v->order_buf.len, &e2)) !=
	    CS_OK) {
		cs_err_prefix(&e2, CS_ENTRY_ORDER);
		*e = e2;
		return rc;
	}
	if ((rc = cs_cose_decode(&v->header_cose, v->header_buf.p, v->header_buf.len, &e2)) == CS_OK &&
	    (v->header_cose.multi || strcmp(v->header_cose.kind, CS_KIND_HEADER) != 0))
		rc = cs_fail(&e2, CS_MALFORMED, "kind", "not a batch header (a %s)",
		    v->header_cose.kind);
	if (rc == CS_OK)
		rc = cs_header_decode(&v->header, v->header_cose.payload, v->header_cose.payload_len,
		    &e2);
	if (rc != CS_OK) {
		cs_err_prefix(&e2, CS_ENTRY_HEADER);
		*e = e2;
		return rc;
	}
	cs_digest(v->header_digest, CS_KIND_HEADER, v->header_cose.payload,
	    v->header_cose.payload_len);
	if (v->kind != CS_V_RELEASE)
		return CS_OK;
	if ((rc = cs_cose_decode(&v->release_s.cose, v->release_buf.p, v->release_buf.len, &e2)) ==
		CS_OK &&
	    (!v->release_s.cose.multi || strcmp(v->release_s.cose.kind, CS_KIND_RELEASE) != 0))
		rc = cs_fail(&e2, CS_MALFORMED, "kind", "not a release (a %s)",
		    v->release_s.cose.kind);
	if (rc == CS_OK)
		rc = cs_release_decode(&v->release, v->release_s.cose.payload,
		    v->release_s.cose.payload_len, &e2);
	if (rc != CS_OK) {
		cs_err_prefix(&e2, CS_ENTRY_RELEASE);
		*e = e2;
		return rc;
	}
	cs_digest(v->release_s.digest, CS_KIND_RELEASE, v->release_s.cose.payload,
	    v->release_s.cose.payload_len);
	return CS_OK;
}

void
cs_verify_free(cs_verify *v)
{
	cs_buf_free(&v->header_buf);
	cs_buf_free(&v->order_buf);
	cs_buf_free(&v->release_buf);
	cs_appraiser_free(&v->appr);
}

/* ---- batch-level checks --------------------------------------------------------- */

static int
batch_checks(cs_verify *v, const cs_vopts *o, cs_err *e)
{
	const cs_header *h = &v->header;
	const cs_order *ord = &v->order;
	uint8_t scratch[CS_HEADER_ENTRY_MAX + 256];
	cs_buf sb;
	cs_err e2;
	uint64_t seq = 0;
	size_t i;

	cs_err_clear(&e2);
	if (cs_order_verify(&v->order_s, ord, o->policy, o->policy_digest, &v->order_q, &e2) != CS_OK)
		problem(v, e2.reason, "order: %s", e2.msg);
	if (memcmp(h->order, v->order_s.digest, CS_DIGEST_LEN) != 0)
		problem(v, "header-order", "the header names another order than %s",
		    CS_ENTRY_ORDER);
	if (memcmp(h->deployment, ord->deployment, CS_DEPLOY_LEN) != 0 ||
	    strcmp(h->batch, ord->batch) != 0)
		problem(v, "header-batch", "the header's batch id \"%s\" or deployment differs from the "
		    "order's \"%s\"", h->batch, ord->batch);
	for (i = 0; i < ord->nstation; i++)
		if (memcmp(ord->station[i], h->station_pk, CS_PK_LEN) == 0)
			break;
	if (i == ord->nstation)
		problem(v, "station-not-allowed", "the header's station key is not one the order "
		    "allows");
	cs_buf_fixed(&sb, scratch, sizeof scratch);
	if (cs_cose_verify(&v->header_cose, 0, h->station_pk, &sb) != 0)
		problem(v, "station-signature", "the header's signature does not verify under its "
		    "station key");
	if (h->count > ord->quantity)
		problem(v, "quantity-exceeded", "%llu records, the order's quantity is %llu",
		    (unsigned long long)h->count, (unsigned long long)ord->quantity);
	if (o->lookup != NULL && o->lookup->batch != NULL) {
		if (o->lookup->batch(o->lookup->ctx, v->header_digest, &seq, e) != CS_OK)
			return CS_MALFORMED;
		if (seq != 0)
			problem(v, "batch-released", "this batch was already released (release %llu)",
			    (unsigned long long)seq);
	}
	if (o->lookup != NULL && o->lookup->order != NULL) {
		if (o->lookup->order(o->lookup->ctx, v->order_s.digest, &v->released, e) != CS_OK)
			return CS_MALFORMED;
		if (v->released > ord->quantity || h->count > ord->quantity - v->released)
			problem(v, "quantity-remaining",
			    "%llu records, but only %llu of the order's %llu remain after earlier "
			    "releases", (unsigned long long)h->count,
			    (unsigned long long)(v->released > ord->quantity ? 0
											: ord->quantity - v->released),
			    (unsigned long long)ord->quantity);
	}
	return CS_OK;
}

static void
release_checks(cs_verify *v, const cs_vopts *o)
{
	const cs_release *rl = &v->release;
	char a[2 * CS_DIGEST_LEN + 1];
	size_t i;

	cs_quorum_count(&v->release_q, &v->release_s.cose, o->policy);
	v->have_release_q = 1;
	if (v->release_q.valid < o->policy->threshold && !o->drafting)
		problem(v, "release-threshold",
		    "%zu valid signature%s from distinct custodians, the policy needs %llu",
		    v->release_q.valid, v->release_q.valid == 1 ? "" : "s",
		    (unsigned long long)o->policy->threshold);
	if (memcmp(rl->deployment, o->policy->deployment, CS_DEPLOY_LEN) != 0)
		problem(v, "release-deployment", "the release belongs to another deployment");
	if (memcmp(rl->policy, o->policy_digest, CS_DIGEST_LEN) != 0)
		problem(v, "release-policy", "the release was made under another policy");
	if (memcmp(rl->order, v->order_s.digest, CS_DIGEST_LEN) != 0 ||
	    strcmp(rl->batch, v->order.batch) != 0 ||
	    memcmp(rl->header, v->header_digest, CS_DIGEST_LEN) != 0 ||
	    memcmp(rl->records, v->header.records, CS_DIGEST_LEN) != 0 ||
	    rl->count != v->header.count)
		problem(v, "release-batch", "the release names another batch (order, batch id, header, "
		    "records digest or count) than the one it carries");
	for (i = 0; i < o->nwithdrawn; i++)
		if (sodium_memcmp(o->withdrawn[i], v->release_s.digest, CS_DIGEST_LEN) == 0) {
			problem(v, "release-withdrawn", "release %llu was withdrawn by the custodians",
			    (unsigned long long)rl->seq);
			break;
		}
	switch (o->drafting ? -1 : o->chain) {
	case -1:
		break;
	case CS_CHAIN_NONE:
		problem(v, "release-chain-unpinned", "no chain position given (--first or --after "
		    "SEQ:DIGEST): a release is accepted only as the next in the chain");
		break;
	case CS_CHAIN_FIRST:
		if (rl->seq != 1)
			problem(v, "release-skipped", "release %llu, but --first expects release 1",
			    (unsigned long long)rl->seq);
		break;
	default:
		cs_hex(a, o->after_digest, CS_DIGEST_LEN);
		if (rl->seq == o->after_seq &&
		    memcmp(v->release_s.digest, o->after_digest, CS_DIGEST_LEN) != 0)
			problem(v, "release-chain", "release %llu is a fork: release %llu:%s was "
			    "imported, this is another release with the same sequence",
			    (unsigned long long)rl->seq, (unsigned long long)o->after_seq, a);
		else if (rl->seq <= o->after_seq)
			problem(v, "release-replayed", "release %llu is not after the last imported "
			    "release %llu", (unsigned long long)rl->seq,
			    (unsigned long long)o->after_seq);
		else if (rl->seq > o->after_seq + 1)
			problem(v, "release-skipped", "release %llu skips from %llu",
			    (unsigned long long)rl->seq, (unsigned long long)o->after_seq);
		else if (!rl->has_prev || memcmp(rl->prev, o->after_digest, CS_DIGEST_LEN) != 0)
			problem(v, "release-chain", "release %llu does not name %llu:%s as its "
			    "predecessor (a fork)", (unsigned long long)rl->seq,
			    (unsigned long long)o->after_seq, a);
	}
}

int
cs_vr_begin(cs_vrun *r, cs_verify *v, cs_zipr *z, const cs_vopts *o, cs_err *e)
{
	uint64_t size;
	int rc;

	memset(r, 0, sizeof *r);
	memset(v, 0, sizeof *v);
	r->v = v;
	r->o = o;
	r->e = e;
	r->z = z;
	v->kind = cs_zipr_entries(z);
	if (o->policy == NULL || o->policy_digest == NULL)
		return cs_fail(e, CS_USAGE, "usage", "a batch is verified against a policy");
	if (o->engine != CS_ENGINE_FAST && o->engine != CS_ENGINE_REFERENCE)
		return cs_fail(e, CS_USAGE, "usage", "no verification engine %d", o->engine);
	if (o->expect != 0 && o->expect != v->kind)
		return cs_fail(e, CS_USAGE, "usage", "a %s, where a %s was expected",
		    v->kind == CS_V_RELEASE ? "release" : "batch",
		    o->expect == CS_V_RELEASE ? "release" : "batch");
	if ((rc = cs_verify_load(v, z, e)) == CS_REJECT) {
		/* an entry broke a zip limit while being read */
		problem(v, e->reason, "%s", e->msg);
		cs_err_clear(e);
		return CS_REJECT;
	}
	if (rc != CS_OK)
		return rc;
	if ((rc = batch_checks(v, o, e)) != CS_OK)
		return rc;
	if (v->kind == CS_V_RELEASE)
		release_checks(v, o);
	/* the pinned policy's roots: an order made under another is already
	 * order-policy, and its records are judged by what the verifier trusts */
	if ((rc = cs_appraiser_init(&v->appr, o->policy, &v->order, v->order_s.digest, e)) != CS_OK)
		return rc;
	size = cs_zipr_size(z, CS_ZE_RECORDS);
	if (size > v->header.count * (uint64_t)CS_RECORD_MAX) {
		problem(v, "zip-size", "%s holds %llu bytes, more than %llu records can fill",
		    CS_ENTRY_RECORDS, (unsigned long long)size, (unsigned long long)v->header.count);
		return CS_REJECT;
	}
	/* The records examined are the header's count (at most 2^24), and
	 * never more than the entry can hold items (one byte the smallest): an
	 * item past it is not examined, kept or reported one by one. */
	r->limit = v->header.count < size ? v->header.count : size;
	if (v->kind == CS_V_RELEASE)
		r->have_x = cs_excl_next(&v->release.excluded, &r->xpos, &r->xi, &r->x);
	return CS_OK;
}

/* ---- the records entry ---------------------------------------------------------- */

int
cs_vr_read_open(cs_vr_reader *rd, cs_vrun *r, uint8_t *win, int report)
{
	memset(rd, 0, sizeof *rd);
	rd->r = r;
	rd->win = win;
	rd->splitting = 1;
	rd->report = report;
	return cs_zips_open(&rd->s, r->z, CS_ZE_RECORDS, r->e);
}

void
cs_vr_read_close(cs_vr_reader *rd)
{
	cs_zips_close(rd->s);
	rd->s = NULL;
}

int
cs_vr_read(cs_vr_reader *rd, int *what, const uint8_t **p, size_t *n, uint64_t *index)
{
	const size_t cap = CS_VERIFY_CHUNK + CS_RECORD_MAX;
	size_t got, len, old;
	int rc, sp;

	if (rd->have - rd->pos < CS_RECORD_MAX && !rd->eof) {
		memmove(rd->win, rd->win + rd->pos, rd->have - rd->pos);
		rd->base += rd->pos;
		rd->have -= rd->pos;
		rd->pos = 0;
		old = rd->have;
		while (rd->have < CS_RECORD_MAX && !rd->eof) {
			rc = cs_zips_read(rd->s, rd->win + rd->have, cap - rd->have, &got, rd->r->e);
			if (rc != CS_OK)
				return rc;
			rd->bytes += got;
			rd->have += got;
			rd->eof = got == 0;
		}
		if (!rd->splitting) {
			/* past the last record: what was just read is tail */
			rd->pos = rd->have;
			*what = old == rd->have ? CS_VR_END : CS_VR_TAIL;
			*p = rd->win + old;
			*n = rd->have - old;
			return CS_OK;
		}
	}
	if (rd->pos == rd->have || !rd->splitting) {
		*what = CS_VR_END;
		return CS_OK;
	}
	sp = cs_cbor_item_len(rd->win + rd->pos, rd->have - rd->pos, CS_RECORD_MAX, &len);
	if (sp != 0 || rd->index == rd->r->limit) {
		/* not split further: bytes past the header's count of records
		 * (records-count, whatever they are: never examined), or the
		 * entry ends inside an item or is not CBOR (records-malformed) */
		if (rd->report && rd->index == rd->r->limit) {
			rd->r->overflow = 1;
		} else if (rd->report) {
			rd->r->split = sp;
			rd->r->split_index = rd->index;
			rd->r->split_off = rd->base + rd->pos;
		}
		rd->splitting = 0;
		*what = CS_VR_TAIL;
		*p = rd->win + rd->pos;
		*n = rd->have - rd->pos;
		rd->pos = rd->have;
		return CS_OK;
	}
	*what = CS_VR_ITEM;
	*p = rd->win + rd->pos;
	*n = len;
	*index = rd->index++;
	rd->at = rd->base + rd->pos;
	rd->pos += len;
	return CS_OK;
}

/* ---- one record ------------------------------------------------------------------- */

int
cs_vr_decode(const cs_vrun *r, cs_vr_rec *s, const uint8_t *p, size_t n, cs_cose *c)
{
	cs_err e2;

	s->decoded = s->has_inst = 0;
	s->reason = s->deep = NULL;
	s->released_in = 0;
	s->msg[0] = '\0';
	cs_err_clear(&e2);
	if (cs_cose_decode(c, p, n, &e2) != CS_OK) {
		s->reason = "record-malformed";
		snprintf(s->msg, sizeof s->msg, "%s (%s)", e2.msg, e2.reason);
		return -1;
	}
	if (c->multi || strcmp(c->kind, CS_KIND_RECORD) != 0) {
		s->reason = "record-malformed";
		snprintf(s->msg, sizeof s->msg, "a %s of kind %s, not a record",
		    c->multi ? "COSE_Sign" : "COSE_Sign1", c->kind);
		return -1;
	}
	if (cs_record_decode(&s->rec, c->payload, c->payload_len, &e2) != CS_OK) {
		s->reason = "record-malformed";
		snprintf(s->msg, sizeof s->msg, "payload: %s (%s)", e2.msg, e2.reason);
		return -1;
	}
	s->decoded = 1;
	s->has_inst = (uint8_t)cs_evidence_instance(r->v->appr.required, &s->rec, s->inst);
	return 0;
}

/* The deep check could not be made (the P-256 library or memory failed):
 * not the record's fault, so no reason a custodian would sign; the run
 * fails instead (verdict, which runs in order and may touch the run). */
static const char deep_fault[] = "system";

/* The per-record deep work: exactly the key's validity check and one
 * verification over the Sig_structure, plus the key id (a hash of the key).
 * For Ed25519, cs_sig_verify would repeat the prime-order check, the costlier
 * half; a P-256 key is parsed once (its curve check) and verified. */
static void
deep_check(cs_vr_rec *s, const cs_cose *c, uint8_t *tbs)
{
	uint8_t kid[CS_KID_LEN];
	cs_p256_key *k = NULL;
	cs_err pe;
	cs_buf out;
	int es256 = s->rec.pk_len == CS_P256_KEY_LEN;

	cs_err_clear(&pe);
	if (es256 ? cs_p256_key_parse(&k, s->rec.pk, s->rec.pk_len, &pe) != CS_OK
		  : !cs_pk_valid(s->rec.pk)) {
		s->deep = !es256 || pe.status == CS_REJECT ? "record-key-invalid" : deep_fault;
		return;
	}
	cs_keyid_n(kid, s->rec.pk, s->rec.pk_len);
	cs_buf_fixed(&out, tbs, CS_RECORD_MAX + 64);
	if (c->s[0].alg != cs_cose_alg_of_key(s->rec.pk_len) ||
	    memcmp(kid, c->s[0].kid, CS_KID_LEN) != 0 ||
	    cs_cose_tbs_raw(&out, c->prot, c->prot_len, NULL, 0, NULL, 0, c->payload,
		c->payload_len) != CS_OK ||
	    (es256 ? cs_es256_verify(k, c->s[0].sig, out.p, out.len)
		   : crypto_sign_verify_detached(c->s[0].sig, out.p, out.len, s->rec.pk)) != 0)
		s->deep = "record-signature";
	cs_p256_key_free(k);
}

/* The record's evidence: the binding checks (tbs NULL), whose verdict is
 * s->reason, or the signature work (tbs: scratch), whose verdict waits in
 * s->deep. A failure that is not the record's (memory, the library) is the
 * deep fault, which fails the run. Nonzero when the record failed. */
static int
evidence(cs_vr_rec *s, const cs_appraiser *ap, cs_evidence_work *w, uint8_t *tbs)
{
	const char *why;
	cs_err ae;
	cs_buf sb;
	int rc;

	cs_err_clear(&ae);
	if (tbs == NULL) {
		rc = cs_evidence_bind(ap, &s->rec, w, &ae);
	} else {
		cs_buf_fixed(&sb, tbs, CS_RECORD_MAX + 64);
		rc = cs_evidence_verify(ap, &s->rec, w, &sb, &ae);
	}
	if (rc == CS_OK)
		return 0;
	if ((why = cs_reason_attest(ae.reason)) == NULL) {
		s->deep = deep_fault;
		return 1;
	}
	snprintf(s->msg, sizeof s->msg, "%s", ae.msg);
	if (tbs == NULL)
		s->reason = why;
	else
		s->deep = why;
	return 1;
}

void
cs_vr_check(const cs_vrun *r, cs_vr_rec *s, const cs_cose *c, uint8_t *tbs)
{
	const cs_order *ord = &r->v->order;
	const cs_appraiser *ap = &r->v->appr;
	cs_evidence_work w;

	if (ap->required != 0) /* the token inside is a few KiB: only when used */
		memset(&w, 0, sizeof w);

	if (memcmp(s->rec.deployment, ord->deployment, CS_DEPLOY_LEN) != 0) {
		s->reason = "record-deployment";
		snprintf(s->msg, sizeof s->msg, "belongs to another deployment");
	} else if (strcmp(s->rec.batch, ord->batch) != 0) {
		s->reason = "record-batch";
		snprintf(s->msg, sizeof s->msg, "batch id \"%s\", the order's is \"%s\"",
		    s->rec.batch, ord->batch);
	} else if (memcmp(s->rec.nonce, ord->nonce, CS_NONCE_LEN) != 0) {
		s->reason = "record-nonce";
		snprintf(s->msg, sizeof s->msg, "batch nonce differs from the order's");
	} else if (s->rec.serial < ord->first || s->rec.serial > ord->last) {
		s->reason = "record-serial-range";
		snprintf(s->msg, sizeof s->msg, "serial %llu outside the order's %llu-%llu",
		    (unsigned long long)s->rec.serial, (unsigned long long)ord->first,
		    (unsigned long long)ord->last);
	} else if (ap->required != 0 && evidence(s, ap, &w, NULL) != 0) {
		/* s->reason is the binding check's */
	} else if (r->o->deep) {
		if (tbs == NULL) /* cannot verify without scratch: fail closed */
			s->deep = "record-signature";
		else if (deep_check(s, c, tbs), s->deep == NULL && ap->required != 0)
			(void)evidence(s, ap, &w, tbs);
	}
	if (ap->required != 0)
		cs_evidence_work_free(&w);
}

/* Duplicates within the batch, then the ledger, then the deep checks: the
 * verdict is the first of these that fails, after the cheap checks; each
 * in the order serial, key, hardware id, instance id. */
static void
verdict(cs_vrun *r, cs_vr_rec *s, const int64_t first[CS_DUP_SLOTS_PER_RECORD])
{
	static const char *const dup_reason[CS_DUP_SLOTS_PER_RECORD] = {"record-duplicate-serial",
	    "record-duplicate-key", "record-duplicate-hwid", "record-duplicate-instance"};
	static const char *const dup_what[CS_DUP_SLOTS_PER_RECORD] = {"serial", "device key",
	    "hardware id", "PSA instance id (the same chip)"};
	const cs_vlookup *lk = r->o->lookup;
	const char *why = NULL;
	int t;

	if (s->deep == deep_fault) {
		cs_fail(r->e, CS_MALFORMED, "system",
		    "record %llu: the P-256 or X.509 library failed while checking it (out of "
		    "memory?)", (unsigned long long)s->index);
		r->failed = 1;
		return;
	}

	for (t = 0; t < CS_DUP_SLOTS_PER_RECORD && s->reason == NULL; t++) {
		if (first[t] < 0)
			continue;
		s->reason = dup_reason[t];
		if (t == 0)
			snprintf(s->msg, sizeof s->msg, "serial %llu is also in record %lld",
			    (unsigned long long)s->rec.serial, (long long)first[t]);
		else
			snprintf(s->msg, sizeof s->msg, "%s also in record %lld", dup_what[t],
			    (long long)first[t]);
	}
	if (s->reason == NULL && lk != NULL && lk->record != NULL) {
		if (lk->record(lk->ctx, &s->rec, s->has_inst ? s->inst : NULL, &why, &s->released_in,
			r->e) != CS_OK) {
			r->failed = 1;
			return;
		}
		if (why != NULL) {
			s->reason = why;
			/* the lookup gives only record-released-*: types 1 to 4 */
			t = cs_reason_released_type(why);
			snprintf(s->msg, sizeof s->msg, "%s already released in release %llu",
			    t > 0 ? dup_what[t - 1] : "value", (unsigned long long)s->released_in);
		}
	}
	if (s->reason == NULL && s->deep != NULL && cs_reason_attest(s->deep) != NULL) {
		s->reason = s->deep; /* its message was kept when it was found */
	} else if (s->reason == NULL && s->deep != NULL) {
		s->reason = s->deep;
		snprintf(s->msg, sizeof s->msg, "%s", strcmp(s->deep, "record-key-invalid") == 0
		    ? (s->rec.pk_len == CS_P256_KEY_LEN
			      ? "the device key is not a P-256 point (uncompressed, on the curve)"
			      : "the device key is not a valid prime-order point")
		    : "the proof-of-possession signature does not verify under the record's own key");
	}
}

/* Keeps a record-released-* claim for checking against the release it
 * names, when the caller gave the earlier releases. */
static void
add_claim(cs_vrun *r, const cs_vr_rec *s, const char *reason, uint64_t seq)
{
	cs_rclaim *n;
	size_t cap;

	r->v->claims++;
	if (r->o->earlier == NULL || r->failed)
		return;
	if (r->nclaim == r->capclaim) {
		cap = r->capclaim ? 2 * r->capclaim : 64;
		if ((n = realloc(r->claim, cap * sizeof *n)) == NULL) {
			cs_fail(r->e, CS_MALFORMED, "system", "out of memory for released claims");
			r->failed = 1;
			return;
		}
		r->claim = n;
		r->capclaim = cap;
	}
	cs_rclaim_make(&r->claim[r->nclaim++], s->index, seq, reason, &s->rec,
	    s->has_inst ? s->inst : NULL);
}

/* A release's exclusion of record s (r->x): whether what this run found
 * bears it out; a problem when not. */
static void
match_exclusion(cs_vrun *r, const cs_vr_rec *s)
{
	cs_verify *v = r->v;
	const cs_exclusion *x = &r->x;
	int ok, skipped;

	/* a reason this run could not check is taken on the custodians' word,
	 * when nothing this run found ranks before it: a record both already
	 * released and forged is excluded for the ledger (checked first), and
	 * a run without the ledger finds only the signature */
	skipped = (!r->o->deep && cs_reason_deep(x->reason)) ||
		  (r->o->lookup == NULL && cs_reason_ledger(x->reason));
	ok = (s->reason != NULL && strcmp(s->reason, x->reason) == 0) ||
	     (skipped && (s->reason == NULL ||
			     (cs_reason_ledger(x->reason) && cs_reason_deep(s->reason))));
	if (ok && (x->has_serial != s->decoded || (s->decoded && x->serial != s->rec.serial)))
		ok = 0;
	/* "released before" names the release: an earlier one, the very one
	 * the ledger knows, and (given the earlier releases) one that holds
	 * the value */
	if (ok && x->released_in != 0) {
		if (x->released_in >= v->release.seq)
			ok = 0;
		else if (r->o->lookup != NULL && s->released_in != x->released_in)
			ok = 0;
		else if (s->decoded)
			add_claim(r, s, x->reason, x->released_in);
	}
	if (ok)
		v->excluded++;
	else if (x->released_in != 0 && x->released_in >= v->release.seq)
		problem(v, "release-exclusions", "record %llu is excluded for %s in release %llu, "
		    "which is not before this one", (unsigned long long)s->index, x->reason,
		    (unsigned long long)x->released_in);
	else if (x->released_in != 0 && s->reason != NULL && strcmp(s->reason, x->reason) == 0)
		problem(v, "release-exclusions", "record %llu is excluded for %s in release %llu, "
		    "the ledger says release %llu", (unsigned long long)s->index, x->reason,
		    (unsigned long long)x->released_in, (unsigned long long)s->released_in);
	else
		problem(v, "release-exclusions", "record %llu is excluded for %s but %s%s",
		    (unsigned long long)s->index, x->reason, s->reason ? "fails " : "passes",
		    s->reason ? s->reason : " (or its serial differs)");
}

void
cs_vr_record(cs_vrun *r, cs_vr_rec *s, const int64_t first[CS_DUP_SLOTS_PER_RECORD])
{
	cs_verify *v = r->v;
	cs_vrec vr;
	char xr[CS_REASON_MAX];

	if (r->failed)
		return;
	if (s->decoded)
		verdict(r, s, first);
	if (r->failed)
		return;
	memset(&vr, 0, sizeof vr);
	vr.index = s->index;
	vr.decoded = s->decoded;
	vr.rec = s->decoded ? &s->rec : NULL;
	vr.instance = s->decoded && s->has_inst ? s->inst : NULL;
	vr.reason = s->reason;
	vr.msg = s->reason ? s->msg : "";
	if (cs_reason_ledger(s->reason))
		vr.released_in = s->released_in;
	v->records++;
	if (s->reason != NULL)
		v->failed++;
	if (v->kind == CS_V_RELEASE) {
		while (r->have_x && r->x.index < s->index)
			r->have_x = cs_excl_next(&v->release.excluded, &r->xpos, &r->xi, &r->x);
		if (r->have_x && r->x.index == s->index) {
			vr.excluded = 1;
			memcpy(xr, r->x.reason, sizeof xr);
			vr.excl_reason = xr;
			vr.excl_released_in = r->x.released_in;
			match_exclusion(r, s);
			r->have_x = cs_excl_next(&v->release.excluded, &r->xpos, &r->xi, &r->x);
		} else if (s->reason != NULL) {
			problem(v, "release-exclusions", "record %llu fails %s but is not excluded",
			    (unsigned long long)s->index, s->reason);
		}
	}
	if (v->kind == CS_V_BATCH && cs_reason_ledger(s->reason))
		add_claim(r, s, s->reason, s->released_in);
	if (r->o->on_record != NULL && !r->stopped && r->o->on_record(r->o->ctx, &vr) != 0)
		r->stopped = 1;
}

/* ---- after the records ------------------------------------------------------------- */

/* Every record-released-* claim against the release it names: a release's
 * exclusion that no earlier release bears out is release-exclusions; a
 * verdict of the lookup (the office's index) that the release files do not
 * bear out means the index was altered, and nothing is drafted from it. */
static int
check_claims(cs_vrun *r)
{
	cs_verify *v = r->v;
	const cs_rclaim *c;
	const char *where = r->o->earlier->where ? r->o->earlier->where : "the releases given";
	cs_err e2;
	size_t i;
	int rc;

	cs_err_clear(&e2);
	rc = cs_rclaims_check(r->claim, r->nclaim, r->o->earlier, r->o->threads, r->o->engine, &e2);
	if (rc != CS_OK && v->kind == CS_V_RELEASE && e2.status == CS_REJECT) {
		problem(v, e2.reason, "%s", e2.msg);
		return CS_OK;
	}
	if (rc != CS_OK) {
		*r->e = e2;
		return rc;
	}
	for (i = 0; i < r->nclaim; i++) {
		c = &r->claim[i];
		if (c->state == CS_RCLAIM_HELD) {
			v->claims_checked++;
			continue;
		}
		if (v->kind == CS_V_BATCH)
			return cs_fail(r->e, CS_MALFORMED, "ledger-inconsistent", "record %llu: the "
			    "index says its %s was released in release %llu, but %s: the index was "
			    "altered (consign ledger rebuild)", (unsigned long long)c->index,
			    cs_rclaim_what(c->type), (unsigned long long)c->seq,
			    c->state == CS_RCLAIM_UNAVAILABLE ? "that release's file is missing"
							     : "that release does not hold it");
		if (c->state == CS_RCLAIM_UNAVAILABLE)
			problem(v, "release-exclusions", "record %llu is excluded as released in release "
			    "%llu, which is not in %s: it cannot be checked",
			    (unsigned long long)c->index, (unsigned long long)c->seq, where);
		else
			problem(v, "release-exclusions", "record %llu is excluded as released in release "
			    "%llu, but that release holds no such %s", (unsigned long long)c->index,
			    (unsigned long long)c->seq, cs_rclaim_what(c->type));
	}
	return CS_OK;
}

int
cs_vr_end(cs_vrun *r, int rc)
{
	cs_verify *v = r->v;

	if (r->failed && rc == CS_OK)
		rc = CS_MALFORMED;
	/* where the entry stopped splitting, after the records before it */
	if ((rc == CS_OK || rc == CS_REJECT) && r->split != 0)
		problem(v, "records-malformed", "the records entry cannot be split after record %llu "
		    "(offset %llu): %s", (unsigned long long)r->split_index,
		    (unsigned long long)r->split_off,
		    r->split > 0 ? "it ends inside an item"
				 : "not well-formed CBOR, an indefinite length, or an item above 8 KiB");
	if (rc == CS_REJECT) {
		/* the records entry broke a zip limit while being read (zip-size) */
		problem(v, r->e->reason, "%s", r->e->msg);
		cs_err_clear(r->e);
		rc = CS_OK;
	}
	if (rc == CS_OK && v->streamed) {
		if (r->overflow)
			problem(v, "records-count", "%s holds more than the header's %llu records",
			    CS_ENTRY_RECORDS, (unsigned long long)v->header.count);
		else if (r->split == 0 && v->records != v->header.count)
			/* after records-malformed, how many the rest holds is unknown */
			problem(v, "records-count", "%s holds %llu records, the header says %llu",
			    CS_ENTRY_RECORDS, (unsigned long long)v->records,
			    (unsigned long long)v->header.count);
		if (memcmp(v->records_digest, v->header.records, CS_DIGEST_LEN) != 0)
			problem(v, "records-digest", "SHA-256 of %s differs from the header's",
			    CS_ENTRY_RECORDS);
		if (v->kind == CS_V_RELEASE && r->have_x)
			problem(v, "release-exclusions", "record %llu is excluded but not in the batch",
			    (unsigned long long)r->x.index);
	}
	if (rc == CS_OK && r->nclaim > 0)
		rc = check_claims(r);
	free(r->claim);
	r->claim = NULL;
	if (rc != CS_OK)
		return rc;
	if (v->nproblem > 0 || (v->kind == CS_V_BATCH && v->failed > 0))
		return CS_REJECT;
	return CS_OK;
}

/* ---- the entry point ------------------------------------------------------------------ */

int
cs_verify_zip(cs_verify *v, cs_zipr *z, const cs_vopts *o, cs_err *e)
{
	cs_vrun r;
	int rc;

	if ((rc = cs_vr_begin(&r, v, z, o, e)) != CS_OK)
		return rc;
	rc = o->engine == CS_ENGINE_REFERENCE ? cs_verify_ref(&r) : cs_verify_fast(&r);
	return cs_vr_end(&r, rc);
}
