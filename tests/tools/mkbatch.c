/* mkbatch: synthetic but fully valid batches for tests and benchmarks: real
 * device keys and proofs of possession (derived from --seed, so runs repeat),
 * the header signed with a station key file, records streamed to disk in
 * order while threads make them. --break makes exactly one check fail.
 *
 *   mkbatch --order O --key S.key --passphrase-file F --count N -o batch.zip
 *           [--seed N] [--threads N] [--first-serial S] [--created T]
 *           [--firmware TEXT] [--break WHAT[@INDEX]]... [--pad N@INDEX]...
 *           [--p256 INDEX]... [--evidence se|firmware|both --maker SEED]
 *
 * WHAT (per record, at INDEX, default 1): record-signature, record-key-invalid,
 * record-nonce, record-batch, record-deployment, record-serial-range,
 * record-duplicate-serial, record-duplicate-key, record-duplicate-hwid
 * (each a copy of record 0's value), record-copy (all three: the record
 * before it again, byte for byte), record-malformed, record-indefinite (its
 * envelope's array in indefinite-length form: the entry no longer splits
 * there, records-malformed).
 * WHAT (the batch): records-digest, records-count, station-not-allowed,
 * station-signature, header-order, header-batch, records-tail (bytes after
 * the last record that do not split into an item; the header's digest is
 * right: past the header's count they are records-count, with
 * --header-count above --count they fail the split, records-malformed).
 * --pad N@INDEX puts N one-byte items (the integer 0, well-formed CBOR but no
 * record) before record INDEX (INDEX = count: after the last); the header's
 * count includes them, as a factory that pads a batch would write it;
 * --header-count N writes N as the header's count instead.
 * --p256 INDEX makes record INDEX a secure element's: a P-256 device key
 * (65 bytes; scalar derived from --seed and INDEX) signing with ES256; with
 * it, --break record-signature@INDEX flips a bit of the ES256 signature,
 * record-key-invalid@INDEX carries a key off the curve (the envelope
 * signed by the real one), and record-alg@INDEX signs the record with
 * EdDSA (an Ed25519 key, the kid the P-256 key's): record-signature. The
 * other record breaks apply to a P-256 record as to any (record-copy is then
 * the same payload again under a new ES256 signature, which is randomized).
 *
 * --evidence se|firmware|both --maker SEED: every record carries that
 * evidence (field 9) from the TEST maker of SEED (tests/tools/testpki.h),
 * the one `mkattest pki SEED DIR` writes, so DIR/root.der is the root a
 * policy pins (its certificates and tokens are deterministic: the same bytes
 * here and there). se: every record is a secure element's (a P-256 key as
 * --p256 makes it) carrying the chain [a leaf for that key under the maker's
 * intermediate, the intermediate] (the root is not carried). firmware: a PSA
 * token (profile 2.0.0, lifecycle SECURED, the TEST firmware's components as
 * `mkattest reference` prints them, instance id 0x01 || SHA-256(IAK)) signed
 * by record INDEX's attestation key, the test key iak-INDEX of SEED
 * (`mkattest key SEED iak-INDEX`), its nonce cs_psa_binding_nonce(the order's
 * digest cs_digest("order", payload), the device key as the record carries
 * it), and that key's chain [its leaf, the intermediate]; the token is the
 * one `mkattest token SEED iak-INDEX OUT --nonce N` makes, byte for byte.
 * both: the two, on a P-256 key. WHAT (attestation, per record; refused
 * unless the mode carries what it breaks): attest-missing (no evidence),
 * attest-leaf-key (se: the leaf is for another P-256 key), attest-chain-root
 * (its chains from the "other" maker, whose root no policy pins),
 * attest-token-nonce (the nonce binds the record before it, record 1 for
 * record 0), attest-token-copy (record 0's token and attestation key chain
 * verbatim, as a sound record 0 carries them: its nonce binds record 0, its
 * instance id is record 0's),
 * attest-token-measurement (the app of other firmware), attest-token-lifecycle
 * (0x4000, non-PSA-RoT debug), attest-token-signature (a bit of the token's
 * signature flipped), attest-token-instance (the instance id of a chip
 * outside the batch, elsewhere-INDEX), attest-same-instance (record 0's
 * chip attesting this record: iak-0 signs a sound token for this record's
 * own key, with iak-0's chain; every evidence check passes, only the
 * duplicate check finds it, record-duplicate-instance). Records of two
 * batches made with one maker share their chips index for index. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "attest/chain.h"
#include "attest/p256.h"
#include "attest/psa.h"
#include "bundle/bundle.h"
#include "format/keyfile.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/file.h"
#include "verify/trust.h"

#include "cosehdr.h"
#include "testpki.h"

#define CHUNK 1024
#define MAX_THREADS 64
#define MAX_BREAKS 64

struct brk {
	char what[40];
	uint64_t at;
};

static struct {
	cs_order ord;
	uint8_t seed[8];
	uint64_t first_serial;
	struct brk b[MAX_BREAKS];
	size_t nb;
	const char *firmware;
	struct brk pad[MAX_BREAKS]; /* what: unused; at: before record; n in pad_n */
	uint64_t pad_n[MAX_BREAKS];
	size_t npad;
	uint64_t p256[MAX_BREAKS]; /* records whose key is P-256 (ES256) */
	size_t np256;
	unsigned evidence;         /* CS_EV_* every record carries (--evidence) */
	const char *maker;         /* --maker SEED */
	uint8_t order_digest[CS_DIGEST_LEN];
} G;

