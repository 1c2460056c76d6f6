/* The hostile zip reader on memory buffers (the fuzzing entry point), the
 * CBOR sequence splitter and the duplicate set. */
#include <sodium.h>
#include <zip.h>

#include "bundle/reader.h"
#include "t.h"
#include "util/file.h"
#include "verify/batch.h"
#include "verify/dupset.h"

/* A zip in memory with the given entries (libzip writes it). */
static uint8_t *
mkzip(size_t *len, const char *const *names, const char *const *data, int n, int deflate)
{
	zip_source_t *src;
	zip_t *z;
	zip_error_t ze;
	zip_stat_t st;
	uint8_t *out;
	int i;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	zip_source_keep(src);
	z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	for (i = 0; i < n; i++) {
		zip_source_t *s = zip_source_buffer(z, data[i], strlen(data[i]), 0);
		zip_int64_t idx = zip_file_add(z, names[i], s, 0);

		zip_set_file_compression(z, (zip_uint64_t)idx, deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
	}
	zip_close(z);
	zip_source_stat(src, &st);
	*len = (size_t)st.size;
	out = malloc(*len);
	zip_source_open(src);
	zip_source_read(src, out, *len);
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
	return out;
}

static int
open_reason(const uint8_t *p, size_t n, char reason[CS_REASON_MAX])
{
	cs_zipr *z = NULL;
	cs_err e;
	int rc;

	cs_err_clear(&e);
	rc = cs_zipr_open_mem(&z, p, n, &e);
	snprintf(reason, CS_REASON_MAX, "%s", rc == CS_OK ? "ok" : e.reason);
	cs_zipr_close(z);
	return rc;
}

static void
test_reader(void)
{
	static const char *const good[] = {"header.cose", "order.cose", "records.cborseq"};
	static const char *const data[] = {"H", "OO", "RRR", "x"};
	char reason[CS_REASON_MAX];
	uint8_t *p, buf[8];
	size_t n, got;
	cs_zipr *z;
	cs_zips *s;
	cs_buf b;
	cs_err e;
	int rc;

	p = mkzip(&n, good, data, 3, 0);
	T_OK(open_reason(p, n, reason) == CS_OK, "a stored batch layout opens");
	cs_err_clear(&e);
	rc = cs_zipr_open_mem(&z, p, n, &e);
	T_OK(rc == CS_OK && cs_zipr_entries(z) == 3 && cs_zipr_size(z, CS_ZE_RECORDS) == 3,
	    "3 entries, sizes from the directory");
	cs_buf_init(&b, 64);
	T_OK(cs_zipr_read(z, CS_ZE_ORDER, &b, 64, &e) == CS_OK && b.len == 2 &&
		 memcmp(b.p, "OO", 2) == 0, "a small entry is read whole");
	T_OK(cs_zipr_read(z, CS_ZE_ORDER, &b, 1, &e) == CS_REJECT && strcmp(e.reason, "zip-size") == 0,
	    "... refused above the caller's limit");
	cs_err_clear(&e);
	T_OK(cs_zips_open(&s, z, CS_ZE_RECORDS, &e) == CS_OK, "the records stream opens");
	T_OK(cs_zips_read(s, buf, 2, &got, &e) == CS_OK && got == 2, "... reads in chunks");
	T_OK(cs_zips_read(s, buf, 8, &got, &e) == CS_OK && got == 1, "... to the declared size");
	T_OK(cs_zips_read(s, buf, 8, &got, &e) == CS_OK && got == 0, "... then ends (CRC checked)");
	cs_zips_close(s);
	cs_buf_free(&b);
	cs_zipr_close(z);
	/* a flipped byte in the stored records: only the CRC can tell */
	{
		uint8_t *q = malloc(n);
		size_t i;

		memcpy(q, p, n);
		for (i = 0; i + 3 < n; i++)
			if (memcmp(q + i, "RRR", 3) == 0)
				break;
		q[i + 1] ^= 1;
		cs_err_clear(&e);
		rc = cs_zipr_open_mem(&z, q, n, &e);
		if (rc == CS_OK && (rc = cs_zips_open(&s, z, CS_ZE_RECORDS, &e)) == CS_OK) {
			do
				rc = cs_zips_read(s, buf, sizeof buf, &got, &e);
			while (rc == CS_OK && got > 0);
			cs_zips_close(s);
		}
		cs_zipr_close(z);
		T_OK(rc == CS_MALFORMED && strcmp(e.reason, "zip-corrupt") == 0,
		    "a flipped records byte fails the CRC at the end (zip-corrupt)");
		free(q);
	}
	free(p);

	p = mkzip(&n, good, data, 3, 1);
	T_OK(open_reason(p, n, reason) == CS_OK, "deflated entries are accepted");
	free(p);
	{
		static const char *const rel[] = {"header.cose", "order.cose", "records.cborseq",
		    "release.cose"};

		p = mkzip(&n, rel, data, 4, 0);
		rc = cs_zipr_open_mem(&z, p, n, &e);
		T_OK(rc == CS_OK && cs_zipr_entries(z) == 4, "a release layout opens with 4 entries");
		cs_zipr_close(z);
		free(p);
	}
	/* layouts refused for their names or their order */
	{
		static const char *const extra[] = {"header.cose", "order.cose", "records.cborseq",
		    "release.cose", "more"};
		static const char *const bad1[] = {"header.cose", "order.cose", "../records.cborseq"};
		static const char *const bad2[] = {"header.cose", "order.cose", "a\\b"};
		static const char *const bad3[] = {"header.cose", "order.cose", "dir/"};
		static const char *const bad4[] = {"header.cose", "order.cose", "rec\x01"};
		static const char *const swap[] = {"order.cose", "header.cose", "records.cborseq"};
		static const char *const ok2[] = {"header.cose", "order.cose", "..records.cborseq"};
		static const char *const abcde[] = {"a", "b", "c", "d", "e"};
		static const struct {
			const char *const *names;
			int n;
			const char *const *data; /* NULL: data */
			const char *reason, *what;
		} cases[] = {
			{extra, 5, abcde, "zip-entries", "5 entries: zip-entries"},
			{bad1, 3, NULL, "zip-name", "\"..\" in a name: zip-name"},
			{bad2, 3, NULL, "zip-name", "a backslash: zip-name"},
			{bad3, 3, NULL, "zip-name", "a directory: zip-name"},
			{bad4, 3, NULL, "zip-name", "a control byte: zip-name"},
			{swap, 3, NULL, "zip-entries", "reordered entries: zip-entries"},
			{ok2, 3, NULL, "zip-entries",
			    "\"..x\" is a name, not a component: zip-entries"},
			{good, 2, NULL, "zip-entries", "a missing entry: zip-entries"},
		};
		size_t k;

		for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
			p = mkzip(&n, cases[k].names, cases[k].data != NULL ? cases[k].data : data,
			    cases[k].n, 0);
			open_reason(p, n, reason);
			T_OK(strcmp(reason, cases[k].reason) == 0, "%s", cases[k].what);
			free(p);
		}
	}
	T_OK(open_reason((const uint8_t *)"PK\x03\x04", 4, reason) == CS_MALFORMED &&
		 strcmp(reason, "zip-corrupt") == 0, "four magic bytes: zip-corrupt");
	T_OK(open_reason(NULL, 0, reason) != CS_OK, "nothing at all is refused (%s)", reason);
}

