/* The canonical writer and the strict reader: what each must emit, accept and refuse. */
#include "t.h"

#include <cbor.h>

#include "format/cbor.h"

static int
rejects(const char *hex, const char *reason)
{
	uint8_t b[256];
	long n = t_unhex(b, sizeof b, hex);
	cs_err e;

	cs_err_clear(&e);
	return n >= 0 && cs_cbor_check(b, (size_t)n, CS_CBOR_MAX_DEPTH, &e) == CS_MALFORMED &&
	       strcmp(e.reason, reason) == 0;
}

static int
accepts(const char *hex)
{
	uint8_t b[256];
	long n = t_unhex(b, sizeof b, hex);
	cs_err e;

	cs_err_clear(&e);
	return n >= 0 && cs_cbor_check(b, (size_t)n, CS_CBOR_MAX_DEPTH, &e) == CS_OK;
}

static int
same(const cs_buf *b, const char *hex)
{
	uint8_t want[256];
	long n = t_unhex(want, sizeof want, hex);

	return n >= 0 && b->len == (size_t)n && memcmp(b->p, want, (size_t)n) == 0;
}

static void
writer(void)
{
	uint8_t m[256], small[4];
	cs_buf b;
	cs_cw w;
	cbor_item_t *it;
	unsigned char *lb = NULL;
	size_t lbn = 0;

	/* libcbor's built items are not shortest; the writer's are */
	it = cbor_build_uint64(1);
	T_OK(cbor_serialize_alloc(it, &lb, &lbn) == 9, "libcbor's cbor_build_uint64(1) is 9 bytes");
	cbor_decref(&it);
	free(lb);
	cs_buf_fixed(&b, m, sizeof m);
	cs_cw_init(&w, &b);
	cs_cw_uint(&w, 1);
	cs_cw_uint(&w, 24);
	cs_cw_uint(&w, 256);
	cs_cw_int(&w, -1);
	cs_cw_int(&w, -25);
	cs_cw_uint(&w, 4294967296ull);
	T_OK(cs_cw_finish(&w) == 0 && same(&b, "0118181901002038181b0000000100000000"),
	    "integers use their shortest heads");

	cs_buf_fixed(&b, m, sizeof m);
	cs_cw_init(&w, &b);
	cs_cw_map_begin(&w);
	cs_cw_textz(&w, "a");
	cs_cw_uint(&w, 1);
	cs_cw_int(&w, -1);
	cs_cw_uint(&w, 2);
	cs_cw_uint(&w, 10);
	cs_cw_uint(&w, 3);
	cs_cw_uint(&w, 2);
	cs_cw_array_begin(&w);
	cs_cw_uint(&w, 4);
	cs_cw_array_end(&w);
	cs_cw_map_end(&w);
	/* keys by encoded bytes: 02, 0a, 20 (-1), 61 61 ("a") */
	T_OK(cs_cw_finish(&w) == 0 && same(&b, "a40281040a032002616101"),
	    "map entries sorted by the encoded bytes of their keys");

	cs_buf_fixed(&b, m, sizeof m);
	cs_cw_init(&w, &b);
	cs_cw_map_begin(&w);
	cs_cw_uint(&w, 1);
	cs_cw_map_begin(&w);
	cs_cw_uint(&w, 9);
	cs_cw_null(&w);
	cs_cw_uint(&w, 0);
	cs_cw_bool(&w, 1);
	cs_cw_map_end(&w);
	cs_cw_uint(&w, 0);
	cs_cw_tag(&w, 18);
	cs_cw_bytes(&w, "xy", 2);
	cs_cw_map_end(&w);
	T_OK(cs_cw_finish(&w) == 0 && same(&b, "a200d242787901a200f509f6"),
	    "nested maps sorted at every level, tags kept with their item");

	cs_buf_fixed(&b, m, sizeof m);
	cs_cw_init(&w, &b);
	cs_cw_map_begin(&w);
	cs_cw_uint(&w, 1);
	cs_cw_uint(&w, 1);
	cs_cw_uint(&w, 1);
	cs_cw_uint(&w, 2);
	cs_cw_map_end(&w);
	T_OK(cs_cw_finish(&w) != 0, "a duplicate map key is an error");

	cs_buf_fixed(&b, m, sizeof m);
	cs_cw_init(&w, &b);
	cs_cw_array_begin(&w);
	cs_cw_uint(&w, 1);
	T_OK(cs_cw_finish(&w) != 0, "an unclosed array is an error");

	cs_buf_fixed(&b, m, sizeof m);
	cs_cw_init(&w, &b);
	cs_cw_map_begin(&w);
	cs_cw_uint(&w, 1);
	cs_cw_map_end(&w);
	T_OK(cs_cw_finish(&w) != 0, "a map with a key and no value is an error");

	cs_buf_fixed(&b, small, sizeof small);
	cs_cw_init(&w, &b);
	cs_cw_bytes(&w, "12345", 5);
	T_OK(cs_cw_finish(&w) != 0 && b.overflow, "overflowing a fixed buffer is an error");
}