/* The attestation breaks and the evidence each needs. */
static const struct {
	const char *name;
	unsigned needs;
} attest_breaks[] = {
	{"attest-missing", CS_EV_ALL},
	{"attest-leaf-key", CS_EV_SE},
	{"attest-chain-root", CS_EV_ALL},
	{"attest-token-nonce", CS_EV_FIRMWARE},
	{"attest-token-copy", CS_EV_FIRMWARE},
	{"attest-token-measurement", CS_EV_FIRMWARE},
	{"attest-token-lifecycle", CS_EV_FIRMWARE},
	{"attest-token-signature", CS_EV_FIRMWARE},
	{"attest-token-instance", CS_EV_FIRMWARE},
	{"attest-same-instance", CS_EV_FIRMWARE},
};

struct job {
	uint64_t start, n;
	cs_buf out;
	pthread_t th;
	tp_maker maker, other; /* each thread its own (OpenSSL objects) */
	int have_maker, have_other;
};

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "mkbatch: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

/* One-byte junk items before record i. */
static void
add_padding(cs_buf *out, uint64_t i)
{
	uint8_t *p;
	size_t k;

	for (k = 0; k < G.npad; k++)
		if (G.pad[k].at == i) {
			if ((p = cs_buf_room(out, (size_t)G.pad_n[k])) == NULL)
				die("%s", "out of memory");
			memset(p, 0, (size_t)G.pad_n[k]);
			out->len += (size_t)G.pad_n[k];
		}
}

/* The first break of record i whose name starts with prefix. */
static const char *
broken_as(uint64_t i, const char *prefix)
{
	size_t k;

	for (k = 0; k < G.nb; k++)
		if (G.b[k].at == i && strncmp(G.b[k].what, prefix, strlen(prefix)) == 0)
			return G.b[k].what;
	return NULL;
}

static const char *
broken(uint64_t i)
{
	return broken_as(i, "record-");
}

static int
is(const char *brk, const char *what)
{
	return brk != NULL && strcmp(brk, what) == 0;
}

static int
batch_break(const char *what)
{
	size_t k;

	for (k = 0; k < G.nb; k++)
		if (strcmp(G.b[k].what, what) == 0)
			return 1;
	return 0;
}

static void
device_seed(uint8_t out[32], uint64_t i, const char *salt)
{
	crypto_hash_sha256_state st;
	uint8_t be[8];
	int k;

	for (k = 0; k < 8; k++)
		be[k] = (uint8_t)(i >> (56 - 8 * k));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)salt, strlen(salt));
	crypto_hash_sha256_update(&st, G.seed, sizeof G.seed);
	crypto_hash_sha256_update(&st, be, sizeof be);
	crypto_hash_sha256_final(&st, out);
}

static int
is_p256(uint64_t i)
{
	size_t k;

	if (G.evidence & CS_EV_SE)
		return 1;
	for (k = 0; k < G.np256; k++)
		if (G.p256[k] == i)
			return 1;
	return 0;
}

