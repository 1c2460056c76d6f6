/* relsig: test helper that adds a signature to a release zip the way an
 * attacker could, bypassing consign sign's checks:
 *   relsig KEY.key PASSFILE IN.zip OUT.zip [random]
 * (IN may also be a COSE_Sign file, a policy or an order, signed alike)
 * signs release.cose with any key (a station's, an office key, a custodian's
 * again); "random" uses a random Ed25519 nonce, so a custodian who already
 * signed gets a second, different but valid, signature; "clear" first
 * replaces the payload with one that excludes nothing (and drops the
 * signatures over the old one): a release whose exclusion list lies;
 * "exclude INDEX REASON [SEQ]" likewise adds an exclusion of record INDEX
 * (its serial read from the records) for REASON, naming release SEQ: an
 * office insider's false "already released". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bundle/bundle.h"
#include "bundle/reader.h"
#include "format/keyfile.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/file.h"
#include "verify/batch.h"

#include "cosehdr.h"

static void
die(const char *m)
{
	fprintf(stderr, "relsig: %s\n", m);
	exit(2);
}

/* Ed25519 with a random nonce r: R = rB, S = r + H(R,A,M) a. */
static void
sign_random(uint8_t sig[64], const uint8_t *m, size_t n, const uint8_t sk[64])
{
	uint8_t az[64], a64[64] = {0}, a[32], r[32], h[64], k[32], ka[32];
	crypto_hash_sha512_state st;

	crypto_hash_sha512(az, sk, 32);
	az[0] &= 248;
	az[31] &= 127;
	az[31] |= 64;
	memcpy(a64, az, 32);
	crypto_core_ed25519_scalar_reduce(a, a64);
	crypto_core_ed25519_scalar_random(r);
	if (crypto_scalarmult_ed25519_base_noclamp(sig, r) != 0)
		die("scalarmult");
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, sig, 32);
	crypto_hash_sha512_update(&st, sk + 32, 32);
	crypto_hash_sha512_update(&st, m, n);
	crypto_hash_sha512_final(&st, h);
	crypto_core_ed25519_scalar_reduce(k, h);
	crypto_core_ed25519_scalar_mul(ka, k, a);
	crypto_core_ed25519_scalar_add(sig + 32, r, ka);
}

