/* mkjournal: a station journal (manifests/journal.md) holding the records of
 * a batch, as consign station collect would have left it after provisioning
 * them: each record journaled, then confirmed. Written with the station's own
 * journal API, for timing consign station seal on a journal of any size.
 *
 *   mkjournal --order O batch.zip DIR
 *
 * DIR must not hold a journal yet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bundle/reader.h"
#include "format/artifact.h"
#include "station/journal.h"
#include "util/file.h"
#include "verify/batch.h"

#define SYNC_EVERY 4096 /* records between syncs: a fast line, not one fsync each */

static void __attribute__((noreturn))
die(const char *what, const cs_err *e)
{
	fprintf(stderr, "mkjournal: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
	exit(2);
}

int
main(int argc, char **argv)
{
	uint8_t *ob, *win;
	size_t on, have = 0, pos = 0, got, len, cap = 2 * CS_RECORD_MAX + (1u << 20);
	uint64_t index = 0;
	cs_signed os;
	cs_order ord;
	cs_journal j;
	cs_zipr *z;
	cs_zips *s;
	cs_err e;
	int eof = 0;

	if (sodium_init() < 0)
		return 2;
	if (argc != 5 || strcmp(argv[1], "--order") != 0)
		die("usage: mkjournal --order O batch.zip DIR", NULL);
	cs_err_clear(&e);
	if (cs_read_file(argv[2], 1 << 20, &ob, &on, &e) != CS_OK ||
	    cs_order_load(&os, &ord, ob, on, &e) != CS_OK)
		die("cannot load the order", &e);
	if (cs_zipr_open(&z, argv[3], &e) != CS_OK || cs_zips_open(&s, z, CS_ZE_RECORDS, &e) != CS_OK)
		die("cannot read the batch", &e);
	if (cs_journal_open(&j, argv[4], os.digest, 1, NULL, &e) != CS_OK)
		die("cannot create the journal", &e);
	if (j.records != 0)
		die("the journal is not empty", NULL);
	if ((win = malloc(cap)) == NULL)
		die("out of memory", NULL);
	for (;;) {
		if (have - pos < CS_RECORD_MAX && !eof) {
			memmove(win, win + pos, have - pos);
			have -= pos;
			pos = 0;
			if (cs_zips_read(s, win + have, cap - have, &got, &e) != CS_OK)
				die("cannot read the records", &e);
			have += got;
			eof = got == 0;
			continue;
		}
		if (pos == have)
			break;
		if (cs_cbor_item_len(win + pos, have - pos, CS_RECORD_MAX, &len) != 0)
			die("the records do not split", NULL);
		if (cs_journal_append(&j, win + pos, len, &e) != CS_OK ||
		    cs_journal_confirm(&j, index, &e) != CS_OK)
			die("cannot write the journal", &e);
		pos += len;
		if (++index % SYNC_EVERY == 0 && cs_journal_sync(&j, &e) != CS_OK)
			die("cannot sync the journal", &e);
	}
	if (cs_journal_sync(&j, &e) != CS_OK)
		die("cannot sync the journal", &e);
	cs_journal_close(&j);
	cs_zips_close(s);
	cs_zipr_close(z);
	cs_file_free(ob, on);
	free(win);
	printf("journal_records %llu\n", (unsigned long long)index);
	return 0;
}
