/* Fuzzes the hostile zip reader from memory: open (layout checks from the
 * central directory), read the small entries whole and stream the records
 * entry to its end, close. A refusal is a layout reason (exit 1) or an
 * unreadable archive (exit 3); an entry read to its end yields exactly its
 * declared size; nothing leaks and nothing allocates past the named limits
 * (libFuzzer's -malloc_limit_mb catches that). */
#include "fuzz.h"

#include "bundle/reader.h"
#include "util/buf.h"

static void
check_reason(int rc, const cs_err *e)
{
	static const char *const layout[] = {"zip-entries", "zip-name", "zip-method",
	    "zip-encrypted", "zip-size", "zip-ratio", NULL};
	const char *const *r;

	fuzz_check_err(rc, e);
	if (rc == CS_REJECT) {
		for (r = layout; *r != NULL; r++)
			if (strcmp(e->reason, *r) == 0)
				return;
		FUZZ_REQUIRE(!"layout refusal with another reason");
	}
	FUZZ_REQUIRE(strcmp(e->reason, "zip-corrupt") == 0 || strcmp(e->reason, "zip-size") == 0 ||
	    strcmp(e->reason, "system") == 0 || strcmp(e->reason, "io") == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t chunk[4096];
	cs_zipr *z = NULL;
	cs_zips *s = NULL;
	cs_buf b;
	cs_err e;
	uint64_t total;
	size_t got;
	int rc, i, n;

	fuzz_init();
	cs_err_clear(&e);
	if ((rc = cs_zipr_open_mem(&z, data, size, &e)) != CS_OK) {
		check_reason(rc, &e);
		FUZZ_REQUIRE(z == NULL);
		return 0;
	}
	n = cs_zipr_entries(z);
	FUZZ_REQUIRE(n == 3 || n == 4);
	for (i = 0; i < n; i++) {
		cs_err_clear(&e);
		if (i == CS_ZE_RECORDS) {
			if ((rc = cs_zips_open(&s, z, i, &e)) != CS_OK) {
				check_reason(rc, &e);
				continue;
			}
			total = 0;
			do {
				if ((rc = cs_zips_read(s, chunk, sizeof chunk, &got, &e)) != CS_OK)
					break;
				FUZZ_REQUIRE(got <= sizeof chunk);
				total += got;
			} while (got > 0);
			if (rc == CS_OK)
				FUZZ_REQUIRE(total == cs_zipr_size(z, i));
			else
				check_reason(rc, &e);
			cs_zips_close(s);
			s = NULL;
			continue;
		}
		cs_buf_init(&b, 1 << 20);
		if ((rc = cs_zipr_read(z, i, &b, CS_ORDER_ENTRY_MAX, &e)) == CS_OK)
			FUZZ_REQUIRE(b.len == cs_zipr_size(z, i));
		else
			check_reason(rc, &e);
		cs_buf_free(&b);
	}
	cs_zipr_close(z);
	return 0;
}
