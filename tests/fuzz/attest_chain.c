/* Fuzzes certificate chains as they travel (lib/attest/chain.h): the framing,
 * then validation to a pinned TEST root (keys from a fixed seed, so chains
 * made by tests/tools/mkattest with seed "consign fuzz" validate). Whatever
 * decodes re-encodes to the same bytes; a refusal carries one of the chain
 * reasons; an accepted chain reports the pinned root and a P-256 leaf key,
 * the one cs_attest_leaf_key_of reads without validating; a second
 * verification (which may go through the cache the first one filled)
 * gives the same answer. */
#include "fuzz.h"

#include "../tools/testpki.h"
#include "attest/chain.h"

static cs_attest_roots *roots;

static void
done(void)
{
	cs_attest_roots_free(roots);
}

static void
setup(void)
{
	tp_maker m;

	if (roots != NULL)
		return;
	FUZZ_REQUIRE(tp_maker_make(&m, "consign fuzz", "maker") == 0);
	FUZZ_REQUIRE(cs_attest_roots_new(&roots, 8, NULL) == CS_OK);
	FUZZ_REQUIRE(cs_attest_roots_add(roots, m.root_der, m.root_len, NULL, NULL) == CS_OK);
	tp_maker_free(&m);
	atexit(done);
}

static int
chain_reason(const cs_err *e)
{
	return strcmp(e->reason, "attest-malformed") == 0 ||
	    strcmp(e->reason, "attest-chain-root") == 0 ||
	    strcmp(e->reason, "attest-chain-invalid") == 0 ||
	    strcmp(e->reason, "attest-leaf-key") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[8 * CS_ATTEST_CERT_MAX];
	cs_attest_leaf l, l2;
	cs_attest_chain c;
	cs_p256_key *k = NULL;
	cs_buf b;
	cs_err e, e2;
	size_t i;
	int rc, rc2;

	fuzz_init();
	setup();
	cs_err_clear(&e);
	if ((rc = cs_attest_chain_decode(&c, data, size, &e)) != CS_OK) {
		fuzz_check_err(rc, &e);
		FUZZ_REQUIRE(rc == CS_MALFORMED && strcmp(e.reason, "attest-malformed") == 0);
		return 0;
	}
	FUZZ_REQUIRE(c.n >= 1 && c.n <= CS_ATTEST_CHAIN_MAX);
	for (i = 0; i < c.n; i++)
		FUZZ_REQUIRE(c.len[i] >= 1 && c.len[i] <= CS_ATTEST_CERT_MAX && c.der[i] >= data &&
		    c.der[i] + c.len[i] <= data + size);
	cs_buf_fixed(&b, out, sizeof out);
	FUZZ_REQUIRE(cs_attest_chain_encode(&b, &c) == CS_OK);
	FUZZ_REQUIRE(b.len == size && memcmp(b.p, data, size) == 0);

	cs_err_clear(&e);
	rc = cs_attest_chain_verify(roots, &c, &l, &e);
	if (rc != CS_OK) {
		fuzz_check_err(rc, &e);
		FUZZ_REQUIRE(chain_reason(&e));
	} else {
		FUZZ_REQUIRE(l.root == 0);
		FUZZ_REQUIRE(cs_p256_key_parse(&k, l.key, sizeof l.key, NULL) == CS_OK);
		cs_p256_key_free(k);
		FUZZ_REQUIRE(cs_attest_leaf_is(&l, l.key, NULL) == CS_OK);
	}
	/* the unvalidated key read agrees with validation when both succeed */
	{
		uint8_t key[CS_P256_PT_LEN];
		cs_err e3;
		int rc3;

		cs_err_clear(&e3);
		rc3 = cs_attest_leaf_key_of(key, c.der[0], c.len[0], &e3);
		if (rc3 != CS_OK)
			fuzz_check_err(rc3, &e3);
		if (rc == CS_OK)
			FUZZ_REQUIRE(rc3 == CS_OK && memcmp(key, l.key, sizeof key) == 0);
	}
	cs_err_clear(&e2);
	rc2 = cs_attest_chain_verify(roots, &c, &l2, &e2);
	FUZZ_REQUIRE(rc2 == rc);
	if (rc == CS_OK)
		FUZZ_REQUIRE(memcmp(l.key, l2.key, sizeof l.key) == 0 && l2.root == l.root);
	else
		FUZZ_REQUIRE(strcmp(e.reason, e2.reason) == 0);
	return 0;
}
