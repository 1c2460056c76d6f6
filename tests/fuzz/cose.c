/* Fuzzes COSE_Sign1 / COSE_Sign decoding. Whatever decodes must re-encode in
 * the profile to something that decodes to the same envelope (a Sign1
 * byte-identically; a Sign with its signatures sorted and repeats dropped),
 * and every signature's ToBeSigned must be constructible. */
#include "fuzz.h"

#include "format/cbor.h"
#include "format/cose.h"
#include "util/buf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cs_cose c, c2, c3;
	cs_buf out, out2, tbs;
	cs_err e;
	size_t i;

	fuzz_init();
	cs_err_clear(&e);
	if (!fuzz_decoded(cs_cose_decode(&c, data, size, &e), &e))
		return 0;
	/* decoded implies canonical (cs_cbor_decode relies on it) */
	FUZZ_REQUIRE(cs_cbor_canonical(data, size, CS_CBOR_MAX_DEPTH, &e) == CS_OK);
	FUZZ_REQUIRE(c.nsig <= CS_COSE_MAX_SIGS);
	FUZZ_REQUIRE(c.multi || c.nsig == 1);
	FUZZ_REQUIRE(strlen(c.kind) > 0 && strlen(c.kind) <= CS_KIND_MAX);
	FUZZ_REQUIRE(c.payload >= data && c.payload + c.payload_len <= data + size);
	cs_buf_init(&tbs, size + 256);
	for (i = 0; i < c.nsig; i++) {
		tbs.len = 0;
		FUZZ_REQUIRE(cs_cose_tbs(&tbs, &c, i) == CS_OK);
		FUZZ_REQUIRE(c.s[i].sig >= data && c.s[i].sig + CS_SIG_LEN <= data + size);
	}
	cs_buf_free(&tbs);

	cs_buf_init(&out, size + 64);
	cs_buf_init(&out2, size + 64);
	FUZZ_REQUIRE(cs_cose_encode(&out, &c) == CS_OK);
	if (!c.multi) {
		FUZZ_REQUIRE(out.len == size && memcmp(out.p, data, size) == 0);
	} else {
		FUZZ_REQUIRE(out.len <= size);
		cs_err_clear(&e);
		FUZZ_REQUIRE(cs_cose_decode(&c2, out.p, out.len, &e) == CS_OK);
		FUZZ_REQUIRE(c2.multi && c2.nsig <= c.nsig);
		FUZZ_REQUIRE(strcmp(c2.kind, c.kind) == 0);
		FUZZ_REQUIRE(c2.payload_len == c.payload_len &&
		    memcmp(c2.payload, c.payload, c.payload_len) == 0);
		/* already in order: encoding again changes nothing */
		FUZZ_REQUIRE(cs_cose_encode(&out2, &c2) == CS_OK);
		FUZZ_REQUIRE(out2.len == out.len && memcmp(out2.p, out.p, out.len) == 0);
		FUZZ_REQUIRE(cs_cose_decode(&c3, out2.p, out2.len, &e) == CS_OK);
	}
	cs_buf_free(&out);
	cs_buf_free(&out2);
	return 0;
}