/* Record j's P-256 secret (a secure element's key, scalar from the seed). */
static cs_p256_secret *
p256_secret(uint64_t j)
{
	cs_p256_secret *se;
	uint8_t d[32];
	cs_err e;

	device_seed(d, j, "device-p256");
	cs_err_clear(&e);
	if (cs_p256_secret_from_scalar(&se, d, &e) != CS_OK)
		die("%s", "a P-256 scalar out of range");
	sodium_memzero(d, sizeof d);
	return se;
}

/* Record j's device key as a sound record j carries it; its length. */
static size_t
genuine_key(uint8_t pk[CS_DEVICE_KEY_MAX], uint64_t j)
{
	uint8_t dseed[32], sk[64];
	cs_p256_secret *se;

	if (is_p256(j)) {
		se = p256_secret(j);
		memcpy(pk, cs_p256_secret_point(se), CS_P256_KEY_LEN);
		cs_p256_secret_free(se);
		return CS_P256_KEY_LEN;
	}
	device_seed(dseed, j, "device");
	crypto_sign_seed_keypair(pk, sk, dseed);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(dseed, sizeof dseed);
	return CS_ED25519_KEY_LEN;
}

static const tp_maker *
maker_of(struct job *jb, int other)
{
	if (!jb->have_maker) {
		if (tp_maker_make(&jb->maker, G.maker, "maker") != 0)
			die("cannot make the TEST maker of %s", G.maker);
		jb->have_maker = 1;
	}
	if (other && !jb->have_other) {
		if (tp_maker_make(&jb->other, G.maker, "other") != 0)
			die("cannot make the TEST maker \"other\" of %s", G.maker);
		jb->have_other = 1;
	}
	return other ? &jb->other : &jb->maker;
}

/* What a record's evidence borrows. */
struct evbuf {
	uint8_t se_leaf[TP_DER_MAX], iak_leaf[TP_DER_MAX], token[CS_PSA_TOKEN_MAX];
};

/* Record i's evidence (G.evidence) into r->ev, for the key r carries; se is
 * its secure element's key (NULL for an Ed25519 record). */
static void
make_evidence(cs_record *r, struct evbuf *eb, struct job *jb, uint64_t i, const cs_p256_secret *se)
{
	const char *brk = broken_as(i, "attest-");
	const tp_maker *m;
	cs_evidence *ev = &r->ev;
	char name[40];
	uint64_t ti = i;

	memset(ev, 0, sizeof *ev);
	if (is(brk, "attest-missing"))
		return;
	m = maker_of(jb, is(brk, "attest-chain-root"));
	ev->kinds = G.evidence;
	if (G.evidence & CS_EV_SE) {
		const uint8_t *pt = cs_p256_secret_point(se);
		cs_p256_secret *other = NULL;

		if (is(brk, "attest-leaf-key"))
			pt = cs_p256_secret_point(other = p256_secret(i ^ 0x8000000000000000ull));
		if ((ev->se_len[0] = tp_leaf(eb->se_leaf, sizeof eb->se_leaf, m, pt, NULL)) == 0)
			die("%s", "cannot make a device certificate");
		cs_p256_secret_free(other);
		ev->se[0] = eb->se_leaf;
		ev->se[1] = m->inter_der;
		ev->se_len[1] = m->inter_len;
		ev->nse = 2;
	}
	if (G.evidence & CS_EV_FIRMWARE) {
		uint8_t nonce[CS_PSA_NONCE_LEN], key[CS_DEVICE_KEY_MAX], boot[32];
		const uint8_t *kp = r->pk;
		size_t kn = r->pk_len;
		cs_p256_secret *iak, *chip;
		tp_token t;
		cs_buf b;
		cs_err e;

		if (is(brk, "attest-token-copy") || is(brk, "attest-same-instance"))
			ti = 0;
		if ((ti != i && !is(brk, "attest-same-instance")) || is(brk, "attest-token-nonce")) {
			/* record 0's, or the record before this one's */
			kn = genuine_key(key, ti != i ? 0 : i > 0 ? i - 1 : i + 1);
			kp = key;
		}
		cs_psa_binding_nonce(nonce, G.order_digest, kp, kn);
		snprintf(name, sizeof name, "iak-%llu", (unsigned long long)ti);
		if ((iak = tp_key(G.maker, name)) == NULL)
			die("cannot derive the attestation key %s", name);
		tp_boot_seed(boot, G.maker, name);
		chip = iak;
		if (is(brk, "attest-token-instance")) {
			snprintf(name, sizeof name, "elsewhere-%llu", (unsigned long long)i);
			if ((chip = tp_key(G.maker, name)) == NULL)
				die("cannot derive the test key %s", name);
		}
		tp_token_init(&t, cs_p256_secret_point(chip), nonce, boot,
		    is(brk, "attest-token-measurement"));
		if (is(brk, "attest-token-lifecycle"))
			t.c.lifecycle = 0x4000;
		cs_buf_fixed(&b, eb->token, sizeof eb->token);
		cs_err_clear(&e);
		if (tp_token_sign(&b, &t, iak, &e) != CS_OK)
			die("a PSA token: %s", e.msg);
		/* the signature is the token's last 64 bytes */
		if (is(brk, "attest-token-signature"))
			b.p[b.len - 1] ^= 0x01;
		ev->token = b.p;
		ev->token_len = b.len;
		if ((ev->iak_len[0] = tp_leaf(eb->iak_leaf, sizeof eb->iak_leaf, m,
			 cs_p256_secret_point(iak), NULL)) == 0)
			die("%s", "cannot make an attestation key's certificate");
		ev->iak[0] = eb->iak_leaf;
		ev->iak[1] = m->inter_der;
		ev->iak_len[1] = m->inter_len;
		ev->niak = 2;
		if (chip != iak)
			cs_p256_secret_free(chip);
		cs_p256_secret_free(iak);
	}
}