static void
reader(void)
{
	uint8_t deep[64], big[16];
	cs_err e;
	int i;

	T_OK(accepts("00") && accepts("17") && accepts("1818") && accepts("190100") &&
		 accepts("1a00010000") && accepts("1b0000000100000000"),
	    "shortest integers accepted");
	T_OK(rejects("1805", "cbor"), "non-shortest 1-byte integer refused");
	T_OK(rejects("190010", "cbor"), "non-shortest 2-byte integer refused");
	T_OK(rejects("1a0000ffff", "cbor"), "non-shortest 4-byte integer refused");
	T_OK(rejects("1b00000000ffffffff", "cbor"), "non-shortest 8-byte integer refused");
	T_OK(rejects("380a", "cbor"), "non-shortest negative integer refused");
	T_OK(rejects("580100", "cbor"), "non-shortest byte string length refused");
	T_OK(rejects("98020102", "cbor"), "non-shortest array count refused");
	T_OK(rejects("d81200", "cbor"), "non-shortest tag refused");
	T_OK(accepts("c000") && accepts("c600") && accepts("d200") && accepts("d400") &&
		 accepts("d700") && accepts("d81800") && accepts("d86200"),
	    "tags 0..23 in one byte (libcbor 0.8 refuses 6..20) and longer tags accepted");
	T_OK(rejects("5f4101ff", "cbor"), "indefinite byte string refused");
	T_OK(rejects("7f6161ff", "cbor"), "indefinite text string refused");
	T_OK(rejects("9f01ff", "cbor"), "indefinite array refused");
	T_OK(rejects("bf0101ff", "cbor"), "indefinite map refused");
	T_OK(rejects("f90000", "cbor") && rejects("fa00000000", "cbor") &&
		 rejects("fb0000000000000000", "cbor"),
	    "floats refused");
	T_OK(rejects("f7", "cbor") && rejects("e0", "cbor") && rejects("f820", "cbor"),
	    "undefined and other simple values refused");
	T_OK(rejects("ff", "cbor"), "a stray break refused");
	T_OK(rejects("1c", "cbor") && rejects("5d", "cbor"), "reserved additional info refused");
	T_OK(rejects("0000", "cbor"), "trailing bytes refused");
	T_OK(rejects("a202010101", "cbor"),
	    "unsorted map keys refused");
	T_OK(rejects("a201010101", "cbor"), "duplicate map keys refused");
	T_OK(rejects("a2616201616101", "cbor"), "unsorted text keys refused");
	T_OK(accepts("a2616101616201"), "sorted text keys accepted");
	T_OK(rejects("a20a012001", "cbor") == 0 && accepts("a20a012001"),
	    "integer keys sort by encoding: 10 before -1");
	T_OK(rejects("621b41", "schema"), "text with an escape byte refused");
	T_OK(rejects("62c3a9", "schema"), "text outside printable ASCII refused");
	T_OK(rejects("5bffffffffffffffff", "cbor"),
	    "huge declared byte string length refused without allocating");
	T_OK(rejects("9bffffffffffffffff", "cbor"), "huge declared array count refused");
	T_OK(rejects("83010203" "04", "cbor"), "array followed by trailing item refused");
	T_OK(rejects("8301", "cbor"), "truncated array refused");
	T_OK(rejects("4401", "cbor"), "truncated byte string refused");
	for (i = 0; i < 40; i++)
		deep[i] = 0x81;
	deep[40] = 0x00;
	cs_err_clear(&e);
	T_OK(cs_cbor_check(deep, 41, CS_CBOR_MAX_DEPTH, &e) == CS_MALFORMED,
	    "nesting beyond %d levels refused", CS_CBOR_MAX_DEPTH);
	cs_err_clear(&e);
	T_OK(cs_cbor_check(deep + 40 - 10, 11, CS_CBOR_MAX_DEPTH, &e) == CS_OK,
	    "nesting of 10 levels accepted");
	memset(big, 0, sizeof big);
	cs_err_clear(&e);
	T_OK(cs_cbor_check(big, 0, 4, &e) == CS_MALFORMED, "empty input refused");
}

