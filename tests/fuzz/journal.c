/* Fuzzes the station journal reader: the input is written as DIR/journal
 * (on /dev/shm when there is one) and opened for the order its header names,
 * with a visitor counting entries. Invariants: a journal either opens with
 * entries that are each a bounded record or a confirmation of an earlier
 * record, or is refused with a journal or io reason; the valid size never
 * exceeds the file, and opening what an open left behind again finds the
 * same entries and nothing torn (the cut is durable and idempotent). */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/artifact.h"
#include "station/journal.h"

struct count {
	uint64_t records, confirms;
};

static int
on_record(void *ctx, uint64_t index, const uint8_t *rec, size_t n, cs_err *e)
{
	struct count *c = ctx;

	(void)e;
	FUZZ_REQUIRE(rec != NULL && n >= 1 && n <= CS_RECORD_MAX);
	FUZZ_REQUIRE(index == c->records);
	c->records++;
	return CS_OK;
}

static int
on_confirm(void *ctx, uint64_t index, cs_err *e)
{
	struct count *c = ctx;

	(void)e;
	(void)index;
	c->confirms++;
	return CS_OK;
}

static char jdir[256];

static void
remove_dir(void)
{
	char path[300];

	snprintf(path, sizeof path, "%s/%s", jdir, CS_JOURNAL_FILE);
	unlink(path);
	rmdir(jdir);
}

static void
make_dir(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	if (jdir[0] == '\0') {
		snprintf(jdir, sizeof jdir, "%s/consign-fuzz-journal.%ld", base, (long)getpid());
		FUZZ_REQUIRE(mkdir(jdir, 0700) == 0 || errno == EEXIST);
		atexit(remove_dir);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t order[CS_DIGEST_LEN];
	char path[300];
	struct count c1 = {0, 0}, c2 = {0, 0};
	cs_journal_visit v1 = {&c1, on_record, on_confirm}, v2 = {&c2, on_record, on_confirm};
	cs_journal j;
	cs_err e;
	struct stat st;
	int fd, rc;

	fuzz_init();
	make_dir();
	memset(order, 0, sizeof order);
	if (size >= CS_JOURNAL_MAGIC_LEN + CS_DIGEST_LEN)
		memcpy(order, data + CS_JOURNAL_MAGIC_LEN, CS_DIGEST_LEN);
	snprintf(path, sizeof path, "%s/%s", jdir, CS_JOURNAL_FILE);
	FUZZ_REQUIRE((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	FUZZ_REQUIRE(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);

	cs_err_clear(&e);
	if ((rc = cs_journal_open(&j, jdir, order, 0, &v1, &e)) != CS_OK) {
		fuzz_check_err(rc, &e);
		FUZZ_REQUIRE(strncmp(e.reason, "journal-", 8) == 0 || strcmp(e.reason, "io") == 0);
		return 0;
	}
	FUZZ_REQUIRE(j.records == c1.records && j.confirmed == c1.confirms);
	FUZZ_REQUIRE(stat(path, &st) == 0 && j.size == (uint64_t)st.st_size);
	FUZZ_REQUIRE(j.size + j.torn == size);
	cs_journal_close(&j);

	cs_err_clear(&e);
	FUZZ_REQUIRE(cs_journal_open(&j, jdir, order, 0, &v2, &e) == CS_OK);
	FUZZ_REQUIRE(j.torn == 0 && c2.records == c1.records && c2.confirms == c1.confirms);
	cs_journal_close(&j);
	return 0;
}
