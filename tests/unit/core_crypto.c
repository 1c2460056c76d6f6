/* Signature verification as the project means it: libsodium plus the
 * prime-order check of the key; key ids; digests; the COSE profile. */
#include "t.h"

#include <sodium.h>

#include "../tools/cosehdr.h"
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
}

/* ---- the profile's headers: envelopes that are canonical CBOR and carry a
 * valid Ed25519 signature over exactly the headers they have, so that only
 * the profile check (formats.md, "COSE profile") can refuse them ---------- */

/* A header map: alg (0: none), the content type of kind (NULL: none), kid
 * (NULL: none), and the unknown label 99 => 0 when extra is set. */
static void
mkhdr(cs_buf *b, uint8_t *mem, size_t cap, int64_t alg, const char *kind, const uint8_t *kid,
    int extra)
{
	cs_buf_fixed(b, mem, cap);
	if (cosehdr(b, alg, kind, kid, extra) != 0)
		abort();
}

struct hdrs {
	cs_buf prot, unprot;   /* Sign1: its headers; Sign: the body's */
	cs_buf sprot, sunprot; /* Sign: the one signer's */
	uint8_t m[4][128];
};

/* The headers the profile wants for kind, signed by the key with kid. */
static void
profile_hdrs(struct hdrs *h, int multi, const char *kind, const uint8_t *kid)
{
	if (multi) {
		mkhdr(&h->prot, h->m[0], sizeof h->m[0], 0, kind, NULL, 0);
		mkhdr(&h->sprot, h->m[2], sizeof h->m[2], CS_COSE_ALG_EDDSA, NULL, kid, 0);
		mkhdr(&h->sunprot, h->m[3], sizeof h->m[3], 0, NULL, NULL, 0);
	} else {
		mkhdr(&h->prot, h->m[0], sizeof h->m[0], CS_COSE_ALG_EDDSA, kind, kid, 0);
	}
	mkhdr(&h->unprot, h->m[1], sizeof h->m[1], 0, NULL, NULL, 0);
}

/* Encodes the envelope with h's headers, signed over exactly those headers;
 * 0 when the signature verifies over that Sig_structure. */
static int
seal(cs_buf *out, uint8_t *mem, size_t cap, int multi, const struct hdrs *h,
    const uint8_t *payload, size_t plen, const uint8_t pk[32], const uint8_t sk[64])
{
	uint8_t sig[CS_SIG_LEN], tm[1024];
	cs_buf tbs;
	cs_cose_raw_signer rs;

	cs_buf_fixed(&tbs, tm, sizeof tm);
	if (cs_cose_tbs_raw(&tbs, h->prot.p, h->prot.len, multi ? h->sprot.p : NULL,
		multi ? h->sprot.len : 0, NULL, 0, payload, plen) != CS_OK)
		return -1;
	crypto_sign_detached(sig, NULL, tbs.p, tbs.len, sk);
	cs_buf_fixed(out, mem, cap);
	if (multi) {
		rs = (cs_cose_raw_signer){h->sprot.p, h->sprot.len, h->sunprot.p, h->sunprot.len,
		    sig};
		if (cs_cose_encode_sign_raw(out, h->prot.p, h->prot.len, h->unprot.p,
			h->unprot.len, payload, plen, &rs, 1) != CS_OK)
			return -1;
	} else {
		rs = (cs_cose_raw_signer){h->prot.p, h->prot.len, h->unprot.p, h->unprot.len, sig};
		if (cs_cose_encode_sign1_raw(out, &rs, payload, plen) != CS_OK)
			return -1;
	}
	return cs_sig_verify(sig, tbs.p, tbs.len, pk);
}

/* A variant: well-formed canonical CBOR, validly signed, refused by the
 * decoder with reason schema and a message naming the profile rule (why). */
