/* The device agent: order and rotation checks against the compiled-in anchor,
 * the random-source health check, key generation (or the secure element's),
 * the record with its evidence and its storage, and the device side of the
 * wire protocol. No heap anywhere. */
#include "device/agent.h"

#include <string.h>

#include "crypto/port.h"

static const uint8_t empty_map[1] = {0xa0};

void
cs_dev_init(cs_dev *d, const cs_dev_hal *hal, const cs_dev_anchor *anchor)
{
	memset(d, 0, sizeof *d);
	d->hal = hal;
	d->anchor = anchor;
}

void
cs_dev_anchor_from_policy(cs_dev_anchor *a, const cs_policy *p, const uint8_t pd[CS_DIGEST_LEN])
{
	size_t i;

	memset(a, 0, sizeof *a);
	memcpy(a->deployment, p->deployment, CS_DEPLOY_LEN);
	a->version = p->version;
	memcpy(a->policy, pd, CS_DIGEST_LEN);
	a->threshold = p->threshold;
	a->ncust = p->ncust;
	for (i = 0; i < p->ncust && i < CS_MAX_CUSTODIANS; i++)
		memcpy(a->cust[i], p->cust[i].pk, CS_PK_LEN);
}

/* Valid signatures on d->cose by distinct keys of keys[0..n): a signature
 * whose kid names no key, that does not verify, or repeats a signer counts
 * for nothing. The Sig_structure is built in d->tbs. */
static uint64_t
count_valid(cs_dev *d, const uint8_t (*keys)[CS_PK_LEN], size_t n)
{
	uint8_t kids[CS_MAX_CUSTODIANS][CS_KID_LEN];
	int counted[CS_MAX_CUSTODIANS] = {0};
	cs_buf scratch;
	uint64_t valid = 0;
	size_t i, j;

	if (n > CS_MAX_CUSTODIANS)
		return 0;
	for (j = 0; j < n; j++)
		cs_keyid(kids[j], keys[j]);
	for (i = 0; i < d->cose.nsig; i++) {
		for (j = 0; j < n; j++)
			if (!counted[j] && cs_port_memcmp(kids[j], d->cose.s[i].kid, CS_KID_LEN) == 0)
				break;
		if (j == n)
			continue;
		cs_buf_fixed(&scratch, d->tbs, sizeof d->tbs);
		if (cs_cose_verify(&d->cose, i, keys[j], &scratch) == 0) {
			counted[j] = 1;
			valid++;
		}
	}
	return valid;
}

/* Decodes a COSE_Sign of the given kind into d->cose. */
static int
read_envelope(cs_dev *d, const char *kind, const uint8_t *b, size_t n, cs_err *e)
{
	int rc;

	if (n == 0 || n > CS_DEV_ENVELOPE_MAX)
		return cs_fail(e, CS_MALFORMED, "too-large", "%s envelope of %zu bytes", kind, n);
	if ((rc = cs_cose_decode(&d->cose, b, n, e)) != CS_OK)
		return rc;
	if (!d->cose.multi || strcmp(d->cose.kind, kind) != 0)
		return cs_fail(e, CS_MALFORMED, "kind", "not %s %s", kind[0] == 'o' ? "an" : "a", kind);
	return CS_OK;
}

