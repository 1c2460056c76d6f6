/* Writes the office golden files (manifests/golden/office/) from fixed seeds,
 * on top of the core golden policy and order (manifests/golden/):
 *   office_golden GOLDEN_DIR OUT_DIR
 * batch.zip (3 records, record 1 signed by another key), release.payload and
 * release.zip (release 1 excluding record 1 for record-signature, signed by
 * alice and bob), receipt.payload and receipt.cbor (signed by the office
 * key), and, outside the compared set, station.key and office.key
 * (passphrase "golden"; their salt is random) for the CLI to reproduce the
 * release and the receipt. Keys: seed = SHA-256("consign golden key " NAME),
 * as in tests/tools/golden.c; devices: SHA-256("consign office golden device N"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define TOOL_NAME "office_golden"
#include "tool.h"
#include "bundle/bundle.h"
#include "format/keyfile.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/file.h"
#include "verify/trust.h"

#define CREATED 1700000000
#define NREC 3

static const char *out;

static void
seed_key(uint8_t pk[32], uint8_t sk[64], const char *label)
{
	uint8_t seed[32];

	crypto_hash_sha256(seed, (const uint8_t *)label, strlen(label));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static uint8_t *
slurp(const char *dir, const char *name, size_t *n)
{
	char path[4096];
	uint8_t *p;
	cs_err e;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	cs_err_clear(&e);
	if (cs_read_file(path, 1 << 20, &p, n, &e) != CS_OK)
		die(path);
	return p;
}

/* A secret key file for the CLI (not compared: its salt is random). */
static void
keyfile(const char *id, const char *name, const uint8_t sk[64])
{
	cs_seckey k;
	cs_buf b;
	cs_err e;
	char fn[64];

	memset(&k, 0, sizeof k);
	snprintf(k.pub.id, sizeof k.pub.id, "%s", id);
	snprintf(k.pub.name, sizeof k.pub.name, "%s", name);
	memcpy(k.pub.pk, sk + 32, 32);
	cs_keyid(k.pub.kid, k.pub.pk);
	if ((k.sk = sodium_malloc(64)) == NULL)
		die("sodium_malloc");
	memcpy(k.sk, sk, 64);
	cs_buf_init(&b, 1 << 16);
	cs_err_clear(&e);
	if (cs_seckey_format(&b, &k, "golden", 6, CS_KDF_INTERACTIVE, &e) != CS_OK)
		die("key file");
	snprintf(fn, sizeof fn, "%s.key", id);
	tool_put(out, fn, b.p, b.len);
	cs_buf_free(&b);
	cs_seckey_free(&k);
}

