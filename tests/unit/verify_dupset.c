/* The two-pass duplicate set (lib/verify/dupset.h): the first pass makes
 * candidates of possible repeats only, the second finds every repeat with
 * the first record that holds it, exactly; a fingerprint match the
 * confirmation denies (a collision) is not a repeat and keeps its own slot;
 * values of records beyond the inserted ones are looked up, never held; the
 * candidates have a limit. */
#include "t.h"

#include <sodium.h>

#include "verify/dupset.h"

#define N 5000

/* record i's value: i, except the repeats the test plants */
static uint8_t val[N + 100][8];
static int confirms, deny;

static int
conf(void *ctx, uint32_t index, int type, const uint8_t *v, size_t n)
{
	(void)ctx;
	(void)type;
	confirms++;
	if (deny)
		return 0;
	return n == 8 && memcmp(val[index], v, 8) == 0;
}

static void
setval(uint32_t i, uint32_t v)
{
	memset(val[i], 0, 8);
	memcpy(val[i], &v, sizeof v);
}

static void
two_passes(void)
{
	cs_dupset d;
	cs_duphash h;
	cs_err e;
	int64_t first;
	uint32_t i;
	int bad = 0, repeats = 0, wrong_first = 0;

	for (i = 0; i < N + 100; i++)
		setval(i, i);
	setval(17, 3);     /* repeats record 3 */
	setval(4000, 3);   /* and again: still record 3 */
	setval(4999, 0);   /* the very first record, at the very end */
	setval(2500, 2499);
	setval(N + 5, 42); /* beyond the inserted records: looked up only */
	setval(N + 6, N + 6);
	setval(N + 7, N + 6); /* repeats a record that was never inserted */
	cs_err_clear(&e);
	T_OK(cs_dupset_init_filtered(&d, N, N + 100, 1, &e) == CS_OK, "a two-pass set for %d records",
	    N);
	for (i = 0; i < N + 100; i++) {
		cs_dupset_hash(&d, CS_DUP_SERIAL, val[i], 8, &h);
		bad += cs_dupset_scan(&d, CS_DUP_SERIAL, &h, i < N, &e) != CS_OK;
	}
	T_OK(bad == 0, "first pass");
	T_OK(d.n >= 4 && d.n < 4 + N / 50, "candidates: the 4 repeated values and a few more (%zu)",
	    d.n);
	cs_dupset_scan_end(&d);
	T_OK(d.filter == NULL, "the filter is freed after the first pass");
	for (i = 0; i < N + 100; i++) {
		cs_dupset_hash(&d, CS_DUP_SERIAL, val[i], 8, &h);
		if (cs_dupset_check_hash(&d, CS_DUP_SERIAL, &h, val[i], 8, i, i < N, conf, NULL, &first,
			&e) != CS_OK) {
			bad++;
			continue;
		}
		if (first < 0)
			continue;
		repeats++;
		if (!((i == 17 && first == 3) || (i == 4000 && first == 3) || (i == 4999 && first == 0) ||
			(i == 2500 && first == 2499) || (i == N + 5 && first == 42)))
			wrong_first++;
	}
	T_OK(bad == 0, "second pass");
	T_OK(repeats == 5 && wrong_first == 0,
	    "exactly the 5 repeats, each with its first record (%d found, %d wrong)", repeats,
	    wrong_first);
	T_OK(confirms == 5, "one confirmation for each, none for false candidates (%d)", confirms);
	cs_dupset_free(&d);
}

static void
collision(void)
{
	cs_dupset d;
	cs_duphash h;
	cs_err e;
	int64_t first;

	cs_err_clear(&e);
	setval(0, 7);
	setval(1, 7);
	setval(2, 7);
	T_OK(cs_dupset_init_filtered(&d, 3, 3, 1, &e) == CS_OK, "a set for 3 records");
	cs_dupset_hash(&d, CS_DUP_KEY, val[0], 8, &h);
	T_OK(cs_dupset_scan(&d, CS_DUP_KEY, &h, 1, &e) == CS_OK &&
		 cs_dupset_scan(&d, CS_DUP_KEY, &h, 1, &e) == CS_OK && d.n == 1,
	    "a value seen twice is one candidate");
	cs_dupset_scan_end(&d);
	T_OK(cs_dupset_check_hash(&d, CS_DUP_KEY, &h, val[0], 8, 0, 1, conf, NULL, &first, &e) ==
		     CS_OK &&
		 first == -1,
	    "its first record holds it");
	/* the confirmation says record 0 holds another value: a collision */
	deny = 1;
	confirms = 0;
	T_OK(cs_dupset_check_hash(&d, CS_DUP_KEY, &h, val[1], 8, 1, 1, conf, NULL, &first, &e) ==
		     CS_OK &&
		 first == -1 && confirms == 1 && d.n == 2,
	    "a match the confirmation denies is no repeat, and gets its own slot");
	deny = 0;
	confirms = 0;
	T_OK(cs_dupset_check_hash(&d, CS_DUP_KEY, &h, val[2], 8, 2, 1, conf, NULL, &first, &e) ==
		     CS_OK &&
		 first == 0,
	    "a later repeat is confirmed against the first holder");
	cs_dupset_free(&d);
}

