/* Fuzzes the firmware reference file reader (format/refs.h) with arbitrary
 * bytes. What it accepts: 1 to 16 distinct values of 32, 48 or 64 bytes, one
 * for each line that is not skipped, each as its line spells it; written out
 * again they read back the same; orders requiring firmware evidence carry
 * them through cs_order_encode and cs_order_decode unchanged, the largest
 * order cmd/ can make within CS_PAYLOAD_MAX. What it refuses: exit 2's
 * status and reason, a printable message, and a line the input has and that
 * is not skipped (0 only for an input with none), every line before it read
 * without fault. */
#include "fuzz.h"

#include <sodium.h>

#include "format/artifact.h"
#include "format/refs.h"
#include "util/buf.h"

/* The refs.h rule for a line that holds no reference value, restated. */
static int
skipped(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'); i++)
		;
	return i == len || p[i] == '#';
}

/* Line k (1 first) of data[0..size): 1 and its start and length when the
 * input has it. Lines end with LF; a last LF does not start another. */
static int
nth_line(const uint8_t *data, size_t size, size_t k, size_t *at, size_t *len)
{
	size_t a = 0, e, ln;

	for (ln = 1; a < size; a = e + 1, ln++) {
		for (e = a; e < size && data[e] != '\n'; e++)
			;
		if (ln == k) {
			*at = a;
			*len = e - a;
			return 1;
		}
	}
	return 0;
}

/* How many lines of data[0..size) are not skipped. */
static size_t
content_lines(const uint8_t *data, size_t size)
{
	size_t a = 0, e, n = 0;

	for (; a < size; a = e + 1) {
		for (e = a; e < size && data[e] != '\n'; e++)
			;
		n += !skipped(data + a, e - a);
	}
	return n;
}

static int
hash_len_ok(size_t n)
{
	return n == 32 || n == 48 || n == 64;
}

static int
same_value(const cs_fwref *a, const cs_fwref *b)
{
	return strcmp(a->type, b->type) == 0 && a->value_len == b->value_len &&
	       memcmp(a->value, b->value, a->value_len) == 0 && a->signer_len == b->signer_len &&
	       memcmp(a->signer, b->signer, a->signer_len) == 0;
}

/* The fields of line text[0..len), split where refs.h says: 3 of them. */
static void
check_spelling(const cs_fwref *f, const uint8_t *text, size_t len)
{
	char s[CS_REFS_LINE_MAX + 1], hex[2 * CS_REF_HASH_MAX + 1], *fld[4];
	size_t i, nf = 0;
	int in = 0;

	FUZZ_REQUIRE(len <= CS_REFS_LINE_MAX);
	memcpy(s, text, len);
	s[len] = '\0';
	for (i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
			s[i] = '\0';
			in = 0;
		} else if (!in) {
			FUZZ_REQUIRE(nf < 3);
			fld[nf++] = s + i;
			in = 1;
		}
	}
	FUZZ_REQUIRE(nf == 3);
	FUZZ_REQUIRE(strcmp(fld[0], f->type[0] == '\0' ? "*" : f->type) == 0);
	cs_hex(hex, f->value, f->value_len);
	FUZZ_REQUIRE(strcasecmp(fld[1], hex) == 0);
	cs_hex(hex, f->signer, f->signer_len);
	FUZZ_REQUIRE(strcasecmp(fld[2], hex) == 0);
}

/* The largest order cmd/ can make (its station keys valid points, which the
 * decoder checks), requiring ev and carrying r's values: encoded within
 * CS_PAYLOAD_MAX, it decodes to the same. */
static void
check_order(const cs_refs *r, unsigned ev)
{
	static cs_order o, d;
	static uint8_t station[CS_MAX_STATIONS][CS_PK_LEN];
	static int keyed;
	uint8_t seed[32], sk[64];
	cs_buf b;
	cs_err e;
	size_t i;

	memset(&o, 0, sizeof o);
	memset(o.deployment, 0xd5, sizeof o.deployment);
	memset(o.policy, 0x22, sizeof o.policy);
	memset(o.batch, 'B', CS_ID_MAX);
	memset(o.product, 'P', CS_NAME_MAX);
	o.first = 0;
	o.last = UINT64_MAX;
	o.quantity = CS_MAX_QUANTITY;
	memset(o.nonce, 0x33, sizeof o.nonce);
	o.nstation = CS_MAX_STATIONS;
	for (i = 0; i < CS_MAX_STATIONS && !keyed; i++) {
		memset(seed, (int)i + 1, sizeof seed);
		crypto_sign_seed_keypair(station[i], sk, seed);
	}
	keyed = 1;
	memcpy(o.station, station, sizeof station);
	o.evidence = ev;
	o.nref = r->n;
	memcpy(o.ref, r->ref, r->n * sizeof r->ref[0]);
	cs_buf_init(&b, CS_PAYLOAD_MAX);
	FUZZ_REQUIRE(cs_order_encode(&b, &o) == CS_OK && !b.overflow);
	cs_err_clear(&e);
	FUZZ_REQUIRE(cs_order_decode(&d, b.p, b.len, &e) == CS_OK);
	FUZZ_REQUIRE(d.evidence == ev && d.nref == r->n);
	for (i = 0; i < r->n; i++)
		FUZZ_REQUIRE(same_value(&d.ref[i], &r->ref[i]));
	FUZZ_REQUIRE(memcmp(d.deployment, o.deployment, sizeof o.deployment) == 0 &&
	    memcmp(d.policy, o.policy, sizeof o.policy) == 0 && strcmp(d.batch, o.batch) == 0 &&
	    strcmp(d.product, o.product) == 0 && d.first == o.first && d.last == o.last &&
	    d.quantity == o.quantity && memcmp(d.nonce, o.nonce, sizeof o.nonce) == 0 &&
	    d.nstation == o.nstation && memcmp(d.station, o.station, sizeof o.station) == 0);
	cs_buf_free(&b);
}