/* A confirmation that checks the values the test stored by index. */
static uint8_t vals[64][8];
static int confirms;

static int
conf(void *ctx, uint32_t index, int type, const uint8_t *v, size_t n)
{
	(void)ctx;
	(void)type;
	confirms++;
	return n == 8 && memcmp(vals[index], v, 8) == 0;
}

static void
test_dupset(void)
{
	cs_dupset d;
	cs_err e;
	int64_t first;
	uint32_t i;
	int bad = 0;

	cs_err_clear(&e);
	T_OK(cs_dupset_init(&d, 64, &e) == CS_OK, "a duplicate set for 64 records");
	for (i = 0; i < 64; i++) {
		memset(vals[i], 0, 8);
		vals[i][0] = (uint8_t)i;
		if (cs_dupset_check(&d, CS_DUP_SERIAL, vals[i], 8, i, 1, conf, NULL, &first) != CS_OK ||
		    first != -1)
			bad++;
	}
	T_OK(bad == 0, "64 distinct values are new");
	T_OK(confirms < 8, "... with few confirmations (%d)", confirms);
	T_OK(cs_dupset_check(&d, CS_DUP_SERIAL, vals[17], 8, 70, 1, conf, NULL, &first) == CS_OK &&
		 first == 17, "a repeat is found, with its first record");
	T_OK(cs_dupset_check(&d, CS_DUP_KEY, vals[17], 8, 71, 1, conf, NULL, &first) == CS_OK &&
		 first == -1, "the same bytes as another kind of value are not a repeat");
	cs_dupset_free(&d);
	T_OK(cs_dupset_init(&d, (1u << 24) + 1, &e) == CS_USAGE, "more than 2^24 records refused");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_reader();
	test_dupset();
	return t_done();
}