/* Moves d->trust one step along the rotation chain to the policy in b. */
static int
rotate(cs_dev *d, const uint8_t *b, size_t n, cs_err *e)
{
	uint8_t pd[CS_DIGEST_LEN], keys[CS_MAX_CUSTODIANS][CS_PK_LEN];
	cs_policy *p = &d->next;
	size_t i;
	int rc;

	if ((rc = read_envelope(d, CS_KIND_POLICY, b, n, e)) != CS_OK)
		return rc;
	if ((rc = cs_policy_decode(p, d->cose.payload, d->cose.payload_len, e)) != CS_OK)
		return rc;
	cs_digest(pd, CS_KIND_POLICY, d->cose.payload, d->cose.payload_len);
	if (cs_port_memcmp(p->deployment, d->trust.deployment, CS_DEPLOY_LEN) != 0)
		return cs_fail(e, CS_REJECT, "policy-deployment", "policy of another deployment");
	if (cs_port_memcmp(pd, d->trust.policy, CS_DIGEST_LEN) == 0)
		return CS_OK; /* the trusted policy itself: nothing to follow */
	if (p->version < d->trust.version)
		return cs_fail(e, CS_REJECT, "policy-rollback", "policy version %llu is older than %llu",
		    (unsigned long long)p->version, (unsigned long long)d->trust.version);
	if (p->version == d->trust.version)
		return cs_fail(e, CS_REJECT, "policy-fork", "a different policy with version %llu",
		    (unsigned long long)p->version);
	if (p->version != d->trust.version + 1 || !p->has_prev ||
	    cs_port_memcmp(p->prev, d->trust.policy, CS_DIGEST_LEN) != 0)
		return cs_fail(e, CS_REJECT, "policy-predecessor",
		    "policy version %llu does not follow the trusted version %llu",
		    (unsigned long long)p->version, (unsigned long long)d->trust.version);
	if (count_valid(d, (const uint8_t(*)[CS_PK_LEN])d->trust.cust, d->trust.ncust) <
	    d->trust.threshold)
		return cs_fail(e, CS_REJECT, "policy-threshold-previous",
		    "policy version %llu lacks %llu signatures of the previous custodians",
		    (unsigned long long)p->version, (unsigned long long)d->trust.threshold);
	for (i = 0; i < p->ncust; i++)
		memcpy(keys[i], p->cust[i].pk, CS_PK_LEN);
	if (count_valid(d, (const uint8_t(*)[CS_PK_LEN])keys, p->ncust) < p->threshold)
		return cs_fail(e, CS_REJECT, "policy-threshold",
		    "policy version %llu lacks %llu signatures of its own custodians",
		    (unsigned long long)p->version, (unsigned long long)p->threshold);
	cs_dev_anchor_from_policy(&d->trust, p, pd);
	return CS_OK;
}

/* Checks the order in b against d->trust; fills d->order and d->order_digest. */
static int
check_order(cs_dev *d, const uint8_t *b, size_t n, cs_err *e)
{
	uint64_t valid;
	int rc;

	if ((rc = read_envelope(d, CS_KIND_ORDER, b, n, e)) != CS_OK)
		return rc;
	if ((rc = cs_order_decode(&d->order, d->cose.payload, d->cose.payload_len, e)) != CS_OK)
		return rc;
	cs_digest(d->order_digest, CS_KIND_ORDER, d->cose.payload, d->cose.payload_len);
	if (cs_port_memcmp(d->order.deployment, d->trust.deployment, CS_DEPLOY_LEN) != 0)
		return cs_fail(e, CS_REJECT, "order-deployment", "order of another deployment");
	if (cs_port_memcmp(d->order.policy, d->trust.policy, CS_DIGEST_LEN) != 0)
		return cs_fail(e, CS_REJECT, "order-policy",
		    "order made under a policy this device does not trust (version %llu) "
		    "and no rotation chain to it",
		    (unsigned long long)d->trust.version);
	valid = count_valid(d, (const uint8_t(*)[CS_PK_LEN])d->trust.cust, d->trust.ncust);
	if (valid < d->trust.threshold)
		return cs_fail(e, CS_REJECT, "order-threshold",
		    "%llu valid custodian signatures, the policy needs %llu",
		    (unsigned long long)valid, (unsigned long long)d->trust.threshold);
	return CS_OK;
}

/* ---- storage ------------------------------------------------------------- */

enum { STORE_BLANK, STORE_KEYED };

/* Reads the blob into d->store; on STORE_KEYED the record is copied to
 * d->record and its order digest to od. */
