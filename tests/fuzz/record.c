/* Fuzzes cs_record_decode (see artifact.h for the invariants). */
#include "artifact.h"

static const char *const fuzz_kind = CS_KIND_RECORD;
static cs_record fuzz_v;

static int
fuzz_decode(const uint8_t *b, size_t n, cs_err *e)
{
	return cs_record_decode(&fuzz_v, b, n, e);
}

static int
fuzz_encode(cs_buf *out)
{
	return cs_record_encode(out, &fuzz_v);
}