static void
refused(int multi, const struct hdrs *h, const uint8_t *payload, size_t plen,
    const uint8_t pk[32], const uint8_t sk[64], const char *why, const char *what)
{
	uint8_t m[2048];
	cs_buf out;
	cs_cose c;
	cs_err e;

	T_OK(seal(&out, m, sizeof m, multi, h, payload, plen, pk, sk) == 0,
	    "%s %s: built with a valid signature over its headers",
	    multi ? "COSE_Sign" : "COSE_Sign1", what);
	cs_err_clear(&e);
	T_OK(cs_cbor_check(out.p, out.len, CS_CBOR_MAX_DEPTH, &e) == CS_OK,
	    "%s %s: canonical, well-formed CBOR", multi ? "COSE_Sign" : "COSE_Sign1", what);
	cs_err_clear(&e);
	T_OK(cs_cose_decode(&c, out.p, out.len, &e) == CS_MALFORMED &&
		 strcmp(e.reason, "schema") == 0 && strstr(e.msg, why) != NULL,
	    "%s %s: refused by the profile (%s: %s)", multi ? "COSE_Sign" : "COSE_Sign1",
	    what, e.reason, e.msg);
}

/* The header slots of struct hdrs, in the order of its m[], then the two
 * where alg and kid go: a COSE_Sign1's own headers, a COSE_Sign signer's. */
enum { PROT, UNPROT, SPROT, SUNPROT, SIGNER_PROT, SIGNER_UNPROT, NONE };
/* no content type, the profile's where it goes (Sign1: beside alg and kid), or the kind's */
enum { CT_NONE, CT_PROFILE, CT_KIND };

/* A header replaced in the profile's set by one made with these entries. */
struct edit {
	int slot;
	int64_t alg;
	int ctype, kid, extra;
};

#define NO_EDIT {NONE, 0, CT_NONE, 0, 0}

/* The profile's headers with one or two replaced: refused, with why. */
struct variant {
	int multi_only;
	struct edit edit[2];
	const char *why, *what;
};

static const struct variant variants[] = {
	/* (1) a non-empty unprotected header: a harmless unknown label, or
	 * the kid repeated there */
	{0, {{UNPROT, 0, CT_NONE, 0, 1}, NO_EDIT}, "unprotected header must be empty",
	    "unprotected header {99: 0}"},
	{0, {{UNPROT, 0, CT_NONE, 1, 0}, NO_EDIT}, "unprotected header must be empty",
	    "unprotected header {4: kid}"},
	{1, {{SUNPROT, 0, CT_NONE, 0, 1}, NO_EDIT}, "unprotected header must be empty",
	    "signer's unprotected header {99: 0}"},
	/* (2) an extra protected label (the entry count is checked first),
	 * and an unknown label in place of an allowed one */
	{0, {{SIGNER_PROT, CS_COSE_ALG_EDDSA, CT_PROFILE, 1, 1}, NO_EDIT},
	    "protected header at offset", "protected header with 99: 0 added"},
	{0, {{SIGNER_PROT, CS_COSE_ALG_EDDSA, CT_PROFILE, 0, 1}, NO_EDIT},
	    "protected header: unexpected label 99", "protected header with 99: 0 for kid"},
	{1, {{PROT, 0, CT_KIND, 0, 1}, NO_EDIT}, "protected header at offset",
	    "body protected header with 99: 0 added"},
	{1, {{PROT, CS_COSE_ALG_EDDSA, CT_KIND, 0, 0}, NO_EDIT}, "protected header at offset",
	    "body protected header with alg"},
	/* (3) alg ES256 (-7), the signature still Ed25519, in a COSE_Sign (a
	 * Sign1's: in cose_profile_headers) */
	{1, {{SIGNER_PROT, -7, CT_PROFILE, 1, 0}, NO_EDIT}, "algorithm -7 is not EdDSA (-8)",
	    "alg -7"},
	/* (4) the kid moved from the protected header to the unprotected */
	{0, {{SIGNER_PROT, CS_COSE_ALG_EDDSA, CT_PROFILE, 0, 0}, {SIGNER_UNPROT, 0, CT_NONE, 1, 0}},
	    "protected header at offset", "kid in the unprotected header only"},
};

