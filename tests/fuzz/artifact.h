/* One harness per payload decoder (policy.c, order.c, ...): each defines
 * fuzz_decode(buf, n, e) returning a status and fuzz_encode(out) re-encoding
 * what was decoded (-1: too big for the harness to re-encode, skipped). Whatever decodes must encode back to the very same bytes
 * (decoder and encoder agree on every field and limit), and report its kind
 * through cs_payload_kind. An input that is itself a COSE envelope is also
 * tried through its payload, so envelopes make useful seeds. */
#ifndef FUZZ_ARTIFACT_H
#define FUZZ_ARTIFACT_H

#include "fuzz.h"

#include "format/artifact.h"
#include "format/cose.h"
#include "util/buf.h"

static int fuzz_decode(const uint8_t *b, size_t n, cs_err *e);
static int fuzz_encode(cs_buf *out);
static const char *const fuzz_kind;

static void
fuzz_payload(const uint8_t *data, size_t size)
{
	char kind[17];
	uint8_t dep[CS_DEPLOY_LEN];
	cs_buf out;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if (!fuzz_decoded(fuzz_decode(data, size, &e), &e))
		return;
	cs_buf_init(&out, size + 64);
	rc = fuzz_encode(&out);
	if (rc != -1 && (rc != CS_OK || out.len != size || memcmp(out.p, data, size) != 0)) {
		fprintf(stderr, "%s: decoded, but encodes differently (rc %d, %zu bytes, input %zu)\n",
		    fuzz_kind, rc, out.len, size);
		abort();
	}
	cs_buf_free(&out);
	cs_err_clear(&e);
	FUZZ_REQUIRE(cs_payload_kind(data, size, kind, dep, &e) == CS_OK);
	FUZZ_REQUIRE(strcmp(kind, fuzz_kind) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cs_cose c;
	cs_err e;

	fuzz_init();
	fuzz_payload(data, size);
	cs_err_clear(&e);
	if (cs_cose_decode(&c, data, size, &e) == CS_OK)
		fuzz_payload(c.payload, c.payload_len);
	return 0;
}

#endif