static void
accepted(const cs_refs *r, const uint8_t *data, size_t size)
{
	static cs_refs again;
	static char text[CS_ORDER_REFS_MAX * (CS_REF_TYPE_MAX + 4 * CS_REF_HASH_MAX + 4)];
	char hv[2 * CS_REF_HASH_MAX + 1], hs[2 * CS_REF_HASH_MAX + 1];
	size_t i, j, at, len, tl = 0, line;
	cs_err e;

	FUZZ_REQUIRE(r->n >= 1 && r->n <= CS_ORDER_REFS_MAX);
	FUZZ_REQUIRE(r->n == content_lines(data, size));
	for (i = 0; i < r->n; i++) {
		const cs_fwref *f = &r->ref[i];
		size_t tn = strlen(f->type);

		FUZZ_REQUIRE(hash_len_ok(f->value_len) && hash_len_ok(f->signer_len));
		FUZZ_REQUIRE(f->value == r->value[i] && f->signer == r->signer[i]);
		FUZZ_REQUIRE(tn <= CS_REF_TYPE_MAX && strcmp(f->type, "*") != 0);
		for (j = 0; j < tn; j++)
			FUZZ_REQUIRE(f->type[j] > 0x20 && f->type[j] <= 0x7e);
		FUZZ_REQUIRE(tn == 0 || cs_text_valid(f->type, CS_REF_TYPE_MAX));
		for (j = 0; j < i; j++)
			FUZZ_REQUIRE(!same_value(&r->ref[j], f));
		FUZZ_REQUIRE(i == 0 || r->line[i] > r->line[i - 1]);
		FUZZ_REQUIRE(nth_line(data, size, r->line[i], &at, &len));
		FUZZ_REQUIRE(!skipped(data + at, len));
		check_spelling(f, data + at, len);
	}

	/* written out one a line, they read back the same */
	for (i = 0; i < r->n; i++) {
		cs_hex(hv, r->ref[i].value, r->ref[i].value_len);
		cs_hex(hs, r->ref[i].signer, r->ref[i].signer_len);
		tl += (size_t)snprintf(text + tl, sizeof text - tl, "%s %s\t%s\n",
		    r->ref[i].type[0] != '\0' ? r->ref[i].type : "*", hv, hs);
		FUZZ_REQUIRE(tl < sizeof text);
	}
	cs_err_clear(&e);
	FUZZ_REQUIRE(cs_refs_parse(&again, (const uint8_t *)text, tl, &line, &e) == CS_OK);
	FUZZ_REQUIRE(again.n == r->n && line == 0);
	for (i = 0; i < r->n; i++)
		FUZZ_REQUIRE(same_value(&again.ref[i], &r->ref[i]) && again.line[i] == i + 1);

	check_order(r, CS_EV_FIRMWARE);
	check_order(r, CS_EV_ALL);
}

static void
refused(int rc, const cs_err *e, const cs_refs *r, size_t line, const uint8_t *data, size_t size)
{
	static cs_refs before;
	size_t i, at, len, n, bl, k;
	cs_err e2;
	int rc2;

	FUZZ_REQUIRE(rc == CS_USAGE && e->status == CS_USAGE && strcmp(e->reason, "usage") == 0);
	FUZZ_REQUIRE(e->subject[0] == '\0');
	n = strnlen(e->msg, sizeof e->msg);
	FUZZ_REQUIRE(n > 0 && n < sizeof e->msg);
	for (i = 0; i < n; i++)
		FUZZ_REQUIRE(e->msg[i] >= 0x20 && e->msg[i] <= 0x7e);
	FUZZ_REQUIRE(r->n == 0);
	if (line == 0) {
		FUZZ_REQUIRE(size > CS_REFS_FILE_MAX || content_lines(data, size) == 0);
		return;
	}
	FUZZ_REQUIRE(nth_line(data, size, line, &at, &len));
	FUZZ_REQUIRE(!skipped(data + at, len));

	/* the lines before it read without fault */
	bl = content_lines(data, at);
	cs_err_clear(&e2);
	rc2 = cs_refs_parse(&before, data, at, &k, &e2);
	if (bl == 0) {
		FUZZ_REQUIRE(rc2 == CS_USAGE && k == 0);
	} else {
		FUZZ_REQUIRE(rc2 == CS_OK && before.n == bl);
	}
	if (strncmp(e->msg, "more than", 9) == 0) {
		FUZZ_REQUIRE(bl == CS_ORDER_REFS_MAX);
	} else if (sscanf(e->msg, "repeats line %zu", &k) == 1) {
		FUZZ_REQUIRE(k < line);
		for (i = 0; i < before.n && before.line[i] != k; i++)
			;
		FUZZ_REQUIRE(i < before.n);
	} else {
		/* a fault of the line itself: alone, it is refused the same way */
		cs_err_clear(&e2);
		rc2 = cs_refs_parse(&before, data + at, len, &k, &e2);
		FUZZ_REQUIRE(rc2 == CS_USAGE && k == 1 && strcmp(e2.msg, e->msg) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cs_refs r;
	size_t line = 12345;
	cs_err e;
	int rc;

	fuzz_init();
	cs_err_clear(&e);
	memset(&r, 0xa5, sizeof r);
	rc = cs_refs_parse(&r, data, size, &line, &e);
	if (rc == CS_OK) {
		FUZZ_REQUIRE(line == 0 && e.status == CS_OK);
		accepted(&r, data, size);
	} else {
		refused(rc, &e, &r, line, data, size);
	}
	return 0;
}
