/* A valid batch whose records carry text chosen by a hostile device: every
 * record's firmware version is the string given (printable, so the strict
 * reader accepts it: spreadsheet formulas, quotes, commas). For testing what
 * export and inspect make of device-controlled text.
 *   mkhostile ORDER STATION.key PASSFILE FIRMWARE FIRST COUNT OUT.zip
 * (records for serials FIRST.. of the order's range, keys derived from the
 * serial, so batches made with different FIRST never share a key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bundle/bundle.h"
#include "format/keyfile.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/file.h"
#include "verify/trust.h"

static void __attribute__((noreturn))
die(const char *what, const cs_err *e)
{
	fprintf(stderr, "mkhostile: %s%s%s\n", what, e != NULL ? ": " : "", e != NULL ? e->msg : "");
	exit(2);
}

int
main(int argc, char **argv)
{
	uint8_t *ob, *kb, *pb, seed[32], pk[CS_PK_LEN], sk[CS_SK_LEN];
	size_t on, kn, pn, i, count;
	uint64_t first;
	cs_buf recs, pl, env, hb;
	cs_bundle_entry ent[3];
	cs_signed os;
	cs_order o;
	cs_record r;
	cs_header h;
	cs_seckey k;
	cs_err e;

	if (argc != 8 || sodium_init() < 0)
		die("usage: mkhostile ORDER STATION.key PASSFILE FIRMWARE FIRST COUNT OUT.zip", NULL);
	first = strtoull(argv[5], NULL, 10);
	count = strtoul(argv[6], NULL, 10);
	cs_err_clear(&e);
	if (cs_read_file(argv[1], 1 << 20, &ob, &on, &e) != CS_OK ||
	    cs_order_load(&os, &o, ob, on, &e) != CS_OK)
		die(argv[1], &e);
	if (cs_read_file(argv[2], CS_KEYFILE_MAX, &kb, &kn, &e) != CS_OK ||
	    cs_read_file(argv[3], 1024, &pb, &pn, &e) != CS_OK)
		die("key or passphrase", &e);
	while (pn > 0 && (pb[pn - 1] == '\n' || pb[pn - 1] == '\r'))
		pn--;
	if (cs_seckey_unlock(&k, kb, kn, (const char *)pb, pn, &e) != CS_OK)
		die(argv[2], &e);
	cs_buf_init(&recs, 1 << 24);
	cs_buf_init(&pl, 1 << 16);
	cs_buf_init(&env, 1 << 16);
	for (i = 0; i < count; i++) {
		memset(&r, 0, sizeof r);
		memcpy(r.deployment, o.deployment, CS_DEPLOY_LEN);
		r.serial = first + i;
		memset(seed, 0, sizeof seed);
		memcpy(seed, &r.serial, sizeof r.serial);
		seed[31] = 0x5e;
		crypto_sign_seed_keypair(pk, sk, seed);
		memcpy(r.pk, pk, CS_PK_LEN);
		r.pk_len = CS_ED25519_KEY_LEN;
		r.hwid_len = 8;
		memcpy(r.hwid, &r.serial, 8);
		snprintf(r.firmware, sizeof r.firmware, "%s", argv[4]);
		memcpy(r.batch, o.batch, sizeof r.batch);
		memcpy(r.nonce, o.nonce, CS_NONCE_LEN);
		pl.len = env.len = 0;
		if (cs_record_encode(&pl, &r) != CS_OK)
			die("the firmware text is not a valid record field", NULL);
		if (cs_cose_sign1_create(&env, CS_KIND_RECORD, pl.p, pl.len, sk, &e) != CS_OK)
			die("record", &e);
		cs_buf_add(&recs, env.p, env.len);
	}
	memset(&h, 0, sizeof h);
	memcpy(h.deployment, o.deployment, CS_DEPLOY_LEN);
	memcpy(h.order, os.digest, CS_DIGEST_LEN);
	memcpy(h.batch, o.batch, sizeof h.batch);
	h.count = count;
	crypto_hash_sha256(h.records, recs.p, recs.len);
	h.created = 1764000000;
	memcpy(h.station_pk, k.pub.pk, CS_PK_LEN);
	pl.len = 0;
	cs_buf_init(&hb, 1 << 16);
	if (cs_header_encode(&pl, &h) != CS_OK ||
	    cs_cose_sign1_create(&hb, CS_KIND_HEADER, pl.p, pl.len, k.sk, &e) != CS_OK)
		die("header", &e);
	ent[0] = (cs_bundle_entry){CS_ENTRY_HEADER, hb.p, hb.len, NULL};
	ent[1] = (cs_bundle_entry){CS_ENTRY_ORDER, ob, on, NULL};
	ent[2] = (cs_bundle_entry){CS_ENTRY_RECORDS, recs.p, recs.len, NULL};
	if (cs_bundle_write(argv[7], ent, 3, 1764000000, &e) != CS_OK)
		die(argv[7], &e);
	cs_seckey_free(&k);
	sodium_memzero(sk, sizeof sk);
	cs_buf_free(&recs);
	cs_buf_free(&pl);
	cs_buf_free(&env);
	cs_buf_free(&hb);
	cs_file_free(ob, on);
	cs_file_free(kb, kn);
	cs_file_free(pb, pn);
	return 0;
}
