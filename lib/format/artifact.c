/* Canonical encoders and strict decoders for every signed payload. The field
 * numbers and limits here are the ones in manifests/; change them together. */
#include "format/artifact.h"

#include <string.h>

int
cs_id_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CS_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
cs_text_valid(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* ---- encoding ---------------------------------------------------------- */

static void
put_common(cs_cw *w, const uint8_t dep[CS_DEPLOY_LEN], const char *kind)
{
	cs_cw_map_begin(w);
	cs_cw_uint(w, 0);
	cs_cw_uint(w, CS_FORMAT_VERSION);
	cs_cw_uint(w, 1);
	cs_cw_bytes(w, dep, CS_DEPLOY_LEN);
	cs_cw_uint(w, 2);
	cs_cw_textz(w, kind);
}

static int
end_common(cs_cw *w)
{
	cs_cw_map_end(w);
	return cs_cw_finish(w) == 0 ? CS_OK : CS_MALFORMED;
}

static void
put_digest_or_null(cs_cw *w, int has, const uint8_t d[CS_DIGEST_LEN])
{
	if (has)
		cs_cw_bytes(w, d, CS_DIGEST_LEN);
	else
		cs_cw_null(w);
}

static void
put_exclusions(cs_cw *w, const cs_exclusion *x, size_t nx)
{
	size_t i;

	cs_cw_array_begin(w);
	for (i = 0; i < nx; i++) {
		cs_cw_array_begin(w);
		cs_cw_uint(w, x[i].index);
		if (x[i].has_serial)
			cs_cw_uint(w, x[i].serial);
		else
			cs_cw_null(w);
		cs_cw_textz(w, x[i].reason);
		if (x[i].released_in != 0)
			cs_cw_uint(w, x[i].released_in);
		cs_cw_array_end(w);
	}
	cs_cw_array_end(w);
}

static int
exclusions_valid(const cs_exclusion *x, size_t nx, uint64_t count)
{
	size_t i;

	for (i = 0; i < nx; i++) {
		if (x[i].index >= count || (i > 0 && x[i].index <= x[i - 1].index) ||
		    !cs_reason_per_record(x[i].reason) ||
		    cs_reason_released(x[i].reason) != (x[i].released_in != 0))
			return 0;
	}
	return 1;
}

static int
same_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

static int
ref_len_ok(size_t n)
{
	return n == 32 || n == 48 || n == 64;
}

static int
same_ref(const cs_fwref *a, const cs_fwref *b)
{
	return strcmp(a->type, b->type) == 0 && same_bytes(a->value, a->value_len, b->value,
							b->value_len) &&
	       same_bytes(a->signer, a->signer_len, b->signer, b->signer_len);
}

const char *
cs_evidence_name(unsigned ev)
{
	switch (ev) {
	case 0: return "none";
	case CS_EV_SE: return "secure-element";
	case CS_EV_FIRMWARE: return "firmware";
	case CS_EV_ALL: return "secure-element+firmware";
	default: return "?";
	}
}

int
cs_policy_encode(cs_buf *out, const cs_policy *p)
{
	cs_cw w;
	size_t i, j, start = out->len;
	int rc;

	if (p->version == 0 || (p->version == 1) != !p->has_prev || p->ncust == 0 ||
	    p->ncust > CS_MAX_CUSTODIANS || p->threshold == 0 || p->threshold > p->ncust)
		return CS_USAGE;
	for (i = 0; i < p->ncust; i++) {
		if (!cs_id_valid(p->cust[i].id) || !cs_text_valid(p->cust[i].name, CS_NAME_MAX))
			return CS_USAGE;
		for (j = 0; j < i; j++)
			if (memcmp(p->cust[i].pk, p->cust[j].pk, CS_PK_LEN) == 0 ||
			    strcmp(p->cust[i].id, p->cust[j].id) == 0)
				return CS_USAGE;
	}
	if (p->nroot > CS_POLICY_ROOTS_MAX)
		return CS_USAGE;
	for (i = 0; i < p->nroot; i++) {
		if (!cs_text_valid(p->root[i].name, CS_NAME_MAX) || p->root[i].len == 0 ||
		    p->root[i].len > CS_EV_CERT_MAX)
			return CS_USAGE;
		for (j = 0; j < i; j++)
			if (strcmp(p->root[i].name, p->root[j].name) == 0 ||
			    same_bytes(p->root[i].der, p->root[i].len, p->root[j].der, p->root[j].len))
				return CS_USAGE;
	}
	cs_cw_init(&w, out);
	put_common(&w, p->deployment, CS_KIND_POLICY);
	cs_cw_uint(&w, 3);
	cs_cw_uint(&w, p->version);
	cs_cw_uint(&w, 4);
	put_digest_or_null(&w, p->has_prev, p->prev);
	cs_cw_uint(&w, 5);
	cs_cw_uint(&w, p->threshold);
	cs_cw_uint(&w, 6);
	cs_cw_array_begin(&w);
	for (i = 0; i < p->ncust; i++) {
		cs_cw_map_begin(&w);
		cs_cw_uint(&w, 0);
		cs_cw_textz(&w, p->cust[i].id);
		cs_cw_uint(&w, 1);
		cs_cw_textz(&w, p->cust[i].name);
		cs_cw_uint(&w, 2);
		cs_cw_bytes(&w, p->cust[i].pk, CS_PK_LEN);
		cs_cw_map_end(&w);
	}
	cs_cw_array_end(&w);
	cs_cw_uint(&w, 7);
	cs_cw_bytes(&w, p->office_pk, CS_PK_LEN);
	if (p->nroot > 0) {
		cs_cw_uint(&w, 8);
		cs_cw_array_begin(&w);
		for (i = 0; i < p->nroot; i++) {
			cs_cw_map_begin(&w);
			cs_cw_uint(&w, 0);
			cs_cw_textz(&w, p->root[i].name);
			cs_cw_uint(&w, 1);
			cs_cw_bytes(&w, p->root[i].der, p->root[i].len);
			cs_cw_map_end(&w);
		}
		cs_cw_array_end(&w);
	}
	if ((rc = end_common(&w)) == CS_OK && out->len - start > CS_PAYLOAD_MAX)
		rc = CS_USAGE;
	return rc;
}

int
cs_order_encode(cs_buf *out, const cs_order *o)
{
	cs_cw w;
	size_t i, j;

	if (!cs_id_valid(o->batch) || !cs_text_valid(o->product, CS_NAME_MAX) ||
	    o->first > o->last || o->quantity == 0 || o->quantity > CS_MAX_QUANTITY ||
	    o->quantity - 1 > o->last - o->first || o->nstation == 0 ||
	    o->nstation > CS_MAX_STATIONS || (o->evidence & ~CS_EV_ALL) != 0 ||
	    o->nref > CS_ORDER_REFS_MAX || ((o->evidence & CS_EV_FIRMWARE) != 0) != (o->nref > 0))
		return CS_USAGE;
	for (i = 0; i < o->nref; i++) {
		if ((o->ref[i].type[0] != '\0' && !cs_text_valid(o->ref[i].type, CS_REF_TYPE_MAX)) ||
		    !ref_len_ok(o->ref[i].value_len) || !ref_len_ok(o->ref[i].signer_len))
			return CS_USAGE;
		for (j = 0; j < i; j++)
			if (same_ref(&o->ref[i], &o->ref[j]))
				return CS_USAGE;
	}
	cs_cw_init(&w, out);
	put_common(&w, o->deployment, CS_KIND_ORDER);
	cs_cw_uint(&w, 3);
	cs_cw_bytes(&w, o->policy, CS_DIGEST_LEN);
	cs_cw_uint(&w, 4);
	cs_cw_textz(&w, o->batch);
	cs_cw_uint(&w, 5);
	cs_cw_textz(&w, o->product);
	cs_cw_uint(&w, 6);
	cs_cw_uint(&w, o->first);
	cs_cw_uint(&w, 7);
	cs_cw_uint(&w, o->last);
	cs_cw_uint(&w, 8);
	cs_cw_uint(&w, o->quantity);
	cs_cw_uint(&w, 9);
	cs_cw_bytes(&w, o->nonce, CS_NONCE_LEN);
	cs_cw_uint(&w, 10);
	cs_cw_array_begin(&w);
	for (i = 0; i < o->nstation; i++)
		cs_cw_bytes(&w, o->station[i], CS_PK_LEN);
	cs_cw_array_end(&w);
	if (o->evidence != 0) {
		cs_cw_uint(&w, 11);
		cs_cw_uint(&w, o->evidence);
	}
	if (o->nref > 0) {
		cs_cw_uint(&w, 12);
		cs_cw_array_begin(&w);
		for (i = 0; i < o->nref; i++) {
			cs_cw_map_begin(&w);
			if (o->ref[i].type[0] != '\0') {
				cs_cw_uint(&w, 0);
				cs_cw_textz(&w, o->ref[i].type);
			}
			cs_cw_uint(&w, 1);
			cs_cw_bytes(&w, o->ref[i].value, o->ref[i].value_len);
			cs_cw_uint(&w, 2);
			cs_cw_bytes(&w, o->ref[i].signer, o->ref[i].signer_len);
			cs_cw_map_end(&w);
		}
		cs_cw_array_end(&w);
	}
	return end_common(&w);
}

static void
put_chain(cs_cw *w, const uint8_t *const *der, const size_t *len, size_t n)
{
	size_t i;

	cs_cw_array_begin(w);
	for (i = 0; i < n; i++)
		cs_cw_bytes(w, der[i], len[i]);
	cs_cw_array_end(w);
}

static int
chain_valid(const uint8_t *const *der, const size_t *len, size_t n)
{
	size_t i;

	if (n == 0 || n > CS_EV_CHAIN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (der[i] == NULL || len[i] == 0 || len[i] > CS_EV_CERT_MAX)
			return 0;
	return 1;
}

/* What the decoder requires of evidence, but its total size (checked after
 * encoding). */
static int
evidence_valid(const cs_evidence *ev)
{
	if ((ev->kinds & ~CS_EV_ALL) != 0)
		return 0;
	if ((ev->kinds & CS_EV_SE) && !chain_valid(ev->se, ev->se_len, ev->nse))
		return 0;
	if ((ev->kinds & CS_EV_FIRMWARE) &&
	    (ev->token == NULL || ev->token_len == 0 || ev->token_len > CS_EV_TOKEN_MAX ||
		!chain_valid(ev->iak, ev->iak_len, ev->niak)))
		return 0;
	return 1;
}

int
cs_record_encode(cs_buf *out, const cs_record *r)
{
	cs_cw w;
	int rc, big = 0;

	if ((r->pk_len != CS_ED25519_KEY_LEN && r->pk_len != CS_P256_KEY_LEN) || r->hwid_len == 0 ||
	    r->hwid_len > CS_HWID_MAX || !cs_text_valid(r->firmware, CS_FW_MAX) ||
	    !cs_id_valid(r->batch) || !evidence_valid(&r->ev))
		return CS_USAGE;
	cs_cw_init(&w, out);
	put_common(&w, r->deployment, CS_KIND_RECORD);
	cs_cw_uint(&w, 3);
	cs_cw_uint(&w, r->serial);
	cs_cw_uint(&w, 4);
	cs_cw_bytes(&w, r->pk, r->pk_len);
	cs_cw_uint(&w, 5);
	cs_cw_bytes(&w, r->hwid, r->hwid_len);
	cs_cw_uint(&w, 6);
	cs_cw_textz(&w, r->firmware);
	cs_cw_uint(&w, 7);
	cs_cw_textz(&w, r->batch);
	cs_cw_uint(&w, 8);
	cs_cw_bytes(&w, r->nonce, CS_NONCE_LEN);
	if (r->ev.kinds != 0) {
		size_t at;

		cs_cw_uint(&w, 9);
		at = out->len;
		cs_cw_map_begin(&w);
		if (r->ev.kinds & CS_EV_SE) {
			cs_cw_uint(&w, 1);
			put_chain(&w, r->ev.se, r->ev.se_len, r->ev.nse);
		}
		if (r->ev.kinds & CS_EV_FIRMWARE) {
			cs_cw_uint(&w, 2);
			cs_cw_bytes(&w, r->ev.token, r->ev.token_len);
			cs_cw_uint(&w, 3);
			put_chain(&w, r->ev.iak, r->ev.iak_len, r->ev.niak);
		}
		cs_cw_map_end(&w);
		/* the map's head is in place once it is closed: measure it now */
		big = out->len - at > CS_EV_MAX;
	}
	if ((rc = end_common(&w)) == CS_OK && big)
		rc = CS_USAGE;
	return rc;
}

int
cs_header_encode(cs_buf *out, const cs_header *h)
{
	cs_cw w;

	if (!cs_id_valid(h->batch) || h->count > CS_MAX_QUANTITY)
		return CS_USAGE;
	cs_cw_init(&w, out);
	put_common(&w, h->deployment, CS_KIND_HEADER);
	cs_cw_uint(&w, 3);
	cs_cw_bytes(&w, h->order, CS_DIGEST_LEN);
	cs_cw_uint(&w, 4);
	cs_cw_textz(&w, h->batch);
	cs_cw_uint(&w, 5);
	cs_cw_uint(&w, h->count);
	cs_cw_uint(&w, 6);
	cs_cw_bytes(&w, h->records, CS_DIGEST_LEN);
	cs_cw_uint(&w, 7);
	cs_cw_uint(&w, h->created);
	cs_cw_uint(&w, 8);
	cs_cw_bytes(&w, h->station_pk, CS_PK_LEN);
	return end_common(&w);
}

int
cs_release_encode(cs_buf *out, const cs_release *r, const cs_exclusion *x, size_t nx)
{
	cs_cw w;

	if (r->seq == 0 || (r->seq == 1) != !r->has_prev || !cs_id_valid(r->batch) ||
	    r->count > CS_MAX_QUANTITY || nx > r->count || r->accepted != r->count - nx ||
	    !exclusions_valid(x, nx, r->count))
		return CS_USAGE;
	cs_cw_init(&w, out);
	put_common(&w, r->deployment, CS_KIND_RELEASE);
	cs_cw_uint(&w, 3);
	cs_cw_uint(&w, r->seq);
	cs_cw_uint(&w, 4);
	put_digest_or_null(&w, r->has_prev, r->prev);
	cs_cw_uint(&w, 5);
	cs_cw_bytes(&w, r->policy, CS_DIGEST_LEN);
	cs_cw_uint(&w, 6);
	cs_cw_bytes(&w, r->order, CS_DIGEST_LEN);
	cs_cw_uint(&w, 7);
	cs_cw_textz(&w, r->batch);
	cs_cw_uint(&w, 8);
	cs_cw_bytes(&w, r->header, CS_DIGEST_LEN);
	cs_cw_uint(&w, 9);
	cs_cw_bytes(&w, r->records, CS_DIGEST_LEN);
	cs_cw_uint(&w, 10);
	cs_cw_uint(&w, r->count);
	cs_cw_uint(&w, 11);
	cs_cw_uint(&w, r->accepted);
	cs_cw_uint(&w, 12);
	put_exclusions(&w, x, nx);
	return end_common(&w);
}

int
cs_receipt_encode(cs_buf *out, const cs_receipt *r, const cs_exclusion *x, size_t nx)
{
	cs_cw w;
	size_t i;

	if (!cs_id_valid(r->batch) || r->count > CS_MAX_QUANTITY || nx > r->count ||
	    r->accepted != (r->nproblem > 0 ? 0 : r->count - nx) ||
	    !exclusions_valid(x, nx, r->count) || r->nproblem > CS_RECEIPT_MAX_PROBLEMS)
		return CS_USAGE;
	for (i = 0; i < r->nproblem; i++)
		if (!cs_reason_batch(r->problem[i]))
			return CS_USAGE;
	cs_cw_init(&w, out);
	put_common(&w, r->deployment, CS_KIND_RECEIPT);
	cs_cw_uint(&w, 3);
	cs_cw_bytes(&w, r->header, CS_DIGEST_LEN);
	cs_cw_uint(&w, 4);
	cs_cw_textz(&w, r->batch);
	cs_cw_uint(&w, 5);
	cs_cw_bytes(&w, r->order, CS_DIGEST_LEN);
	cs_cw_uint(&w, 6);
	cs_cw_uint(&w, r->count);
	cs_cw_uint(&w, 7);
	cs_cw_uint(&w, r->accepted);
	cs_cw_uint(&w, 8);
	put_exclusions(&w, x, nx);
	cs_cw_uint(&w, 9);
	cs_cw_array_begin(&w);
	for (i = 0; i < r->nproblem; i++)
		cs_cw_textz(&w, r->problem[i]);
	cs_cw_array_end(&w);
	return end_common(&w);
}

/* ---- decoding ---------------------------------------------------------- */

/* Opens the payload map and reads fields 0 (format version), 1 (deployment)
 * and 2 (kind), which every payload starts with. */
static int
get_common(cs_cr *r, const char *kind, uint8_t dep[CS_DEPLOY_LEN], size_t *entries,
    size_t min, size_t max, int64_t *prev)
{
	uint64_t v;
	const char *k;
	size_t kn;
	int rc;

	*prev = -1;
	if ((rc = cs_cr_map(r, entries, min, max)) != CS_OK ||
	    (rc = cs_cr_field(r, 0, prev, "format version")) != CS_OK ||
	    (rc = cs_cr_uint(r, &v)) != CS_OK)
		return rc;
	if (v != CS_FORMAT_VERSION)
		return cs_cr_schema(r, "format version %llu is not supported (want %d)",
		    (unsigned long long)v, CS_FORMAT_VERSION);
	if ((rc = cs_cr_field(r, 1, prev, "deployment id")) != CS_OK ||
	    (rc = cs_cr_bytes_fixed(r, dep, CS_DEPLOY_LEN)) != CS_OK ||
	    (rc = cs_cr_field(r, 2, prev, "kind")) != CS_OK)
		return rc;
	if ((rc = cs_cr_text(r, &k, &kn, 1, 16)) != CS_OK)
		return rc;
	if (kn != strlen(kind) || memcmp(k, kind, kn) != 0)
		return cs_cr_schema(r, "kind is \"%.*s\", expected \"%s\"", (int)kn, k, kind);
	*entries -= 3;
	return CS_OK;
}

static int
get_id(cs_cr *r, char *out)
{
	int rc;

	if ((rc = cs_cr_textz(r, out, CS_ID_MAX + 1, 1)) != CS_OK)
		return rc;
	if (!cs_id_valid(out))
		return cs_cr_schema(r, "id \"%s\" has characters outside [A-Za-z0-9._-]", out);
	return CS_OK;
}

static int
get_digest_or_null(cs_cr *r, int *has, uint8_t d[CS_DIGEST_LEN])
{
	if (cs_cr_peek(r) == CS_CBOR_NULL) {
		*has = 0;
		return cs_cr_null(r);
	}
	*has = 1;
	return cs_cr_bytes_fixed(r, d, CS_DIGEST_LEN);
}

static int
unknown(cs_cr *r, uint64_t key)
{
	return cs_cr_schema(r, "unknown field %llu", (unsigned long long)key);
}

static int
get_one_exclusion(cs_cr *r, cs_exclusion *x)
{
	size_t n;
	int rc;

	if ((rc = cs_cr_array(r, &n, 3, 4)) != CS_OK)
		return rc;
	if ((rc = cs_cr_uint(r, &x->index)) != CS_OK)
		return rc;
	if (cs_cr_peek(r) == CS_CBOR_NULL) {
		x->has_serial = 0;
		x->serial = 0;
		if ((rc = cs_cr_null(r)) != CS_OK)
			return rc;
	} else {
		x->has_serial = 1;
		if ((rc = cs_cr_uint(r, &x->serial)) != CS_OK)
			return rc;
	}
	if ((rc = cs_cr_textz(r, x->reason, sizeof x->reason, 1)) != CS_OK)
		return rc;
	if (!cs_reason_per_record(x->reason))
		return cs_cr_schema(r, "\"%s\" is not a per-record reason code (reasons.md)",
		    cs_id_valid(x->reason) ? x->reason : "?");
	x->released_in = 0;
	if (cs_reason_released(x->reason) != (n == 4))
		return cs_cr_schema(r, n == 4 ? "an earlier release named for %s"
					       : "%s without the earlier release that holds the value",
		    x->reason);
	if (n == 4) {
		if ((rc = cs_cr_uint(r, &x->released_in)) != CS_OK)
			return rc;
		if (x->released_in == 0)
			return cs_cr_schema(r, "earlier release 0 (sequences start at 1)");
	}
	return CS_OK;
}

/* The reason codes of reasons.md a receipt or release may carry: each
 * list is the spec's, so a code it does not name is a schema fault. */
static const char *const per_record[] = {"record-malformed", "record-signature",
    "record-key-invalid", "record-deployment", "record-batch", "record-nonce",
    "record-serial-range", "record-duplicate-serial", "record-duplicate-key",
    "record-duplicate-hwid", "record-duplicate-instance", "record-released-serial",
    "record-released-key", "record-released-hwid", "record-released-instance", "attest-missing", "attest-malformed", "attest-leaf-key",
    "attest-chain-root", "attest-chain-invalid", "attest-token-malformed", "attest-token-profile",
    "attest-token-signature", "attest-token-instance", "attest-token-nonce",
    "attest-token-lifecycle", "attest-token-measurement", NULL};
static const char *const batch_level[] = {"zip-entries", "zip-name", "zip-method",
    "zip-encrypted", "zip-size", "zip-ratio", "zip-corrupt", "station-signature",
    "station-not-allowed", "header-order", "header-batch", "records-count", "records-digest",
    "quantity-exceeded", "quantity-remaining", "records-malformed", "batch-released",
    "order-threshold", "order-policy", "order-deployment", NULL};

static int
listed(const char *const *l, const char *s)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return 1;
	return 0;
}

const char *
cs_reason_attest(const char *reason)
{
	const char *const *l;

	for (l = per_record; *l != NULL; l++)
		if (strncmp(*l, "attest-", 7) == 0 && strcmp(*l, reason) == 0)
			return *l;
	return NULL;
}

int
cs_reason_per_record(const char *reason)
{
	return listed(per_record, reason);
}

int
cs_reason_batch(const char *reason)
{
	return listed(batch_level, reason);
}

int
cs_reason_released_type(const char *reason)
{
	static const char *const released[] = {"record-released-serial", "record-released-key",
	    "record-released-hwid", "record-released-instance"};
	int t;

	for (t = 0; t < (int)(sizeof released / sizeof released[0]); t++)
		if (strcmp(reason, released[t]) == 0)
			return t + 1;
	return 0;
}

int
cs_reason_released(const char *reason)
{
	return cs_reason_released_type(reason) != 0;
}

/* Checks the whole list (ascending unique indexes below count) and keeps it
 * as borrowed bytes. */
static int
get_exclusions(cs_cr *r, cs_excl_list *l, uint64_t count)
{
	cs_exclusion x;
	uint64_t last = 0;
	size_t i;
	int rc;

	if ((rc = cs_cr_array(r, &l->n, 0, CS_MAX_QUANTITY)) != CS_OK)
		return rc;
	l->p = r->p;
	for (i = 0; i < l->n; i++) {
		if ((rc = get_one_exclusion(r, &x)) != CS_OK)
			return rc;
		if (x.index >= count || (i > 0 && x.index <= last))
			return cs_cr_schema(r, "excluded record %zu: index %llu out of order or range",
			    i, (unsigned long long)x.index);
		last = x.index;
	}
	l->len = (size_t)(r->p - l->p);
	return CS_OK;
}

int
cs_excl_next(const cs_excl_list *l, size_t *pos, size_t *i, cs_exclusion *x)
{
	cs_cr r;
	cs_err e;

	if (*i >= l->n)
		return 0;
	cs_err_clear(&e);
	cs_cr_init(&r, l->p + *pos, l->len - *pos, &e);
	if (get_one_exclusion(&r, x) != CS_OK)
		return 0;
	*pos += cs_cr_offset(&r);
	(*i)++;
	return 1;
}

int
cs_payload_kind(const uint8_t *b, size_t n, char kind[17], uint8_t dep[CS_DEPLOY_LEN], cs_err *e)
{
	cs_cr r;
	uint64_t key, v;
	int64_t prev = -1;
	const char *k;
	size_t kn, entries;
	int rc;

	if ((rc = cs_cbor_canonical(b, n, CS_CBOR_MAX_DEPTH, e)) != CS_OK)
		return rc;
	cs_cr_init(&r, b, n, e);
	if ((rc = cs_cr_map(&r, &entries, 3, 32)) != CS_OK)
		return rc;
	if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK || key != 0 ||
	    (rc = cs_cr_uint(&r, &v)) != CS_OK || (rc = cs_cr_key(&r, &key, &prev)) != CS_OK ||
	    key != 1 || (rc = cs_cr_bytes_fixed(&r, dep, CS_DEPLOY_LEN)) != CS_OK ||
	    (rc = cs_cr_key(&r, &key, &prev)) != CS_OK || key != 2 ||
	    (rc = cs_cr_text(&r, &k, &kn, 1, 16)) != CS_OK)
		return rc != CS_OK ? rc : cs_cr_schema(&r, "payload does not start with fields 0, 1, 2");
	memcpy(kind, k, kn);
	kind[kn] = '\0';
	return CS_OK;
}