static void
cursor(void)
{
	uint8_t b[64];
	long n;
	cs_cr r;
	cs_err e;
	uint64_t k, v;
	int64_t prev = -1, iv;
	size_t cnt;
	const char *s;
	size_t sn;

	n = t_unhex(b, sizeof b, "a3010a0220036161");
	cs_err_clear(&e);
	cs_cr_init(&r, b, (size_t)n, &e);
	T_OK(cs_cr_map(&r, &cnt, 3, 3) == CS_OK && cnt == 3, "map head read");
	T_OK(cs_cr_key(&r, &k, &prev) == CS_OK && k == 1 && cs_cr_uint(&r, &v) == CS_OK && v == 10,
	    "first key and value");
	T_OK(cs_cr_key(&r, &k, &prev) == CS_OK && k == 2 && cs_cr_int(&r, &iv) == CS_OK && iv == -1,
	    "negative value");
	T_OK(cs_cr_key(&r, &k, &prev) == CS_OK && k == 3 &&
		 cs_cr_text(&r, &s, &sn, 1, 1) == CS_OK && sn == 1 && s[0] == 'a',
	    "text value");
	T_OK(cs_cr_done(&r) == CS_OK, "nothing trailing");

	n = t_unhex(b, sizeof b, "a202000100");
	cs_err_clear(&e);
	cs_cr_init(&r, b, (size_t)n, &e);
	prev = -1;
	T_OK(cs_cr_map(&r, &cnt, 0, 9) == CS_OK && cs_cr_key(&r, &k, &prev) == CS_OK &&
		 cs_cr_uint(&r, &v) == CS_OK && cs_cr_key(&r, &k, &prev) == CS_MALFORMED &&
		 strcmp(e.reason, "cbor") == 0,
	    "cs_cr_key refuses a key below the previous one");

	n = t_unhex(b, sizeof b, "4401020304");
	cs_err_clear(&e);
	cs_cr_init(&r, b, (size_t)n, &e);
	{
		const uint8_t *p;
		size_t pn;

		T_OK(cs_cr_bytes(&r, &p, &pn, 5, 8) == CS_MALFORMED && strcmp(e.reason, "schema") == 0,
		    "byte string below its minimum length is a schema error");
	}
	n = t_unhex(b, sizeof b, "01");
	cs_err_clear(&e);
	cs_cr_init(&r, b, (size_t)n, &e);
	T_OK(cs_cr_text(&r, &s, &sn, 0, 9) == CS_MALFORMED && strcmp(e.reason, "schema") == 0,
	    "wrong type is a schema error");
}

/* libcbor, an independent implementation, as the oracle for the project's
 * own head codec: the writer's heads are libcbor's cbor_encode_* bytes, and
 * wherever libcbor's tokenizer reads a whole definite item the reader takes
 * the same value, length and size. */
struct lc {
	int kind; /* 0 none, 1 uint, 2 negint, 3 bytes, 4 text, 5 array, 6 map, 7 tag */
	uint64_t v;
};
static void lc_u8(void *c, uint8_t v) { ((struct lc *)c)->kind = 1; ((struct lc *)c)->v = v; }
static void lc_u16(void *c, uint16_t v) { ((struct lc *)c)->kind = 1; ((struct lc *)c)->v = v; }
static void lc_u32(void *c, uint32_t v) { ((struct lc *)c)->kind = 1; ((struct lc *)c)->v = v; }
static void lc_u64(void *c, uint64_t v) { ((struct lc *)c)->kind = 1; ((struct lc *)c)->v = v; }
static void lc_n8(void *c, uint8_t v) { ((struct lc *)c)->kind = 2; ((struct lc *)c)->v = v; }
static void lc_n16(void *c, uint16_t v) { ((struct lc *)c)->kind = 2; ((struct lc *)c)->v = v; }
static void lc_n32(void *c, uint32_t v) { ((struct lc *)c)->kind = 2; ((struct lc *)c)->v = v; }
static void lc_n64(void *c, uint64_t v) { ((struct lc *)c)->kind = 2; ((struct lc *)c)->v = v; }
#if CBOR_MAJOR_VERSION > 0 || CBOR_MINOR_VERSION >= 9
typedef uint64_t lc_len;
#else
typedef size_t lc_len;
#endif
static void lc_bytes(void *c, cbor_data d, lc_len n) { (void)d; ((struct lc *)c)->kind = 3; ((struct lc *)c)->v = n; }
static void lc_text(void *c, cbor_data d, lc_len n) { (void)d; ((struct lc *)c)->kind = 4; ((struct lc *)c)->v = n; }
static void lc_array(void *c, lc_len n) { ((struct lc *)c)->kind = 5; ((struct lc *)c)->v = n; }
static void lc_map(void *c, lc_len n) { ((struct lc *)c)->kind = 6; ((struct lc *)c)->v = n; }
static void lc_tag(void *c, uint64_t v) { ((struct lc *)c)->kind = 7; ((struct lc *)c)->v = v; }

