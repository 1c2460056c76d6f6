/* The journal file: a header binding it to one order, then entries, each
 * with its own CRC-32, appended with pwrite and made durable with fdatasync.
 * Opening it replays the entries and cuts off a torn last write. */
#include "station/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "device/wire.h"
#include "format/artifact.h"
#include "util/file.h"

#define READ_CHUNK (1u << 20)

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t
cs_journal_entry(uint8_t *out, size_t cap, int type, const uint8_t *body, size_t n)
{
	size_t total = CS_JOURNAL_ENTRY_HEAD + n + CS_JOURNAL_ENTRY_TAIL;

	if (n > CS_RECORD_MAX || total > cap)
		return 0;
	out[0] = (uint8_t)type;
	put32(out + 1, (uint32_t)n);
	memcpy(out + CS_JOURNAL_ENTRY_HEAD, body, n);
	put32(out + CS_JOURNAL_ENTRY_HEAD + n, cs_crc32(0, out, CS_JOURNAL_ENTRY_HEAD + n));
	return total;
}

/* The length of a valid entry at p[0..n), or 0. */
static size_t
entry_at(const uint8_t *p, size_t n, uint32_t *len)
{
	size_t total;

	if (n < CS_JOURNAL_ENTRY_HEAD)
		return 0;
	*len = get32(p + 1);
	if (p[0] == CS_JOURNAL_RECORD) {
		if (*len == 0 || *len > CS_RECORD_MAX)
			return 0;
	} else if (p[0] == CS_JOURNAL_CONFIRM) {
		if (*len != 4)
			return 0;
	} else
		return 0;
	total = CS_JOURNAL_ENTRY_HEAD + *len + CS_JOURNAL_ENTRY_TAIL;
	if (n < total || cs_crc32(0, p, CS_JOURNAL_ENTRY_HEAD + *len) != get32(p + total - 4))
		return 0;
	return total;
}

/* A buffered reader over the file from a position. */
struct rd {
	int fd;
	uint8_t *buf;
	size_t off, len;
	uint64_t pos; /* file offset of buf[off] */
};

/* Makes up to want bytes available at r->buf + r->off; returns how many are. */
static ssize_t
fill(struct rd *r, size_t want)
{
	ssize_t got;

	if (r->len - r->off >= want)
		return (ssize_t)(r->len - r->off);
	memmove(r->buf, r->buf + r->off, r->len - r->off);
	r->len -= r->off;
	r->off = 0;
	while (r->len < want) {
		got = pread(r->fd, r->buf + r->len, READ_CHUNK - r->len, (off_t)(r->pos + r->len));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		r->len += (size_t)got;
	}
	return (ssize_t)r->len;
}

