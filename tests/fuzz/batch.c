/* Fuzzes batch and release verification end to end from memory: input = a
 * 2-byte big-endian length L, a policy envelope of L bytes (the pinned
 * policy), then a zip. Whatever happens, the verdict is one of the four
 * statuses, every problem and record verdict carries a reason and printable
 * text, and acceptance means no problem and no failed record. */
#include "fuzz.h"

#include "verify/batch.h"

static int
on_record(void *ctx, const cs_vrec *r)
{
	size_t i;

	(void)ctx;
	FUZZ_REQUIRE(r->msg != NULL);
	for (i = 0; r->msg[i] != '\0'; i++)
		FUZZ_REQUIRE(r->msg[i] >= 0x20 && r->msg[i] <= 0x7e);
	FUZZ_REQUIRE((r->reason == NULL) == (r->msg[0] == '\0') || r->reason != NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cs_signed ps;
	static cs_policy p;
	static cs_verify v;
	cs_vopts o;
	cs_zipr *z = NULL;
	cs_err e;
	size_t l, i, j;
	int rc;

	fuzz_init();
	if (size < 2)
		return 0;
	l = (size_t)data[0] << 8 | data[1];
	if (l > size - 2)
		return 0;
	cs_err_clear(&e);
	if (cs_policy_load(&ps, &p, data + 2, l, &e) != CS_OK)
		return 0;
	if (cs_zipr_open_mem(&z, data + 2 + l, size - 2 - l, &e) != CS_OK) {
		fuzz_check_err(e.status, &e);
		return 0;
	}
	memset(&o, 0, sizeof o);
	o.policy = &p;
	o.policy_digest = ps.digest;
	o.deep = 1;
	o.threads = 1;
	o.chain = CS_CHAIN_FIRST;
	o.on_record = on_record;
	memset(&v, 0, sizeof v);
	cs_err_clear(&e);
	rc = cs_verify_zip(&v, z, &o, &e);
	FUZZ_REQUIRE(rc == CS_OK || rc == CS_REJECT || rc == CS_MALFORMED);
	if (rc == CS_MALFORMED)
		fuzz_check_err(rc, &e);
	if (rc == CS_OK)
		FUZZ_REQUIRE(v.nproblem == 0 && (v.kind == CS_V_RELEASE || v.failed == 0));
	if (rc == CS_REJECT)
		FUZZ_REQUIRE(v.nproblem > 0 || v.failed > 0);
	for (i = 0; i < v.nproblem && i < CS_VERIFY_MAX_PROBLEMS; i++) {
		FUZZ_REQUIRE(v.problem[i].reason[0] != '\0');
		for (j = 0; v.problem[i].msg[j] != '\0'; j++)
			FUZZ_REQUIRE(v.problem[i].msg[j] >= 0x20 && v.problem[i].msg[j] <= 0x7e);
	}
	cs_verify_free(&v);
	cs_zipr_close(z);
	return 0;
}