static void
against_libcbor(void)
{
	static const uint64_t vals[] = {0, 1, 23, 24, 255, 256, 65535, 65536, 4294967295ull,
	    4294967296ull, UINT64_MAX};
	static uint8_t in[70000], out[70016];
	struct cbor_callbacks cb = cbor_empty_callbacks;
	struct cbor_decoder_result res;
	uint8_t lh[9], b[16];
	size_t i, ln, bad_w = 0, bad_r = 0, compared = 0;
	unsigned first, fill;
	cs_buf buf;
	cs_cw w;
	cs_err e;
	cs_cr r;
	struct lc got;
	int kind;

	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		for (kind = 0; kind < 5; kind++) {
			if (kind >= 3 && vals[i] > sizeof in)
				continue;
			cs_buf_fixed(&buf, out, sizeof out);
			cs_cw_init(&w, &buf);
			switch (kind) {
			case 0:
				cs_cw_uint(&w, vals[i]);
				ln = cbor_encode_uint(vals[i], lh, sizeof lh);
				break;
			case 1:
				cs_cw_int(&w, vals[i] > INT64_MAX ? INT64_MIN : -1 - (int64_t)vals[i]);
				ln = cbor_encode_negint(vals[i] > INT64_MAX ? (uint64_t)INT64_MAX : vals[i],
				    lh, sizeof lh);
				break;
			case 2:
				cs_cw_tag(&w, vals[i]);
				cs_cw_null(&w);
				ln = cbor_encode_tag(vals[i], lh, sizeof lh);
				break;
			case 3:
				cs_cw_bytes(&w, in, (size_t)vals[i]);
				ln = cbor_encode_bytestring_start((size_t)vals[i], lh, sizeof lh);
				break;
			default:
				cs_cw_text(&w, (const char *)in, (size_t)vals[i]);
				ln = cbor_encode_string_start((size_t)vals[i], lh, sizeof lh);
				break;
			}
			if (cs_cw_finish(&w) != 0 || ln == 0 || buf.len < ln || memcmp(buf.p, lh, ln) != 0)
				bad_w++;
		}
	}
	T_OK(bad_w == 0, "the writer's heads are libcbor's cbor_encode_* bytes (%zu differ)", bad_w);

	cb.uint8 = lc_u8, cb.uint16 = lc_u16, cb.uint32 = lc_u32, cb.uint64 = lc_u64;
	cb.negint8 = lc_n8, cb.negint16 = lc_n16, cb.negint32 = lc_n32, cb.negint64 = lc_n64;
	cb.byte_string = lc_bytes, cb.string = lc_text, cb.array_start = lc_array;
	cb.map_start = lc_map, cb.tag = lc_tag;
	for (first = 0; first < 256; first++)
		for (fill = 0; fill < 3; fill++) {
			memset(b, fill == 0 ? 0x00 : fill == 1 ? 0x01 : 0x61, sizeof b);
			b[0] = (uint8_t)first;
			memset(&got, 0, sizeof got);
			res = cbor_stream_decode(b, sizeof b, &cb, &got);
			cs_err_clear(&e);
			cs_cr_init(&r, b, sizeof b, &e);
			if ((first & 0x1f) >= 28 && (first & 0x1f) <= 30) {
				/* reserved: both refuse */
				compared++;
				if (res.status != CBOR_DECODER_ERROR || cs_cr_skip(&r, 1) != CS_MALFORMED)
					bad_r++;
				continue;
			}
			if (res.status != CBOR_DECODER_FINISHED || got.kind == 0)
				continue;
			compared++;
			{
				uint64_t v = 0;
				int64_t sv = 0;
				const uint8_t *p;
				const char *s;
				size_t n = 0;
				uint64_t tag = 0;
				int rc;

				switch (got.kind) {
				case 1: rc = cs_cr_uint(&r, &v); break;
				case 2: rc = cs_cr_int(&r, &sv); v = (uint64_t)(-1 - sv); break;
				case 3: rc = cs_cr_bytes(&r, &p, &n, 0, sizeof b); v = n; break;
				case 4: rc = cs_cr_text(&r, &s, &n, 0, sizeof b); v = n; break;
				case 5: rc = cs_cr_array(&r, &n, 0, SIZE_MAX); v = n; break;
				case 6: rc = cs_cr_map(&r, &n, 0, SIZE_MAX); v = n; break;
				default: rc = cs_cr_tag(&r, &tag); v = tag; break;
				}
				/* libcbor takes non-shortest heads, negative integers
				 * beyond int64_t, control bytes in text and counts
				 * beyond the data; the reader does not (its own tests
				 * above say so) */
				if (rc != CS_OK && strstr(e.msg, "shortest") == NULL &&
				    strstr(e.msg, "64 bits") == NULL && strstr(e.msg, "printable") == NULL &&
				    strstr(e.msg, "longer than the data") == NULL) {
					bad_r++;
					printf("# %02x: %s\n", first, e.msg);
				} else if (rc == CS_OK && (v != got.v || cs_cr_offset(&r) != res.read)) {
					bad_r++;
					printf("# %02x: %llu in %zu bytes, libcbor %llu in %zu\n", first,
					    (unsigned long long)v, cs_cr_offset(&r),
					    (unsigned long long)got.v, res.read);
				}
			}
		}
	T_OK(compared > 400 && bad_r == 0,
	    "the reader agrees with libcbor's tokenizer on every head it reads (%zu of %zu differ)",
	    bad_r, compared);
}

