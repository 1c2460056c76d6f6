/* The station journal: entries come back in order, a torn last write is cut
 * off at every possible point, damage in the middle is refused and left
 * alone, another order's journal and a second station are refused. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "station/journal.h"
#include "t.h"

#define NREC 5

static uint8_t recs[NREC][300];
static size_t rlen[NREC];

struct seen {
	size_t n, nconf;
	int order_ok;
	uint64_t conf[16];
};

static int
on_rec(void *ctx, uint64_t index, const uint8_t *rec, size_t n, cs_err *e)
{
	struct seen *s = ctx;

	(void)e;
	if (index != s->n || index >= NREC || n != rlen[index] || memcmp(rec, recs[index], n) != 0)
		s->order_ok = 0;
	s->n++;
	return CS_OK;
}

static int
on_conf(void *ctx, uint64_t index, cs_err *e)
{
	struct seen *s = ctx;

	(void)e;
	if (s->nconf < 16)
		s->conf[s->nconf] = index;
	s->nconf++;
	return CS_OK;
}

static char dir[256], path[300];

static long
file_size(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void
read_all(uint8_t *buf, size_t cap, size_t *n)
{
	int fd = open(path, O_RDONLY);
	ssize_t r = read(fd, buf, cap);

	*n = r > 0 ? (size_t)r : 0;
	close(fd);
}

static void
write_all(const uint8_t *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (write(fd, buf, n) != (ssize_t)n)
		abort();
	close(fd);
}

static int
reopen(const uint8_t od[CS_DIGEST_LEN], struct seen *s, cs_journal *j, cs_err *e)
{
	cs_journal_visit v = {s, on_rec, on_conf};

	memset(s, 0, sizeof *s);
	s->order_ok = 1;
	cs_err_clear(e);
	return cs_journal_open(j, dir, od, 0, &v, e);
}

int
main(void)
{
	static uint8_t full[1 << 16], tmp[1 << 16];
	uint8_t od[CS_DIGEST_LEN], other[CS_DIGEST_LEN], junk[200];
	size_t fn, i, bad, k, cut_start;
	cs_journal j, j2;
	struct seen s;
	cs_err e;
	int rc;

	if (cs_crypto_init() != 0)
		return 1;
	snprintf(dir, sizeof dir, "%s/consign-journal.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/%s", dir, CS_JOURNAL_FILE);
	randombytes_buf(od, sizeof od);
	randombytes_buf(other, sizeof other);
	for (i = 0; i < NREC; i++) {
		rlen[i] = 100 + 40 * i;
		randombytes_buf(recs[i], rlen[i]);
	}

	cs_err_clear(&e);
	rc = cs_journal_open(&j, dir, od, 1, NULL, &e);
	T_OK(rc == CS_OK && j.records == 0 && file_size() == CS_JOURNAL_HEAD_LEN,
	    "a new journal holds its header only (%s)", e.msg);
	T_OK(cs_journal_open(&j2, dir, od, 1, NULL, &e) == CS_USAGE &&
		 strcmp(e.reason, "journal-locked") == 0,
	    "a second station on the same journal is refused (journal-locked)");
	for (i = 0; i < NREC; i++) {
		cs_err_clear(&e);
		if (cs_journal_append(&j, recs[i], rlen[i], &e) != CS_OK)
			break;
		if (i == 1 || i == 3)
			T_MUST(cs_journal_confirm(&j, i, &e));
	}
	T_OK(i == NREC && j.records == NREC && j.confirmed == 2 && cs_journal_sync(&j, &e) == CS_OK,
	    "five records and two confirmations appended and synced");
	cs_err_clear(&e);
	T_OK(cs_journal_confirm(&j, NREC, &e) == CS_USAGE, "confirming an unknown record is refused");
	cs_journal_close(&j);
	read_all(full, sizeof full, &fn);

	rc = reopen(od, &s, &j, &e);
	T_OK(rc == CS_OK && s.n == NREC && s.order_ok && s.nconf == 2 && s.conf[0] == 1 &&
		 s.conf[1] == 3 && j.torn == 0 && j.size == fn,
	    "reopened: every record in order, both confirmations, nothing torn");
	cs_journal_close(&j);

	cs_err_clear(&e);
	T_OK(cs_journal_open(&j, dir, other, 0, NULL, &e) == CS_REJECT &&
		 strcmp(e.reason, "journal-order") == 0,
	    "another order's journal is refused (journal-order)");

	/* a torn last write, cut at every byte of the last entry */
	cut_start = fn - (CS_JOURNAL_ENTRY_HEAD + rlen[NREC - 1] + CS_JOURNAL_ENTRY_TAIL);
	for (k = cut_start + 1, bad = 0; k < fn; k++) {
		write_all(full, k);
		rc = reopen(od, &s, &j, &e);
		if (rc != CS_OK || s.n != NREC - 1 || !s.order_ok || j.torn != k - cut_start ||
		    file_size() != (long)cut_start)
			bad++;
		cs_journal_close(&j);
	}
	T_OK(bad == 0, "a torn last record cut at each of %zu points is discarded (%zu wrong)",
	    fn - cut_start - 1, bad);
	/* after the cut the journal takes appends again */
	write_all(full, fn - 3);
	rc = reopen(od, &s, &j, &e);
	cs_err_clear(&e);
	T_OK(rc == CS_OK && cs_journal_append(&j, recs[NREC - 1], rlen[NREC - 1], &e) == CS_OK &&
		 cs_journal_sync(&j, &e) == CS_OK,
	    "after discarding a torn write the record is appended again");
	cs_journal_close(&j);
	read_all(tmp, sizeof tmp, &k);
	T_OK(k == fn && memcmp(tmp, full, fn) == 0, "and the journal is byte for byte as before");

	/* garbage or zeros after the last entry (a power cut while extending) */
	memcpy(tmp, full, fn);
	randombytes_buf(junk, sizeof junk);
	memcpy(tmp + fn, junk, sizeof junk);
	write_all(tmp, fn + sizeof junk);
	rc = reopen(od, &s, &j, &e);
	T_OK(rc == CS_OK && s.n == NREC && j.torn == sizeof junk && file_size() == (long)fn,
	    "random bytes after the last entry are discarded");
	cs_journal_close(&j);
	memset(tmp + fn, 0, 4096);
	write_all(tmp, fn + 4096);
	rc = reopen(od, &s, &j, &e);
	T_OK(rc == CS_OK && s.n == NREC && j.torn == 4096 && file_size() == (long)fn,
	    "zeros after the last entry are discarded");
	cs_journal_close(&j);

	/* damage in the middle is not a torn write: refused, file untouched */
	memcpy(tmp, full, fn);
	tmp[CS_JOURNAL_HEAD_LEN + CS_JOURNAL_ENTRY_HEAD + 10] ^= 1;
	write_all(tmp, fn);
	rc = reopen(od, &s, &j, &e);
	T_OK(rc == CS_MALFORMED && strcmp(e.reason, "journal-corrupt") == 0 && file_size() == (long)fn,
	    "a damaged first record with valid ones after it is refused and left alone (%s)",
	    e.reason);
	memcpy(tmp, full, fn);
	tmp[3] ^= 1;
	write_all(tmp, fn);
	rc = reopen(od, &s, &j, &e);
	T_OK(rc == CS_MALFORMED && strcmp(e.reason, "journal-corrupt") == 0,
	    "a damaged header is refused");
	/* a confirmation of a record not yet journaled */
	{
		uint8_t ent[32], idx[4] = {0, 0, 0, 9};
		size_t en = cs_journal_entry(ent, sizeof ent, CS_JOURNAL_CONFIRM, idx, 4);

		memcpy(tmp, full, fn);
		memcpy(tmp + fn, ent, en);
		write_all(tmp, fn + en);
		rc = reopen(od, &s, &j, &e);
		T_OK(rc == CS_MALFORMED && strcmp(e.reason, "journal-corrupt") == 0,
		    "a confirmation of a record not journaled is refused");
	}
	write_all(full, fn);
	unlink(path);
	rmdir(dir);
	return t_done();
}