/* Field 8: [1*4 {0: name, 1: DER}], distinct names and certificates. */
static int
get_roots(cs_cr *r, cs_policy *p)
{
	size_t i, j, ne, m;
	int64_t prev;
	uint64_t k;
	int rc;

	if ((rc = cs_cr_array(r, &p->nroot, 1, CS_POLICY_ROOTS_MAX)) != CS_OK)
		return rc;
	for (i = 0; i < p->nroot; i++) {
		cs_policy_root *t = &p->root[i];

		if ((rc = cs_cr_map(r, &ne, 2, 2)) != CS_OK)
			return rc;
		prev = -1;
		for (m = 0; m < ne; m++) {
			if ((rc = cs_cr_key(r, &k, &prev)) != CS_OK)
				return rc;
			if (k == 0)
				rc = cs_cr_textz(r, t->name, sizeof t->name, 1);
			else if (k == 1)
				rc = cs_cr_bytes(r, &t->der, &t->len, 1, CS_EV_CERT_MAX);
			else
				rc = cs_cr_schema(r, "attestation root %zu: unknown field %llu", i,
				    (unsigned long long)k);
			if (rc != CS_OK)
				return rc;
		}
		for (j = 0; j < i; j++)
			if (strcmp(p->root[j].name, t->name) == 0 ||
			    same_bytes(p->root[j].der, p->root[j].len, t->der, t->len))
				return cs_cr_schema(r, "attestation root %zu repeats root %zu's name or "
						       "certificate", i, j);
	}
	return CS_OK;
}

