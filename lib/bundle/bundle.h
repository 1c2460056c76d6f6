/* Batch and release zip archives (manifests/batch.md): entry names and
 * limits, and the atomic writer. The hostile-input reader lives beside it. */
#ifndef CS_BUNDLE_H
#define CS_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/err.h"

#define CS_ENTRY_HEADER "header.cose"
#define CS_ENTRY_ORDER "order.cose"
#define CS_ENTRY_RECORDS "records.cborseq"
#define CS_ENTRY_RELEASE "release.cose"

#define CS_HEADER_ENTRY_MAX 4096u
#define CS_ORDER_ENTRY_MAX (64u << 10)
#define CS_RELEASE_ENTRY_MAX (64u << 20)
#define CS_ZIP_MAX_RATIO 16 /* a deflated entry may expand this much, no more */

/* One entry to write: either bytes in memory, or the whole of a file
 * (streamed, for records entries of any size). */
typedef struct cs_bundle_entry {
	const char *name;
	const uint8_t *data;
	size_t len;
	const char *file; /* when non-NULL, data/len are ignored */
} cs_bundle_entry;

/* Bytes pulled from a callback instead (an entry copied from another zip and
 * checked on the way): read() fills buf with up to cap bytes and sets *got
 * (0 at the end) until size bytes came; a nonzero return fails the whole
 * write, so nothing is left at path. */
typedef struct cs_bundle_source {
	int (*read)(void *ctx, uint8_t *buf, size_t cap, size_t *got);
	void *ctx;
	uint64_t size;
} cs_bundle_source;

/* A check of the written archive before it takes path's place: fn is given
 * the synced temporary file's name and returns CS_OK, or a failure in e
 * (which then fails the whole write, as CS_MALFORMED). */
typedef struct cs_bundle_check {
	int (*fn)(void *ctx, const char *tmp, cs_err *e);
	void *ctx;
} cs_bundle_check;

/* Writes a zip with exactly these entries, in order, stored uncompressed and
 * with the given modification time, to a temporary name beside path; fsyncs
 * it, renames it onto path and fsyncs the directory. On failure nothing is
 * left at path (an older file there is untouched), except when only the
 * directory's sync failed, after the rename: the message then says the new
 * archive is in place but a power cut may undo it. */
CS_MUST int cs_bundle_write(const char *path, const cs_bundle_entry *entries, size_t n, time_t mtime,
    cs_err *e);

/* The same, where src[i].read != NULL makes entry i's content come from
 * that callback (entries[i].data, len and file are then ignored), and where
 * chk, when not NULL, reads the synced temporary file back before the
 * rename: its cached pages are dropped first (POSIX_FADV_DONTNEED), so that
 * the check reads the medium where the kernel allows. src and chk may be
 * NULL. */
CS_MUST int cs_bundle_write_src(const char *path, const cs_bundle_entry *entries,
    const cs_bundle_source *src, size_t n, time_t mtime, const cs_bundle_check *chk, cs_err *e);

#endif
