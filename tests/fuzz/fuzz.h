/* Shared by the libFuzzer harnesses (tests/fuzz/NAME.c) and their replay
 * programs (tests/unit/fuzzreplay_NAME.c): a failed invariant aborts, so
 * libFuzzer keeps the input and the replay test fails. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sig.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_REQUIRE(cond)                                                              \
	do {                                                                                \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__,     \
			    __LINE__);                                                              \
			abort();                                                                    \
		}                                                                               \
	} while (0)

static void __attribute__((unused))
fuzz_init(void)
{
	static int done;

	if (!done) {
		FUZZ_REQUIRE(cs_crypto_init() == 0);
		done = 1;
	}
}

/* A refusal must be a proper one: an exit status, a reason code, and one
 * line of printable text (untrusted bytes escaped), never raw input. */
static void __attribute__((unused))
fuzz_check_err(int rc, const cs_err *e)
{
	size_t i, n;

	FUZZ_REQUIRE(rc == CS_MALFORMED || rc == CS_REJECT);
	FUZZ_REQUIRE(e->status == rc);
	n = strnlen(e->reason, sizeof e->reason);
	FUZZ_REQUIRE(n > 0 && n < sizeof e->reason);
	for (i = 0; i < n; i++)
		FUZZ_REQUIRE((e->reason[i] >= 'a' && e->reason[i] <= 'z') ||
		    (e->reason[i] >= '0' && e->reason[i] <= '9') || e->reason[i] == '-');
	n = strnlen(e->msg, sizeof e->msg);
	FUZZ_REQUIRE(n < sizeof e->msg);
	for (i = 0; i < n; i++)
		FUZZ_REQUIRE(e->msg[i] >= 0x20 && e->msg[i] <= 0x7e);
}

/* rc and e from a decoder of untrusted bytes: 1 when it decoded; otherwise
 * 0, once the refusal is a proper one and a malformed one (a decoder judges
 * form, never trust). */
static int __attribute__((unused))
fuzz_decoded(int rc, const cs_err *e)
{
	if (rc == CS_OK)
		return 1;
	fuzz_check_err(rc, e);
	FUZZ_REQUIRE(rc == CS_MALFORMED);
	return 0;
}

/* Two inputs in one (batch.c, trust.c): a 2-byte big-endian length L, L
 * bytes (a), then the rest (b). 0 when the input is too short for L. */
static int __attribute__((unused))
fuzz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *an, const uint8_t **b,
    size_t *bn)
{
	size_t l;

	if (size < 2)
		return 0;
	l = (size_t)data[0] << 8 | data[1];
	if (l > size - 2)
		return 0;
	*a = data + 2;
	*an = l;
	*b = data + 2 + l;
	*bn = size - 2 - l;
	return 1;
}

#endif