static int
store_read(cs_dev *d, int *state, uint8_t od[CS_DIGEST_LEN], cs_err *e)
{
	size_t n = 0, rlen;
	uint32_t crc;
	const uint8_t *s = d->store;

	if (d->hal->storage_read(d->hal->ctx, d->store, sizeof d->store, &n) != 0 ||
	    n > sizeof d->store)
		return cs_fail(e, CS_MALFORMED, "device-storage", "secure storage cannot be read");
	if (n == 0) {
		*state = STORE_BLANK;
		return CS_OK;
	}
	if (n < CS_DEV_STORE_HEAD + 4 || memcmp(s, CS_DEV_STORE_MAGIC, CS_DEV_STORE_MAGIC_LEN) != 0)
		return cs_fail(e, CS_MALFORMED, "device-storage", "secure storage holds no key blob");
	rlen = (size_t)s[CS_DEV_STORE_HEAD - 2] << 8 | s[CS_DEV_STORE_HEAD - 1];
	if (rlen == 0 || rlen > CS_DEV_RECORD_MAX || n != CS_DEV_STORE_HEAD + rlen + 4)
		return cs_fail(e, CS_MALFORMED, "device-storage", "secure storage blob has a bad length");
	crc = (uint32_t)s[n - 4] << 24 | (uint32_t)s[n - 3] << 16 | (uint32_t)s[n - 2] << 8 |
	      s[n - 1];
	if (cs_crc32(0, s, n - 4) != crc)
		return cs_fail(e, CS_MALFORMED, "device-storage", "secure storage blob is damaged");
	memcpy(od, s + CS_DEV_STORE_MAGIC_LEN + CS_DEV_SEED_LEN, CS_DIGEST_LEN);
	memcpy(d->record, s + CS_DEV_STORE_HEAD, rlen);
	d->record_len = rlen;
	*state = STORE_KEYED;
	return CS_OK;
}

/* Builds the blob for seed and d->record in d->store; returns its length. */
static size_t
store_build(cs_dev *d, const uint8_t seed[CS_DEV_SEED_LEN])
{
	uint8_t *s = d->store;
	size_t n = CS_DEV_STORE_HEAD + d->record_len;
	uint32_t crc;

	memcpy(s, CS_DEV_STORE_MAGIC, CS_DEV_STORE_MAGIC_LEN);
	memcpy(s + CS_DEV_STORE_MAGIC_LEN, seed, CS_DEV_SEED_LEN);
	memcpy(s + CS_DEV_STORE_MAGIC_LEN + CS_DEV_SEED_LEN, d->order_digest, CS_DIGEST_LEN);
	s[CS_DEV_STORE_HEAD - 2] = (uint8_t)(d->record_len >> 8);
	s[CS_DEV_STORE_HEAD - 1] = (uint8_t)d->record_len;
	memcpy(s + CS_DEV_STORE_HEAD, d->record, d->record_len);
	crc = cs_crc32(0, s, n);
	s[n] = (uint8_t)(crc >> 24);
	s[n + 1] = (uint8_t)(crc >> 16);
	s[n + 2] = (uint8_t)(crc >> 8);
	s[n + 3] = (uint8_t)crc;
	return n + 4;
}

/* ---- random source ------------------------------------------------------- */

/* A stuck or repeating source must never make a key: two samples must
 * differ, neither may be one byte repeated or hold a run longer than
 * CS_DEV_RNG_RUN_MAX, and no value may occur more than CS_DEV_RNG_REPEAT_MAX
 * times in both (for a working source each is below 2^-30). */
static int
rng_healthy(const uint8_t a[CS_DEV_RNG_SAMPLE], const uint8_t b[CS_DEV_RNG_SAMPLE])
{
	uint8_t count[256] = {0};
	size_t i, run;
	int ok = 1;

	if (cs_port_memcmp(a, b, CS_DEV_RNG_SAMPLE) == 0)
		ok = 0;
	for (run = 1, i = 1; i < CS_DEV_RNG_SAMPLE; i++) {
		run = a[i] == a[i - 1] ? run + 1 : 1;
		if (run > CS_DEV_RNG_RUN_MAX)
			ok = 0;
	}
	for (run = 1, i = 1; i < CS_DEV_RNG_SAMPLE; i++) {
		run = b[i] == b[i - 1] ? run + 1 : 1;
		if (run > CS_DEV_RNG_RUN_MAX)
			ok = 0;
	}
	for (i = 0; i < CS_DEV_RNG_SAMPLE; i++) {
		if (++count[a[i]] > CS_DEV_RNG_REPEAT_MAX)
			ok = 0;
		if (++count[b[i]] > CS_DEV_RNG_REPEAT_MAX)
			ok = 0;
	}
	cs_port_wipe(count, sizeof count);
	return ok;
}

/* ---- the record ---------------------------------------------------------- */

void
cs_dev_set_ports(cs_dev *d, const cs_dev_ports *p)
{
	d->ports = p;
}

