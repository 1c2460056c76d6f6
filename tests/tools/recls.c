/* Lists the records of a records.cborseq (unzip -p batch.zip records.cborseq)
 * or of a station journal, one line each: serial, payload digest, device key
 * (all hex but the serial), for the station tests to compare with what the
 * simulated devices were told.
 *   recls records FILE | recls journal DIR ORDER_FILE
 *   recls unconfirmed DIR ORDER_FILE   how many journaled records lack a confirmation */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/cose.h"
#include "station/journal.h"
#include "util/file.h"
#include "verify/trust.h"

static void
fail(const char *what)
{
	fprintf(stderr, "recls: %s\n", what);
	exit(2);
}

static void
show(const uint8_t *p, size_t n)
{
	char d[2 * CS_DIGEST_LEN + 1], k[2 * CS_DEVICE_KEY_MAX + 1];
	uint8_t dg[CS_DIGEST_LEN];
	cs_record r;
	cs_cose c;
	cs_err e;

	cs_err_clear(&e);
	if (cs_cose_decode(&c, p, n, &e) != CS_OK ||
	    cs_record_decode(&r, c.payload, c.payload_len, &e) != CS_OK)
		fail(e.msg);
	cs_digest(dg, CS_KIND_RECORD, c.payload, c.payload_len);
	cs_hex(d, dg, CS_DIGEST_LEN);
	cs_hex(k, r.pk, r.pk_len);
	printf("%llu %s %s\n", (unsigned long long)r.serial, d, k);
}

static int
jrec(void *ctx, uint64_t index, const uint8_t *rec, size_t n, cs_err *e)
{
	(void)ctx;
	(void)index;
	(void)e;
	show(rec, n);
	return CS_OK;
}

int
main(int argc, char **argv)
{
	uint8_t *b;
	size_t n;
	cs_err e;
	cs_cr r;
	cs_cose c;
	size_t off;

	cs_err_clear(&e);
	if (cs_crypto_init() != 0)
		fail("libsodium");
	if (argc == 3 && strcmp(argv[1], "records") == 0) {
		if (cs_read_file(argv[2], 1u << 30, &b, &n, &e) != CS_OK)
			fail(e.msg);
		for (off = 0; off < n;) {
			cs_cr_init(&r, b + off, n - off, &e);
			if (cs_cose_read(&c, &r) != CS_OK)
				fail(e.msg);
			show(b + off, cs_cr_offset(&r));
			off += cs_cr_offset(&r);
		}
		cs_file_free(b, n);
		return 0;
	}
	if (argc == 4 && (strcmp(argv[1], "journal") == 0 || strcmp(argv[1], "unconfirmed") == 0)) {
		int count = strcmp(argv[1], "unconfirmed") == 0;
		cs_journal_visit v = {NULL, jrec, NULL};
		cs_journal j;
		cs_signed os;
		cs_order o;

		if (cs_read_file(argv[3], 1u << 20, &b, &n, &e) != CS_OK ||
		    cs_order_load(&os, &o, b, n, &e) != CS_OK)
			fail(e.msg);
		if (count)
			v.record = NULL;
		if (cs_journal_open(&j, argv[2], os.digest, 0, &v, &e) != CS_OK)
			fail(e.msg);
		/* a record confirmed twice (by two runs) counts once: the station only
		 * writes a confirmation for an unconfirmed record */
		if (count)
			printf("%llu\n", (unsigned long long)(j.records - j.confirmed));
		cs_journal_close(&j);
		cs_file_free(b, n);
		return 0;
	}
	fail("usage: recls records FILE | recls journal|unconfirmed DIR ORDER_FILE");
	return 2;
}
