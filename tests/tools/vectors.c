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
	static uint8_t pk[64], msg[4096], sig[128], tbsx[4096], cborx[4096], d[64], x[64];
	static uint8_t bp[128], bu[128], sp[128], su[128], tbsm[8192], outm[8192];
	char line[20000], *f[VEC_FIELDS];
	size_t pkn, msgn, sign, n, bpn, bun, spn, sun, tbsn, cborn;
	uint8_t sk[64], seedpk[32];
	cs_buf tbs, out;
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
			msgn = unhex(msg, sizeof msg, f[4]);
			crypto_sign_seed_keypair(seedpk, sk, d);
			bpn = header(bp, sizeof bp, f[5], "EdDSA", CS_COSE_ALG_EDDSA);
			bun = header(bu, sizeof bu, f[6], "EdDSA", CS_COSE_ALG_EDDSA);
			spn = multi ? header(sp, sizeof sp, f[7], "EdDSA", CS_COSE_ALG_EDDSA) : 0;
			sun = multi ? header(su, sizeof su, f[8], "EdDSA", CS_COSE_ALG_EDDSA) : 0;
			tbsn = unhex(tbsx, sizeof tbsx, f[multi ? 9 : 7]);
			cborn = unhex(cborx, sizeof cborx, f[multi ? 10 : 8]);
			result(memcmp(seedpk, x, 32) == 0, "%s: public key derived from d", f[1]);
			cs_buf_fixed(&tbs, tbsm, sizeof tbsm);
			cs_buf_fixed(&out, outm, sizeof outm);
			result((multi ? cs_cose_tbs_raw(&tbs, bp, bpn, sp, spn, NULL, 0, msg, msgn)
				      : cs_cose_tbs_raw(&tbs, bp, bpn, NULL, 0, NULL, 0, msg, msgn)) == CS_OK,
			    "%s: ToBeSigned encoded", f[1]);
			result(tbs.len == tbsn && memcmp(tbs.p, tbsx, tbsn) == 0,
			    "%s: ToBeSigned reproduced byte for byte", f[1]);
			crypto_sign_detached(sig, NULL, tbs.p, tbs.len, sk);
			if (multi) {
				rs = (cs_cose_raw_signer){sp, spn, su, sun, sig};
				result(cs_cose_encode_sign_raw(&out, bp, bpn, bu, bun, msg, msgn, &rs, 1) == CS_OK,
				    "%s: COSE_Sign encoded", f[1]);
			} else {
				rs = (cs_cose_raw_signer){bp, bpn, bu, bun, sig};
				result(cs_cose_encode_sign1_raw(&out, &rs, msg, msgn) == CS_OK,
				    "%s: COSE_Sign1 encoded", f[1]);
			}
			result(out.len == cborn && memcmp(out.p, cborx, cborn) == 0,
			    "%s: COSE output reproduced byte for byte", f[1]);
			n = out.len;
			(void)n;
		} else {
			fprintf(stderr, "unknown vector line: %s\n", f[0]);
			return 2;
		}
	}
	return vec_failed ? 1 : 0;
}