void
cs_dev_binding_nonce(uint8_t out[CS_DEV_NONCE_LEN], const uint8_t order_digest[CS_DIGEST_LEN],
    const uint8_t *key, size_t len)
{
	const cs_port_part part[3] = {{CS_DEV_NONCE_DOMAIN, sizeof CS_DEV_NONCE_DOMAIN - 1},
	    {order_digest, CS_DIGEST_LEN}, {key, len}};

	cs_port_sha256(out, part, 3);
}

/* {1: alg, 3: content type, 4: kid of key[0..len)} into d->prot; its
 * length, or 0. */
static size_t
record_prot(cs_dev *d, int alg, const uint8_t *key, size_t len)
{
	char ct[CS_CTYPE_MAX + 1];
	uint8_t kid[CS_KID_LEN];
	cs_buf b;
	cs_cw w;

	if (cs_cose_ctype(ct, CS_KIND_RECORD) != 0)
		return 0;
	cs_keyid_n(kid, key, len);
	cs_buf_fixed(&b, d->prot, sizeof d->prot);
	cs_cw_init(&w, &b);
	cs_cw_map_begin(&w);
	cs_cw_uint(&w, CS_COSE_HDR_ALG);
	cs_cw_int(&w, alg);
	cs_cw_uint(&w, CS_COSE_HDR_CTYPE);
	cs_cw_textz(&w, ct);
	cs_cw_uint(&w, CS_COSE_HDR_KID);
	cs_cw_bytes(&w, kid, CS_KID_LEN);
	cs_cw_map_end(&w);
	return cs_cw_finish(&w) == 0 ? b.len : 0;
}

/* The ports the order's evidence needs are all there. */
static int
ports_ready(const cs_dev *d, cs_err *e)
{
	const cs_dev_ports *p = d->ports;

	if ((d->order.evidence & CS_EV_SE) &&
	    (p == NULL || !p->se_keygen || !p->se_sign || !p->se_chain))
		return cs_fail(e, CS_REJECT, "device-evidence-unsupported",
		    "the order requires secure-element evidence: this device has no secure element");
	if ((d->order.evidence & CS_EV_FIRMWARE) && (p == NULL || !p->attest_token || !p->attest_chain))
		return cs_fail(e, CS_REJECT, "device-evidence-unsupported",
		    "the order requires firmware evidence: this device has no attestation service");
	return CS_OK;
}

/* A chain as a port frames it (agent.h), exactly b[0..n): its certificates'
 * spans into der, len, *count. The certificates themselves are not parsed
 * here: a device does not judge its own evidence, the station does. */
static int
read_chain(const uint8_t *b, size_t n, const uint8_t **der, size_t *len, size_t *count)
{
	cs_err e;
	cs_cr r;
	size_t i;

	cs_err_clear(&e);
	cs_cr_init(&r, b, n, &e);
	if (cs_cr_array(&r, count, 1, CS_EV_CHAIN_MAX) != CS_OK)
		return -1;
	for (i = 0; i < *count; i++)
		if (cs_cr_bytes(&r, &der[i], &len[i], 1, CS_EV_CERT_MAX) != CS_OK)
			return -1;
	return cs_cr_done(&r) == CS_OK ? 0 : -1;
}

/* The evidence the order requires, for the device key in r: the ports write
 * it into d->record (free until the envelope is made there, after the
 * payload has copied the evidence) and r->ev borrows it. */