/* The order-2 point (0, -1): adding it makes a key of mixed order. */
static const uint8_t order2[32] = {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};

/* A secure element's record: its P-256 key signs the payload with ES256;
 * record-alg signs it with EdDSA under ed_sk, the kid the P-256 key's. */
static void
sign_p256(cs_buf *out, const cs_record *r, const cs_p256_secret *se, const char *brk,
    const uint8_t ed_sk[64])
{
	uint8_t paym[CS_RECORD_MAX], tbsm[CS_RECORD_MAX + 256], protm[128], sig[64];
	uint8_t kid[CS_KID_LEN];
	static const uint8_t empty[1] = {0xa0};
	cs_buf pay, prot, tbs;
	cs_cose_raw_signer rs;
	cs_err e;

	cs_buf_fixed(&pay, paym, sizeof paym);
	if (cs_record_encode(&pay, r) != CS_OK)
		die("%s", "a P-256 record (is its evidence above 7168 bytes?)");
	cs_err_clear(&e);
	if (is(brk, "record-alg")) {
		cs_keyid_n(kid, r->pk, r->pk_len);
		cs_buf_fixed(&prot, protm, sizeof protm);
		cs_buf_fixed(&tbs, tbsm, sizeof tbsm);
		if (cosehdr(&prot, CS_COSE_ALG_EDDSA, CS_KIND_RECORD, kid, 0) != 0 ||
		    cs_cose_tbs_raw(&tbs, prot.p, prot.len, NULL, 0, NULL, 0, pay.p, pay.len) != CS_OK)
			die("%s", "record-alg");
		crypto_sign_detached(sig, NULL, tbs.p, tbs.len, ed_sk);
		rs = (cs_cose_raw_signer){prot.p, prot.len, empty, 1, sig};
		if (cs_cose_encode_sign1_raw(out, &rs, pay.p, pay.len) != CS_OK)
			die("%s", "record-alg");
	} else if (cs_cose_sign1_es256(out, pay.p, pay.len, se, &e) != CS_OK) {
		die("%s", "a P-256 record");
	}
	/* the signature is the envelope's last 64 bytes */
	if (is(brk, "record-signature"))
		out->p[out->len - 1] ^= 0x10;
}

