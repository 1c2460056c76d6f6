/* Fuzzes the secret key file parser, header only: cs_seckey_parse_public
 * is everything cs_seckey_unlock does before Argon2id, which the fuzzer never
 * runs. What parses must carry KDF parameters inside the named bounds, so no
 * file can make the unlock step allocate more than CS_KDF_MEM_MAX. */
#include "fuzz.h"

#include "format/keyfile.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cs_seckey k;
	cs_err e;
	int rc;

	fuzz_init();
	cs_err_clear(&e);
	rc = cs_seckey_parse_public(&k, data, size, &e);
	FUZZ_REQUIRE(k.sk == NULL); /* parsed or not, nothing is unlocked */
	if (!fuzz_decoded(rc, &e))
		return 0;
	FUZZ_REQUIRE(k.opslimit >= CS_KDF_OPS_MIN && k.opslimit <= CS_KDF_OPS_MAX);
	FUZZ_REQUIRE(k.memlimit >= CS_KDF_MEM_MIN && k.memlimit <= CS_KDF_MEM_MAX);
	FUZZ_REQUIRE(cs_id_valid(k.pub.id) && cs_text_valid(k.pub.name, CS_NAME_MAX));
	FUZZ_REQUIRE(cs_pk_valid(k.pub.pk));
	return 0;
}
