/* SHA-256 (FIPS 180-4) with the x86 SHA extensions, else libsodium's. The
 * block function follows Intel's published use of the SHA-NI instructions
 * (sha256rnds2 does two rounds on the state split as ABEF and CDGH;
 * sha256msg1/msg2 extend the message schedule four words at a time). */
#include "verify/sha256.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_NI 1
#else
#define HAVE_NI 0
#endif

static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f,
    0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#if HAVE_NI
static void
put_be(uint8_t out[32], const uint32_t h[8])
{
	int i;

	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

static const uint32_t k[64] = {0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
    0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6,
    0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
    0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585,
    0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa,
    0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* nblocks blocks of 64 bytes into h */
__attribute__((target("sha,sse4.1"))) static void
blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i s0, s1, t, m, w[4], abef, cdgh;
	int i;

	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)&h[0]), 0xb1);
	s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)&h[4]), 0x1b);
	s0 = _mm_alignr_epi8(t, s1, 8);    /* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0); /* CDGH */
	for (; nblocks > 0; nblocks--, p += 64) {
		abef = s0;
		cdgh = s1;
		for (i = 0; i < 16; i++) {
			if (i < 4) {
				w[i] = _mm_shuffle_epi8(
				    _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)), bswap);
			} else {
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
				t = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
				t = _mm_add_epi32(t, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
				w[i & 3] = _mm_sha256msg2_epu32(t, w[(i + 3) & 3]);
			}
			m = _mm_add_epi32(w[i & 3],
			    _mm_loadu_si128((const __m128i *)(const void *)&k[4 * i]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, m);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0e));
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	t = _mm_shuffle_epi32(s0, 0x1b);   /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1);  /* DCHG */
	s0 = _mm_blend_epi16(t, s1, 0xf0); /* DCBA */
	s1 = _mm_alignr_epi8(s1, t, 8);    /* HGFE */
	_mm_storeu_si128((__m128i *)(void *)&h[0], s0);
	_mm_storeu_si128((__m128i *)(void *)&h[4], s1);
}

static int
detect(void)
{
	unsigned a, b, c, d;

	/* SSSE3 and SSE4.1 (leaf 1, ECX bits 9 and 19), SHA (leaf 7, EBX bit 29) */
	if (!__get_cpuid(1, &a, &b, &c, &d) || (c & (1u << 9)) == 0 || (c & (1u << 19)) == 0)
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0;
}
#endif

/* 0 not known yet, 1 no, 2 yes; two threads racing only detect twice
 * (cpuid is slow under a hypervisor: once a process) */
static volatile int known;

int
cs_sha256_accelerated(void)
{
#if HAVE_NI
	if (known == 0)
		known = detect() ? 2 : 1;
#else
	known = 1;
#endif
	return known == 2;
}

void
cs_sha256_portable(void)
{
	known = 1;
}

void
cs_sha256_init(cs_sha256_state *s)
{
	memset(s, 0, sizeof *s);
	s->ni = cs_sha256_accelerated();
	if (!s->ni)
		crypto_hash_sha256_init(&s->lib);
	memcpy(s->h, iv, sizeof iv);
}

void
cs_sha256_update(cs_sha256_state *s, const uint8_t *p, size_t n)
{
#if HAVE_NI
	size_t take;

	if (!s->ni) {
		crypto_hash_sha256_update(&s->lib, p, n);
		return;
	}
	s->bytes += n;
	if (s->n > 0) {
		take = 64 - s->n < n ? 64 - s->n : n;
		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		n -= take;
		if (s->n < 64)
			return;
		blocks(s->h, s->buf, 1);
		s->n = 0;
	}
	if (n >= 64) {
		blocks(s->h, p, n / 64);
		p += n / 64 * 64;
		n %= 64;
	}
	memcpy(s->buf, p, n);
	s->n = n;
#else
	crypto_hash_sha256_update(&s->lib, p, n);
#endif
}

void
cs_sha256_final(cs_sha256_state *s, uint8_t out[32])
{
#if HAVE_NI
	uint64_t bits = s->bytes * 8;
	int i;

	if (!s->ni) {
		crypto_hash_sha256_final(&s->lib, out);
		return;
	}
	/* 0x80, zeros to 56 mod 64, the length in bits big-endian */
	s->buf[s->n++] = 0x80;
	if (s->n > 56) {
		memset(s->buf + s->n, 0, 64 - s->n);
		blocks(s->h, s->buf, 1);
		s->n = 0;
	}
	memset(s->buf + s->n, 0, 56 - s->n);
	for (i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	blocks(s->h, s->buf, 1);
	put_be(out, s->h);
#else
	crypto_hash_sha256_final(&s->lib, out);
#endif
	sodium_memzero(s, sizeof *s);
}

void
cs_sha256(uint8_t out[32], const uint8_t *p, size_t n)
{
	cs_sha256_state s;
#if HAVE_NI
	uint8_t b[64];
	uint32_t h[8];

	/* one block (a key id's 32 bytes): no state to set up or wipe; the
	 * inputs hashed here are public */
	if (n <= 55 && cs_sha256_accelerated()) {
		memcpy(b, p, n);
		b[n] = 0x80;
		memset(b + n + 1, 0, 63 - n);
		b[62] = (uint8_t)(n * 8 >> 8);
		b[63] = (uint8_t)(n * 8);
		memcpy(h, iv, sizeof h);
		blocks(h, b, 1);
		put_be(out, h);
		return;
	}
#endif
	cs_sha256_init(&s);
	cs_sha256_update(&s, p, n);
	cs_sha256_final(&s, out);
}