static void
cose_profile_headers(void)
{
	const uint8_t payload[] = {0xa1, 0x00, 0x01};
	const char *kinds[2] = {"record", "policy"};
	uint8_t pk[32], sk[64], kid[CS_KID_LEN], m[2048], sm[1024];
	struct hdrs h;
	cs_buf out, scratch;
	cs_cose c;
	cs_err e;
	size_t v, i;
	int multi;

	crypto_sign_keypair(pk, sk);
	cs_keyid(kid, pk);
	for (multi = 0; multi <= 1; multi++) {
		const char *kind = kinds[multi];
		const char *env = multi ? "COSE_Sign" : "COSE_Sign1";
		cs_buf *bufs[4] = {&h.prot, &h.unprot, &h.sprot, &h.sunprot};
		const char *ct = multi ? NULL : kind; /* Sign1: ctype beside alg and kid */

		/* the control: the same builder with the profile's headers is accepted */
		profile_hdrs(&h, multi, kind, kid);
		cs_err_clear(&e);
		cs_buf_fixed(&scratch, sm, sizeof sm);
		T_OK(seal(&out, m, sizeof m, multi, &h, payload, sizeof payload, pk, sk) == 0 &&
			 cs_cose_decode(&c, out.p, out.len, &e) == CS_OK && c.multi == multi &&
			 strcmp(c.kind, kind) == 0 && c.nsig == 1 &&
			 cs_cose_verify(&c, 0, pk, &scratch) == 0,
		    "%s built by hand with the profile's headers decodes and verifies", env);

		for (v = 0; v < sizeof variants / sizeof variants[0]; v++) {
			const struct variant *va = &variants[v];

			if (va->multi_only && !multi)
				continue;
			profile_hdrs(&h, multi, kind, kid);
			for (i = 0; i < 2 && va->edit[i].slot != NONE; i++) {
				const struct edit *ed = &va->edit[i];
				const char *edct = NULL;
				int slot = ed->slot;

				if (slot == SIGNER_PROT)
					slot = multi ? SPROT : PROT;
				else if (slot == SIGNER_UNPROT)
					slot = multi ? SUNPROT : UNPROT;
				if (ed->ctype == CT_KIND)
					edct = kind;
				else if (ed->ctype == CT_PROFILE)
					edct = ct;
				mkhdr(bufs[slot], h.m[slot], sizeof h.m[slot], ed->alg, edct,
				    ed->kid ? kid : NULL, ed->extra);
			}
			refused(multi, &h, payload, sizeof payload, pk, sk, va->why, va->what);
		}

		/* (3) in a COSE_Sign1 of kind record, alg ES256 (-7) is a secure
		 * element's (the signature here is still Ed25519): decoded, and
		 * never verified as EdDSA; in a Sign1 of another kind, refused */
		if (!multi) {
			profile_hdrs(&h, multi, kind, kid);
			mkhdr(&h.prot, h.m[PROT], sizeof h.m[PROT], -7, ct, kid, 0);
			cs_err_clear(&e);
			cs_buf_fixed(&scratch, sm, sizeof sm);
			T_OK(seal(&out, m, sizeof m, multi, &h, payload, sizeof payload, pk, sk) == 0 &&
				 cs_cose_decode(&c, out.p, out.len, &e) == CS_OK &&
				 c.s[0].alg == CS_COSE_ALG_ES256 && cs_cose_verify(&c, 0, pk, &scratch) != 0,
			    "COSE_Sign1 of kind record with alg -7: decoded as ES256, never verified as "
			    "EdDSA");
			profile_hdrs(&h, multi, "batch-header", kid);
			mkhdr(&h.prot, h.m[PROT], sizeof h.m[PROT], -7, "batch-header", kid, 0);
			refused(multi, &h, payload, sizeof payload, pk, sk,
			    "only device records are signed with it", "batch header with alg -7");
		}
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
	cose_profile_headers();
	return t_done();
}
