/* Bounded reads and atomic, durable writes. */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static int
read_file(const char *path, size_t max, uint8_t **out, size_t *n, cs_err *e)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, rc = CS_MALFORMED;

	*out = NULL;
	*n = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below) */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return cs_fail(e, CS_MALFORMED, "io", "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) != 0) {
		cs_fail(e, CS_MALFORMED, "io", "cannot stat: %s", strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		cs_fail(e, CS_MALFORMED, "io", "not a regular file");
		goto done;
	}
	if ((uint64_t)st.st_size > max) {
		cs_fail(e, CS_MALFORMED, "too-large", "%lld bytes, more than the limit of %zu",
		    (long long)st.st_size, max);
		goto done;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		cs_fail(e, CS_MALFORMED, "system", "out of memory");
		goto done;
	}
	/* read one byte past the size seen, so a growing file is noticed */
	while (got <= (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cs_fail(e, CS_MALFORMED, "io", "read error: %s", strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got != (size_t)st.st_size) {
		cs_fail(e, CS_MALFORMED, "io", "file changed while being read");
		goto done;
	}
	*out = buf;
	*n = got;
	buf = NULL;
	rc = CS_OK;
done:
	free(buf);
	close(fd);
	return rc;
}

void
cs_file_free(uint8_t *p, size_t n)
{
	if (p != NULL) {
		sodium_memzero(p, n);
		free(p);
	}
}

int
cs_fsync_dir_of(const char *path, cs_err *e)
{
	char *copy = strdup(path);
	int fd, rc = CS_OK;

	if (copy == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot open directory: %s", strerror(errno));
	} else {
		/* some file systems (FAT on a USB stick) refuse fsync on a directory */
		if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
			rc = cs_fail(e, CS_MALFORMED, "io", "cannot sync directory: %s", strerror(errno));
		close(fd);
	}
	free(copy);
	return rc;
}

static int
atomic_open(cs_atomic *a, const char *path, int mode, int noclobber, cs_err *e)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = strlen(path), i, t;
	struct stat st;
	char *slash;

	memset(a, 0, sizeof *a);
	a->fd = -1;
	a->noclobber = noclobber;
	if (n == 0 || path[n - 1] == '/')
		return cs_fail(e, CS_USAGE, "usage", "output name is a directory");
	/* rename would replace a device or FIFO node (-o /dev/null as root) */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return cs_fail(e, CS_MALFORMED, "io", "exists and is not a regular file");
	if ((a->path = strdup(path)) == NULL || (a->tmp = malloc(n + 32)) == NULL) {
		cs_atomic_abort(a);
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	}
	/* ".NAME.tmp-XXXXXXXX" beside the target: same file system for rename */
	for (t = 0; t < 16; t++) {
		slash = strrchr(path, '/');
		if (slash != NULL)
			snprintf(a->tmp, n + 32, "%.*s.%s.tmp-", (int)(slash - path + 1), path, slash + 1);
		else
			snprintf(a->tmp, n + 32, ".%s.tmp-", path);
		for (i = 0; i < 8; i++) {
			char c[2] = {cs[randombytes_uniform(sizeof cs - 1)], 0};
			strcat(a->tmp, c);
		}
		a->fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (a->fd >= 0 || errno != EEXIST)
			break;
	}
	if (a->fd < 0) {
		int err = errno;

		free(a->tmp);
		a->tmp = NULL;
		cs_atomic_abort(a);
		return cs_fail(e, CS_MALFORMED, "io", "cannot create a file beside it: %s", strerror(err));
	}
	/* the umask must not widen nor narrow what was asked for */
	if (fchmod(a->fd, (mode_t)mode) != 0 && errno != EPERM) {
		int err = errno;

		cs_atomic_abort(a);
		return cs_fail(e, CS_MALFORMED, "io", "cannot set mode: %s", strerror(err));
	}
	return CS_OK;
}

static int
atomic_write(cs_atomic *a, const void *p, size_t n, cs_err *e)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = write(a->fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return cs_fail(e, CS_MALFORMED, "io", "write error: %s", strerror(errno));
		b += w;
		n -= (size_t)w;
	}
	return CS_OK;
}

static int
atomic_commit(cs_atomic *a, cs_err *e)
{
	int rc;

	if (fsync(a->fd) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot sync: %s", strerror(errno));
		goto fail;
	}
	if (close(a->fd) != 0) {
		a->fd = -1;
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot close: %s", strerror(errno));
		goto fail;
	}
	a->fd = -1;
	if (a->noclobber) {
		/* never replace an existing file (a secret key); FAT has no link() */
		if (renameat2(AT_FDCWD, a->tmp, AT_FDCWD, a->path, RENAME_NOREPLACE) != 0 &&
		    (errno != EINVAL || link(a->tmp, a->path) != 0)) {
			if (errno == EEXIST)
				rc = cs_fail(e, CS_USAGE, "exists", "already exists; refusing to overwrite");
			else
				rc = cs_fail(e, CS_MALFORMED, "io", "cannot create: %s", strerror(errno));
			goto fail;
		}
		unlink(a->tmp);
	} else if (rename(a->tmp, a->path) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot rename into place: %s", strerror(errno));
		goto fail;
	}
	free(a->tmp);
	a->tmp = NULL;
	if ((rc = cs_fsync_dir_of(a->path, e)) != CS_OK)
		cs_err_prefix(e, "the new file is in place, but a power cut may undo it");
	free(a->path);
	a->path = NULL;
	return rc;
fail:
	cs_atomic_abort(a);
	return rc;
}

void
cs_atomic_abort(cs_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmp != NULL)
		unlink(a->tmp);
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
}

int
cs_write_atomic(const char *path, const void *p, size_t n, int mode, int noclobber, cs_err *e)
{
	cs_atomic a;
	int rc;

	if ((rc = cs_atomic_open(&a, path, mode, noclobber, e)) != CS_OK)
		return rc;
	if ((rc = cs_atomic_write(&a, p, n, e)) != CS_OK) {
		cs_atomic_abort(&a);
		return rc;
	}
	return cs_atomic_commit(&a, e);
}

/* ---- the subject of a failure: the file named, as given ------------------- */

int
cs_read_file(const char *path, size_t max, uint8_t **out, size_t *n, cs_err *e)
{
	int rc = read_file(path, max, out, n, e);

	if (rc != CS_OK)
		cs_err_subject(e, "%s", path);
	return rc;
}

int
cs_atomic_open(cs_atomic *a, const char *path, int mode, int noclobber, cs_err *e)
{
	int rc = atomic_open(a, path, mode, noclobber, e);

	if (rc != CS_OK)
		cs_err_subject(e, "%s", path);
	return rc;
}

int
cs_atomic_write(cs_atomic *a, const void *p, size_t n, cs_err *e)
{
	int rc = atomic_write(a, p, n, e);

	if (rc != CS_OK && a->path != NULL)
		cs_err_subject(e, "%s", a->path);
	return rc;
}

int
cs_atomic_commit(cs_atomic *a, cs_err *e)
{
	char *path = a->path != NULL ? strdup(a->path) : NULL;
	int rc = atomic_commit(a, e);

	if (rc != CS_OK && path != NULL)
		cs_err_subject(e, "%s", path);
	free(path);
	return rc;
}
