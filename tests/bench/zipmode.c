/* zipmode: a batch or release zip rewritten with its records entry stored or
 * deflated (the other entries stored, every entry's bytes unchanged, so every
 * signature and digest still holds), to measure what compression costs and
 * gains (manifests/batch.md, "Compression").
 *
 *   zipmode --method store|deflate [--level N] IN.zip OUT.zip
 *
 * --level 0 is libzip's default (zlib's 6). Prints the records entry's
 * size in the zip, and MB/s (10^6 bytes of the entry's content a second)
 * writing the zip and reading the entry back through the verifier's reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zip.h>

#define TOOL_NAME "zipmode"
#include "bench.h"
#include "bundle/reader.h"

static const char *const names[CS_ZIP_MAX_ENTRIES] = {CS_ENTRY_HEADER, CS_ENTRY_ORDER,
    CS_ENTRY_RECORDS, CS_ENTRY_RELEASE};

/* Streams entry i of path to its end (CRC checked); its size. */
static uint64_t
read_entry(const char *path, int i, uint8_t *buf, size_t cap)
{
	cs_zipr *z;
	cs_zips *s;
	cs_err e;
	uint64_t total = 0;
	size_t got;

	cs_err_clear(&e);
	if (cs_zipr_open(&z, path, &e) != CS_OK || cs_zips_open(&s, z, i, &e) != CS_OK)
		die(e.msg);
	do {
		if (cs_zips_read(s, buf, cap, &got, &e) != CS_OK)
			die(e.msg);
		total += got;
	} while (got > 0);
	cs_zips_close(s);
	cs_zipr_close(z);
	return total;
}

int
main(int argc, char **argv)
{
	const char *method = NULL, *in, *out;
	static uint8_t chunk[1 << 16];
	cs_buf data[CS_ZIP_MAX_ENTRIES];
	uint64_t size[CS_ZIP_MAX_ENTRIES] = {0};
	int level = 0, a, i, n, err;
	cs_zipr *z;
	cs_err e;
	zip_t *za;
	zip_source_t *src;
	zip_stat_t st;
	zip_int64_t idx;
	double t;

	for (a = 1; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (strcmp(argv[a], "--method") == 0)
			method = argv[a + 1];
		else if (strcmp(argv[a], "--level") == 0)
			level = atoi(argv[a + 1]);
		else
			die("usage: zipmode --method store|deflate [--level N] IN.zip OUT.zip");
	}
	if (method == NULL || a + 2 != argc ||
	    (strcmp(method, "store") != 0 && strcmp(method, "deflate") != 0))
		die("usage: zipmode --method store|deflate [--level N] IN.zip OUT.zip");
	in = argv[a];
	out = argv[a + 1];
	cs_err_clear(&e);
	if (cs_zipr_open(&z, in, &e) != CS_OK)
		die(e.msg);
	n = cs_zipr_entries(z);
	for (i = 0; i < n; i++) {
		cs_buf_init(&data[i], (size_t)cs_zipr_size(z, i) + 1);
		if (cs_zipr_read(z, i, &data[i], (size_t)cs_zipr_size(z, i), &e) != CS_OK)
			die(e.msg);
		size[i] = data[i].len;
	}
	cs_zipr_close(z);

	t = now();
	if ((za = zip_open(out, ZIP_CREATE | ZIP_TRUNCATE, &err)) == NULL)
		die("cannot create the output");
	for (i = 0; i < n; i++) {
		if ((src = zip_source_buffer(za, data[i].p, size[i], 0)) == NULL ||
		    (idx = zip_file_add(za, names[i], src, ZIP_FL_ENC_UTF_8)) < 0)
			die(zip_strerror(za));
		if (zip_set_file_compression(za, (zip_uint64_t)idx,
			i == CS_ZE_RECORDS && strcmp(method, "deflate") == 0 ? ZIP_CM_DEFLATE
									     : ZIP_CM_STORE,
			(zip_uint32_t)level) != 0)
			die(zip_strerror(za));
	}
	if (zip_close(za) != 0)
		die("cannot write the output");
	t = now() - t;
	printf("records_bytes %llu\n", (unsigned long long)size[CS_ZE_RECORDS]);
	printf("write_mbps %.0f\n", (double)size[CS_ZE_RECORDS] / t / 1e6);

	if ((za = zip_open(out, ZIP_RDONLY, &err)) == NULL ||
	    zip_stat_index(za, CS_ZE_RECORDS, 0, &st) != 0)
		die("cannot read the output back");
	printf("records_zip_bytes %llu\n", (unsigned long long)st.comp_size);
	printf("records_zip_percent %.1f\n", 100.0 * (double)st.comp_size / (double)st.size);
	zip_discard(za);

	t = now();
	if (read_entry(out, CS_ZE_RECORDS, chunk, sizeof chunk) != size[CS_ZE_RECORDS])
		die("the records entry read back differs in size");
	t = now() - t;
	printf("read_mbps %.0f\n", (double)size[CS_ZE_RECORDS] / t / 1e6);
	for (i = 0; i < n; i++)
		cs_buf_free(&data[i]);
	return 0;
}
