/* Runs external test vectors fed on stdin, one case a line (tests/cli/vectors.sh
 * extracts them from ../shared/vectors with jq):
 *   ed25519 ID PK MSG SIG valid|invalid      Wycheproof: cs_sig_verify must agree
 *   reject ID PK MSG SIG                     ed25519-speccheck: must be rejected
 *   sign1 NAME D X PAYLOAD PROT UNPROT TBS CBOR
 *   sign NAME D X PAYLOAD BODYPROT BODYUNPROT PROT UNPROT TBS CBOR
 * Hex fields may be "-" for empty. Headers are "label=value,..." with labels
 * alg (EdDSA -> 1: -8), ctyp (3: integer) and kid (4: the text's bytes), "-"
 * for an empty map; they are built with the canonical writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/sig.h"
#include "format/cbor.h"
#include "format/cose.h"
#include "vec.h"

int
main(void)
{
	static uint8_t pk[64], msg[4096], sig[128], d[64], x[64], outm[8192];
	static vec_cose v;
	char line[20000], *f[VEC_FIELDS];
	size_t pkn, msgn, sign;
	uint8_t sk[64], seedpk[32];
	cs_buf out;
	int nf;

	if (cs_crypto_init() != 0)
		return 2;
	while ((nf = vec_line(line, sizeof line, f)) > 0) {
		if (strcmp(f[0], "ed25519") == 0 && nf == 6) {
			pkn = unhex(pk, sizeof pk, f[2]);
			msgn = unhex(msg, sizeof msg, f[3]);
			sign = unhex(sig, sizeof sig, f[4]);
			int want = strcmp(f[5], "valid") == 0;
			int got = pkn == 32 && sign == 64 && cs_sig_verify(sig, msg, msgn, pk) == 0;
			result(got == want, want ? "wycheproof tcId %s: valid signature accepted"
						 : "wycheproof tcId %s: invalid signature rejected", f[1]);
		} else if (strcmp(f[0], "reject") == 0 && nf == 5) {
			pkn = unhex(pk, sizeof pk, f[2]);
			msgn = unhex(msg, sizeof msg, f[3]);
			sign = unhex(sig, sizeof sig, f[4]);
			result(!(pkn == 32 && sign == 64 && cs_sig_verify(sig, msg, msgn, pk) == 0),
			    "ed25519-speccheck case %s rejected", f[1]);
		} else if ((strcmp(f[0], "sign1") == 0 && nf == 9) ||
			   (strcmp(f[0], "sign") == 0 && nf == 11)) {
			int multi = strcmp(f[0], "sign") == 0;
			cs_cose_raw_signer rs;

			unhex(d, sizeof d, f[2]);
			unhex(x, sizeof x, f[3]);
			vec_cose_read(&v, f + 4, multi, "EdDSA", CS_COSE_ALG_EDDSA);
			crypto_sign_seed_keypair(seedpk, sk, d);
			result(memcmp(seedpk, x, 32) == 0, "%s: public key derived from d", f[1]);
			cs_buf_fixed(&out, outm, sizeof outm);
			vec_cose_tbs(&v, f[1]);
			crypto_sign_detached(sig, NULL, v.tbs.p, v.tbs.len, sk);
			if (multi) {
				rs = (cs_cose_raw_signer){v.sp, v.spn, v.su, v.sun, sig};
				result(cs_cose_encode_sign_raw(&out, v.bp, v.bpn, v.bu, v.bun,
					   v.msg, v.msgn, &rs, 1) == CS_OK,
				    "%s: COSE_Sign encoded", f[1]);
			} else {
				rs = (cs_cose_raw_signer){v.bp, v.bpn, v.bu, v.bun, sig};
				result(cs_cose_encode_sign1_raw(&out, &rs, v.msg, v.msgn) == CS_OK,
				    "%s: COSE_Sign1 encoded", f[1]);
			}
			result(out.len == v.cborn && memcmp(out.p, v.cborx, v.cborn) == 0,
			    "%s: COSE output reproduced byte for byte", f[1]);
		} else {
			fprintf(stderr, "unknown vector line: %s\n", f[0]);
			return 2;
		}
	}
	return vec_failed ? 1 : 0;
}
