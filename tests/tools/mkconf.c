/* mkconf: the byte-level writer behind the conformance corpus
 * (tests/conformance/mkcorpus.sh). Artifacts are written from a subset of
 * CBOR diagnostic notation, field by field as the spec names them and in the
 * order given (so a test can also write them out of order), and signed with
 * keys drawn from fixed seeds, so every file repeats byte for byte.
 *
 *   mkconf cbor DIAG OUT          the encoding of DIAG
 *   mkconf sig KEY FILE           Ed25519 signature of FILE's bytes, hex
 *   mkconf pk KEY | kid KEY       a key's public key or key id, hex
 *   mkconf digest KIND FILE       SHA-256(KIND || 0x00 || FILE's bytes), hex
 *   mkconf payload COSE OUT       the payload of a COSE_Sign1 or COSE_Sign
 *   mkconf zip OUT NAME=FILE...   a zip of those entries as consign writes
 *                                 them (stored, time 1700000000)
 *
 * KEY: seed SHA-256("consign golden key " NAME), as the golden files'
 * (tests/tools/golden.c); "mixed:NAME" is NAME's key plus the point of order
 * 2 (not of prime order), which verifies NAME's signatures only when their
 * hash is even: sig then fails (exit 1) when this one would not verify.
 *
 * DIAG: unsigned and negative integers, "text" (\" and \\ escapes),
 * h'hex', [items], {key: value, ...} (kept in the order written), N(item) a
 * tag, null, true, false, <<item>> a byte string holding the item's
 * encoding, @PATH a byte string holding the file, raw'hex' bytes inserted as
 * they are (for non-canonical heads), pk(KEY) and kid(KEY) byte strings. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bundle/bundle.h"
#include "format/cose.h"
#include "util/buf.h"
#include "util/file.h"

#define MAXFILE (64u << 20)

struct key {
	uint8_t pk[32], sk[64];
};

static const char *src, *pos;

static void
die(const char *m, const char *arg)
{
	fprintf(stderr, "mkconf: %s%s%s\n", m, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

/* The order-2 point (0, -1). */
static const uint8_t order2[32] = {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};

static void
key(struct key *k, const char *name)
{
	char label[128];
	uint8_t seed[32];
	int mixed = strncmp(name, "mixed:", 6) == 0;

	if (mixed)
		name += 6;
	if (snprintf(label, sizeof label, "consign golden key %s", name) >= (int)sizeof label)
		die("key name too long", name);
	crypto_hash_sha256(seed, (const uint8_t *)label, strlen(label));
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	if (mixed) {
		if (crypto_core_ed25519_add(k->pk, k->pk, order2) != 0)
			die("cannot add the order-2 point", name);
		memcpy(k->sk + 32, k->pk, 32);
	}
	sodium_memzero(seed, sizeof seed);
}

static uint8_t *
slurp(const char *path, size_t *n)
{
	uint8_t *p;
	cs_err e;

	cs_err_clear(&e);
	if (cs_read_file(path, MAXFILE, &p, n, &e) != CS_OK)
		die(e.msg, path);
	return p;
}

static void
spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die("cannot write", path);
}