static void
make_record(cs_buf *out, uint64_t i, struct job *jb)
{
	const char *brk = broken(i);
	uint8_t dseed[32], pk[32], sk[64], other[64], opk[32], protm[128], sig[64], kid[16];
	uint8_t paym[CS_RECORD_MAX], tbsm[CS_RECORD_MAX + 256];
	struct evbuf eb;
	cs_buf pay, tbs, prot;
	cs_record r;
	cs_cose_raw_signer rs;
	cs_p256_secret *se = NULL;
	uint64_t j = i, tries;
	static const uint8_t empty[1] = {0xa0};
	size_t start;

	add_padding(out, i);
	start = out->len;
	if (is(brk, "record-copy") && i > 0)
		j = --i;
	if (is(brk, "record-duplicate-key"))
		j = 0;
	device_seed(dseed, j, "device");
	crypto_sign_seed_keypair(pk, sk, dseed);
	memset(&r, 0, sizeof r);
	memcpy(r.deployment, G.ord.deployment, CS_DEPLOY_LEN);
	r.serial = G.first_serial + i;
	memcpy(r.pk, pk, 32);
	r.pk_len = 32;
	r.hwid_len = 12;
	memcpy(r.hwid, G.seed + 4, 4);
	for (int k = 0; k < 8; k++)
		r.hwid[4 + k] = (uint8_t)(i >> (56 - 8 * k));
	snprintf(r.firmware, sizeof r.firmware, "%s", G.firmware);
	snprintf(r.batch, sizeof r.batch, "%s", G.ord.batch);
	memcpy(r.nonce, G.ord.nonce, CS_NONCE_LEN);
	if (brk != NULL) {
		if (strcmp(brk, "record-nonce") == 0)
			r.nonce[0] ^= 1;
		else if (strcmp(brk, "record-batch") == 0)
			snprintf(r.batch, sizeof r.batch, "%s", strcmp(G.ord.batch, "OTHER") ? "OTHER" : "X");
		else if (strcmp(brk, "record-deployment") == 0)
			r.deployment[0] ^= 1;
		else if (strcmp(brk, "record-serial-range") == 0)
			r.serial = G.ord.last + 1;
		else if (strcmp(brk, "record-duplicate-serial") == 0)
			r.serial = G.first_serial;
		else if (strcmp(brk, "record-duplicate-hwid") == 0)
			for (int k = 0; k < 8; k++)
				r.hwid[4 + k] = 0;
	}
	if (is_p256(i)) {
		se = p256_secret(j);
		memcpy(r.pk, cs_p256_secret_point(se), CS_P256_KEY_LEN);
		r.pk_len = CS_P256_KEY_LEN;
		if (is(brk, "record-key-invalid"))
			r.pk[CS_P256_KEY_LEN - 1] ^= 1; /* y + 1 or y - 1: off the curve */
	} else if (is(brk, "record-key-invalid")) {
		if (crypto_core_ed25519_add(r.pk, pk, order2) != 0)
			die("%s", "cannot add the order-2 point");
		memcpy(sk + 32, r.pk, 32);
	}
	if (G.evidence != 0)
		make_evidence(&r, &eb, jb, i, se);
	if (se != NULL) {
		sign_p256(out, &r, se, brk, sk);
		cs_p256_secret_free(se);
		goto envelope;
	}
	cs_keyid(kid, r.pk);
	cs_buf_fixed(&prot, protm, sizeof protm);
	if (cosehdr(&prot, CS_COSE_ALG_EDDSA, CS_KIND_RECORD, kid, 0) != 0)
		die("%s", "protected header");
	for (tries = 0;; tries++) {
		cs_buf_fixed(&pay, paym, sizeof paym);
		if (cs_record_encode(&pay, &r) != CS_OK)
			die("%s", "record encoding (is its evidence above 7168 bytes?)");
		cs_buf_fixed(&tbs, tbsm, sizeof tbsm);
		if (cs_cose_tbs_raw(&tbs, prot.p, prot.len, NULL, 0, NULL, 0, pay.p, pay.len) != CS_OK)
			die("%s", "tbs");
		if (is(brk, "record-signature")) {
			device_seed(dseed, i, "other");
			crypto_sign_seed_keypair(opk, other, dseed);
			crypto_sign_detached(sig, NULL, tbs.p, tbs.len, other);
		} else {
			crypto_sign_detached(sig, NULL, tbs.p, tbs.len, sk);
		}
		/* a mixed-order key verifies only when the hash is even: vary the
		 * firmware string until it does, so only the prime-order check fails */
		if (!is(brk, "record-key-invalid") ||
		    crypto_sign_verify_detached(sig, tbs.p, tbs.len, r.pk) == 0)
			break;
		snprintf(r.firmware, sizeof r.firmware, "1.4.2-%llu", (unsigned long long)tries);
	}
	rs = (cs_cose_raw_signer){prot.p, prot.len, empty, 1, sig};
	if (cs_cose_encode_sign1_raw(out, &rs, pay.p, pay.len) != CS_OK)
		die("%s", "envelope");
envelope:
	if (out->overflow || out->len - start > CS_RECORD_MAX)
		die("%s", "a record envelope above 8192 bytes");
	if (is(brk, "record-malformed")) {
		/* tag 18 in a two-byte head: well-formed, not canonical */
		if (cs_buf_room(out, 1) == NULL)
			die("%s", "out of memory");
		memmove(out->p + start + 2, out->p + start + 1, out->len - start - 1);
		out->p[start] = 0xd8;
		out->p[start + 1] = 0x12;
		out->len++;
	}
	if (is(brk, "record-indefinite")) {
		/* tag 18, then the 4-array's head 0x84 becomes 0x9f ... 0xff */
		if (out->p[start] != 0xd2 || out->p[start + 1] != 0x84 || cs_buf_room(out, 1) == NULL)
			die("%s", "record-indefinite");
		out->p[start + 1] = 0x9f;
		out->p[out->len++] = 0xff;
	}
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(other, sizeof other);
	sodium_memzero(dseed, sizeof dseed);
}