static int
read_policy(void *out, const uint8_t *b, size_t n, cs_err *e)
{
	cs_policy *p = out;
	cs_cr r;
	size_t entries, i, j, m, ne;
	int64_t prev, cprev;
	uint64_t key, ck;
	int rc;

	memset(p, 0, sizeof *p);
	cs_cr_init(&r, b, n, e);
	if ((rc = get_common(&r, CS_KIND_POLICY, p->deployment, &entries, 8, 9, &prev)) != CS_OK)
		return rc;
	for (i = 0; i < entries; i++) {
		if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
			return rc;
		switch (key) {
		case 3:
			rc = cs_cr_uint(&r, &p->version);
			if (rc == CS_OK && p->version == 0)
				rc = cs_cr_schema(&r, "policy version 0");
			break;
		case 4:
			rc = get_digest_or_null(&r, &p->has_prev, p->prev);
			break;
		case 5:
			rc = cs_cr_uint(&r, &p->threshold);
			break;
		case 6:
			if ((rc = cs_cr_array(&r, &p->ncust, 1, CS_MAX_CUSTODIANS)) != CS_OK)
				break;
			for (j = 0; j < p->ncust && rc == CS_OK; j++) {
				cs_custodian *c = &p->cust[j];

				if ((rc = cs_cr_map(&r, &ne, 3, 3)) != CS_OK)
					break;
				cprev = -1;
				for (m = 0; m < ne && rc == CS_OK; m++) {
					if ((rc = cs_cr_key(&r, &ck, &cprev)) != CS_OK)
						break;
					if (ck == 0)
						rc = get_id(&r, c->id);
					else if (ck == 1)
						rc = cs_cr_textz(&r, c->name, sizeof c->name, 1);
					else if (ck == 2)
						rc = cs_cr_bytes_fixed(&r, c->pk, CS_PK_LEN);
					else
						rc = cs_cr_schema(&r, "custodian %zu: unknown field %llu", j,
						    (unsigned long long)ck);
				}
				if (rc == CS_OK && !cs_pk_valid(c->pk))
					rc = cs_cr_schema(&r, "custodian %s: key is not a valid point", c->id);
				for (m = 0; m < j && rc == CS_OK; m++)
					if (memcmp(p->cust[m].pk, c->pk, CS_PK_LEN) == 0 ||
					    strcmp(p->cust[m].id, c->id) == 0)
						rc = cs_cr_schema(&r, "custodian %s listed twice", c->id);
			}
			break;
		case 7:
			rc = cs_cr_bytes_fixed(&r, p->office_pk, CS_PK_LEN);
			if (rc == CS_OK && !cs_pk_valid(p->office_pk))
				rc = cs_cr_schema(&r, "office key is not a valid point");
			break;
		case 8:
			rc = get_roots(&r, p);
			break;
		default:
			rc = unknown(&r, key);
		}
		if (rc != CS_OK)
			return rc;
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		return rc;
	if (p->threshold == 0 || p->threshold > p->ncust)
		return cs_cr_schema(&r, "threshold %llu of %zu custodians",
		    (unsigned long long)p->threshold, p->ncust);
	if ((p->version == 1) != !p->has_prev)
		return cs_cr_schema(&r, "version %llu %s a predecessor", (unsigned long long)p->version,
		    p->has_prev ? "must not have" : "must name");
	/* keys ascend and are known (3..8): with the optional 8, five entries
	 * after the common ones lack one of 3..7 */
	if (entries == 5 && p->nroot > 0)
		return cs_cr_schema(&r, "a required field is missing");
	if (n > CS_PAYLOAD_MAX)
		return cs_cr_schema(&r, "a policy of %zu bytes (at most %d)", n, CS_PAYLOAD_MAX);
	return CS_OK;
}

int
cs_policy_decode(cs_policy *p, const uint8_t *b, size_t n, cs_err *e)
{
	return cs_cbor_decode(read_policy, p, b, n, e);
}

/* A measurement value or signer id: 32, 48 or 64 bytes. */
static int
get_hash(cs_cr *r, const uint8_t **p, size_t *n)
{
	int rc;

	if ((rc = cs_cr_bytes(r, p, n, 32, CS_REF_HASH_MAX)) != CS_OK)
		return rc;
	if (!ref_len_ok(*n))
		return cs_cr_schema(r, "a measurement or signer id of %zu bytes (32, 48 or 64)", *n);
	return CS_OK;
}

/* Field 12: [1*16 {? 0: type, 1: measurement value, 2: signer id}], distinct. */
static int
get_refs(cs_cr *r, cs_order *o)
{
	size_t i, j, ne, m;
	int64_t prev;
	uint64_t k;
	int rc;

	if ((rc = cs_cr_array(r, &o->nref, 1, CS_ORDER_REFS_MAX)) != CS_OK)
		return rc;
	for (i = 0; i < o->nref; i++) {
		cs_fwref *f = &o->ref[i];

		if ((rc = cs_cr_map(r, &ne, 2, 3)) != CS_OK)
			return rc;
		prev = -1;
		for (m = 0; m < ne; m++) {
			if ((rc = cs_cr_key(r, &k, &prev)) != CS_OK)
				return rc;
			if (k == 0 && ne == 3)
				rc = cs_cr_textz(r, f->type, sizeof f->type, 1);
			else if (k == 1)
				rc = get_hash(r, &f->value, &f->value_len);
			else if (k == 2)
				rc = get_hash(r, &f->signer, &f->signer_len);
			else
				rc = cs_cr_schema(r, "reference value %zu: unexpected field %llu", i,
				    (unsigned long long)k);
			if (rc != CS_OK)
				return rc;
		}
		if (f->value == NULL || f->signer == NULL)
			return cs_cr_schema(r, "reference value %zu: a field is missing", i);
		for (j = 0; j < i; j++)
			if (same_ref(&o->ref[j], f))
				return cs_cr_schema(r, "reference value %zu repeats %zu", i, j);
	}
	return CS_OK;
}

static int
read_order(void *out, const uint8_t *b, size_t n, cs_err *e)
{
	cs_order *o = out;
	cs_cr r;
	size_t entries, i, j;
	int64_t prev;
	uint64_t key, ev;
	int rc;

	memset(o, 0, sizeof *o);
	cs_cr_init(&r, b, n, e);
	if ((rc = get_common(&r, CS_KIND_ORDER, o->deployment, &entries, 11, 13, &prev)) != CS_OK)
		return rc;
	for (i = 0; i < entries; i++) {
		if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
			return rc;
		switch (key) {
		case 3: rc = cs_cr_bytes_fixed(&r, o->policy, CS_DIGEST_LEN); break;
		case 4: rc = get_id(&r, o->batch); break;
		case 5: rc = cs_cr_textz(&r, o->product, sizeof o->product, 1); break;
		case 6: rc = cs_cr_uint(&r, &o->first); break;
		case 7: rc = cs_cr_uint(&r, &o->last); break;
		case 8: rc = cs_cr_uint(&r, &o->quantity); break;
		case 9: rc = cs_cr_bytes_fixed(&r, o->nonce, CS_NONCE_LEN); break;
		case 10:
			if ((rc = cs_cr_array(&r, &o->nstation, 1, CS_MAX_STATIONS)) != CS_OK)
				break;
			for (j = 0; j < o->nstation && rc == CS_OK; j++) {
				rc = cs_cr_bytes_fixed(&r, o->station[j], CS_PK_LEN);
				if (rc == CS_OK && !cs_pk_valid(o->station[j]))
					rc = cs_cr_schema(&r, "station key %zu is not a valid point", j);
			}
			break;
		case 11:
			if ((rc = cs_cr_uint(&r, &ev)) == CS_OK && (ev == 0 || ev > CS_EV_ALL))
				rc = cs_cr_schema(&r, "required evidence %llu (1, 2 or 3)",
				    (unsigned long long)ev);
			o->evidence = (unsigned)ev;
			break;
		case 12: rc = get_refs(&r, o); break;
		default: rc = unknown(&r, key);
		}
		if (rc != CS_OK)
			return rc;
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		return rc;
	if (o->first > o->last)
		return cs_cr_schema(&r, "serial range %llu-%llu is empty",
		    (unsigned long long)o->first, (unsigned long long)o->last);
	if (o->quantity == 0 || o->quantity > CS_MAX_QUANTITY || o->quantity - 1 > o->last - o->first)
		return cs_cr_schema(&r, "quantity %llu does not fit the serial range or the limit",
		    (unsigned long long)o->quantity);
	for (i = 1; i < o->nstation; i++)
		for (j = 0; j < i; j++)
			if (memcmp(o->station[i], o->station[j], CS_PK_LEN) == 0)
				return cs_cr_schema(&r, "station key %zu listed twice", i);
	if (((o->evidence & CS_EV_FIRMWARE) != 0) != (o->nref > 0))
		return cs_cr_schema(&r, o->nref > 0 ? "firmware reference values, but no firmware "
						      "evidence required"
						    : "firmware evidence required without reference values");
	/* keys ascend and are known (3..12): with the optional ones present,
	 * fewer entries lack one of 3..10 */
	if (entries != 8 + (size_t)(o->evidence != 0) + (size_t)(o->nref > 0))
		return cs_cr_schema(&r, "a required field is missing");
	return CS_OK;
}

int
cs_order_decode(cs_order *o, const uint8_t *b, size_t n, cs_err *e)
{
	return cs_cbor_decode(read_order, o, b, n, e);
}

static int
get_chain(cs_cr *r, const uint8_t **der, size_t *len, size_t *n)
{
	size_t i;
	int rc;

	if ((rc = cs_cr_array(r, n, 1, CS_EV_CHAIN_MAX)) != CS_OK)
		return rc;
	for (i = 0; i < *n; i++)
		if ((rc = cs_cr_bytes(r, &der[i], &len[i], 1, CS_EV_CERT_MAX)) != CS_OK)
			return rc;
	return CS_OK;
}

/* Field 9: {? 1: secure element's chain, ? 2: PSA token, ? 3: the token's
 * attestation key chain}, at least one entry, 2 and 3 together, at most
 * CS_EV_MAX bytes. */
static int
get_evidence(cs_cr *r, cs_evidence *ev)
{
	size_t start = cs_cr_offset(r), ne, m;
	int64_t prev = -1;
	uint64_t k;
	int rc;

	if ((rc = cs_cr_map(r, &ne, 1, 3)) != CS_OK)
		return rc;
	for (m = 0; m < ne; m++) {
		if ((rc = cs_cr_key(r, &k, &prev)) != CS_OK)
			return rc;
		switch (k) {
		case 1:
			rc = get_chain(r, ev->se, ev->se_len, &ev->nse);
			ev->kinds |= CS_EV_SE;
			break;
		case 2:
			rc = cs_cr_bytes(r, &ev->token, &ev->token_len, 1, CS_EV_TOKEN_MAX);
			ev->kinds |= CS_EV_FIRMWARE;
			break;
		case 3: rc = get_chain(r, ev->iak, ev->iak_len, &ev->niak); break;
		default: rc = cs_cr_schema(r, "evidence: unknown field %llu", (unsigned long long)k);
		}
		if (rc != CS_OK)
			return rc;
	}
	if ((ev->token != NULL) != (ev->niak > 0))
		return cs_cr_schema(r, "evidence: a PSA token goes with its attestation key's chain");
	if (cs_cr_offset(r) - start > CS_EV_MAX)
		return cs_cr_schema(r, "evidence of %zu bytes (at most %d)", cs_cr_offset(r) - start,
		    CS_EV_MAX);
	return CS_OK;
}

static int
read_record(void *out, const uint8_t *b, size_t n, cs_err *e)
{
	cs_record *d = out;
	cs_cr r;
	size_t entries, i;
	int64_t prev;
	uint64_t key;
	const uint8_t *hw;
	unsigned seen = 0;
	int rc;

	memset(d, 0, sizeof *d);
	cs_cr_init(&r, b, n, e);
	if ((rc = get_common(&r, CS_KIND_RECORD, d->deployment, &entries, 9, 10, &prev)) != CS_OK)
		return rc;
	for (i = 0; i < entries; i++) {
		if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
			return rc;
		switch (key) {
		case 3: rc = cs_cr_uint(&r, &d->serial); break;
		case 4:
			rc = cs_cr_bytes(&r, &hw, &d->pk_len, 1, CS_DEVICE_KEY_MAX);
			if (rc == CS_OK && d->pk_len != CS_ED25519_KEY_LEN && d->pk_len != CS_P256_KEY_LEN)
				rc = cs_cr_schema(&r, "device key of %zu bytes (32: Ed25519, 65: P-256)",
				    d->pk_len);
			if (rc == CS_OK)
				memcpy(d->pk, hw, d->pk_len);
			break;
		case 5:
			rc = cs_cr_bytes(&r, &hw, &d->hwid_len, 1, CS_HWID_MAX);
			if (rc == CS_OK)
				memcpy(d->hwid, hw, d->hwid_len);
			break;
		case 6: rc = cs_cr_textz(&r, d->firmware, sizeof d->firmware, 1); break;
		case 7: rc = get_id(&r, d->batch); break;
		case 8: rc = cs_cr_bytes_fixed(&r, d->nonce, CS_NONCE_LEN); break;
		case 9: rc = get_evidence(&r, &d->ev); break;
		default: rc = unknown(&r, key);
		}
		if (rc != CS_OK)
			return rc;
		seen |= 1u << key; /* key is 3..9 here: anything else returned above */
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		return rc;
	/* keys are ascending and known (3..9): with the optional 9 present, a
	 * 9-entry map lacks one of 3..8 — name it */
	if (entries == 6 && d->ev.kinds != 0) {
		for (key = 3; key <= 8 && (seen & (1u << key)); key++)
			;
		return cs_cr_schema(&r, "missing field %llu", (unsigned long long)key);
	}
	return CS_OK;
}

int
cs_record_decode(cs_record *d, const uint8_t *b, size_t n, cs_err *e)
{
	return cs_cbor_decode(read_record, d, b, n, e);
}

static int
read_header(void *out, const uint8_t *b, size_t n, cs_err *e)
{
	cs_header *h = out;
	cs_cr r;
	size_t entries, i;
	int64_t prev;
	uint64_t key;
	int rc;

	memset(h, 0, sizeof *h);
	cs_cr_init(&r, b, n, e);
	if ((rc = get_common(&r, CS_KIND_HEADER, h->deployment, &entries, 9, 9, &prev)) != CS_OK)
		return rc;
	for (i = 0; i < entries; i++) {
		if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
			return rc;
		switch (key) {
		case 3: rc = cs_cr_bytes_fixed(&r, h->order, CS_DIGEST_LEN); break;
		case 4: rc = get_id(&r, h->batch); break;
		case 5:
			rc = cs_cr_uint(&r, &h->count);
			if (rc == CS_OK && h->count > CS_MAX_QUANTITY)
				rc = cs_cr_schema(&r, "record count above %llu", CS_MAX_QUANTITY);
			break;
		case 6: rc = cs_cr_bytes_fixed(&r, h->records, CS_DIGEST_LEN); break;
		case 7: rc = cs_cr_uint(&r, &h->created); break;
		case 8: rc = cs_cr_bytes_fixed(&r, h->station_pk, CS_PK_LEN); break;
		default: rc = unknown(&r, key);
		}
		if (rc != CS_OK)
			return rc;
	}
	return cs_cr_done(&r);
}

int
cs_header_decode(cs_header *h, const uint8_t *b, size_t n, cs_err *e)
{
	return cs_cbor_decode(read_header, h, b, n, e);
}

static int
read_release(void *out, const uint8_t *b, size_t n, cs_err *e)
{
	cs_release *d = out;
	cs_cr r;
	size_t entries, i;
	int64_t prev;
	uint64_t key;
	int rc;

	memset(d, 0, sizeof *d);
	cs_cr_init(&r, b, n, e);
	if ((rc = get_common(&r, CS_KIND_RELEASE, d->deployment, &entries, 13, 13, &prev)) != CS_OK)
		return rc;
	for (i = 0; i < entries; i++) {
		if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
			return rc;
		switch (key) {
		case 3:
			rc = cs_cr_uint(&r, &d->seq);
			if (rc == CS_OK && d->seq == 0)
				rc = cs_cr_schema(&r, "release sequence 0");
			break;
		case 4: rc = get_digest_or_null(&r, &d->has_prev, d->prev); break;
		case 5: rc = cs_cr_bytes_fixed(&r, d->policy, CS_DIGEST_LEN); break;
		case 6: rc = cs_cr_bytes_fixed(&r, d->order, CS_DIGEST_LEN); break;
		case 7: rc = get_id(&r, d->batch); break;
		case 8: rc = cs_cr_bytes_fixed(&r, d->header, CS_DIGEST_LEN); break;
		case 9: rc = cs_cr_bytes_fixed(&r, d->records, CS_DIGEST_LEN); break;
		case 10:
			rc = cs_cr_uint(&r, &d->count);
			if (rc == CS_OK && d->count > CS_MAX_QUANTITY)
				rc = cs_cr_schema(&r, "record count above %llu", CS_MAX_QUANTITY);
			break;
		case 11: rc = cs_cr_uint(&r, &d->accepted); break;
		case 12: rc = get_exclusions(&r, &d->excluded, d->count); break;
		default: rc = unknown(&r, key);
		}
		if (rc != CS_OK)
			return rc;
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		return rc;
	if ((d->seq == 1) != !d->has_prev)
		return cs_cr_schema(&r, "release %llu %s a predecessor", (unsigned long long)d->seq,
		    d->has_prev ? "must not have" : "must name");
	if (d->excluded.n > d->count || d->accepted != d->count - d->excluded.n)
		return cs_cr_schema(&r, "accepted %llu + excluded %zu != count %llu",
		    (unsigned long long)d->accepted, d->excluded.n, (unsigned long long)d->count);
	return CS_OK;
}

int
cs_release_decode(cs_release *d, const uint8_t *b, size_t n, cs_err *e)
{
	return cs_cbor_decode(read_release, d, b, n, e);
}

static int
read_receipt(void *out, const uint8_t *b, size_t n, cs_err *e)
{
	cs_receipt *d = out;
	cs_cr r;
	size_t entries, i, j;
	int64_t prev;
	uint64_t key;
	int rc;

	memset(d, 0, sizeof *d);
	cs_cr_init(&r, b, n, e);
	if ((rc = get_common(&r, CS_KIND_RECEIPT, d->deployment, &entries, 10, 10, &prev)) != CS_OK)
		return rc;
	for (i = 0; i < entries; i++) {
		if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
			return rc;
		switch (key) {
		case 3: rc = cs_cr_bytes_fixed(&r, d->header, CS_DIGEST_LEN); break;
		case 4: rc = get_id(&r, d->batch); break;
		case 5: rc = cs_cr_bytes_fixed(&r, d->order, CS_DIGEST_LEN); break;
		case 6:
			rc = cs_cr_uint(&r, &d->count);
			if (rc == CS_OK && d->count > CS_MAX_QUANTITY)
				rc = cs_cr_schema(&r, "record count above %llu", CS_MAX_QUANTITY);
			break;
		case 7: rc = cs_cr_uint(&r, &d->accepted); break;
		case 8: rc = get_exclusions(&r, &d->refused, d->count); break;
		case 9:
			if ((rc = cs_cr_array(&r, &d->nproblem, 0, CS_RECEIPT_MAX_PROBLEMS)) != CS_OK)
				break;
			for (j = 0; j < d->nproblem && rc == CS_OK; j++) {
				rc = cs_cr_textz(&r, d->problem[j], CS_REASON_MAX, 1);
				if (rc == CS_OK && !cs_reason_batch(d->problem[j]))
					rc = cs_cr_schema(&r, "\"%s\" is not a batch-level reason code "
					    "(reasons.md)", cs_id_valid(d->problem[j]) ? d->problem[j] : "?");
			}
			break;
		default: rc = unknown(&r, key);
		}
		if (rc != CS_OK)
			return rc;
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		return rc;
	/* a factory reads it: the counts must add up exactly */
	if (d->refused.n > d->count ||
	    d->accepted != (d->nproblem > 0 ? 0 : d->count - d->refused.n))
		return cs_cr_schema(&r, "accepted %llu, but %llu records, %zu refused and %zu "
		    "batch-level problems make %llu", (unsigned long long)d->accepted,
		    (unsigned long long)d->count, d->refused.n, d->nproblem,
		    (unsigned long long)(d->nproblem > 0 || d->refused.n > d->count
			    ? 0 : d->count - d->refused.n));
	return CS_OK;
}

int
cs_receipt_decode(cs_receipt *d, const uint8_t *b, size_t n, cs_err *e)
{
	return cs_cbor_decode(read_receipt, d, b, n, e);
}

int
cs_withdrawal_encode(cs_buf *out, const cs_withdrawal *d)
{
	cs_cw w;

	if (d->seq == 0)
		return CS_USAGE;
	cs_cw_init(&w, out);
	put_common(&w, d->deployment, CS_KIND_WITHDRAWAL);
	cs_cw_uint(&w, 3);
	cs_cw_bytes(&w, d->policy, CS_DIGEST_LEN);
	cs_cw_uint(&w, 4);
	cs_cw_uint(&w, d->seq);
	cs_cw_uint(&w, 5);
	cs_cw_bytes(&w, d->release, CS_DIGEST_LEN);
	return end_common(&w);
}

static int
read_withdrawal(void *out, const uint8_t *b, size_t n, cs_err *e)
{
	cs_withdrawal *d = out;
	cs_cr r;
	size_t entries, i;
	int64_t prev;
	uint64_t key;
	int rc;

	memset(d, 0, sizeof *d);
	cs_cr_init(&r, b, n, e);
	if ((rc = get_common(&r, CS_KIND_WITHDRAWAL, d->deployment, &entries, 6, 6, &prev)) != CS_OK)
		return rc;
	for (i = 0; i < entries; i++) {
		if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
			return rc;
		switch (key) {
		case 3: rc = cs_cr_bytes_fixed(&r, d->policy, CS_DIGEST_LEN); break;
		case 4: rc = cs_cr_uint(&r, &d->seq); break;
		case 5: rc = cs_cr_bytes_fixed(&r, d->release, CS_DIGEST_LEN); break;
		default: rc = unknown(&r, key);
		}
		if (rc != CS_OK)
			return rc;
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		return rc;
	if (d->seq == 0)
		return cs_cr_schema(&r, "sequence 0 (sequences start at 1)");
	return CS_OK;
}

int
cs_withdrawal_decode(cs_withdrawal *d, const uint8_t *b, size_t n, cs_err *e)
{
	return cs_cbor_decode(read_withdrawal, d, b, n, e);
}
