/* Fuzzes the strict CBOR reader. Differential: whatever cs_cbor_check
 * accepts is walked with the typed cs_cr_* calls and written again with the
 * canonical writer, which must reproduce the input byte for byte (so reader
 * and writer agree on what canonical means). */
#include "fuzz.h"

#include "format/artifact.h"
#include "format/cbor.h"
#include "util/buf.h"

#define FUZZ_CBOR_DEPTH CS_CBOR_MAX_DEPTH

/* Copies one item from r to w; 1 when done, 0 when the writer's own limits
 * (depth, map size) are below the reader's and the copy is not attempted. */
static int
copy_item(cs_cr *r, cs_cw *w, int depth)
{
	const uint8_t *p;
	const char *s;
	uint64_t u;
	int64_t i64;
	size_t n, i;
	int b;

	switch (cs_cr_peek(r)) {
	case CS_CBOR_UINT:
		FUZZ_REQUIRE(cs_cr_uint(r, &u) == CS_OK);
		cs_cw_uint(w, u);
		return 1;
	case CS_CBOR_NEGINT:
		if (cs_cr_int(r, &i64) != CS_OK)
			return 0; /* below INT64_MIN: the writer has no call for it */
		FUZZ_REQUIRE(i64 < 0);
		cs_cw_int(w, i64);
		return 1;
	case CS_CBOR_BYTES:
		FUZZ_REQUIRE(cs_cr_bytes(r, &p, &n, 0, SIZE_MAX) == CS_OK);
		cs_cw_bytes(w, p, n);
		return 1;
	case CS_CBOR_TEXT:
		FUZZ_REQUIRE(cs_cr_text(r, &s, &n, 0, SIZE_MAX) == CS_OK);
		cs_cw_text(w, s, n);
		return 1;
	case CS_CBOR_ARRAY:
		if (depth >= CS_CW_MAX_DEPTH)
			return 0;
		FUZZ_REQUIRE(cs_cr_array(r, &n, 0, SIZE_MAX) == CS_OK);
		cs_cw_array_begin(w);
		for (i = 0; i < n; i++)
			if (!copy_item(r, w, depth + 1))
				return 0;
		cs_cw_array_end(w);
		return 1;
	case CS_CBOR_MAP:
		if (depth >= CS_CW_MAX_DEPTH)
			return 0;
		FUZZ_REQUIRE(cs_cr_map(r, &n, 0, SIZE_MAX) == CS_OK);
		if (n > CS_CW_MAX_MAP_ENTRIES)
			return 0;
		cs_cw_map_begin(w);
		for (i = 0; i < 2 * n; i++)
			if (!copy_item(r, w, depth + 1))
				return 0;
		cs_cw_map_end(w);
		return 1;
	case CS_CBOR_TAG:
		FUZZ_REQUIRE(cs_cr_tag(r, &u) == CS_OK);
		cs_cw_tag(w, u);
		return copy_item(r, w, depth);
	case CS_CBOR_FALSE:
	case CS_CBOR_TRUE:
		FUZZ_REQUIRE(cs_cr_bool(r, &b) == CS_OK);
		cs_cw_bool(w, b);
		return 1;
	case CS_CBOR_NULL:
		FUZZ_REQUIRE(cs_cr_null(r) == CS_OK);
		cs_cw_null(w);
		return 1;
	case CS_CBOR_BAD:
		break;
	}
	/* cs_cbor_check accepted it, so peek must know every item */
	FUZZ_REQUIRE(0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char kind[17];
	uint8_t dep[CS_DEPLOY_LEN];
	cs_err e;
	cs_cr r;
	cs_cw w;
	cs_buf b;
	int rc;

	fuzz_init();
	/* the dispatcher reads any payload's first fields before anything else */
	cs_err_clear(&e);
	if ((rc = cs_payload_kind(data, size, kind, dep, &e)) == CS_OK)
		FUZZ_REQUIRE(strlen(kind) >= 1 && strlen(kind) <= 16);
	else
		fuzz_check_err(rc, &e);
	cs_err_clear(&e);
	if (!fuzz_decoded(cs_cbor_check(data, size, FUZZ_CBOR_DEPTH, &e), &e))
		return 0;
	cs_cr_init(&r, data, size, &e);
	cs_buf_init(&b, size + 16);
	cs_cw_init(&w, &b);
	if (copy_item(&r, &w, 0)) {
		FUZZ_REQUIRE(cs_cr_done(&r) == CS_OK);
		FUZZ_REQUIRE(cs_cw_finish(&w) == 0);
		FUZZ_REQUIRE(b.len == size);
		FUZZ_REQUIRE(memcmp(b.p, data, size) == 0);
	}
	cs_buf_free(&b);
	return 0;
}