static void *
run_job(void *arg)
{
	struct job *j = arg;
	uint64_t i;

	for (i = 0; i < j->n; i++)
		make_record(&j->out, j->start + i, j);
	if (j->have_maker)
		tp_maker_free(&j->maker);
	if (j->have_other)
		tp_maker_free(&j->other);
	j->have_maker = j->have_other = 0;
	return NULL;
}

static cs_seckey
load_key(const char *path, const char *passfile)
{
	uint8_t *kb, *pb;
	size_t kn, pn, len;
	cs_seckey k;
	cs_err e;

	cs_err_clear(&e);
	if (cs_read_file(path, CS_KEYFILE_MAX, &kb, &kn, &e) != CS_OK)
		die("cannot read %s", path);
	if (cs_read_file(passfile, 4096, &pb, &pn, &e) != CS_OK)
		die("cannot read %s", passfile);
	for (len = 0; len < pn && pb[len] != '\n' && pb[len] != '\r'; len++)
		;
	if (cs_seckey_unlock(&k, kb, kn, (const char *)pb, len, &e) != CS_OK)
		die("cannot unlock %s", path);
	cs_file_free(kb, kn);
	cs_file_free(pb, pn);
	return k;
}

int
main(int argc, char **argv)
{
	const char *order = NULL, *key = NULL, *pass = NULL, *out = NULL;
	uint64_t count = 0, hcount = UINT64_MAX, seed = 1, created = 1700000000, i, done;
	unsigned threads = 2, t, nt;
	uint8_t *ob, hdrm[CS_PAYLOAD_MAX], tmpname[4096];
	size_t on;
	cs_signed os;
	cs_header h;
	cs_buf hb, env;
	cs_seckey sk, other;
	cs_bundle_entry ent[3];
	struct job *jobs;
	crypto_hash_sha256_state st;
	FILE *rf;
	cs_err e;
	int a, k;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (sodium_init() < 0)
		return 2;
	if (ncpu > 0)
		threads = (unsigned)ncpu;
	G.first_serial = UINT64_MAX;
	G.firmware = "1.4.2";
	for (a = 1; a < argc; a += 2) {
		const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (v == NULL)
			die("%s needs a value", o);
		if (strcmp(o, "--order") == 0)
			order = v;
		else if (strcmp(o, "--key") == 0)
			key = v;
		else if (strcmp(o, "--passphrase-file") == 0)
			pass = v;
		else if (strcmp(o, "-o") == 0)
			out = v;
		else if (strcmp(o, "--count") == 0)
			count = strtoull(v, NULL, 10);
		else if (strcmp(o, "--header-count") == 0)
			hcount = strtoull(v, NULL, 10);
		else if (strcmp(o, "--seed") == 0)
			seed = strtoull(v, NULL, 10);
		else if (strcmp(o, "--threads") == 0)
			threads = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(o, "--first-serial") == 0)
			G.first_serial = strtoull(v, NULL, 10);
		else if (strcmp(o, "--firmware") == 0)
			G.firmware = v;
		else if (strcmp(o, "--created") == 0)
			created = strtoull(v, NULL, 10);
		else if (strcmp(o, "--break") == 0) {
			const char *at = strchr(v, '@');

			if (G.nb == MAX_BREAKS)
				die("%s", "too many --break");
			snprintf(G.b[G.nb].what, sizeof G.b[G.nb].what, "%.*s",
			    at ? (int)(at - v) : (int)strlen(v), v);
			G.b[G.nb].at = at ? strtoull(at + 1, NULL, 10) : 1;
			G.nb++;
		} else if (strcmp(o, "--pad") == 0) {
			const char *at = strchr(v, '@');

			if (G.npad == MAX_BREAKS || at == NULL)
				die("%s", "--pad N@INDEX, at most 64 times");
			G.pad_n[G.npad] = strtoull(v, NULL, 10);
			G.pad[G.npad].at = strtoull(at + 1, NULL, 10);
			G.npad++;
		} else if (strcmp(o, "--p256") == 0) {
			if (G.np256 == MAX_BREAKS)
				die("%s", "--p256 INDEX, at most 64 times");
			G.p256[G.np256++] = strtoull(v, NULL, 10);
		} else if (strcmp(o, "--evidence") == 0) {
			G.evidence = strcmp(v, "se") == 0 ? CS_EV_SE
			    : strcmp(v, "firmware") == 0  ? CS_EV_FIRMWARE
			    : strcmp(v, "both") == 0      ? CS_EV_ALL
							  : 0;
			if (G.evidence == 0)
				die("--evidence %s: se, firmware or both", v);
		} else if (strcmp(o, "--maker") == 0) {
			G.maker = v;
		} else
			die("unknown option %s", o);
	}
	if (order == NULL || key == NULL || pass == NULL || out == NULL)
		die("%s", "usage: mkbatch --order O --key S.key --passphrase-file F --count N -o OUT");
	if (threads == 0 || threads > MAX_THREADS)
		threads = 1;
	if ((G.evidence != 0) != (G.maker != NULL))
		die("%s", "--evidence and --maker SEED go together");
	for (k = 0; k < (int)G.nb; k++) {
		size_t x;

		if (strncmp(G.b[k].what, "attest-", 7) != 0)
			continue;
		for (x = 0; x < sizeof attest_breaks / sizeof attest_breaks[0]; x++)
			if (strcmp(G.b[k].what, attest_breaks[x].name) == 0)
				break;
		if (x == sizeof attest_breaks / sizeof attest_breaks[0])
			die("--break %s: no such attestation break", G.b[k].what);
		if ((G.evidence & attest_breaks[x].needs) == 0)
			die("--break %s: the records carry no such evidence (--evidence)", G.b[k].what);
	}
	for (k = 0; k < 8; k++)
		G.seed[k] = (uint8_t)(seed >> (56 - 8 * k));
	cs_err_clear(&e);
	if (cs_read_file(order, 1 << 20, &ob, &on, &e) != CS_OK ||
	    cs_order_load(&os, &G.ord, ob, on, &e) != CS_OK)
		die("cannot load the order %s", order);
	if (G.first_serial == UINT64_MAX)
		G.first_serial = G.ord.first;
	cs_digest(G.order_digest, CS_KIND_ORDER, os.cose.payload, os.cose.payload_len);
	sk = load_key(key, pass);

	/* the records, in order, to a file beside the output */
	snprintf((char *)tmpname, sizeof tmpname, "%s.records-%d", out, (int)getpid());
	if ((rf = fopen((char *)tmpname, "wb")) == NULL)
		die("cannot create %s", (char *)tmpname);
	crypto_hash_sha256_init(&st);
	if ((jobs = calloc(threads, sizeof *jobs)) == NULL)
		die("%s", "out of memory");
	for (done = 0; done < count;) {
		for (nt = 0; nt < threads && done < count; nt++) {
			jobs[nt].start = done;
			jobs[nt].n = count - done < CHUNK ? count - done : CHUNK;
			done += jobs[nt].n;
			cs_buf_init(&jobs[nt].out, 64u << 20);
			pthread_create(&jobs[nt].th, NULL, run_job, &jobs[nt]);
		}
		for (t = 0; t < nt; t++) {
			pthread_join(jobs[t].th, NULL);
			if (jobs[t].out.overflow ||
			    fwrite(jobs[t].out.p, 1, jobs[t].out.len, rf) != jobs[t].out.len)
				die("%s", "cannot write the records");
			crypto_hash_sha256_update(&st, jobs[t].out.p, jobs[t].out.len);
			cs_buf_free(&jobs[t].out);
		}
	}
	{
		cs_buf tail;

		cs_buf_init(&tail, 1u << 30);
		add_padding(&tail, count);
		if (fwrite(tail.p, 1, tail.len, rf) != tail.len)
			die("%s", "cannot write the records");
		crypto_hash_sha256_update(&st, tail.p, tail.len);
		cs_buf_free(&tail);
	}
	if (batch_break("records-tail")) {
		/* a byte string head claiming 4 GiB, with 3 bytes of it */
		static const uint8_t tail[] = {0x5a, 0xff, 0xff, 0xff, 0xff, 1, 2, 3};

		if (fwrite(tail, 1, sizeof tail, rf) != sizeof tail)
			die("%s", "cannot write the records");
		crypto_hash_sha256_update(&st, tail, sizeof tail);
	}
	if (fclose(rf) != 0)
		die("%s", "cannot write the records");

	memset(&h, 0, sizeof h);
	memcpy(h.deployment, G.ord.deployment, CS_DEPLOY_LEN);
	memcpy(h.order, os.digest, CS_DIGEST_LEN);
	snprintf(h.batch, sizeof h.batch, "%s", G.ord.batch);
	h.count = count;
	for (k = 0; k < (int)G.npad; k++)
		h.count += G.pad_n[k];
	if (hcount != UINT64_MAX)
		h.count = hcount;
	crypto_hash_sha256_final(&st, h.records);
	h.created = created;
	memcpy(h.station_pk, sk.pub.pk, CS_PK_LEN);
	if (batch_break("records-digest"))
		h.records[0] ^= 1;
	if (batch_break("records-count"))
		h.count = count + 1;
	if (batch_break("header-order"))
		h.order[0] ^= 1;
	if (batch_break("header-batch"))
		snprintf(h.batch, sizeof h.batch, "%s", strcmp(G.ord.batch, "OTHER") ? "OTHER" : "X");
	memset(&other, 0, sizeof other);
	if (batch_break("station-not-allowed") || batch_break("station-signature")) {
		if (cs_seckey_generate(&other, "other", NULL, &e) != CS_OK)
			die("%s", "keygen");
		if (batch_break("station-not-allowed"))
			memcpy(h.station_pk, other.pub.pk, CS_PK_LEN);
	}
	cs_buf_fixed(&hb, hdrm, sizeof hdrm);
	if (cs_header_encode(&hb, &h) != CS_OK)
		die("%s", "header encoding");
	cs_buf_init(&env, 1 << 16);
	if (cs_cose_sign1_create(&env, CS_KIND_HEADER, hb.p, hb.len, other.sk != NULL ? other.sk : sk.sk,
		&e) != CS_OK)
		die("%s", "header signature");
	ent[0] = (cs_bundle_entry){CS_ENTRY_HEADER, env.p, env.len, NULL};
	ent[1] = (cs_bundle_entry){CS_ENTRY_ORDER, ob, on, NULL};
	ent[2] = (cs_bundle_entry){CS_ENTRY_RECORDS, NULL, 0, (const char *)tmpname};
	if (cs_bundle_write(out, ent, 3, (time_t)created, &e) != CS_OK) {
		unlink((char *)tmpname);
		die("cannot write %s", out);
	}
	unlink((char *)tmpname);
	cs_seckey_free(&sk);
	cs_seckey_free(&other);
	cs_buf_free(&env);
	cs_file_free(ob, on);
	free(jobs);
	(void)i;
	return 0;
}