static void
limit(void)
{
	cs_dupset d;
	cs_duphash h;
	cs_err e;
	uint8_t v[8] = {0};
	uint32_t i;
	int rc = CS_OK;

	cs_err_clear(&e);
	/* one record's filter, saturated by many more values: candidates pile up */
	T_OK(cs_dupset_init_filtered(&d, 1, 4, 3, &e) == CS_OK, "a set for 1 record of 4");
	for (i = 0; i < 4096 && rc == CS_OK; i++) {
		memcpy(v, &i, sizeof i);
		cs_dupset_hash(&d, CS_DUP_HWID, v, 8, &h);
		rc = cs_dupset_scan(&d, CS_DUP_HWID, &h, 1, &e);
	}
	T_OK(rc == CS_MALFORMED && d.n == 12, "more candidates than 3 a record is refused (%zu): %s",
	    d.n, e.msg);
	cs_dupset_free(&d);
	T_OK(cs_dupset_init_filtered(&d, (1u << 24) + 1, 0, 3, &e) == CS_USAGE,
	    "more than 2^24 records refused");
}

/* Instance ids (33 bytes, 0x01 || a hash) beside the other types: four
 * values a record fit the filter and the one-pass table, a value is only a
 * repeat of the same type, and a record without one simply has none. */
static uint8_t ival[N][CS_DUP_VALUE_MAX];

static int
iconf(void *ctx, uint32_t index, int type, const uint8_t *v, size_t n)
{
	(void)ctx;
	if (type == CS_DUP_INSTANCE)
		return n == 33 && memcmp(ival[index], v, 33) == 0;
	return n == 8 && memcmp(val[index], v, 8) == 0;
}

static void
setinst(uint32_t i, uint32_t chip)
{
	memset(ival[i], 0, 33);
	ival[i][0] = 0x01;
	crypto_hash_sha256(ival[i] + 1, (const uint8_t *)&chip, sizeof chip);
}

static void
instances(void)
{
	cs_dupset d;
	cs_duphash h;
	cs_err e;
	int64_t first;
	uint32_t i;
	int t, bad = 0, repeats = 0, wrong = 0;
	uint8_t same[33];

	cs_err_clear(&e);
	for (i = 0; i < N; i++) {
		setval(i, i);
		setinst(i, i);
	}
	setinst(10, 3);    /* record 10's chip is record 3's */
	setinst(4321, 3);  /* and again */
	setinst(4999, 0);
	/* record 20's hardware id is record 21's instance id, byte for byte:
	 * values of two types never repeat each other */
	memcpy(same, ival[21], 33);
	T_OK(cs_dupset_init_filtered(&d, N, N, 4, &e) == CS_OK, "a two-pass set for %d records of "
	    "4 values", N);
	for (i = 0; i < N; i++)
		for (t = CS_DUP_SERIAL; t <= CS_DUP_INSTANCE; t++) {
			/* serials, keys and hardware ids: distinct 8-byte values per type */
			cs_dupset_hash(&d, t, t == CS_DUP_INSTANCE ? ival[i] : i == 20 &&
			    t == CS_DUP_HWID ? same : val[i], t == CS_DUP_INSTANCE || (i == 20 &&
			    t == CS_DUP_HWID) ? 33 : 8, &h);
			bad += cs_dupset_scan(&d, t, &h, 1, &e) != CS_OK;
		}
	T_OK(bad == 0, "first pass over %d values", 4 * N);
	/* the filter holds 4 values a record: about 0.2% of them false
	 * candidates (40; sized for 3 values a record, about 0.6%, 126) */
	T_OK(d.n >= 3 && d.n < 4 * N / 250, "candidates: the 3 repeated chips and a few more "
	    "(%zu of %d values)", d.n, 4 * N);
	cs_dupset_scan_end(&d);
	for (i = 0; i < N; i++) {
		cs_dupset_hash(&d, CS_DUP_INSTANCE, ival[i], 33, &h);
		if (cs_dupset_check_hash(&d, CS_DUP_INSTANCE, &h, ival[i], 33, i, 1, iconf, NULL,
			&first, &e) != CS_OK) {
			bad++;
			continue;
		}
		if (first < 0)
			continue;
		repeats++;
		if (!((i == 10 && first == 3) || (i == 4321 && first == 3) || (i == 4999 && first == 0)))
			wrong++;
	}
	T_OK(bad == 0 && repeats == 3 && wrong == 0, "every repeated chip, with its first record "
	    "(%d repeats, %d wrong)", repeats, wrong);
	cs_dupset_hash(&d, CS_DUP_HWID, same, 33, &h);
	T_OK(cs_dupset_check_hash(&d, CS_DUP_HWID, &h, same, 33, 20, 1, iconf, NULL, &first, &e) ==
		 CS_OK && first == -1, "a hardware id equal to an instance id is no repeat");
	cs_dupset_free(&d);

	/* one pass: every value of every record goes in */
	setinst(10, 10);
	T_OK(cs_dupset_init(&d, 64, &e) == CS_OK, "a one-pass set for 64 records");
	for (i = 0, bad = repeats = 0; i < 64; i++)
		for (t = CS_DUP_SERIAL; t <= CS_DUP_INSTANCE; t++) {
			if (cs_dupset_check(&d, t, t == CS_DUP_INSTANCE ? ival[i] : val[i],
				t == CS_DUP_INSTANCE ? 33 : 8, i, 1, iconf, NULL, &first) != CS_OK)
				bad++;
			else if (first >= 0)
				repeats++;
		}
	T_OK(bad == 0 && repeats == 0 && d.n == 4 * 64, "it holds 4 values for each (%zu slots "
	    "used, %d refused)", d.n, bad);
	T_OK(cs_dupset_check(&d, CS_DUP_INSTANCE, ival[3], 33, 64, 0, iconf, NULL, &first) ==
		 CS_OK && first == 3, "a chip repeated after them is found");
	cs_dupset_free(&d);
	T_OK(cs_dupset_init_filtered(&d, 4, 4, 5, &e) == CS_USAGE, "5 values a record refused");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	two_passes();
	collision();
	limit();
	instances();
	return t_done();
}