static void
hexout(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/* ---- the diagnostic notation ------------------------------------------- */

static void
add(cs_buf *b, const void *p, size_t n)
{
	if (cs_buf_add(b, p, n) != 0)
		die("out of memory", NULL);
}

static void
head(cs_buf *b, unsigned major, uint64_t v)
{
	uint8_t h[9];
	size_t n, i;

	if (v < 24) {
		h[0] = (uint8_t)(major << 5 | v);
		n = 1;
	} else if (v <= 0xff) {
		h[0] = (uint8_t)(major << 5 | 24);
		n = 2;
	} else if (v <= 0xffff) {
		h[0] = (uint8_t)(major << 5 | 25);
		n = 3;
	} else if (v <= 0xffffffffu) {
		h[0] = (uint8_t)(major << 5 | 26);
		n = 5;
	} else {
		h[0] = (uint8_t)(major << 5 | 27);
		n = 9;
	}
	for (i = 1; i < n; i++)
		h[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	add(b, h, n);
}

static void
ws(void)
{
	while (isspace((unsigned char)*pos))
		pos++;
}

static void
expect(char c)
{
	ws();
	if (*pos != c) {
		char m[64];

		snprintf(m, sizeof m, "expected '%c' at offset %d", c, (int)(pos - src));
		die(m, src);
	}
	pos++;
}

static int
lit(const char *w)
{
	size_t n = strlen(w);

	ws();
	if (strncmp(pos, w, n) != 0)
		return 0;
	pos += n;
	return 1;
}

static void
hexbytes(cs_buf *b)
{
	uint8_t v;

	while (*pos != '\'') {
		unsigned hi = 0, lo = 0;

		if (isspace((unsigned char)*pos)) {
			pos++;
			continue;
		}
		if (!isxdigit((unsigned char)pos[0]) || !isxdigit((unsigned char)pos[1]) ||
		    sscanf(pos, "%1x%1x", &hi, &lo) != 2)
			die("bad hex", src);
		v = (uint8_t)(hi << 4 | lo);
		add(b, &v, 1);
		pos += 2;
	}
	pos++;
}

/* A name in parentheses: pk(NAME), kid(NAME). */
static void
argname(char *out, size_t cap)
{
	size_t n = 0;

	expect('(');
	while (*pos != ')' && *pos != '\0' && n + 1 < cap)
		out[n++] = *pos++;
	out[n] = '\0';
	expect(')');
}

static void item(cs_buf *b);

/* The items of an array or map up to END, into body; returns their count. */
static uint64_t
items(cs_buf *body, char end, int pairs)
{
	uint64_t n = 0;

	ws();
	while (*pos != end) {
		if (*pos == '\0')
			die("unterminated", src);
		item(body);
		if (pairs) {
			expect(':');
			item(body);
		}
		n++;
		ws();
		if (*pos == ',')
			pos++;
		ws();
	}
	pos++;
	return n;
}

static void
item(cs_buf *b)
{
	cs_buf t;
	char name[100];
	struct key k;

	ws();
	if (lit("h'")) {
		cs_buf_init(&t, MAXFILE);
		hexbytes(&t);
		head(b, 2, t.len);
		add(b, t.p, t.len);
		cs_buf_free(&t);
	} else if (lit("raw'")) {
		hexbytes(b);
	} else if (lit("<<")) {
		cs_buf_init(&t, MAXFILE);
		item(&t);
		expect('>');
		expect('>');
		head(b, 2, t.len);
		add(b, t.p, t.len);
		cs_buf_free(&t);
	} else if (*pos == '"') {
		cs_buf_init(&t, MAXFILE);
		for (pos++; *pos != '"'; pos++) {
			if (*pos == '\0')
				die("unterminated text", src);
			if (*pos == '\\')
				pos++;
			add(&t, pos, 1);
		}
		pos++;
		head(b, 3, t.len);
		add(b, t.p, t.len);
		cs_buf_free(&t);
	} else if (*pos == '[' || *pos == '{') {
		int map = *pos == '{';
		uint64_t n;

		pos++;
		cs_buf_init(&t, MAXFILE);
		n = items(&t, map ? '}' : ']', map);
		head(b, map ? 5 : 4, n);
		add(b, t.p, t.len);
		cs_buf_free(&t);
	} else if (*pos == '@') {
		uint8_t *p;
		size_t n = 0;

		for (pos++; *pos != '\0' && !isspace((unsigned char)*pos) && !strchr(",]}>)", *pos);
		     pos++)
			if (n + 1 < sizeof name)
				name[n++] = *pos;
		name[n] = '\0';
		p = slurp(name, &n);
		head(b, 2, n);
		add(b, p, n);
		cs_file_free(p, n);
	} else if (lit("pk")) {
		argname(name, sizeof name);
		key(&k, name);
		head(b, 2, 32);
		add(b, k.pk, 32);
	} else if (lit("kid")) {
		uint8_t h[32];

		argname(name, sizeof name);
		key(&k, name);
		crypto_hash_sha256(h, k.pk, 32);
		head(b, 2, 16);
		add(b, h, 16);
	} else if (lit("null")) {
		add(b, "\xf6", 1);
	} else if (lit("true")) {
		add(b, "\xf5", 1);
	} else if (lit("false")) {
		add(b, "\xf4", 1);
	} else if (*pos == '-' || isdigit((unsigned char)*pos)) {
		int neg = *pos == '-';
		char *end;
		unsigned long long v;

		if (neg)
			pos++;
		v = strtoull(pos, &end, 10);
		if (end == pos)
			die("bad number", src);
		pos = end;
		ws();
		if (*pos == '(' && !neg) {
			pos++;
			head(b, 6, v);
			item(b);
			expect(')');
		} else if (neg) {
			if (v == 0)
				die("-0", src);
			head(b, 1, v - 1);
		} else
			head(b, 0, v);
	} else
		die("cannot parse", pos);
	sodium_memzero(&k, sizeof k);
}

int
main(int argc, char **argv)
{
	struct key k;
	uint8_t *p, out[64];
	size_t n;
	cs_buf b;
	cs_err e;

	if (sodium_init() < 0)
		return 2;
	cs_err_clear(&e);
	if (argc == 4 && strcmp(argv[1], "cbor") == 0) {
		src = pos = argv[2];
		cs_buf_init(&b, MAXFILE);
		item(&b);
		ws();
		if (*pos != '\0')
			die("trailing text", pos);
		spit(argv[3], b.p, b.len);
		cs_buf_free(&b);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "sig") == 0) {
		key(&k, argv[2]);
		p = slurp(argv[3], &n);
		crypto_sign_detached(out, NULL, p, n, k.sk);
		/* a mixed-order key: only a signature that verifies is of use */
		if (crypto_sign_verify_detached(out, p, n, k.pk) != 0 &&
		    strncmp(argv[2], "mixed:", 6) == 0)
			return 1;
		sodium_memzero(&k, sizeof k);
		cs_file_free(p, n);
		hexout(out, 64);
		return 0;
	}
	if (argc == 3 && (strcmp(argv[1], "pk") == 0 || strcmp(argv[1], "kid") == 0)) {
		key(&k, argv[2]);
		if (argv[1][0] == 'k') {
			crypto_hash_sha256(out, k.pk, 32);
			hexout(out, 16);
		} else
			hexout(k.pk, 32);
		sodium_memzero(&k, sizeof k);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "digest") == 0) {
		crypto_hash_sha256_state st;

		p = slurp(argv[3], &n);
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, (const uint8_t *)argv[2], strlen(argv[2]) + 1);
		crypto_hash_sha256_update(&st, p, n);
		crypto_hash_sha256_final(&st, out);
		cs_file_free(p, n);
		hexout(out, 32);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "payload") == 0) {
		cs_cose c;

		p = slurp(argv[2], &n);
		if (cs_cose_decode(&c, p, n, &e) != CS_OK)
			die(e.msg, argv[2]);
		spit(argv[3], c.payload, c.payload_len);
		cs_file_free(p, n);
		return 0;
	}
	if (argc >= 4 && argc <= 8 && strcmp(argv[1], "zip") == 0) {
		cs_bundle_entry ent[6];
		int i;

		memset(ent, 0, sizeof ent);
		for (i = 3; i < argc; i++) {
			char *eq = strchr(argv[i], '=');

			if (eq == NULL)
				die("want NAME=FILE", argv[i]);
			*eq = '\0';
			ent[i - 3].name = argv[i];
			ent[i - 3].file = eq + 1;
		}
		if (cs_bundle_write(argv[2], ent, (size_t)(argc - 3), 1700000000, &e) != CS_OK)
			die(e.msg, argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: mkconf cbor DIAG OUT | sig KEY FILE | pk KEY | kid KEY |\n"
			"       digest KIND FILE | payload COSE OUT | zip OUT NAME=FILE...\n");
	return 2;
}
