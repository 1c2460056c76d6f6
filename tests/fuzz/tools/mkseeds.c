/* Writes seed corpora for the fuzz harnesses into DIR/HARNESS/: one valid
 * example of every payload (with and without its optional parts), their
 * envelopes, key files, wire messages, journals, device sessions (from the
 * golden order in GOLDEN_DIR) and a few plain CBOR items. Run by tests/fuzz/run;
 * nothing it writes is kept in git. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "format/keyfile.h"
#include "device/wire.h"
#include "station/journal.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/buf.h"
#include "util/file.h"

static const char *outdir;
static int failed;
static uint8_t last_order[8192], last_record[8192], last_policy[8192];
static size_t last_order_len, last_record_len, last_policy_len;

static void
put(const char *harness, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", outdir, harness);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		failed = 1;
	snprintf(path, sizeof path, "%s/%s/%s", outdir, harness, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "mkseeds: cannot write %s\n", path);
		failed = 1;
	}
}

/* A payload seeds its own harness and the CBOR reader; its envelope (Sign1
 * signed by sk, or a Sign draft signed by the signers) seeds COSE and, as an
 * envelope, its own harness too. */
static void
emit(const char *harness, const char *name, const char *kind, cs_buf *payload, int multi,
    uint8_t (*sks)[CS_SK_LEN], size_t nsk)
{
	char fn[128];
	cs_buf env, next;
	cs_cose c;
	cs_err e;
	size_t i;
	int added;

	if (payload->overflow) {
		fprintf(stderr, "mkseeds: %s %s did not encode\n", harness, name);
		failed = 1;
		return;
	}
	snprintf(fn, sizeof fn, "%s.payload", name);
	put(harness, fn, payload->p, payload->len);
	snprintf(fn, sizeof fn, "%s-%s.payload", harness, name);
	put("cbor", fn, payload->p, payload->len);
	cs_buf_init(&env, 1 << 20);
	cs_err_clear(&e);
	if (!multi) {
		if (cs_cose_sign1_create(&env, kind, payload->p, payload->len, sks[0], &e) != CS_OK)
			failed = 1;
	} else {
		if (cs_cose_sign_draft(&env, kind, payload->p, payload->len) != CS_OK)
			failed = 1;
		for (i = 0; i < nsk && !failed; i++) {
			cs_buf_init(&next, 1 << 20);
			if (cs_cose_decode(&c, env.p, env.len, &e) != CS_OK ||
			    cs_cose_sign_add(&next, &c, sks[i], &added, &e) != CS_OK)
				failed = 1;
			cs_buf_free(&env);
			env = next;
		}
	}
	if (failed) {
		fprintf(stderr, "mkseeds: %s %s: %s (%s)\n", harness, name, e.msg, e.reason);
		cs_buf_free(&env);
		return;
	}
	snprintf(fn, sizeof fn, "%s.cose", name);
	put(harness, fn, env.p, env.len);
	if (env.len <= sizeof last_order) {
		if (strcmp(kind, CS_KIND_ORDER) == 0)
			memcpy(last_order, env.p, last_order_len = env.len);
		else if (strcmp(kind, CS_KIND_RECORD) == 0)
			memcpy(last_record, env.p, last_record_len = env.len);
		else if (strcmp(kind, CS_KIND_POLICY) == 0)
			memcpy(last_policy, env.p, last_policy_len = env.len);
	}
	snprintf(fn, sizeof fn, "%s-%s.cose", harness, name);
	put("cose", fn, env.p, env.len);
	put("cbor", fn, env.p, env.len);
	cs_buf_free(&env);
}

/* Every wire message type, framed; the bare payloads too; and one stream of
 * all frames with noise between them. */