static int
gather_evidence(cs_dev *d, cs_record *r, cs_err *e)
{
	const cs_dev_ports *p = d->ports;
	uint8_t nonce[CS_DEV_NONCE_LEN];
	size_t used = 0, n, cap;

	if (d->order.evidence & CS_EV_SE) {
		n = 0;
		if (p->se_chain(p->ctx, d->record, sizeof d->record, &n) != 0 || n == 0 ||
		    n > sizeof d->record)
			return cs_fail(e, CS_MALFORMED, "device-evidence",
			    "the secure element's certificate chain cannot be read");
		if (read_chain(d->record, n, r->ev.se, r->ev.se_len, &r->ev.nse) != 0)
			return cs_fail(e, CS_MALFORMED, "device-evidence",
			    "the secure element's chain is not a CBOR array of 1-%d certificates",
			    CS_EV_CHAIN_MAX);
		r->ev.kinds |= CS_EV_SE;
		used = n;
	}
	if (d->order.evidence & CS_EV_FIRMWARE) {
		cs_dev_binding_nonce(nonce, d->order_digest, r->pk, r->pk_len);
		cap = sizeof d->record - used;
		if (cap > CS_EV_TOKEN_MAX)
			cap = CS_EV_TOKEN_MAX;
		n = 0;
		if (p->attest_token(p->ctx, nonce, d->record + used, cap, &n) != 0 || n == 0 || n > cap)
			return cs_fail(e, CS_MALFORMED, "device-evidence",
			    "the attestation service gave no token of 1-%d bytes", CS_EV_TOKEN_MAX);
		r->ev.token = d->record + used;
		r->ev.token_len = n;
		used += n;
		cap = sizeof d->record - used;
		n = 0;
		if (p->attest_chain(p->ctx, d->record + used, cap, &n) != 0 || n == 0 || n > cap)
			return cs_fail(e, CS_MALFORMED, "device-evidence",
			    "the attestation key's certificate chain cannot be read");
		if (read_chain(d->record + used, n, r->ev.iak, r->ev.iak_len, &r->ev.niak) != 0)
			return cs_fail(e, CS_MALFORMED, "device-evidence",
			    "the attestation key's chain is not a CBOR array of 1-%d certificates",
			    CS_EV_CHAIN_MAX);
		r->ev.kinds |= CS_EV_FIRMWARE;
	}
	return CS_OK;
}

/* Makes the key (the seed's, or the secure element's when the order
 * requires its evidence) and the signed record in d->record; the seed stays
 * in seed. */
static int
make_record(cs_dev *d, uint64_t serial, const uint8_t seed[CS_DEV_SEED_LEN], cs_err *e)
{
	uint8_t pk[CS_PK_LEN], sk[CS_SK_LEN], sig[CS_SIG_LEN];
	int se = (d->order.evidence & CS_EV_SE) != 0;
	cs_record r;
	cs_buf pay, tbs, env;
	cs_cose_raw_signer rs;
	size_t plen;
	int rc = CS_MALFORMED;

	memset(&r, 0, sizeof r);
	memset(sk, 0, sizeof sk);
	if (se) {
		/* the element's key, in the one encoding (the station checks the
		 * curve: the agent has no P-256 arithmetic) */
		if (d->ports->se_keygen(d->ports->ctx, r.pk) != 0 || r.pk[0] != 0x04) {
			rc = cs_fail(e, CS_MALFORMED, "device-evidence",
			    "the secure element gave no uncompressed P-256 key");
			goto done;
		}
		r.pk_len = CS_P256_KEY_LEN;
	} else {
		cs_port_keypair(pk, sk, seed);
		memcpy(r.pk, pk, CS_PK_LEN);
		r.pk_len = CS_ED25519_KEY_LEN;
	}
	memcpy(r.deployment, d->order.deployment, CS_DEPLOY_LEN);
	r.serial = serial;
	if (d->hal->hwid(d->hal->ctx, r.hwid, &r.hwid_len) != 0 || r.hwid_len == 0 ||
	    r.hwid_len > CS_HWID_MAX) {
		rc = cs_fail(e, CS_MALFORMED, "device-hal", "no hardware unique id");
		goto done;
	}
	if (d->hal->firmware == NULL || !cs_text_valid(d->hal->firmware, CS_FW_MAX)) {
		rc = cs_fail(e, CS_MALFORMED, "device-hal", "firmware version is not 1-%d printable "
							    "characters", CS_FW_MAX);
		goto done;
	}
	memcpy(r.firmware, d->hal->firmware, strlen(d->hal->firmware) + 1);
	memcpy(r.batch, d->order.batch, sizeof r.batch);
	memcpy(r.nonce, d->order.nonce, CS_NONCE_LEN);
	if ((rc = gather_evidence(d, &r, e)) != CS_OK)
		goto done;
	cs_buf_fixed(&pay, d->payload, sizeof d->payload);
	if (cs_record_encode(&pay, &r) != CS_OK) {
		rc = r.ev.kinds != 0 ? cs_fail(e, CS_MALFORMED, "device-evidence",
					   "the evidence is larger than a record carries (%d bytes)",
					   CS_EV_MAX)
				     : cs_fail(e, CS_MALFORMED, "device-hal",
					   "record does not fit its buffer");
		goto done;
	}
	if ((plen = record_prot(d, se ? CS_COSE_ALG_ES256 : CS_COSE_ALG_EDDSA, r.pk, r.pk_len)) == 0) {
		rc = cs_fail(e, CS_MALFORMED, "device-hal", "record does not fit its buffer");
		goto done;
	}
	cs_buf_fixed(&tbs, d->tbs, sizeof d->tbs);
	if (cs_cose_tbs_raw(&tbs, d->prot, plen, NULL, 0, NULL, 0, pay.p, pay.len) != CS_OK) {
		rc = cs_fail(e, CS_MALFORMED, "device-hal", "record does not fit its buffer");
		goto done;
	}
	if (se) {
		if (d->ports->se_sign(d->ports->ctx, tbs.p, tbs.len, sig) != 0) {
			rc = cs_fail(e, CS_MALFORMED, "device-evidence",
			    "the secure element did not sign the record");
			goto done;
		}
	} else {
		cs_port_sign(sig, tbs.p, tbs.len, sk);
		/* sign, then verify what was signed, then keep it */
		if (cs_sig_verify(sig, tbs.p, tbs.len, pk) != 0) {
			rc = cs_fail(e, CS_MALFORMED, "self-check",
			    "the record's signature does not verify");
			goto done;
		}
	}
	rs = (cs_cose_raw_signer){d->prot, plen, empty_map, 1, sig};
	cs_buf_fixed(&env, d->record, sizeof d->record);
	if (cs_cose_encode_sign1_raw(&env, &rs, pay.p, pay.len) != CS_OK) {
		rc = cs_fail(e, CS_MALFORMED, "device-hal", "record does not fit its buffer");
		goto done;
	}
	d->record_len = env.len;
	rc = CS_OK;
done:
	cs_port_wipe(sk, sizeof sk);
	return rc;
}

