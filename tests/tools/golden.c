/* Writes the core golden files of manifests/golden/ from fixed seeds, so any
 * implementation can test against them and ours must reproduce them byte for
 * byte (tests/cli/golden.sh):
 *   golden write DIR          keys, policy v1 and v2, order, record, batch header,
 *                             a secure element's record (P-256, ES256: its
 *                             signature is randomized, so only the bytes
 *                             before it are reproduced)
 *   golden unlock FILE PASS   prints the public key of a secret key file, hex
 * Keys: seed = SHA-256("consign golden key " NAME). Secret key files carry a
 * random salt and nonce, so only their decryption is checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define TOOL_NAME "golden"
#include "tool.h"
#include "attest/p256.h"
#include "format/keyfile.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/file.h"
#include "verify/trust.h"

struct gk {
	const char *id, *name;
	uint8_t pk[32], sk[64];
};

static struct gk keys[] = {
	{.id = "alice", .name = "Alice Custodian"}, {.id = "bob", .name = "Bob Custodian"},
	{.id = "carol", .name = "Carol Custodian"}, {.id = "dave", .name = "Dave Custodian"},
	{.id = "office", .name = "Head Office"}, {.id = "station", .name = "Line 1 Station"},
	{.id = "device", .name = "device"},
};
enum { ALICE, BOB, CAROL, DAVE, OFFICE, STATION, DEVICE };

static const char *dir;

static void
fixed(uint8_t *out, size_t n, const char *label)
{
	uint8_t h[32];

	crypto_hash_sha256(h, (const uint8_t *)label, strlen(label));
	memcpy(out, h, n);
}

static void
must(int rc, const char *what)
{
	if (rc != CS_OK) {
		fprintf(stderr, "golden: %s failed\n", what);
		exit(2);
	}
}

/* A COSE_Sign of kind over payload with signatures by the keys listed (-1 ends). */
static void
multi(cs_buf *out, const char *kind, const cs_buf *pl, const int *who)
{
	cs_buf cur;
	cs_cose c;
	cs_err e;
	int added;

	cs_buf_init(&cur, 1 << 20);
	must(cs_cose_sign_draft(&cur, kind, pl->p, pl->len), "draft");
	for (; *who >= 0; who++) {
		cs_err_clear(&e);
		must(cs_cose_decode(&c, cur.p, cur.len, &e), "decode");
		out->len = 0;
		must(cs_cose_sign_add(out, &c, keys[*who].sk, &added, &e), "sign");
		cur.len = 0;
		cs_buf_add(&cur, out->p, out->len);
	}
	out->len = 0;
	cs_buf_add(out, cur.p, cur.len);
	cs_buf_free(&cur);
}

static void
policy(cs_policy *p, uint64_t version, const uint8_t *prev, const int *cust)
{
	size_t i;

	memset(p, 0, sizeof *p);
	fixed(p->deployment, CS_DEPLOY_LEN, "consign golden deployment");
	p->version = version;
	if (prev != NULL) {
		p->has_prev = 1;
		memcpy(p->prev, prev, 32);
	}
	p->threshold = 2;
	for (i = 0; cust[i] >= 0; i++) {
		strcpy(p->cust[i].id, keys[cust[i]].id);
		strcpy(p->cust[i].name, keys[cust[i]].name);
		memcpy(p->cust[i].pk, keys[cust[i]].pk, 32);
	}
	p->ncust = i;
	memcpy(p->office_pk, keys[OFFICE].pk, 32);
}

