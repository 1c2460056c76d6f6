/* Runs the external P-256 vectors fed on stdin, one case a line
 * (tests/cli/vectors_p256.sh extracts them from ../shared/vectors with jq):
 *   ecdsa ID PT MSG SIG valid|invalid|acceptable FLAGS
 *       Wycheproof ECDSA P-256 / SHA-256, r || s: cs_es256_verify must agree;
 *       "acceptable" is held to be refused (none in the file of dac1dd4)
 *   sign1 NAME X Y D PAYLOAD PROT UNPROT TBS CBOR
 *   sign NAME X Y D PAYLOAD BODYPROT BODYUNPROT PROT UNPROT TBS CBOR
 *       COSE WG ES256 examples: X, Y, D base64url; headers "label=value,..."
 *       with alg (ES256 -> 1: -7), ctyp (3: integer), kid (4: the text's
 *       bytes), "-" for an empty map. The ToBeSigned must be reproduced byte
 *       for byte, the output's signature must verify through the project's
 *       COSE code (ECDSA is randomised, so it is not reproduced), and a new
 *       signature under D must verify too.
 * Hex fields may be "-" for empty. Prints one ok/not ok line per check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "attest/cose_es256.h"
#include "attest/p256.h"
#include "crypto/sig.h"
#include "format/cbor.h"
#include "format/cose.h"
#include "vec.h"

static int counts[3][2]; /* valid/invalid/acceptable x agreed/disagreed */

