/* Writing a release zip (manifests/release.md): the batch's three entries
 * byte for byte, then release.cose. */
#ifndef CS_RELEASE_ZIP_H
#define CS_RELEASE_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/reader.h"
#include "util/err.h"
#include "verify/batch.h"

/* Writes a release zip at out (atomically): the header, order and records
 * entries of the batch in z (as loaded into v) byte for byte, the records
 * streamed and checked against the header's digest on the way (a records
 * entry that is not the one verified fails the write, nothing is left),
 * then rel[0..reln) as release.cose. Every entry's modification time is
 * the header's created time, so copies compare equal. Errors name out. */
CS_MUST int cs_release_zip_write(const char *out, cs_zipr *z, const cs_verify *v, const uint8_t *rel,
    size_t reln, cs_err *e);

#endif
