/* The verifier's SHA-256 (lib/verify/sha256.c): the FIPS 180-2 examples,
 * then every length up to 1,100 bytes and random splits of the input into
 * updates, against libsodium's crypto_hash_sha256, on the accelerated path
 * when this processor has the SHA extensions and on the portable one. */
#include "t.h"

#include <sodium.h>

#include "verify/sha256.h"

static int
hexeq(const uint8_t d[32], const char *hex)
{
	char h[65];

	sodium_bin2hex(h, sizeof h, d, 32);
	return strcmp(h, hex) == 0;
}

static void
known(const char *path)
{
	static uint8_t a[1000000];
	uint8_t d[32];
	cs_sha256_state s;
	size_t i;

	cs_sha256(d, (const uint8_t *)"abc", 3);
	T_OK(hexeq(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    "%s: \"abc\"", path);
	cs_sha256(d, (const uint8_t *)"", 0);
	T_OK(hexeq(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	    "%s: the empty string", path);
	cs_sha256(d, (const uint8_t *)"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	T_OK(hexeq(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
	    "%s: 448 bits", path);
	memset(a, 'a', sizeof a);
	cs_sha256_init(&s);
	for (i = 0; i < sizeof a; i += 999)
		cs_sha256_update(&s, a + i, sizeof a - i < 999 ? sizeof a - i : 999);
	cs_sha256_final(&s, d);
	T_OK(hexeq(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	    "%s: a million a's in pieces of 999", path);
}

static void
against_libsodium(const char *path)
{
	static uint8_t buf[1100];
	uint8_t want[32], got[32];
	cs_sha256_state s;
	size_t n, off, take;
	int bad = 0, bad_split = 0;

	randombytes_buf(buf, sizeof buf);
	for (n = 0; n <= sizeof buf; n++) {
		crypto_hash_sha256(want, buf, n);
		cs_sha256(got, buf, n);
		bad += memcmp(want, got, 32) != 0;
		cs_sha256_init(&s);
		for (off = 0; off < n; off += take) {
			take = randombytes_uniform(130);
			if (take > n - off)
				take = n - off;
			cs_sha256_update(&s, buf + off, take);
		}
		cs_sha256_final(&s, got);
		bad_split += memcmp(want, got, 32) != 0;
	}
	T_OK(bad == 0, "%s: every length 0..%zu as libsodium (%d differ)", path, sizeof buf, bad);
	T_OK(bad_split == 0, "%s: ... and in random pieces (%d differ)", path, bad_split);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	if (cs_sha256_accelerated()) {
		known("SHA extensions");
		against_libsodium("SHA extensions");
	} else {
		t_skip("this processor has no SHA extensions: only the portable path is tested");
	}
	cs_sha256_portable();
	T_OK(!cs_sha256_accelerated(), "the portable path can be chosen");
	known("libsodium");
	against_libsodium("libsodium");
	return t_done();
}