int
cs_dev_provision(cs_dev *d, const uint8_t *order, size_t order_len,
    const uint8_t *const *chain, const size_t *chain_len, size_t nchain, const uint8_t **record,
    size_t *len, cs_err *e)
{
	uint8_t seed[CS_DEV_SEED_LEN], sample[2][CS_DEV_RNG_SAMPLE], od[CS_DIGEST_LEN];
	cs_dev_security sec = {0, 0};
	uint64_t serial = 0;
	size_t i, n, blob;
	int rc, state = STORE_BLANK;

	*record = NULL;
	*len = 0;
	d->record_len = 0;
	if (d->hal->security(d->hal->ctx, &sec) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "device-hal", "security state unavailable");
		goto done;
	}
	if (!sec.debug_locked) {
		rc = cs_fail(e, CS_REJECT, "device-debug-unlocked",
		    "debug access is open: no key is made on this device");
		goto done;
	}
	if (nchain > CS_DEV_CHAIN_MAX) {
		rc = cs_fail(e, CS_REJECT, "device-chain", "a chain of %zu policies, at most %d",
		    nchain, CS_DEV_CHAIN_MAX);
		goto done;
	}
	d->trust = *d->anchor;
	for (i = 0; i < nchain; i++)
		if ((rc = rotate(d, chain[i], chain_len[i], e)) != CS_OK) {
			cs_err_prefix(e, "policy chain entry %zu", i + 1);
			goto done;
		}
	if ((rc = check_order(d, order, order_len, e)) != CS_OK)
		goto done;
	if (d->hal->serial(d->hal->ctx, &serial) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "device-hal", "serial number unavailable");
		goto done;
	}
	if (serial < d->order.first || serial > d->order.last) {
		rc = cs_fail(e, CS_REJECT, "device-serial-range",
		    "serial %llu is outside the order's range %llu-%llu", (unsigned long long)serial,
		    (unsigned long long)d->order.first, (unsigned long long)d->order.last);
		goto done;
	}
	if ((rc = ports_ready(d, e)) != CS_OK)
		goto done;
	if ((rc = store_read(d, &state, od, e)) != CS_OK)
		goto done;
	if (state == STORE_KEYED) {
		/* keyed once, for good: the same order gets the same record back */
		if (cs_port_memcmp(od, d->order_digest, CS_DIGEST_LEN) != 0) {
			d->record_len = 0;
			rc = cs_fail(e, CS_REJECT, "device-provisioned",
			    "this device already has its key, for another order");
			goto done;
		}
		rc = CS_OK;
		goto done;
	}
	if (d->order.evidence & CS_EV_SE) {
		/* the element makes its key from its own random source and keeps
		 * it: the agent draws nothing and stores an all-zero seed */
		memset(seed, 0, sizeof seed);
	} else {
		if (d->hal->random(d->hal->ctx, sample[0], CS_DEV_RNG_SAMPLE) != 0 ||
		    d->hal->random(d->hal->ctx, sample[1], CS_DEV_RNG_SAMPLE) != 0 ||
		    d->hal->random(d->hal->ctx, seed, sizeof seed) != 0) {
			rc = cs_fail(e, CS_MALFORMED, "device-hal", "random source unavailable");
			goto done;
		}
		if (!rng_healthy(sample[0], sample[1]) || !rng_healthy(seed, sample[0]) ||
		    !rng_healthy(seed, sample[1])) {
			rc = cs_fail(e, CS_REJECT, "device-rng-health",
			    "the random source failed its health check: no key is made");
			goto done;
		}
	}
	if ((rc = make_record(d, serial, seed, e)) != CS_OK)
		goto done;
	blob = store_build(d, seed);
	if (d->hal->storage_write(d->hal->ctx, d->store, blob) != 0) {
		d->record_len = 0;
		rc = cs_fail(e, CS_MALFORMED, "device-storage", "secure storage cannot be written");
		goto done;
	}
	/* hand out a record only once its key is known to be stored */
	n = d->record_len;
	if ((rc = store_read(d, &state, od, e)) != CS_OK || state != STORE_KEYED ||
	    d->record_len != n || cs_port_memcmp(od, d->order_digest, CS_DIGEST_LEN) != 0) {
		d->record_len = 0;
		rc = cs_fail(e, CS_MALFORMED, "device-storage",
		    "secure storage does not read back what was written");
		goto done;
	}
