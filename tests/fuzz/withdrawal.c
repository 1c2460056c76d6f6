/* Fuzzes cs_withdrawal_decode (see artifact.h for the invariants). */
#include "artifact.h"

static const char *const fuzz_kind = CS_KIND_WITHDRAWAL;
static cs_withdrawal fuzz_v;

static int
fuzz_decode(const uint8_t *b, size_t n, cs_err *e)
{
	return cs_withdrawal_decode(&fuzz_v, b, n, e);
}

static int
fuzz_encode(cs_buf *out)
{
	return cs_withdrawal_encode(out, &fuzz_v);
}