static void
wire_seeds(void)
{
	static uint8_t frame[CS_WIRE_FRAME_MAX], scratch[CS_WIRE_PAYLOAD_MAX], stream[65536];
	static cs_wire_msg m[7];
	size_t i, n, sl = 0;
	char fn[32];
	cs_buf b;

	memset(m, 0, sizeof m);
	for (i = 0; i < 7; i++) {
		m[i].type = (enum cs_wire_type)(i + 1);
		memset(m[i].session, (int)i + 0x10, CS_WIRE_SESSION_LEN);
	}
	m[0].proto = CS_WIRE_PROTO;
	m[1].proto = CS_WIRE_PROTO;
	m[1].serial = 1000;
	m[1].hwid_len = 12;
	memset(m[1].hwid, 0x44, 12);
	strcpy(m[1].firmware, "1.2.3");
	memset(m[1].deployment, 0xd5, CS_DEPLOY_LEN);
	m[1].anchor_version = 1;
	memset(m[1].anchor_policy, 0x22, CS_DIGEST_LEN);
	m[2].order = last_order;
	m[2].order_len = last_order_len;
	m[2].nchain = 1;
	m[2].chain[0] = last_policy;
	m[2].chain_len[0] = last_policy_len;
	m[3].record = last_record;
	m[3].record_len = last_record_len;
	memset(m[4].digest, 0x66, CS_DIGEST_LEN);
	strcpy(m[6].reason, "device-debug-unlocked");
	strcpy(m[6].text, "debug access is open");
	for (i = 0; i < 7; i++) {
		cs_buf_fixed(&b, scratch, sizeof scratch);
		if (cs_wire_msg_encode(&b, &m[i]) != CS_OK) {
			fprintf(stderr, "mkseeds: wire message %zu did not encode\n", i + 1);
			failed = 1;
			continue;
		}
		snprintf(fn, sizeof fn, "msg-%zu", i + 1);
		put("wire", fn, b.p, b.len);
		n = cs_wire_msg_frame(frame, sizeof frame, &m[i], scratch, sizeof scratch);
		snprintf(fn, sizeof fn, "frame-%zu", i + 1);
		put("wire", fn, frame, n);
		if (sl + n + 3 <= sizeof stream) {
			memcpy(stream + sl, "\xc5\x00\x17", 3); /* noise: a false start */
			memcpy(stream + sl + 3, frame, n);
			sl += n + 3;
		}
	}
	put("wire", "stream", stream, sl);
}

/* A journal: header, two records, a confirmation; and the same with a torn
 * last entry. */
static void
journal_seeds(void)
{
	static uint8_t j[65536];
	uint8_t conf[4] = {0, 0, 0, 0};
	size_t n = 0, m;

	memcpy(j, CS_JOURNAL_MAGIC, CS_JOURNAL_MAGIC_LEN);
	memset(j + CS_JOURNAL_MAGIC_LEN, 0x55, CS_DIGEST_LEN);
	n = CS_JOURNAL_HEAD_LEN - 4;
	m = cs_crc32(0, j, n);
	j[n++] = (uint8_t)(m >> 24);
	j[n++] = (uint8_t)(m >> 16);
	j[n++] = (uint8_t)(m >> 8);
	j[n++] = (uint8_t)m;
	put("journal", "empty", j, n);
	n += cs_journal_entry(j + n, sizeof j - n, CS_JOURNAL_RECORD, last_record, last_record_len);
	n += cs_journal_entry(j + n, sizeof j - n, CS_JOURNAL_RECORD, last_order, last_order_len);
	n += cs_journal_entry(j + n, sizeof j - n, CS_JOURNAL_CONFIRM, conf, sizeof conf);
	put("journal", "three", j, n);
	m = cs_journal_entry(j + n, sizeof j - n, CS_JOURNAL_RECORD, last_record, last_record_len);
	put("journal", "torn", j, n + m / 2);
}

/* The device agent driven by a station: hello, provision with the golden
 * order, done; each message a 2-byte length and its payload. */
static void
device_seeds(const char *golden)
{
	static uint8_t seq[65536], buf[CS_WIRE_PAYLOAD_MAX];
	static cs_wire_msg m;
	char path[4096];
	uint8_t *order = NULL;
	size_t on = 0, n = 0;
	cs_buf b;
	cs_err e;
	int i;

	snprintf(path, sizeof path, "%s/order.cbor", golden);
	cs_err_clear(&e);
	if (cs_read_file(path, 1 << 20, &order, &on, &e) != CS_OK) {
		fprintf(stderr, "mkseeds: %s: %s\n", path, e.msg);
		failed = 1;
		return;
	}
	for (i = 0; i < 3; i++) {
		memset(&m, 0, sizeof m);
		memset(m.session, 0x77, CS_WIRE_SESSION_LEN);
		m.type = i == 0 ? CS_WIRE_HELLO : i == 1 ? CS_WIRE_PROVISION : CS_WIRE_DONE;
		m.proto = i == 0 ? CS_WIRE_PROTO : 0;
		m.order = order;
		m.order_len = on;
		cs_buf_fixed(&b, buf, sizeof buf);
		if (cs_wire_msg_encode(&b, &m) != CS_OK || n + 2 + b.len > sizeof seq) {
			failed = 1;
			break;
		}
		seq[n++] = (uint8_t)(b.len >> 8);
		seq[n++] = (uint8_t)b.len;
		memcpy(seq + n, b.p, b.len);
		n += b.len;
		if (i == 1)
			put("device", "hello-provision", seq, n);
	}
	put("device", "hello-provision-done", seq, n);
	cs_file_free(order, on);
}