static size_t
unb64(uint8_t *out, size_t cap, const char *b64)
{
	size_t n;

	if (sodium_base642bin(out, cap, b64, strlen(b64), NULL, &n, NULL,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		fprintf(stderr, "bad base64url\n");
		exit(2);
	}
	return n;
}

static void
ecdsa(char **f)
{
	static uint8_t pt[128], msg[4096], sig[256];
	size_t ptn = unhex(pt, sizeof pt, f[2]), msgn = unhex(msg, sizeof msg, f[3]);
	size_t sign = unhex(sig, sizeof sig, f[4]);
	int want = strcmp(f[5], "valid") == 0, kind;
	cs_p256_key *k = NULL;
	int got;

	kind = want ? 0 : strcmp(f[5], "invalid") == 0 ? 1 : 2;
	if (kind == 2 && strcmp(f[5], "acceptable") != 0) {
		fprintf(stderr, "unknown result %s\n", f[5]);
		exit(2);
	}
	got = cs_p256_key_parse(&k, pt, ptn, NULL) == CS_OK && sign == CS_ES256_SIG_LEN &&
	    cs_es256_verify(k, sig, msg, msgn) == 0;
	cs_p256_key_free(k);
	counts[kind][got != want]++;
	result(got == want, "wycheproof ecdsa-p256-sha256 tcId %s (%s, %s): %s", f[1], f[5], f[6],
	    got ? "accepted" : "refused");
}

static void
cose(char **f, int multi)
{
	static uint8_t x[64], y[64], d[64], pt[65], outm[8192];
	static vec_cose v;
	size_t xn = unb64(x, sizeof x, f[2]), yn = unb64(y, sizeof y, f[3]);
	size_t dn = unb64(d, sizeof d, f[4]), n;
	const uint8_t *sig = NULL, *p;
	cs_p256_secret *sk = NULL;
	cs_p256_key *k = NULL;
	cs_es256_sign1 s1;
	cs_cose_raw_signer rs;
	cs_buf out;
	uint8_t newsig[64];
	uint64_t tag;
	cs_err e;
	cs_cr r;

	vec_cose_read(&v, f + 5, multi, "ES256", CS_COSE_ALG_ES256);
	cs_err_clear(&e);
	if (xn != 32 || yn != 32 || dn != 32) {
		result(0, "%s: key coordinates are 32 bytes each", f[1]);
		return;
	}
	pt[0] = 0x04;
	memcpy(pt + 1, x, 32);
	memcpy(pt + 33, y, 32);
	result(cs_p256_key_parse(&k, pt, sizeof pt, &e) == CS_OK, "%s: the public key parses", f[1]);
	result(cs_p256_secret_from_scalar(&sk, d, &e) == CS_OK &&
		memcmp(cs_p256_secret_point(sk), pt, sizeof pt) == 0,
	    "%s: the public key is d times the generator", f[1]);
	if (k == NULL || sk == NULL)
		goto done;
	cs_buf_fixed(&out, outm, sizeof outm);
	vec_cose_tbs(&v, f[1]);

	if (!multi) {
		/* the output through the ES256 COSE_Sign1 reader */
		if (cs_es256_sign1_decode(&s1, v.cborx, v.cborn, &e) != CS_OK) {
			result(0, "%s: output decodes as COSE_Sign1 ES256 (%s: %s)", f[1], e.reason,
			    e.msg);
			goto done;
		}
		result(1, "%s: output decodes as COSE_Sign1 ES256", f[1]);
		result(s1.prot_len == v.bpn && memcmp(s1.prot, v.bp, v.bpn) == 0 &&
			s1.kid != NULL && s1.payload_len == v.msgn &&
			memcmp(s1.payload, v.msg, v.msgn) == 0,
		    "%s: decoded headers and payload are the inputs", f[1]);
		sig = s1.sig;
		result(cs_es256_sign1_verify(&s1, k, NULL, 0, &out) == 0,
		    "%s: the example's signature verifies", f[1]);
		out.len = 0;
		rs = (cs_cose_raw_signer){v.bp, v.bpn, v.bu, v.bun, sig};
		result(cs_cose_encode_sign1_raw(&out, &rs, v.msg, v.msgn) == CS_OK,
		    "%s: COSE_Sign1 encoded", f[1]);
	} else {
		/* COSE_Sign is not a consign shape for ES256: its one signature is
		 * taken out with the strict reader and checked over the Sig_structure */
		cs_cr_init(&r, v.cborx, v.cborn, &e);
		if (cs_cr_tag(&r, &tag) != CS_OK || tag != CS_COSE_TAG_SIGN ||
		    cs_cr_array(&r, &n, 4, 4) != CS_OK || cs_cr_bytes(&r, &p, &n, 0, 64) != CS_OK ||
		    cs_cr_skip(&r, 2) != CS_OK || cs_cr_bytes(&r, &p, &n, 0, 4096) != CS_OK ||
		    cs_cr_array(&r, &n, 1, 1) != CS_OK || cs_cr_array(&r, &n, 3, 3) != CS_OK ||
		    cs_cr_bytes(&r, &p, &n, 0, 64) != CS_OK || cs_cr_skip(&r, 2) != CS_OK ||
		    cs_cr_bytes(&r, &sig, &n, 64, 64) != CS_OK || cs_cr_done(&r) != CS_OK) {
			result(0, "%s: output reads as a COSE_Sign with one signer", f[1]);
			goto done;
		}
		result(cs_es256_verify(k, sig, v.tbs.p, v.tbs.len) == 0,
		    "%s: the example's signature verifies", f[1]);
		rs = (cs_cose_raw_signer){v.sp, v.spn, v.su, v.sun, sig};
		result(cs_cose_encode_sign_raw(&out, v.bp, v.bpn, v.bu, v.bun, v.msg, v.msgn, &rs,
			   1) == CS_OK,
		    "%s: COSE_Sign encoded", f[1]);
	}
	result(!out.overflow && out.len == v.cborn && memcmp(out.p, v.cborx, v.cborn) == 0,
	    "%s: COSE output reproduced byte for byte around its signature", f[1]);
	result(cs_es256_sign(newsig, sk, v.tbs.p, v.tbs.len, &e) == CS_OK &&
		cs_es256_verify(k, newsig, v.tbs.p, v.tbs.len) == 0,
	    "%s: a new signature under d verifies", f[1]);
	newsig[10] ^= 1;
	result(cs_es256_verify(k, newsig, v.tbs.p, v.tbs.len) != 0,
	    "%s: the new signature with one bit flipped is refused", f[1]);
done:
	cs_p256_key_free(k);
	cs_p256_secret_free(sk);
}

int
main(void)
{
	static char line[40000];
	char *f[VEC_FIELDS];
	int nf;

	if (cs_crypto_init() != 0)
		return 2;
	while ((nf = vec_line(line, sizeof line, f)) > 0) {
		if (strcmp(f[0], "ecdsa") == 0 && nf == 7) {
			ecdsa(f);
		} else if (strcmp(f[0], "sign1") == 0 && nf == 10) {
			cose(f, 0);
		} else if (strcmp(f[0], "sign") == 0 && nf == 12) {
			cose(f, 1);
		} else {
			fprintf(stderr, "unknown vector line: %s (%d fields)\n", f[0], nf);
			return 2;
		}
	}
	if (counts[0][0] + counts[0][1] + counts[1][0] + counts[1][1] + counts[2][0] + counts[2][1])
		printf("# vectors: ecdsa-p256: valid %d accepted, %d refused; invalid %d refused, "
		       "%d accepted; acceptable %d refused, %d accepted\n",
		    counts[0][0], counts[0][1], counts[1][0], counts[1][1], counts[2][0], counts[2][1]);
	return vec_failed ? 1 : 0;
}
