/* Signature verification as the project means it: libsodium plus the
 * prime-order check of the key; key ids; digests; the COSE profile. */
#include "t.h"

#include <sodium.h>

#include "crypto/sig.h"
#include "format/cose.h"

static void
order_two(void)
{
	uint8_t pk[32], sk[64], mixed[32], sig[64], t2[32];
	const char *msg = "order-2 regression";

	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, (const uint8_t *)msg, strlen(msg), sk);
	T_OK(cs_pk_valid(pk), "a fresh public key is a valid prime-order point");
	T_OK(cs_sig_verify(sig, (const uint8_t *)msg, strlen(msg), pk) == 0,
	    "a fresh signature verifies");
	/* (0, -1): the point of order 2 */
	memset(t2, 0xff, sizeof t2);
	t2[0] = 0xec;
	t2[31] = 0x7f;
	T_OK(crypto_core_ed25519_add(mixed, pk, t2) == 0, "P + (0,-1) computed");
	T_OK(!cs_pk_valid(mixed), "P + (0,-1) is refused as a public key");
	T_OK(cs_sig_verify(sig, (const uint8_t *)msg, strlen(msg), mixed) != 0,
	    "no signature verifies under P + (0,-1)");
	T_OK(!cs_pk_valid(t2), "the order-2 point itself is refused");
	memset(t2, 0, sizeof t2);
	t2[0] = 1;
	T_OK(!cs_pk_valid(t2), "the identity point is refused");
	sig[63] ^= 0x10;
	T_OK(cs_sig_verify(sig, (const uint8_t *)msg, strlen(msg), pk) != 0,
	    "a flipped signature bit is refused");
}

/* ed25519-speccheck case 3 (a mixed-order key): libsodium's own verify
 * accepts it; cs_sig_verify must not. Skipped without the vectors. */
static void
speccheck_three(void)
{
	const char *pkh = "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d";
	const char *msgh = "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79";
	const char *sigh = "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f"
			   "87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009";
	uint8_t pk[32], msg[32], sig[64];

	t_unhex(pk, sizeof pk, pkh);
	t_unhex(msg, sizeof msg, msgh);
	t_unhex(sig, sizeof sig, sigh);
	T_OK(crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0,
	    "libsodium alone accepts speccheck case 3 (mixed-order key)");
	T_OK(cs_sig_verify(sig, msg, sizeof msg, pk) != 0, "cs_sig_verify refuses speccheck case 3");
}

static void
ids(void)
{
	uint8_t pk[32], kid[16], h[32], d1[32], d2[32];

	memset(pk, 7, sizeof pk);
	cs_keyid(kid, pk);
	crypto_hash_sha256(h, pk, sizeof pk);
	T_OK(memcmp(kid, h, 16) == 0, "key id is the first 16 bytes of SHA-256(pk)");
	cs_digest(d1, "policy", (const uint8_t *)"abc", 3);
	cs_digest(d2, "order", (const uint8_t *)"abc", 3);
	T_OK(memcmp(d1, d2, 32) != 0, "the digest binds the kind");
	{
		uint8_t in[10] = {'p', 'o', 'l', 'i', 'c', 'y', 0, 'a', 'b', 'c'};

		crypto_hash_sha256(h, in, sizeof in);
		T_OK(memcmp(d1, h, 32) == 0, "digest = SHA-256(kind || 0x00 || payload)");
	}
}

static void
cose_profile(void)
{
	uint8_t pk[32], sk[64], m[2048], m2[2048], sm[1024];
	cs_buf out, out2, scratch;
	cs_cose c, c2;
	cs_err e;
	int added;
	const uint8_t payload[] = {0xa1, 0x00, 0x01};

	crypto_sign_keypair(pk, sk);
	cs_buf_fixed(&out, m, sizeof m);
	cs_buf_fixed(&scratch, sm, sizeof sm);
	cs_err_clear(&e);
	T_OK(cs_cose_sign1_create(&out, "record", payload, sizeof payload, sk, &e) == CS_OK,
	    "COSE_Sign1 created");
	T_OK(cs_cose_decode(&c, out.p, out.len, &e) == CS_OK && !c.multi &&
		 strcmp(c.kind, "record") == 0 && c.nsig == 1,
	    "COSE_Sign1 decodes in the profile with its kind");
	T_OK(cs_cose_verify(&c, 0, pk, &scratch) == 0, "COSE_Sign1 verifies");
	{
		uint8_t other[32], osk[64];

		crypto_sign_keypair(other, osk);
		T_OK(cs_cose_verify(&c, 0, other, &scratch) != 0,
		    "COSE_Sign1 does not verify under another key");
	}
	cs_buf_fixed(&out, m, sizeof m);
	T_OK(cs_cose_sign_draft(&out, "policy", payload, sizeof payload) == CS_OK &&
		 cs_cose_decode(&c, out.p, out.len, &e) == CS_OK && c.multi && c.nsig == 0,
	    "an unsigned COSE_Sign draft decodes with no signatures");
	cs_buf_fixed(&out2, m2, sizeof m2);
	T_OK(cs_cose_sign_add(&out2, &c, sk, &added, &e) == CS_OK && added,
	    "a signature is added to the draft");
	T_OK(cs_cose_decode(&c2, out2.p, out2.len, &e) == CS_OK && c2.nsig == 1 &&
		 cs_cose_verify(&c2, 0, pk, &scratch) == 0,
	    "the added signature verifies");
	cs_buf_fixed(&out, m, sizeof m);
	T_OK(cs_cose_sign_add(&out, &c2, sk, &added, &e) == CS_OK && !added,
	    "signing again with the same key adds nothing");
	T_OK(cs_cose_decode(&c, out.p, out.len, &e) == CS_OK && c.nsig == 1,
	    "the repeat is dropped by the encoder");
	/* the same signature as a Sign1 of another kind must not verify */
	{
		cs_cose fake = c2;

		fake.prot = (const uint8_t *)"\xa1\x03\x78\x22" "application/vnd.consign.order+cbor";
		fake.prot_len = 4 + 34;
		T_OK(cs_cose_verify(&fake, 0, pk, &scratch) != 0,
		    "a signature over one kind does not verify as another kind");
	}
	{
		uint8_t bad[2048];

		memcpy(bad, out2.p, out2.len);
		/* unprotected header {} -> {4: h''} is outside the profile */
		size_t i;
		int found = 0;

		for (i = 0; i + 1 < out2.len; i++)
			if (bad[i] == 0xa0) {
				found = 1;
				break;
			}
		T_OK(found, "found the unprotected header");
		cs_err_clear(&e);
		bad[i] = 0xa1;
		T_OK(cs_cose_decode(&c, bad, out2.len, &e) == CS_MALFORMED,
		    "a non-empty unprotected header is refused");
	}
}

int
main(void)
{
	if (cs_crypto_init() != 0)
		return 2;
	order_two();
	speccheck_three();
	ids();
	cose_profile();
	return t_done();
}