int
main(int argc, char **argv)
{
	static uint8_t sk[4][CS_SK_LEN];
	uint8_t pk[4][CS_PK_LEN], seed[32], dep[CS_DEPLOY_LEN];
	cs_policy pol;
	cs_order ord;
	cs_record rec;
	cs_header hdr;
	cs_release rel;
	cs_receipt rcp;
	cs_exclusion x[3];
	cs_seckey k;
	cs_buf b;
	cs_err e;
	size_t i;
	static const uint8_t att[] = {0x30, 0x82, 0x01, 0x0a, 0x02, 0x01};
	static const struct {
		size_t n;
		const char *p;
	} misc[] = {
		{1, "\x00"}, {1, "\x17"}, {2, "\x18\x18"}, {3, "\x19\x01\x00"}, {1, "\x20"},
		{9, "\x3b\x7f\xff\xff\xff\xff\xff\xff\xff"}, {1, "\x40"}, {3, "\x62\x61\x62"},
		{1, "\x80"}, {1, "\xa0"}, {6, "\xc1\x1a\x5f\x00\x00\x00"}, {1, "\xf4"},
		{1, "\xf5"}, {1, "\xf6"}, {8, "\x82\x01\xa2\x01\x02\x61\x61\x80"},
	};

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: mkseeds DIR [GOLDEN_DIR]\n");
		return 2;
	}
	outdir = argv[1];
	if (sodium_init() < 0)
		return 3;
	for (i = 0; i < 4; i++) {
		memset(seed, (int)i + 1, sizeof seed);
		crypto_sign_seed_keypair(pk[i], sk[i], seed);
	}
	memset(dep, 0xd5, sizeof dep);

	memset(&pol, 0, sizeof pol);
	memcpy(pol.deployment, dep, sizeof dep);
	pol.version = 1;
	pol.threshold = 2;
	pol.ncust = 3;
	for (i = 0; i < 3; i++) {
		snprintf(pol.cust[i].id, sizeof pol.cust[i].id, "cust-%zu", i);
		snprintf(pol.cust[i].name, sizeof pol.cust[i].name, "Custodian %zu", i);
		memcpy(pol.cust[i].pk, pk[i], CS_PK_LEN);
	}
	memcpy(pol.office_pk, pk[3], CS_PK_LEN);
	cs_buf_init(&b, 1 << 16);
	(void)cs_policy_encode(&b, &pol);
	emit("policy", "v1", CS_KIND_POLICY, &b, 1, sk, 2);
	pol.version = 2;
	pol.has_prev = 1;
	memset(pol.prev, 0x11, sizeof pol.prev);
	b.len = 0;
	(void)cs_policy_encode(&b, &pol);
	emit("policy", "v2", CS_KIND_POLICY, &b, 1, sk, 3);

	memset(&ord, 0, sizeof ord);
	memcpy(ord.deployment, dep, sizeof dep);
	memset(ord.policy, 0x22, sizeof ord.policy);
	strcpy(ord.batch, "B42");
	strcpy(ord.product, "Sensor v2");
	ord.first = 1000;
	ord.last = 1999;
	ord.quantity = 10;
	memset(ord.nonce, 0x33, sizeof ord.nonce);
	ord.nstation = 2;
	memcpy(ord.station[0], pk[3], CS_PK_LEN);
	memcpy(ord.station[1], pk[2], CS_PK_LEN);
	b.len = 0;
	(void)cs_order_encode(&b, &ord);
	emit("order", "b42", CS_KIND_ORDER, &b, 1, sk, 2);

	memset(&rec, 0, sizeof rec);
	memcpy(rec.deployment, dep, sizeof dep);
	rec.serial = 1000;
	memcpy(rec.pk, pk[0], CS_PK_LEN);
	rec.pk_len = CS_ED25519_KEY_LEN;
	rec.hwid_len = 12;
	memset(rec.hwid, 0x44, rec.hwid_len);
	strcpy(rec.firmware, "1.2.3");
	strcpy(rec.batch, "B42");
	memset(rec.nonce, 0x33, sizeof rec.nonce);
	b.len = 0;
	(void)cs_record_encode(&b, &rec);
	emit("record", "plain", CS_KIND_RECORD, &b, 0, sk, 1);
	rec.ev.kinds = CS_EV_SE;
	rec.ev.nse = 1;
	rec.ev.se[0] = att;
	rec.ev.se_len[0] = sizeof att;
	b.len = 0;
	(void)cs_record_encode(&b, &rec);
	emit("record", "attested", CS_KIND_RECORD, &b, 0, sk, 1);

	memset(&hdr, 0, sizeof hdr);
	memcpy(hdr.deployment, dep, sizeof dep);
	memset(hdr.order, 0x55, sizeof hdr.order);
	strcpy(hdr.batch, "B42");
	hdr.count = 10;
	memset(hdr.records, 0x66, sizeof hdr.records);
	hdr.created = 1764000000;
	memcpy(hdr.station_pk, pk[3], CS_PK_LEN);
	b.len = 0;
	(void)cs_header_encode(&b, &hdr);
	emit("header", "b42", CS_KIND_HEADER, &b, 0, &sk[3], 1);

	memset(x, 0, sizeof x);
	x[0].index = 2;
	x[0].has_serial = 1;
	x[0].serial = 1002;
	strcpy(x[0].reason, "record-signature");
	x[1].index = 7;
	strcpy(x[1].reason, "record-malformed");
	memset(&rel, 0, sizeof rel);
	memcpy(rel.deployment, dep, sizeof dep);
	rel.seq = 1;
	memset(rel.policy, 0x22, sizeof rel.policy);
	memset(rel.order, 0x55, sizeof rel.order);
	strcpy(rel.batch, "B42");
	memset(rel.header, 0x77, sizeof rel.header);
	memset(rel.records, 0x66, sizeof rel.records);
	rel.count = 10;
	rel.accepted = 10;
	b.len = 0;
	(void)cs_release_encode(&b, &rel, x, 0);
	emit("release", "first", CS_KIND_RELEASE, &b, 1, sk, 2);
	rel.seq = 2;
	rel.has_prev = 1;
	memset(rel.prev, 0x88, sizeof rel.prev);
	rel.accepted = 8;
	b.len = 0;
	(void)cs_release_encode(&b, &rel, x, 2);
	emit("release", "excluded", CS_KIND_RELEASE, &b, 1, sk, 2);
	x[2] = x[1];
	x[1].index = 5;
	x[1].has_serial = 1;
	x[1].serial = 1005;
	strcpy(x[1].reason, "record-released-key");
	x[1].released_in = 1;
	rel.accepted = 7;
	b.len = 0;
	(void)cs_release_encode(&b, &rel, x, 3);
	emit("release", "released-before", CS_KIND_RELEASE, &b, 1, sk, 2);
	x[1] = x[2];
	{
		cs_withdrawal w;

		memset(&w, 0, sizeof w);
		memcpy(w.deployment, dep, sizeof dep);
		memset(w.policy, 0x22, sizeof w.policy);
		w.seq = 2;
		memset(w.release, 0x99, sizeof w.release);
		b.len = 0;
		(void)cs_withdrawal_encode(&b, &w);
		emit("withdrawal", "seq2", CS_KIND_WITHDRAWAL, &b, 1, sk, 2);
	}

	memset(&rcp, 0, sizeof rcp);
	memcpy(rcp.deployment, dep, sizeof dep);
	memset(rcp.header, 0x77, sizeof rcp.header);
	strcpy(rcp.batch, "B42");
	memset(rcp.order, 0x55, sizeof rcp.order);
	rcp.count = 10;
	rcp.accepted = 8;
	b.len = 0;
	(void)cs_receipt_encode(&b, &rcp, x, 2);
	emit("receipt", "partial", CS_KIND_RECEIPT, &b, 0, &sk[3], 1);
	rcp.accepted = 0;
	rcp.nproblem = 2;
	strcpy(rcp.problem[0], "station-signature");
	strcpy(rcp.problem[1], "records-digest");
	b.len = 0;
	(void)cs_receipt_encode(&b, &rcp, x, 0);
	emit("receipt", "refused", CS_KIND_RECEIPT, &b, 0, &sk[3], 1);

	for (i = 0; i < sizeof misc / sizeof misc[0]; i++) {
		char fn[32];

		snprintf(fn, sizeof fn, "misc-%zu", i);
		put("cbor", fn, (const uint8_t *)misc[i].p, misc[i].n);
	}

	wire_seeds();
	journal_seeds();
	if (argc == 3)
		device_seeds(argv[2]);

	cs_err_clear(&e);
	if (cs_seckey_generate(&k, "alice", "Alice Example", &e) != CS_OK) {
		fprintf(stderr, "mkseeds: keygen: %s\n", e.msg);
		return 3;
	}
	b.len = 0;
	if (cs_pubkey_format(&b, &k.pub) != CS_OK)
		failed = 1;
	put("pubkey", "alice.pub", b.p, b.len);
	b.len = 0;
	if (cs_seckey_format(&b, &k, "seed passphrase", 15, CS_KDF_INTERACTIVE, &e) != CS_OK)
		failed = 1;
	put("seckey", "alice.key", b.p, b.len);
	cs_seckey_free(&k);
	cs_buf_free(&b);
	sodium_memzero(sk, sizeof sk);
	return failed ? 3 : 0;
}
