/* Fuzzes the public key file parser. What parses must format to a file that
 * parses to the same key (id, name, key, key id). */
#include "fuzz.h"

#include "format/keyfile.h"
#include "util/buf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cs_pubkey k, k2;
	cs_buf out;
	cs_err e;

	fuzz_init();
	cs_err_clear(&e);
	if (!fuzz_decoded(cs_pubkey_parse(&k, data, size, &e), &e))
		return 0;
	FUZZ_REQUIRE(cs_id_valid(k.id) && cs_text_valid(k.name, CS_NAME_MAX));
	FUZZ_REQUIRE(cs_pk_valid(k.pk));
	cs_buf_init(&out, CS_KEYFILE_MAX);
	FUZZ_REQUIRE(cs_pubkey_format(&out, &k) == CS_OK);
	FUZZ_REQUIRE(cs_pubkey_parse(&k2, out.p, out.len, &e) == CS_OK);
	FUZZ_REQUIRE(memcmp(&k, &k2, sizeof k) == 0);
	cs_buf_free(&out);
	return 0;
}