int
main(int argc, char **argv)
{
	uint8_t *kb, *pb, protm[64], sig[64];
	size_t kn = 0, pn = 0, len, i;
	cs_seckey k;
	cs_zipr *z = NULL;
	cs_buf ent[4], out, tbs, prot, np;
	cs_cose c;
	cs_bundle_entry be[4];
	cs_err e;
	int plain = 0;
	static const char *names[4] = {CS_ENTRY_HEADER, CS_ENTRY_ORDER, CS_ENTRY_RECORDS,
	    CS_ENTRY_RELEASE};

	if (sodium_init() < 0 || argc < 5)
		die("usage: relsig KEY.key PASSFILE IN.zip OUT.zip [random]");
	cs_err_clear(&e);
	if (cs_read_file(argv[1], CS_KEYFILE_MAX, &kb, &kn, &e) != CS_OK ||
	    cs_read_file(argv[2], 4096, &pb, &pn, &e) != CS_OK)
		die("cannot read the key or passphrase");
	for (len = 0; len < pn && pb[len] != '\n'; len++)
		;
	if (cs_seckey_unlock(&k, kb, kn, (const char *)pb, len, &e) != CS_OK)
		die("cannot unlock the key");
	if (cs_zipr_open(&z, argv[3], &e) != CS_OK) {
		/* not a zip: a COSE_Sign file (a policy, an order), signed the same way */
		uint8_t *fb;
		size_t fn;

		cs_err_clear(&e);
		if (cs_read_file(argv[3], 1u << 24, &fb, &fn, &e) != CS_OK)
			die("cannot read the input");
		for (i = 0; i < 4; i++)
			cs_buf_init(&ent[i], 1u << 30);
		if (cs_buf_add(&ent[3], fb, fn) != 0)
			die("out of memory");
		cs_file_free(fb, fn);
		plain = 1;
	} else if (cs_zipr_entries(z) != 4) {
		die("not a release zip");
	} else {
		for (i = 0; i < 4; i++) {
			cs_buf_init(&ent[i], 1u << 30);
			if (cs_zipr_read(z, (int)i, &ent[i], 1u << 30, &e) != CS_OK)
				die("cannot read an entry");
		}
	}
	if (cs_cose_decode(&c, ent[3].p, ent[3].len, &e) != CS_OK || c.nsig >= CS_COSE_MAX_SIGS)
		die("release.cose");
	cs_buf_init(&np, 1u << 20);
	if (argc > 5 && strcmp(argv[5], "clear") == 0) {
		cs_release r;

		if (cs_release_decode(&r, c.payload, c.payload_len, &e) != CS_OK)
			die("release payload");
		r.accepted = r.count;
		if (cs_release_encode(&np, &r, NULL, 0) != CS_OK)
			die("release payload");
		c.payload = np.p;
		c.payload_len = np.len;
		c.nsig = 0;
	}
	if (argc > 7 && strcmp(argv[5], "exclude") == 0) {
		cs_release r;
		cs_exclusion *x, nx;
		cs_cose rc;
		cs_record rec;
		size_t pos = 0, xi = 0, nxs = 0, off = 0, il;
		uint64_t want = strtoull(argv[6], NULL, 10), idx;

		if (cs_release_decode(&r, c.payload, c.payload_len, &e) != CS_OK)
			die("release payload");
		if ((x = calloc(r.excluded.n + 1, sizeof *x)) == NULL)
			die("out of memory");
		memset(&nx, 0, sizeof nx);
		nx.index = want;
		snprintf(nx.reason, sizeof nx.reason, "%s", argv[7]);
		nx.released_in = argc > 8 ? strtoull(argv[8], NULL, 10) : 0;
		for (idx = 0; off < ent[2].len; idx++, off += il) {
			if (cs_cbor_item_len(ent[2].p + off, ent[2].len - off, CS_RECORD_MAX, &il) != 0)
				die("records");
			if (idx == want && cs_cose_decode(&rc, ent[2].p + off, il, &e) == CS_OK &&
			    cs_record_decode(&rec, rc.payload, rc.payload_len, &e) == CS_OK) {
				nx.has_serial = 1;
				nx.serial = rec.serial;
			}
		}
		while (cs_excl_next(&r.excluded, &pos, &xi, &x[nxs])) {
			if (x[nxs].index > want && nx.index == want) {
				x[nxs + 1] = x[nxs];
				x[nxs++] = nx;
				nx.index = UINT64_MAX;
			}
			nxs++;
		}
		if (nx.index == want)
			x[nxs++] = nx;
		r.accepted = r.count - nxs;
		if (cs_release_encode(&np, &r, x, nxs) != CS_OK)
			die("release payload");
		free(x);
		c.payload = np.p;
		c.payload_len = np.len;
		c.nsig = 0;
	}
	cs_keyid(c.s[c.nsig].kid, k.pub.pk);
	cs_buf_fixed(&prot, protm, sizeof protm);
	if (cosehdr(&prot, CS_COSE_ALG_EDDSA, NULL, c.s[c.nsig].kid, 0) != 0)
		die("protected header");
	cs_buf_init(&tbs, 1u << 30);
	if (cs_cose_tbs_raw(&tbs, c.prot, c.prot_len, prot.p, prot.len, NULL, 0, c.payload,
		c.payload_len) != CS_OK)
		die("tbs");
	if (argc > 5 && strcmp(argv[5], "random") == 0)
		sign_random(sig, tbs.p, tbs.len, k.sk);
	else
		crypto_sign_detached(sig, NULL, tbs.p, tbs.len, k.sk);
	if (crypto_sign_verify_detached(sig, tbs.p, tbs.len, k.pub.pk) != 0)
		die("the new signature does not verify");
	c.s[c.nsig].prot = prot.p;
	c.s[c.nsig].prot_len = prot.len;
	c.s[c.nsig].sig = sig;
	c.nsig++;
	cs_buf_init(&out, 1u << 30);
	if (cs_cose_encode(&out, &c) != CS_OK)
		die("encode");
	if (plain) {
		if (cs_write_atomic(argv[4], out.p, out.len, 0644, 0, &e) != CS_OK)
			die("cannot write the output");
	} else {
		memset(be, 0, sizeof be);
		for (i = 0; i < 4; i++) {
			be[i].name = names[i];
			be[i].data = i == 3 ? out.p : ent[i].p;
			be[i].len = i == 3 ? out.len : ent[i].len;
		}
		if (cs_bundle_write(argv[4], be, 4, 1700000000, &e) != CS_OK)
			die("cannot write the zip");
	}
	/* freed, so that LeakSanitizer (make check-sanitize) sees no leak */
	for (i = 0; i < 4; i++)
		cs_buf_free(&ent[i]);
	cs_buf_free(&out);
	cs_buf_free(&tbs);
	cs_buf_free(&np);
	if (z != NULL)
		cs_zipr_close(z);
	cs_seckey_free(&k);
	cs_file_free(kb, kn);
	cs_file_free(pb, pn);
	return 0;
}