/* A damaged entry at bad: a torn last write when nothing valid follows it. */
static int
damaged(cs_journal *j, uint64_t bad, uint64_t fsize, cs_err *e)
{
	uint8_t *tail = NULL;
	uint32_t len;
	size_t n, k;
	ssize_t got;
	int rc = CS_MALFORMED;

	if (fsize - bad > CS_JOURNAL_TAIL_MAX)
		return cs_fail(e, CS_MALFORMED, "journal-corrupt",
		    "damaged entry at offset %llu followed by %llu more bytes",
		    (unsigned long long)bad, (unsigned long long)(fsize - bad));
	n = (size_t)(fsize - bad);
	if ((tail = malloc(n + 1)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	got = pread(j->fd, tail, n, (off_t)bad);
	if (got != (ssize_t)n) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot read the journal: %s", strerror(errno));
		goto done;
	}
	for (k = 1; k < n; k++)
		if ((tail[k] == CS_JOURNAL_RECORD || tail[k] == CS_JOURNAL_CONFIRM) &&
		    entry_at(tail + k, n - k, &len) != 0) {
			rc = cs_fail(e, CS_MALFORMED, "journal-corrupt",
			    "damaged entry at offset %llu, but a valid one at %llu",
			    (unsigned long long)bad, (unsigned long long)(bad + k));
			goto done;
		}
	/* never acknowledged: its device was not told it is done */
	if (ftruncate(j->fd, (off_t)bad) != 0 || fsync(j->fd) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot cut off a torn write: %s", strerror(errno));
		goto done;
	}
	j->torn = n;
	rc = CS_OK;
done:
	free(tail);
	return rc;
}

static int
replay(cs_journal *j, const cs_journal_visit *v, cs_err *e)
{
	struct rd r = {j->fd, NULL, 0, 0, CS_JOURNAL_HEAD_LEN};
	struct stat st;
	uint64_t index;
	uint32_t len;
	size_t total;
	ssize_t have;
	int rc = CS_OK;

	if (fstat(j->fd, &st) != 0)
		return cs_fail(e, CS_MALFORMED, "io", "cannot stat the journal: %s", strerror(errno));
	if ((r.buf = malloc(READ_CHUNK)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	j->size = CS_JOURNAL_HEAD_LEN;
	for (;;) {
		have = fill(&r, CS_JOURNAL_ENTRY_HEAD + CS_RECORD_MAX + CS_JOURNAL_ENTRY_TAIL);
		if (have < 0) {
			rc = cs_fail(e, CS_MALFORMED, "io", "cannot read the journal: %s", strerror(errno));
			break;
		}
		if (have == 0)
			break;
		if ((total = entry_at(r.buf + r.off, (size_t)have, &len)) == 0) {
			rc = damaged(j, r.pos, (uint64_t)st.st_size, e);
			break;
		}
		if (r.buf[r.off] == CS_JOURNAL_RECORD) {
			if (v != NULL && v->record != NULL &&
			    (rc = v->record(v->ctx, j->records, r.buf + r.off + CS_JOURNAL_ENTRY_HEAD,
				 len, e)) != CS_OK)
				break;
			j->records++;
		} else {
			index = get32(r.buf + r.off + CS_JOURNAL_ENTRY_HEAD);
			if (index >= j->records) {
				rc = cs_fail(e, CS_MALFORMED, "journal-corrupt",
				    "confirmation of record %llu before it was journaled",
				    (unsigned long long)index);
				break;
			}
			if (v != NULL && v->confirm != NULL && (rc = v->confirm(v->ctx, index, e)) != CS_OK)
				break;
			j->confirmed++;
		}
		r.off += total;
		r.pos += total;
		j->size = r.pos;
	}
	free(r.buf);
	return rc;
}

int
cs_journal_open(cs_journal *j, const char *dir, const uint8_t order[CS_DIGEST_LEN], int create,
    const cs_journal_visit *v, cs_err *e)
{
	uint8_t head[CS_JOURNAL_HEAD_LEN], got[CS_JOURNAL_HEAD_LEN];
	size_t plen = strlen(dir) + sizeof CS_JOURNAL_FILE + 2;
	ssize_t n;
	int rc;

	memset(j, 0, sizeof *j);
	j->fd = -1;
	if ((j->path = malloc(plen)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	snprintf(j->path, plen, "%s/%s", dir, CS_JOURNAL_FILE);
	memcpy(head, CS_JOURNAL_MAGIC, CS_JOURNAL_MAGIC_LEN);
	memcpy(head + CS_JOURNAL_MAGIC_LEN, order, CS_DIGEST_LEN);
	put32(head + CS_JOURNAL_HEAD_LEN - 4, cs_crc32(0, head, CS_JOURNAL_HEAD_LEN - 4));
	if (create) {
		if (mkdir(dir, 0700) == 0) {
			/* a new directory's entry must outlive a power cut too */
			if ((rc = cs_fsync_dir_of(dir, e)) != CS_OK)
				goto fail;
		} else if (errno != EEXIST) {
			rc = cs_fail(e, CS_MALFORMED, "io", "cannot create the journal directory: %s",
			    strerror(errno));
			goto fail;
		}
		/* the header appears whole or not at all */
		if (access(j->path, F_OK) != 0 && errno == ENOENT &&
		    (rc = cs_write_atomic(j->path, head, sizeof head, 0600, 1, e)) != CS_OK &&
		    strcmp(e->reason, "exists") != 0)
			goto fail;
		cs_err_clear(e);
	}
	if ((j->fd = open(j->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot open the journal: %s", strerror(errno));
		goto fail;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK
			 ? cs_fail(e, CS_USAGE, "journal-locked", "another station is using this journal")
			 : cs_fail(e, CS_MALFORMED, "io", "cannot lock the journal: %s", strerror(errno));
		goto fail;
	}
	n = pread(j->fd, got, sizeof got, 0);
	if (n != (ssize_t)sizeof got || memcmp(got, head, CS_JOURNAL_MAGIC_LEN) != 0 ||
	    cs_crc32(0, got, CS_JOURNAL_HEAD_LEN - 4) != get32(got + CS_JOURNAL_HEAD_LEN - 4)) {
		rc = cs_fail(e, CS_MALFORMED, "journal-corrupt", "not a consign journal (header)");
		goto fail;
	}
	if (sodium_memcmp(got + CS_JOURNAL_MAGIC_LEN, order, CS_DIGEST_LEN) != 0) {
		rc = cs_fail(e, CS_REJECT, "journal-order", "this journal belongs to another order");
		goto fail;
	}
	if ((rc = replay(j, v, e)) != CS_OK)
		goto fail;
	/* what a failed sync later falls back to must be on the medium */
	if (fdatasync(j->fd) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot sync the journal: %s", strerror(errno));
		goto fail;
	}
	j->synced = j->size;
	return CS_OK;
fail:
	cs_journal_close(j);
	return rc;
}

static int
append(cs_journal *j, int type, const uint8_t *body, size_t n, cs_err *e)
{
	uint8_t buf[CS_JOURNAL_ENTRY_HEAD + CS_RECORD_MAX + CS_JOURNAL_ENTRY_TAIL];
	size_t len, done = 0;
	ssize_t w;

	if ((len = cs_journal_entry(buf, sizeof buf, type, body, n)) == 0)
		return cs_fail(e, CS_USAGE, "too-large", "journal entry of %zu bytes", n);
	while (done < len) {
		w = pwrite(j->fd, buf + done, len - done, (off_t)(j->size + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = errno;

			/* leave no partial entry for a later one to follow */
			if (ftruncate(j->fd, (off_t)j->size) != 0) {
				/* the next open finds it torn and cuts it off */
			}
			return cs_fail(e, CS_MALFORMED, "io", "cannot write the journal: %s",
			    strerror(err));
		}
		done += (size_t)w;
	}
	j->size += len;
	return CS_OK;
}

int
cs_journal_append(cs_journal *j, const uint8_t *rec, size_t n, cs_err *e)
{
	int rc;

	if (n == 0 || n > CS_RECORD_MAX)
		return cs_fail(e, CS_USAGE, "too-large", "record of %zu bytes", n);
	if ((rc = append(j, CS_JOURNAL_RECORD, rec, n, e)) == CS_OK)
		j->records++;
	return rc;
}

int
cs_journal_confirm(cs_journal *j, uint64_t index, cs_err *e)
{
	uint8_t b[4];
	int rc;

	if (index >= j->records || index > UINT32_MAX)
		return cs_fail(e, CS_USAGE, "internal", "confirmation of unknown record %llu",
		    (unsigned long long)index);
	put32(b, (uint32_t)index);
	if ((rc = append(j, CS_JOURNAL_CONFIRM, b, 4, e)) == CS_OK)
		j->confirmed++;
	return rc;
}

int
cs_journal_sync(cs_journal *j, cs_err *e)
{
	int err;

	if (fdatasync(j->fd) == 0) {
		j->synced = j->size;
		return CS_OK;
	}
	err = errno;
	/* After a failed fdatasync the kernel may have dropped the pages it
	 * could not write and report the next sync clean: what was appended
	 * since the last good sync must go, or a later run would find those
	 * records and tell their devices "done" with nothing on the medium. */
	if (ftruncate(j->fd, (off_t)j->synced) == 0 && fdatasync(j->fd) == 0)
		j->size = j->synced;
	return cs_fail(e, CS_MALFORMED, "io", "cannot sync the journal: %s", strerror(err));
}

void
cs_journal_close(cs_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	free(j->path);
	j->path = NULL;
}
