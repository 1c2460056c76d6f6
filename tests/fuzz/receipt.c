/* Fuzzes cs_receipt_decode (see artifact.h for the invariants); the exclusion
 * list is walked with cs_excl_next and must hold exactly the count decoded. */
#include "artifact.h"

#define FUZZ_MAX_EXCL 4096

static const char *const fuzz_kind = CS_KIND_RECEIPT;
static cs_receipt fuzz_v;
static cs_exclusion fuzz_x[FUZZ_MAX_EXCL];
static size_t fuzz_nx;

static int
fuzz_decode(const uint8_t *b, size_t n, cs_err *e)
{
	cs_exclusion x;
	size_t pos = 0, i = 0;
	int rc;

	fuzz_nx = 0;
	if ((rc = cs_receipt_decode(&fuzz_v, b, n, e)) != CS_OK)
		return rc;
	while (cs_excl_next(&fuzz_v.refused, &pos, &i, &x)) {
		if (fuzz_nx < FUZZ_MAX_EXCL)
			fuzz_x[fuzz_nx] = x;
		fuzz_nx++;
	}
	FUZZ_REQUIRE(fuzz_nx == fuzz_v.refused.n && pos == fuzz_v.refused.len);
	return CS_OK;
}

static int
fuzz_encode(cs_buf *out)
{
	if (fuzz_nx > FUZZ_MAX_EXCL)
		return -1;
	return cs_receipt_encode(out, &fuzz_v, fuzz_x, fuzz_nx);
}
