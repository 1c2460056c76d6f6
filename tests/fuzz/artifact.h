/* One harness per payload decoder (policy.c, order.c, ...): each names its
 * payload's kind, type, decoder and encoder with FUZZ_ARTIFACT (or
 * FUZZ_ARTIFACT_EXCL), which define fuzz_decode(buf, n, e) returning a status
 * and fuzz_encode(out) re-encoding what was decoded (-1: too big for the
 * harness to re-encode, skipped). Whatever decodes must encode back to the
 * very same bytes (decoder and encoder agree on every field and limit), and
 * report its kind through cs_payload_kind. An input that is itself a COSE
 * envelope is also tried through its payload, so envelopes make useful seeds. */
#ifndef FUZZ_ARTIFACT_H
#define FUZZ_ARTIFACT_H

#include "fuzz.h"

#include "format/artifact.h"
#include "format/cbor.h"
#include "format/cose.h"
#include "util/buf.h"

static int fuzz_decode(const uint8_t *b, size_t n, cs_err *e);
static int fuzz_encode(cs_buf *out);
static const char *const fuzz_kind;

/* A payload whose decoder fills one struct and whose encoder takes it back:
 * FUZZ_ARTIFACT(CS_KIND_ORDER, cs_order, cs_order_decode, cs_order_encode). */
#define FUZZ_ARTIFACT(kind, type, decode, encode)                                                  \
	static const char *const fuzz_kind = kind;                                                 \
	static type fuzz_v;                                                                        \
	static int fuzz_decode(const uint8_t *b, size_t n, cs_err *e)                              \
	{                                                                                          \
		return decode(&fuzz_v, b, n, e);                                                   \
	}                                                                                          \
	static int fuzz_encode(cs_buf *out)                                                        \
	{                                                                                          \
		return encode(out, &fuzz_v);                                                       \
	}

/* A payload carrying an exclusion list (release, receipt), its field named by
 * list: the list is walked with cs_excl_next and must hold exactly the count
 * decoded; the encoder is given back the exclusions walked. */
#define FUZZ_MAX_EXCL 4096
#define FUZZ_ARTIFACT_EXCL(kind, type, decode, encode, list)                                       \
	static const char *const fuzz_kind = kind;                                                 \
	static type fuzz_v;                                                                        \
	static cs_exclusion fuzz_x[FUZZ_MAX_EXCL];                                                 \
	static size_t fuzz_nx;                                                                     \
	static int fuzz_decode(const uint8_t *b, size_t n, cs_err *e)                              \
	{                                                                                          \
		int rc = decode(&fuzz_v, b, n, e);                                                 \
		fuzz_nx = rc == CS_OK ? fuzz_excl_walk(&fuzz_v.list, fuzz_x, FUZZ_MAX_EXCL) : 0;   \
		return rc;                                                                         \
	}                                                                                          \
	static int fuzz_encode(cs_buf *out)                                                        \
	{                                                                                          \
		if (fuzz_nx > FUZZ_MAX_EXCL)                                                       \
			return -1;                                                                 \
		return encode(out, &fuzz_v, fuzz_x, fuzz_nx);                                      \
	}

/* Walks l into x (the first max), requiring it to hold exactly l->n items
 * and to end where l does; returns the count, which may be more than max. */
static size_t __attribute__((unused))
fuzz_excl_walk(const cs_excl_list *l, cs_exclusion *x, size_t max)
{
	cs_exclusion one;
	size_t pos = 0, i = 0, n = 0;

	while (cs_excl_next(l, &pos, &i, &one)) {
		if (n < max)
			x[n] = one;
		n++;
	}
	FUZZ_REQUIRE(n == l->n && pos == l->len);
	return n;
}

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
	/* a strict decode that succeeds implies canonical input: cs_cbor_decode
	 * walks the encoding only after a failure, on that ground */
	FUZZ_REQUIRE(cs_cbor_canonical(data, size, CS_CBOR_MAX_DEPTH, &e) == CS_OK);
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
