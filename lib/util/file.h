/* Reading bounded input files, and writing outputs atomically: a temporary
 * name in the same directory, fsync, rename, fsync of the directory. A crash
 * leaves the old file or the new one, never a torn one. */
#ifndef CS_FILE_H
#define CS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Reads a regular file of at most max bytes into a new malloc'd buffer
 * (*out, *n); larger files, directories and devices are refused. The message
 * in e does not repeat the path. Free with cs_file_free. */
CS_MUST int cs_read_file(const char *path, size_t max, uint8_t **out, size_t *n, cs_err *e);

/* Wipes and frees what cs_read_file returned. */
void cs_file_free(uint8_t *p, size_t n);

/* An output being written under a temporary name. */
typedef struct cs_atomic {
	int fd;
	char *path;   /* final name */
	char *tmp;    /* temporary name in the same directory */
	int noclobber;
} cs_atomic;

/* Creates the temporary file (O_EXCL, the given mode). With noclobber the
 * final name must not exist at commit (used for secret keys). */
CS_MUST int cs_atomic_open(cs_atomic *a, const char *path, int mode, int noclobber, cs_err *e);
/* Writes all of p[0..n) to the temporary file. */
CS_MUST int cs_atomic_write(cs_atomic *a, const void *p, size_t n, cs_err *e);
/* fsyncs, renames onto the final name and fsyncs the directory. A failure
 * before the rename leaves the final name as it was; only a failed sync of
 * the directory comes after it, and its message says the new file is in
 * place but a power cut may undo it. */
CS_MUST int cs_atomic_commit(cs_atomic *a, cs_err *e);
/* Removes the temporary file; safe after a failed or successful commit. */
void cs_atomic_abort(cs_atomic *a);

/* open + write + commit in one call. */
CS_MUST int cs_write_atomic(const char *path, const void *p, size_t n, int mode, int noclobber, cs_err *e);

/* fsyncs the directory that holds path (after a rename or create there). */
CS_MUST int cs_fsync_dir_of(const char *path, cs_err *e);

#endif
