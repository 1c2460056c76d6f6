/* The atomic zip writer: libzip builds the archive under a temporary name,
 * then it is made durable and renamed into place. */
#include "bundle/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zip.h>

#include "util/file.h"

/* A libzip source over an entry's read() callback. */
struct pull {
	const cs_bundle_source *ent;
	zip_error_t err;
	uint64_t done;
};

static zip_int64_t
pull_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct pull *p = ud;
	zip_stat_t *st;
	size_t got = 0;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		p->done = 0;
		return 0;
	case ZIP_SOURCE_READ:
		if (p->ent->read(p->ent->ctx, data, (size_t)len, &got) != 0 ||
		    got > p->ent->size - p->done) {
			zip_error_set(&p->err, ZIP_ER_READ, 0);
			return -1;
		}
		p->done += got;
		return (zip_int64_t)got;
	case ZIP_SOURCE_CLOSE:
		if (p->done != p->ent->size) {
			zip_error_set(&p->err, ZIP_ER_READ, 0);
			return -1;
		}
		return 0;
	case ZIP_SOURCE_STAT:
		if (len < sizeof *st)
			return -1;
		st = data;
		zip_stat_init(st);
		st->size = p->ent->size;
		st->valid |= ZIP_STAT_SIZE;
		return sizeof *st;
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&p->err, data, len);
	case ZIP_SOURCE_FREE:
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ,
		    ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	default:
		zip_error_set(&p->err, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static int
zfail(cs_err *e, zip_t *z, const char *what, const char *name)
{
	return cs_fail(e, CS_MALFORMED, "io", "%s %s: %s", what, name,
	    z != NULL ? zip_strerror(z) : "cannot create");
}

int
cs_bundle_write(const char *path, const cs_bundle_entry *entries, size_t n, time_t mtime,
    cs_err *e)
{
	return cs_bundle_write_src(path, entries, NULL, n, mtime, NULL, e);
}

int
cs_bundle_write_src(const char *path, const cs_bundle_entry *entries,
    const cs_bundle_source *srcs, size_t n, time_t mtime, const cs_bundle_check *chk, cs_err *e)
{
	char *tmp = NULL;
	struct pull *pulls = NULL;
	const char *slash;
	zip_t *z = NULL;
	zip_source_t *src;
	zip_int64_t idx;
	size_t i, plen = strlen(path);
	int fd, zerr, rc = CS_MALFORMED;
	struct stat st;

	/* rename would replace a device or FIFO node (-o /dev/null as root) */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
		return cs_fail(e, CS_MALFORMED, "io", "exists and is not a regular file");
	if ((tmp = malloc(plen + 32)) == NULL || (pulls = calloc(n + 1, sizeof *pulls)) == NULL) {
		free(tmp);
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	}
	slash = strrchr(path, '/');
	snprintf(tmp, plen + 32, "%.*s.%s.tmp-%08x", slash ? (int)(slash - path + 1) : 0, path,
	    slash ? slash + 1 : path, randombytes_random());
	if ((z = zip_open(tmp, ZIP_CREATE | ZIP_EXCL, &zerr)) == NULL) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot create %s (libzip error %d)", tmp, zerr);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (entries[i].file != NULL && (srcs == NULL || srcs[i].read == NULL)) {
			src = zip_source_file(z, entries[i].file, 0, -1);
		} else if (srcs != NULL && srcs[i].read != NULL) {
			pulls[i].ent = &srcs[i];
			zip_error_init(&pulls[i].err);
			src = zip_source_function(z, pull_cb, &pulls[i]);
		} else
			src = zip_source_buffer(z, entries[i].data, entries[i].len, 0);
		if (src == NULL) {
			rc = zfail(e, z, "cannot read the content of", entries[i].name);
			goto fail;
		}
		if ((idx = zip_file_add(z, entries[i].name, src, 0)) < 0) {
			zip_source_free(src);
			rc = zfail(e, z, "cannot add", entries[i].name);
			goto fail;
		}
		/* stored: records are random bytes; see manifests/batch.md */
		if (zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0) != 0 ||
		    zip_file_set_mtime(z, (zip_uint64_t)idx, mtime, 0) != 0) {
			rc = zfail(e, z, "cannot set up", entries[i].name);
			goto fail;
		}
	}
	if (zip_close(z) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot write the archive: %s", zip_strerror(z));
		goto fail;
	}
	z = NULL;
	/* libzip renames its own temporary file into tmp but does not sync it */
	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot sync the archive: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	if (chk != NULL)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); /* advice: may be ignored */
	close(fd);
	if (chk != NULL && chk->fn(chk->ctx, tmp, e) != CS_OK) {
		/* what was written cannot be read back: an I/O fault, not a verdict */
		if (e != NULL)
			e->status = CS_MALFORMED;
		rc = CS_MALFORMED;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot rename the archive into place: %s",
		    strerror(errno));
		goto fail;
	}
	free(tmp);
	free(pulls);
	if ((rc = cs_fsync_dir_of(path, e)) != CS_OK)
		cs_err_prefix(e, "the new archive is in place, but a power cut may undo it");
	return rc;
fail:
	if (z != NULL)
		zip_discard(z);
	unlink(tmp);
	free(tmp);
	free(pulls);
	return rc;
}
