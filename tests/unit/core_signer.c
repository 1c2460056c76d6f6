/* cs_signer, through which every signature is made: whatever signs (a key
 * file's secret, a token), a signature that does not verify under the
 * signer's public key is never used, and a signer's failure stops the
 * envelope. Signers here misbehave the ways a token could. */
#include "t.h"

#include <sodium.h>

#include "crypto/signer.h"
#include "format/cose.h"

struct fake {
	uint8_t sk[64];
	int mode; /* 0 sign, 1 flip a bit, 2 another key's signature, 3 fail */
	int calls;
};

static int
fake_sign(void *key, uint8_t sig[CS_SIG_LEN], const uint8_t *msg, size_t len, cs_err *e)
{
	struct fake *f = key;
	uint8_t opk[32], osk[64];

	f->calls++;
	switch (f->mode) {
	case 3:
		return cs_fail(e, CS_MALFORMED, "token", "token was removed");
	case 2:
		crypto_sign_keypair(opk, osk);
		crypto_sign_detached(sig, NULL, msg, len, osk);
		return CS_OK;
	default:
		crypto_sign_detached(sig, NULL, msg, len, f->sk);
		if (f->mode == 1)
			sig[17] ^= 0x04;
		return CS_OK;
	}
}

int
main(void)
{
	static const uint8_t msg[] = "payload";
	uint8_t pk[32], sig[64], zero[64] = {0};
	struct fake f;
	cs_signer s, file;
	cs_buf out;
	cs_cose c;
	cs_err e;
	int mode;
	static const char *what[] = {"", "a flipped signature bit", "another key's signature",
	    "the token's failure"};

	if (sodium_init() < 0)
		return 1;
	memset(&f, 0, sizeof f);
	crypto_sign_keypair(pk, f.sk);
	memcpy(s.pk, pk, 32);
	s.sign = fake_sign;
	s.key = &f;

	cs_err_clear(&e);
	T_OK(cs_signer_sign(&s, sig, msg, sizeof msg, &e) == CS_OK &&
		 crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0,
	    "a signer that signs right: its signature is returned and verifies");
	cs_signer_sk(&file, f.sk);
	T_OK(memcmp(file.pk, pk, 32) == 0, "a key file's signer carries the secret key's public half");
	T_OK(cs_signer_sign(&file, sig, msg, sizeof msg, &e) == CS_OK &&
		 crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0,
	    "a key file's signer signs with libsodium");
	for (mode = 1; mode <= 3; mode++) {
		f.mode = mode;
		memset(sig, 0xaa, sizeof sig);
		cs_err_clear(&e);
		T_OK(cs_signer_sign(&s, sig, msg, sizeof msg, &e) != CS_OK &&
			 strcmp(e.reason, mode == 3 ? "token" : "self-check") == 0 &&
			 memcmp(sig, zero, sizeof sig) == 0,
		    "%s is refused (%s) and the signature zeroed", what[mode], e.reason);
	}

	/* through the COSE layer: nothing is appended when the signer fails */
	f.mode = 1;
	cs_buf_init(&out, 4096);
	cs_err_clear(&e);
	T_OK(cs_cose_sign1_with(&out, "record", msg, sizeof msg, &s, &e) == CS_MALFORMED &&
		 strcmp(e.reason, "self-check") == 0 && out.len == 0,
	    "a COSE_Sign1 whose signature would not verify is not written");
	f.mode = 0;
	cs_err_clear(&e);
	T_OK(cs_cose_sign_draft(&out, "policy", msg, sizeof msg) == CS_OK &&
		 cs_cose_decode(&c, out.p, out.len, &e) == CS_OK,
	    "a COSE_Sign draft");
	{
		cs_buf signed1, signed2;
		int added = 0;

		cs_buf_init(&signed1, 4096);
		cs_buf_init(&signed2, 4096);
		f.mode = 2;
		T_OK(cs_cose_sign_add_with(&signed1, &c, &s, &added, &e) == CS_MALFORMED &&
			 signed1.len == 0 && !added,
		    "a signature by another key than the signer's is not added");
		f.mode = 0;
		cs_err_clear(&e);
		T_OK(cs_cose_sign_add_with(&signed1, &c, &s, &added, &e) == CS_OK && added,
		    "the signer's own signature is added");
		T_OK(cs_cose_sign_add(&signed2, &c, f.sk, &added, &e) == CS_OK &&
			 signed1.len == signed2.len && memcmp(signed1.p, signed2.p, signed1.len) == 0,
		    "the same as through the secret key directly (Ed25519 is deterministic)");
		cs_buf_free(&signed1);
		cs_buf_free(&signed2);
	}
	cs_buf_free(&out);
	return t_done();
}