int
main(int argc, char **argv)
{
	uint8_t alice_pk[32], alice_sk[64], bob_pk[32], bob_sk[64], st_pk[32], st_sk[64],
	    of_pk[32], of_sk[64], dpk[32], dsk[64], opk[32], osk[64];
	uint8_t *ob, *pb, hd[32];
	size_t on, pn, i, rstart;
	cs_signed os, ps;
	cs_order ord;
	cs_policy pol;
	cs_buf recs, pay, env, hb, henv, rp, draft, s1, s2, rcp, rcpenv;
	cs_header h;
	cs_release rel;
	cs_receipt rc;
	cs_exclusion x;
	cs_cose c;
	cs_bundle_entry be[4];
	cs_err e;
	char label[64];
	int added;

	if (sodium_init() < 0 || argc != 3)
		die("usage: office_golden GOLDEN_DIR OUT_DIR");
	out = argv[2];
	cs_err_clear(&e);
	ob = slurp(argv[1], "order.cbor", &on);
	pb = slurp(argv[1], "policy.cbor", &pn);
	if (cs_order_load(&os, &ord, ob, on, &e) != CS_OK ||
	    cs_policy_load(&ps, &pol, pb, pn, &e) != CS_OK)
		die("golden order or policy");
	seed_key(alice_pk, alice_sk, "consign golden key alice");
	seed_key(bob_pk, bob_sk, "consign golden key bob");
	seed_key(st_pk, st_sk, "consign golden key station");
	seed_key(of_pk, of_sk, "consign golden key office");
	seed_key(opk, osk, "consign office golden other key");

	/* records: device N has serial first + N; record 1 is signed by another key */
	cs_buf_init(&recs, 1 << 20);
	for (i = 0; i < NREC; i++) {
		cs_record r;

		snprintf(label, sizeof label, "consign office golden device %zu", i);
		seed_key(dpk, dsk, label);
		memset(&r, 0, sizeof r);
		memcpy(r.deployment, ord.deployment, CS_DEPLOY_LEN);
		r.serial = ord.first + i;
		memcpy(r.pk, dpk, 32);
		r.pk_len = 32;
		r.hwid_len = 8;
		memcpy(r.hwid, "HW-GOLD", 7);
		r.hwid[7] = (uint8_t)('0' + i);
		snprintf(r.firmware, sizeof r.firmware, "2.0.1");
		snprintf(r.batch, sizeof r.batch, "%s", ord.batch);
		memcpy(r.nonce, ord.nonce, CS_NONCE_LEN);
		cs_buf_init(&pay, 4096);
		if (cs_record_encode(&pay, &r) != CS_OK)
			die("record");
		rstart = recs.len;
		if (cs_cose_sign1_create(&recs, CS_KIND_RECORD, pay.p, pay.len, dsk, &e) != CS_OK)
			die("record signature");
		if (i == 1) {
			/* the same envelope, its signature replaced by another key's */
			cs_cose bad;
			cs_buf tbs;
			uint8_t sig[64];
			cs_buf_init(&tbs, 8192);
			if (cs_cose_decode(&bad, recs.p + rstart, recs.len - rstart, &e) != CS_OK ||
			    cs_cose_tbs(&tbs, &bad, 0) != CS_OK)
				die("record 1");
			crypto_sign_detached(sig, NULL, tbs.p, tbs.len, osk);
			memcpy(recs.p + recs.len - 64, sig, 64);
			cs_buf_free(&tbs);
		}
		cs_buf_free(&pay);
	}

	memset(&h, 0, sizeof h);
	memcpy(h.deployment, ord.deployment, CS_DEPLOY_LEN);
	memcpy(h.order, os.digest, CS_DIGEST_LEN);
	snprintf(h.batch, sizeof h.batch, "%s", ord.batch);
	h.count = NREC;
	crypto_hash_sha256(h.records, recs.p, recs.len);
	h.created = CREATED;
	memcpy(h.station_pk, st_pk, 32);
	cs_buf_init(&hb, 4096);
	cs_buf_init(&henv, 4096);
	if (cs_header_encode(&hb, &h) != CS_OK ||
	    cs_cose_sign1_create(&henv, CS_KIND_HEADER, hb.p, hb.len, st_sk, &e) != CS_OK)
		die("header");
	cs_digest(hd, CS_KIND_HEADER, hb.p, hb.len);
	memset(be, 0, sizeof be);
	be[0] = (cs_bundle_entry){CS_ENTRY_HEADER, henv.p, henv.len, NULL};
	be[1] = (cs_bundle_entry){CS_ENTRY_ORDER, ob, on, NULL};
	be[2] = (cs_bundle_entry){CS_ENTRY_RECORDS, recs.p, recs.len, NULL};
	{
		char path[4096];

		snprintf(path, sizeof path, "%s/batch.zip", out);
		if (cs_bundle_write(path, be, 3, CREATED, &e) != CS_OK)
			die("batch.zip");
	}

	/* release 1: record 1 excluded; signed by alice and bob */
	memset(&rel, 0, sizeof rel);
	memcpy(rel.deployment, pol.deployment, CS_DEPLOY_LEN);
	rel.seq = 1;
	memcpy(rel.policy, ps.digest, CS_DIGEST_LEN);
	memcpy(rel.order, os.digest, CS_DIGEST_LEN);
	snprintf(rel.batch, sizeof rel.batch, "%s", ord.batch);
	memcpy(rel.header, hd, CS_DIGEST_LEN);
	memcpy(rel.records, h.records, CS_DIGEST_LEN);
	rel.count = NREC;
	rel.accepted = NREC - 1;
	memset(&x, 0, sizeof x);
	x.index = 1;
	x.has_serial = 1;
	x.serial = ord.first + 1;
	snprintf(x.reason, sizeof x.reason, "record-signature");
	cs_buf_init(&rp, 4096);
	cs_buf_init(&draft, 8192);
	cs_buf_init(&s1, 8192);
	cs_buf_init(&s2, 8192);
	if (cs_release_encode(&rp, &rel, &x, 1) != CS_OK ||
	    cs_cose_sign_draft(&draft, CS_KIND_RELEASE, rp.p, rp.len) != CS_OK)
		die("release");
	tool_put(out, "release.payload", rp.p, rp.len);
	if (cs_cose_decode(&c, draft.p, draft.len, &e) != CS_OK ||
	    cs_cose_sign_add(&s1, &c, alice_sk, &added, &e) != CS_OK ||
	    cs_cose_decode(&c, s1.p, s1.len, &e) != CS_OK ||
	    cs_cose_sign_add(&s2, &c, bob_sk, &added, &e) != CS_OK)
		die("release signatures");
	tool_put(out, "release.cose", s2.p, s2.len);
	be[3] = (cs_bundle_entry){CS_ENTRY_RELEASE, s2.p, s2.len, NULL};
	{
		char path[4096];

		snprintf(path, sizeof path, "%s/release.zip", out);
		if (cs_bundle_write(path, be, 4, CREATED, &e) != CS_OK)
			die("release.zip");
	}

	/* a release 2 payload over the same batch, as the format shows an
	 * "already released" exclusion: record 0 excluded for
	 * record-released-serial naming release 1, record 1 as before */
	{
		cs_exclusion x2[2];
		cs_release rel2 = rel;
		cs_buf rp2;

		memset(x2, 0, sizeof x2);
		x2[0].index = 0;
		x2[0].has_serial = 1;
		x2[0].serial = ord.first;
		snprintf(x2[0].reason, sizeof x2[0].reason, "record-released-serial");
		x2[0].released_in = 1;
		x2[1] = x;
		rel2.seq = 2;
		rel2.has_prev = 1;
		cs_digest(rel2.prev, CS_KIND_RELEASE, rp.p, rp.len);
		rel2.accepted = NREC - 2;
		cs_buf_init(&rp2, 4096);
		if (cs_release_encode(&rp2, &rel2, x2, 2) != CS_OK)
			die("release 2");
		tool_put(out, "release-2.payload", rp2.p, rp2.len);
		cs_buf_free(&rp2);
	}

	/* a withdrawal of release 1, signed by alice and bob */
	{
		cs_withdrawal wd;
		cs_buf wp, wdraft, w1, w2;

		memset(&wd, 0, sizeof wd);
		memcpy(wd.deployment, pol.deployment, CS_DEPLOY_LEN);
		memcpy(wd.policy, ps.digest, CS_DIGEST_LEN);
		wd.seq = 1;
		cs_digest(wd.release, CS_KIND_RELEASE, rp.p, rp.len);
		cs_buf_init(&wp, 4096);
		cs_buf_init(&wdraft, 4096);
		cs_buf_init(&w1, 4096);
		cs_buf_init(&w2, 4096);
		if (cs_withdrawal_encode(&wp, &wd) != CS_OK ||
		    cs_cose_sign_draft(&wdraft, CS_KIND_WITHDRAWAL, wp.p, wp.len) != CS_OK ||
		    cs_cose_decode(&c, wdraft.p, wdraft.len, &e) != CS_OK ||
		    cs_cose_sign_add(&w1, &c, alice_sk, &added, &e) != CS_OK ||
		    cs_cose_decode(&c, w1.p, w1.len, &e) != CS_OK ||
		    cs_cose_sign_add(&w2, &c, bob_sk, &added, &e) != CS_OK)
			die("withdrawal");
		tool_put(out, "withdrawal.payload", wp.p, wp.len);
		tool_put(out, "withdrawal.cbor", w2.p, w2.len);
		cs_buf_free(&wp);
		cs_buf_free(&wdraft);
		cs_buf_free(&w1);
		cs_buf_free(&w2);
	}

	/* the receipt: 2 of 3 accepted, record 1 refused */
	memset(&rc, 0, sizeof rc);
	memcpy(rc.deployment, ord.deployment, CS_DEPLOY_LEN);
	memcpy(rc.header, hd, CS_DIGEST_LEN);
	snprintf(rc.batch, sizeof rc.batch, "%s", ord.batch);
	memcpy(rc.order, os.digest, CS_DIGEST_LEN);
	rc.count = NREC;
	rc.accepted = NREC - 1;
	cs_buf_init(&rcp, 4096);
	cs_buf_init(&rcpenv, 8192);
	if (cs_receipt_encode(&rcp, &rc, &x, 1) != CS_OK ||
	    cs_cose_sign1_create(&rcpenv, CS_KIND_RECEIPT, rcp.p, rcp.len, of_sk, &e) != CS_OK)
		die("receipt");
	tool_put(out, "receipt.payload", rcp.p, rcp.len);
	tool_put(out, "receipt.cbor", rcpenv.p, rcpenv.len);

	keyfile("station", "Line 1 Station", st_sk);
	keyfile("office", "Head Office", of_sk);
	keyfile("alice", "Alice Custodian", alice_sk);
	keyfile("bob", "Bob Custodian", bob_sk);
	sodium_memzero(alice_sk, 64);
	sodium_memzero(bob_sk, 64);
	sodium_memzero(st_sk, 64);
	sodium_memzero(of_sk, 64);
	cs_buf_free(&recs);
	cs_buf_free(&hb);
	cs_buf_free(&henv);
	cs_buf_free(&rp);
	cs_buf_free(&draft);
	cs_buf_free(&s1);
	cs_buf_free(&s2);
	cs_buf_free(&rcp);
	cs_buf_free(&rcpenv);
	cs_file_free(ob, on);
	cs_file_free(pb, pn);
	(void)env;
	(void)dpk;
	(void)opk;
	return 0;
}
