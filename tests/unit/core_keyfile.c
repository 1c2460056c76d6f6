/* Key files: round trip, wrong passphrase, tampering, absurd KDF parameters. */
#include "t.h"

#include <sodium.h>
#include <time.h>

#include "format/keyfile.h"
#include "format/cbor.h"

static const char pass[] = "correct horse battery staple";

/* Re-encodes a secret key file with the header edited by fn, keeping the
 * original ciphertext (so only the header changes). */
static size_t
edit_secret(uint8_t *out, size_t cap, const uint8_t *text, size_t n, uint64_t mem)
{
	uint8_t bin[4096], hdr[1024], file[2048];
	const uint8_t *nl = memchr(text, '\n', n), *h, *ct;
	size_t binlen, hn, cn, cnt, i;
	cs_cr r, hr;
	cs_buf hb, fb;
	cs_cw w;
	cs_err e;
	uint64_t key;
	int64_t prev = -1;

	cs_err_clear(&e);
	sodium_base642bin(bin, sizeof bin, (const char *)nl + 1, n - (size_t)(nl + 1 - text) - 1, NULL,
	    &binlen, NULL, sodium_base64_VARIANT_ORIGINAL);
	cs_cr_init(&r, bin, binlen, &e);
	T_MUST(cs_cr_array(&r, &cnt, 2, 2));
	T_MUST(cs_cr_bytes(&r, &h, &hn, 1, 1024));
	T_MUST(cs_cr_bytes(&r, &ct, &cn, 48, 48));
	/* copy the header map, replacing field 8 (memory) */
	cs_cr_init(&hr, h, hn, &e);
	T_MUST(cs_cr_map(&hr, &cnt, 10, 10));
	cs_buf_fixed(&hb, hdr, sizeof hdr);
	cs_cw_init(&w, &hb);
	cs_cw_map_begin(&w);
	for (i = 0; i < cnt; i++) {
		const uint8_t *vs;

		T_MUST(cs_cr_key(&hr, &key, &prev));
		vs = hr.p;
		T_MUST(cs_cr_skip(&hr, 4));
		cs_cw_uint(&w, key);
		if (key == 8)
			cs_cw_uint(&w, mem);
		else
			cs_cw_raw(&w, vs, (size_t)(hr.p - vs));
	}
	cs_cw_map_end(&w);
	if (cs_cw_finish(&w) != 0)
		abort();
	cs_buf_fixed(&fb, file, sizeof file);
	cs_cw_init(&w, &fb);
	cs_cw_array_begin(&w);
	cs_cw_bytes(&w, hb.p, hb.len);
	cs_cw_bytes(&w, ct, cn);
	cs_cw_array_end(&w);
	if (cs_cw_finish(&w) != 0)
		abort();
	i = (size_t)(nl + 1 - text);
	memcpy(out, text, i);
	sodium_bin2base64((char *)out + i, cap - i, fb.p, fb.len, sodium_base64_VARIANT_ORIGINAL);
	i += strlen((char *)out + i);
	out[i++] = '\n';
	return i;
}

int
main(void)
{
	uint8_t pubm[4096], secm[4096], bad[4096];
	cs_buf pub, sec;
	cs_seckey k, u;
	cs_pubkey p;
	cs_err e;
	size_t n;
	clock_t t0;

	if (cs_crypto_init() != 0)
		return 2;
	cs_err_clear(&e);
	T_OK(cs_seckey_generate(&k, "alice", "Alice Example", &e) == CS_OK, "key generated");
	T_OK(cs_seckey_generate(&u, "bad id!", NULL, &e) == CS_USAGE, "an id with '!' is refused");
	cs_err_clear(&e);
	T_OK(cs_seckey_generate(&u, "x", "\x1b[31mred", &e) == CS_USAGE,
	    "a name with an escape sequence is refused");
	cs_buf_fixed(&pub, pubm, sizeof pubm);
	cs_buf_fixed(&sec, secm, sizeof secm);
	cs_err_clear(&e);
	T_OK(cs_pubkey_format(&pub, &k.pub) == CS_OK &&
		 cs_seckey_format(&sec, &k, pass, strlen(pass), CS_KDF_INTERACTIVE, &e) == CS_OK,
	    "key files formatted");
	T_OK(memmem(sec.p, sec.len, k.sk, 32) == NULL && memmem(pub.p, pub.len, k.sk, 32) == NULL,
	    "the seed does not appear in either file");
	T_OK(cs_pubkey_parse(&p, pub.p, pub.len, &e) == CS_OK &&
		 memcmp(p.pk, k.pub.pk, 32) == 0 && strcmp(p.name, "Alice Example") == 0,
	    "public key file parses back");
	T_OK(cs_seckey_unlock(&u, sec.p, sec.len, pass, strlen(pass), &e) == CS_OK &&
		 sodium_memcmp(u.sk, k.sk, 64) == 0,
	    "secret key unlocks with the right passphrase");
	cs_seckey_free(&u);
	T_OK(u.sk == NULL, "freed secret is cleared");
	cs_err_clear(&e);
	T_OK(cs_seckey_unlock(&u, sec.p, sec.len, "wrong", 5, &e) == CS_REJECT &&
		 strcmp(e.reason, "passphrase") == 0 && u.sk == NULL,
	    "a wrong passphrase is one clean error");
	/* the header is associated data: change the name, keep the ciphertext */
	{
		uint8_t alt[4096];
		size_t an = edit_secret(alt, sizeof alt, sec.p, sec.len, 32768 * 1024ull);

		cs_err_clear(&e);
		T_OK(cs_seckey_unlock(&u, alt, an, pass, strlen(pass), &e) == CS_REJECT,
		    "a header edit (KDF memory) makes decryption fail: the header is authenticated");
	}
	n = edit_secret(bad, sizeof bad, sec.p, sec.len, 1ull << 40);
	cs_err_clear(&e);
	t0 = clock();
	T_OK(cs_seckey_unlock(&u, bad, n, pass, strlen(pass), &e) == CS_MALFORMED &&
		 strcmp(e.reason, "schema") == 0,
	    "a KDF memory of 1 TiB is refused (%s)", e.msg);
	T_OK((clock() - t0) < CLOCKS_PER_SEC / 10, "... before anything is allocated or derived");
	memcpy(bad, pub.p, pub.len);
	bad[pub.len] = 'x';
	bad[pub.len + 1] = '\n';
	cs_err_clear(&e);
	T_OK(cs_pubkey_parse(&p, bad, pub.len + 2, &e) == CS_MALFORMED,
	    "a public key file with a third line is refused");
	memcpy(bad, pub.p, pub.len);
	bad[pub.len - 3] = '!';
	cs_err_clear(&e);
	T_OK(cs_pubkey_parse(&p, bad, pub.len, &e) == CS_MALFORMED, "bad base64 is refused");
	cs_err_clear(&e);
	T_OK(cs_pubkey_parse(&p, sec.p, sec.len, &e) == CS_MALFORMED,
	    "a secret key file is not a public key file");
	cs_seckey_free(&k);
	return t_done();
}