done:
	cs_port_wipe(seed, sizeof seed);
	cs_port_wipe(sample, sizeof sample);
	cs_port_wipe(d->store, sizeof d->store);
	if (rc == CS_OK) {
		*record = d->record;
		*len = d->record_len;
	}
	return rc;
}

int
cs_dev_confirm(cs_dev *d, const uint8_t digest[CS_DIGEST_LEN], cs_err *e)
{
	uint8_t od[CS_DIGEST_LEN], rd[CS_DIGEST_LEN];
	int rc, state = STORE_BLANK;

	rc = store_read(d, &state, od, e);
	cs_port_wipe(d->store, sizeof d->store);
	if (rc != CS_OK)
		return rc;
	if (state != STORE_KEYED)
		return cs_fail(e, CS_REJECT, "device-record-mismatch", "this device has no key yet");
	if ((rc = cs_cose_decode(&d->cose, d->record, d->record_len, e)) != CS_OK)
		return rc;
	cs_digest(rd, CS_KIND_RECORD, d->cose.payload, d->cose.payload_len);
	if (cs_port_memcmp(rd, digest, CS_DIGEST_LEN) != 0)
		return cs_fail(e, CS_REJECT, "device-record-mismatch",
		    "the station confirmed another record than this device's");
	return CS_OK;
}

int
cs_dev_identify(cs_dev *d, cs_wire_msg *m, cs_err *e)
{
	uint8_t od[CS_DIGEST_LEN];
	int rc, state = STORE_BLANK;

	m->type = CS_WIRE_IDENTIFY;
	m->proto = CS_WIRE_PROTO;
	if (d->hal->serial(d->hal->ctx, &m->serial) != 0 ||
	    d->hal->hwid(d->hal->ctx, m->hwid, &m->hwid_len) != 0 || m->hwid_len == 0 ||
	    m->hwid_len > CS_HWID_MAX || d->hal->firmware == NULL ||
	    !cs_text_valid(d->hal->firmware, CS_FW_MAX))
		return cs_fail(e, CS_MALFORMED, "device-hal", "identity unavailable");
	memcpy(m->firmware, d->hal->firmware, strlen(d->hal->firmware) + 1);
	rc = store_read(d, &state, od, e);
	cs_port_wipe(d->store, sizeof d->store);
	if (rc != CS_OK)
		return rc;
	m->provisioned = state == STORE_KEYED;
	memcpy(m->deployment, d->anchor->deployment, CS_DEPLOY_LEN);
	m->anchor_version = d->anchor->version;
	memcpy(m->anchor_policy, d->anchor->policy, CS_DIGEST_LEN);
	return CS_OK;
}