/* The records entry's splitter: the length of each item of a sequence,
 * definite lengths only, as the strict reader. */
static void
split(void)
{
	static const uint8_t seq[] = {0x01, 0x82, 0x01, 0x02, 0xd2, 0x41, 0x00, 0xa1, 0x01, 0x02,
	    0x18, 0x01};
	static const uint8_t indef_arr[] = {0x9f, 0x01, 0xff};
	static const uint8_t indef_str[] = {0x5f, 0x41, 0x00, 0x41, 0x01, 0xff};
	static const uint8_t inner_indef[] = {0x82, 0x01, 0xbf, 0x01, 0x02, 0xff};
	uint8_t deep[40];
	size_t len;

	T_OK(cs_cbor_item_len(seq, sizeof seq, 64, &len) == 0 && len == 1, "split: an integer is 1 byte");
	T_OK(cs_cbor_item_len(seq + 1, sizeof seq - 1, 64, &len) == 0 && len == 3,
	    "split: an array of 2");
	T_OK(cs_cbor_item_len(seq + 4, sizeof seq - 4, 64, &len) == 0 && len == 3,
	    "split: a tagged byte string");
	T_OK(cs_cbor_item_len(seq + 7, sizeof seq - 7, 64, &len) == 0 && len == 3, "split: a map");
	T_OK(cs_cbor_item_len(seq + 10, sizeof seq - 10, 64, &len) == 0 && len == 2,
	    "split: a head that is not the shortest still splits (the record's reader refuses it)");
	T_OK(cs_cbor_item_len(indef_arr, sizeof indef_arr, 64, &len) == -1,
	    "split: an indefinite-length array is refused");
	T_OK(cs_cbor_item_len(indef_str, sizeof indef_str, 64, &len) == -1,
	    "split: an indefinite-length byte string is refused");
	T_OK(cs_cbor_item_len(inner_indef, sizeof inner_indef, 64, &len) == -1,
	    "split: an indefinite-length map inside a definite array is refused");
	T_OK(cs_cbor_item_len(seq + 1, 2, 64, &len) == 1, "split: a cut item wants more");
	T_OK(cs_cbor_item_len(seq + 1, 2, 2, &len) == -1, "split: ... unless the limit is reached");
	T_OK(cs_cbor_item_len((const uint8_t *)"\xff", 1, 64, &len) == -1, "split: a lone break");
	T_OK(cs_cbor_item_len((const uint8_t *)"\x1c", 1, 64, &len) == -1, "split: a reserved head");
	T_OK(cs_cbor_item_len((const uint8_t *)"\x5b\xff\xff\xff\xff\xff\xff\xff\xff", 9, 8192,
		 &len) == -1, "split: a byte string longer than the limit");
	memset(deep, 0x81, sizeof deep);
	T_OK(cs_cbor_item_len(deep, sizeof deep, 64, &len) == -1, "split: nesting beyond the limit");
	deep[CS_CBOR_MAX_DEPTH] = 0x00;
	T_OK(cs_cbor_item_len(deep, sizeof deep, 64, &len) == 0 && len == CS_CBOR_MAX_DEPTH + 1,
	    "split: nesting at the limit");
}

int
main(void)
{
	writer();
	reader();
	cursor();
	against_libcbor();
	split();
	return t_done();
}
