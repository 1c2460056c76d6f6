/* The hostile-input zip reader for batches and releases (manifests/batch.md):
 * exactly the expected entries in the fixed order, named limits checked from
 * the central directory before anything is read, every entry read to its end
 * so libzip checks its CRC, and the records entry streamed in chunks. */
#ifndef CS_READER_H
#define CS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/bundle.h"
#include "format/artifact.h"
#include "util/buf.h"
#include "util/err.h"

#define CS_ZIP_MAX_ENTRIES 4     /* a release; a batch has 3 */
#define CS_ZIP_NAME_MAX 64       /* bytes in any entry name we look at */
/* The records entry can never be larger than the largest order's worth of
 * the largest records; the verifier narrows this to count x CS_RECORD_MAX. */
#define CS_RECORDS_ENTRY_MAX ((uint64_t)CS_MAX_QUANTITY * CS_RECORD_MAX)
#define CS_ZIP_TOTAL_MAX \
	((uint64_t)CS_HEADER_ENTRY_MAX + CS_ORDER_ENTRY_MAX + CS_RELEASE_ENTRY_MAX + \
	    CS_RECORDS_ENTRY_MAX)

/* Entry positions, fixed by the layout. */
enum { CS_ZE_HEADER = 0, CS_ZE_ORDER = 1, CS_ZE_RECORDS = 2, CS_ZE_RELEASE = 3 };

typedef struct cs_zipr cs_zipr;   /* an open archive whose layout passed */
typedef struct cs_zips cs_zips;   /* one entry being streamed */

/* Opens a batch (3 entries) or release (4 entries) zip and checks its layout
 * from the central directory: entry count (at most CS_ZIP_MAX_ENTRIES), names
 * (zip-name: empty, absolute, "..", backslash, control bytes, directories),
 * exactly the expected names in order (zip-entries), method stored or deflate
 * (zip-method), no encryption (zip-encrypted), declared sizes within each
 * entry's limit and agreeing for stored entries (zip-size), deflate expansion
 * at most CS_ZIP_MAX_RATIO (zip-ratio); local headers must agree with the
 * central directory (libzip's consistency check). A layout violation is
 * CS_REJECT with its reason; an archive that cannot be parsed at all is
 * CS_MALFORMED "zip-corrupt"; a file that cannot be opened CS_MALFORMED "io".
 * No entry name is ever used as a path. */
CS_MUST int cs_zipr_open(cs_zipr **z, const char *path, cs_err *e);

/* The same over p[0..n), which must stay valid until cs_zipr_close. This is
 * the entry point for fuzzing: open, read every entry (cs_zipr_read for small
 * ones, a cs_zips stream for the records), close; no input may crash it or
 * make it allocate more than the named limits. */
CS_MUST int cs_zipr_open_mem(cs_zipr **z, const uint8_t *p, size_t n, cs_err *e);

/* Safe on NULL. */
void cs_zipr_close(cs_zipr *z);

/* 3 for a batch, 4 for a release. */
CS_MUST int cs_zipr_entries(const cs_zipr *z);

/* Declared (uncompressed) size of entry i, already checked against its limit. */
uint64_t cs_zipr_size(const cs_zipr *z, int i);

/* 1 when entry i is stored (method 0), 0 when deflated. */
CS_MUST int cs_zipr_stored(const cs_zipr *z, int i);

/* Reads all of a small entry (header, order, release; limit max) into out,
 * replacing its contents, and reads past the end so the CRC is checked.
 * Reasons: zip-size (more or fewer bytes than declared, or above max),
 * zip-corrupt (CRC, truncation, inflate error). */
CS_MUST int cs_zipr_read(cs_zipr *z, int i, cs_buf *out, size_t max, cs_err *e);

/* Streams entry i: cs_zips_read fills buf with up to cap bytes, setting *got;
 * *got == 0 means the end, reached only after the CRC was checked and the
 * byte count matched the declared size. Several streams may be open at once. */
CS_MUST int cs_zips_open(cs_zips **s, cs_zipr *z, int i, cs_err *e);
CS_MUST int cs_zips_read(cs_zips *s, uint8_t *buf, size_t cap, size_t *got, cs_err *e);
/* Moves a stream of a stored entry to offset off (for random access to one
 * record); CS_USAGE when the entry is deflated and cannot seek. */
CS_MUST int cs_zips_seek(cs_zips *s, uint64_t off, cs_err *e);
void cs_zips_close(cs_zips *s);

#endif
