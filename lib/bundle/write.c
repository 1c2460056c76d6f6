/* The atomic zip writer: libzip builds the archive under a temporary name,
 * then it is made durable and renamed into place. */
#include "bundle/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zip.h>

#include "util/file.h"

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
	char *tmp = NULL;
	const char *slash;
	zip_t *z = NULL;
	zip_source_t *src;
	zip_int64_t idx;
	size_t i, plen = strlen(path);
	int fd, zerr, rc = CS_MALFORMED;

	if ((tmp = malloc(plen + 32)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	slash = strrchr(path, '/');
	snprintf(tmp, plen + 32, "%.*s.%s.tmp-%08x", slash ? (int)(slash - path + 1) : 0, path,
	    slash ? slash + 1 : path, randombytes_random());
	if ((z = zip_open(tmp, ZIP_CREATE | ZIP_EXCL, &zerr)) == NULL) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot create %s (libzip error %d)", tmp, zerr);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (entries[i].file != NULL)
			src = zip_source_file(z, entries[i].file, 0, -1);
		else
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
	close(fd);
	if (rename(tmp, path) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot rename the archive into place: %s",
		    strerror(errno));
		goto fail;
	}
	free(tmp);
	return cs_fsync_dir_of(path, e);
fail:
	if (z != NULL)
		zip_discard(z);
	unlink(tmp);
	free(tmp);
	return rc;
}