static int
write_all(void)
{
	static const int c1[] = {ALICE, BOB, CAROL, -1}, c2[] = {ALICE, CAROL, DAVE, -1};
	static const int s1[] = {ALICE, BOB, -1}, s2[] = {ALICE, BOB, CAROL, -1};
	uint8_t d1[32], recd[32];
	cs_buf pl, out;
	cs_policy p;
	cs_order o;
	cs_record r;
	cs_header h;
	cs_pubkey pk;
	cs_seckey sk;
	cs_err e;
	char name[64];
	size_t i;

	cs_buf_init(&pl, 1 << 20);
	cs_buf_init(&out, 1 << 20);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char label[64];
		uint8_t seed[32];

		snprintf(label, sizeof label, "consign golden key %s", keys[i].id);
		fixed(seed, 32, label);
		crypto_sign_seed_keypair(keys[i].pk, keys[i].sk, seed);
		if (i == DEVICE)
			continue;
		memset(&pk, 0, sizeof pk);
		strcpy(pk.id, keys[i].id);
		strcpy(pk.name, keys[i].name);
		memcpy(pk.pk, keys[i].pk, 32);
		cs_keyid(pk.kid, pk.pk);
		out.len = 0;
		must(cs_pubkey_format(&out, &pk), "pubkey");
		snprintf(name, sizeof name, "%s.pub", keys[i].id);
		tool_put(dir, name, out.p, out.len);
	}
	/* alice.key, passphrase "golden", interactive KDF */
	memset(&sk, 0, sizeof sk);
	sk.pub = pk;
	strcpy(sk.pub.id, "alice");
	strcpy(sk.pub.name, keys[ALICE].name);
	memcpy(sk.pub.pk, keys[ALICE].pk, 32);
	sk.sk = keys[ALICE].sk;
	out.len = 0;
	cs_err_clear(&e);
	must(cs_seckey_format(&out, &sk, "golden", 6, CS_KDF_INTERACTIVE, &e), "seckey");
	tool_put(dir, "alice.key", out.p, out.len);

	policy(&p, 1, NULL, c1);
	pl.len = 0;
	must(cs_policy_encode(&pl, &p), "policy");
	cs_digest(d1, CS_KIND_POLICY, pl.p, pl.len);
	tool_put(dir, "policy.payload", pl.p, pl.len);
	multi(&out, CS_KIND_POLICY, &pl, s1);
	tool_put(dir, "policy.cbor", out.p, out.len);

	policy(&p, 2, d1, c2);
	pl.len = 0;
	must(cs_policy_encode(&pl, &p), "policy v2");
	multi(&out, CS_KIND_POLICY, &pl, s2);
	tool_put(dir, "policy-v2.cbor", out.p, out.len);

	memset(&o, 0, sizeof o);
	fixed(o.deployment, CS_DEPLOY_LEN, "consign golden deployment");
	memcpy(o.policy, d1, 32);
	strcpy(o.batch, "B42");
	strcpy(o.product, "Sensor v2");
	o.first = 1000;
	o.last = 1999;
	o.quantity = 1000;
	fixed(o.nonce, CS_NONCE_LEN, "consign golden nonce");
	o.nstation = 1;
	memcpy(o.station[0], keys[STATION].pk, 32);
	pl.len = 0;
	must(cs_order_encode(&pl, &o), "order");
	tool_put(dir, "order.payload", pl.p, pl.len);
	cs_digest(h.order, CS_KIND_ORDER, pl.p, pl.len);
	multi(&out, CS_KIND_ORDER, &pl, s1);
	tool_put(dir, "order.cbor", out.p, out.len);

	memset(&r, 0, sizeof r);
	memcpy(r.deployment, o.deployment, CS_DEPLOY_LEN);
	r.serial = 1000;
	memcpy(r.pk, keys[DEVICE].pk, 32);
	r.pk_len = 32;
	r.hwid_len = 12;
	fixed(r.hwid, 12, "consign golden hardware id");
	strcpy(r.firmware, "1.4.2");
	strcpy(r.batch, "B42");
	memcpy(r.nonce, o.nonce, CS_NONCE_LEN);
	pl.len = 0;
	must(cs_record_encode(&pl, &r), "record");
	tool_put(dir, "record.payload", pl.p, pl.len);
	out.len = 0;
	cs_err_clear(&e);
	must(cs_cose_sign1_create(&out, CS_KIND_RECORD, pl.p, pl.len, keys[DEVICE].sk, &e), "rec");
	tool_put(dir, "record.cbor", out.p, out.len);
	crypto_hash_sha256(recd, out.p, out.len);

	{
		/* a secure element's record: P-256 scalar SHA-256("consign golden
		 * key device-p256"), serial 1001 */
		cs_p256_secret *se;
		uint8_t d[32];

		fixed(d, 32, "consign golden key device-p256");
		cs_err_clear(&e);
		must(cs_p256_secret_from_scalar(&se, d, &e), "p256 scalar");
		sodium_memzero(d, sizeof d);
		r.serial = 1001;
		memcpy(r.pk, cs_p256_secret_point(se), CS_P256_KEY_LEN);
		r.pk_len = CS_P256_KEY_LEN;
		fixed(r.hwid, 12, "consign golden hardware id es256");
		pl.len = 0;
		must(cs_record_encode(&pl, &r), "record es256");
		tool_put(dir, "record-es256.payload", pl.p, pl.len);
		out.len = 0;
		must(cs_cose_sign1_es256(&out, pl.p, pl.len, se, &e), "rec es256");
		tool_put(dir, "record-es256.cbor", out.p, out.len);
		cs_p256_secret_free(se);
	}

	memcpy(h.deployment, o.deployment, CS_DEPLOY_LEN);
	strcpy(h.batch, "B42");
	h.count = 1;
	memcpy(h.records, recd, 32);
	h.created = 1764028800; /* 2025-11-25T00:00:00Z, information only */
	memcpy(h.station_pk, keys[STATION].pk, 32);
	pl.len = 0;
	must(cs_header_encode(&pl, &h), "header");
	tool_put(dir, "header.payload", pl.p, pl.len);
	out.len = 0;
	must(cs_cose_sign1_create(&out, CS_KIND_HEADER, pl.p, pl.len, keys[STATION].sk, &e), "hdr");
	tool_put(dir, "header.cbor", out.p, out.len);
	cs_buf_free(&pl);
	cs_buf_free(&out);
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t *buf;
	size_t n;
	cs_seckey k;
	cs_err e;
	char hex[65];

	if (cs_crypto_init() != 0)
		return 2;
	if (argc == 3 && strcmp(argv[1], "write") == 0) {
		dir = argv[2];
		return write_all();
	}
	if (argc == 4 && strcmp(argv[1], "unlock") == 0) {
		cs_err_clear(&e);
		if (cs_read_file(argv[2], CS_KEYFILE_MAX, &buf, &n, &e) != CS_OK)
			return 2;
		if (cs_seckey_unlock(&k, buf, n, argv[3], strlen(argv[3]), &e) != CS_OK) {
			fprintf(stderr, "golden: %s: %s\n", argv[2], e.msg);
			cs_file_free(buf, n);
			return 1;
		}
		cs_hex(hex, k.pub.pk, 32);
		printf("%s\n", hex);
		cs_seckey_free(&k);
		cs_file_free(buf, n);
		return 0;
	}
	fprintf(stderr, "usage: golden write DIR | golden unlock FILE PASSPHRASE\n");
	return 2;
}