/* An error reply with the reason of e (the human text is not needed to act). */
static void
error_reply(cs_wire_msg *out, const cs_err *e)
{
	size_t n;

	out->type = CS_WIRE_ERROR;
	memcpy(out->reason, e->reason, sizeof out->reason);
	out->reason[sizeof out->reason - 1] = '\0';
	if (!cs_id_valid(out->reason))
		memcpy(out->reason, "device-hal", sizeof "device-hal");
	n = strnlen(e->msg, CS_WIRE_TEXT_MAX);
	memcpy(out->text, e->msg, n);
	out->text[n] = '\0';
	for (; n > 0; n--)
		if ((unsigned char)out->text[n - 1] < 0x20 || (unsigned char)out->text[n - 1] > 0x7e)
			out->text[n - 1] = '?';
}

int
cs_dev_handle(cs_dev *d, const uint8_t *msg, size_t n, const uint8_t **reply, size_t *len)
{
	cs_wire_msg in, out;
	const uint8_t *rec;
	size_t rlen;
	cs_buf b;
	int rc;

	*reply = NULL;
	*len = 0;
	d->event = CS_DEV_NONE;
	cs_err_clear(&d->last_err);
	memset(&out, 0, sizeof out);
	if (cs_wire_msg_decode(&in, msg, n, &d->last_err) != CS_OK) {
		d->event = CS_DEV_REFUSED;
		error_reply(&out, &d->last_err);
		goto reply;
	}
	memcpy(out.session, in.session, CS_WIRE_SESSION_LEN);
	switch (in.type) {
	case CS_WIRE_HELLO:
		if (in.proto != CS_WIRE_PROTO) {
			cs_fail(&d->last_err, CS_REJECT, "wire-protocol",
			    "protocol version %llu is not supported (want %d)",
			    (unsigned long long)in.proto, CS_WIRE_PROTO);
			d->event = CS_DEV_REFUSED;
			error_reply(&out, &d->last_err);
			break;
		}
		if (cs_dev_identify(d, &out, &d->last_err) != CS_OK) {
			d->event = CS_DEV_REFUSED;
			memset(&out, 0, sizeof out);
			memcpy(out.session, in.session, CS_WIRE_SESSION_LEN);
			error_reply(&out, &d->last_err);
			break;
		}
		d->event = CS_DEV_IDENTIFIED;
		break;
	case CS_WIRE_PROVISION:
		rc = cs_dev_provision(d, in.order, in.order_len, in.chain, in.chain_len, in.nchain,
		    &rec, &rlen, &d->last_err);
		if (rc != CS_OK) {
			d->event = CS_DEV_REFUSED;
			error_reply(&out, &d->last_err);
			break;
		}
		out.type = CS_WIRE_RECORD;
		out.record = rec;
		out.record_len = rlen;
		d->event = CS_DEV_PROVISIONED;
		break;
	case CS_WIRE_DONE:
		if (cs_dev_confirm(d, in.digest, &d->last_err) != CS_OK) {
			d->event = CS_DEV_REFUSED;
			error_reply(&out, &d->last_err);
			break;
		}
		out.type = CS_WIRE_FINISHED;
		d->event = CS_DEV_FINISHED;
		break;
	case CS_WIRE_ERROR:
		/* the station refused this device: nothing to answer */
		cs_fail(&d->last_err, CS_REJECT, in.reason, "%s", in.text);
		d->event = CS_DEV_STATION_ERROR;
		return CS_OK;
	default:
		cs_fail(&d->last_err, CS_MALFORMED, "wire-protocol", "a device does not take message "
								     "type %d",
		    (int)in.type);
		d->event = CS_DEV_REFUSED;
		error_reply(&out, &d->last_err);
		break;
	}
reply:
	cs_buf_fixed(&b, d->reply, sizeof d->reply);
	if (cs_wire_msg_encode(&b, &out) != CS_OK)
		return CS_MALFORMED;
	*reply = b.p;
	*len = b.len;
	return CS_OK;
}
