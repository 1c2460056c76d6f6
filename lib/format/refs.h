/* An order's firmware reference file (consign-order(1), REFERENCE FILE): the
 * plain text a firmware team writes, read into the values an order carries.
 * Hosted builds only: the device never reads one. */
#ifndef CS_REFS_H
#define CS_REFS_H

#include <stddef.h>
#include <stdint.h>

#include "format/artifact.h"
#include "util/err.h"

#define CS_REFS_FILE_MAX 65536 /* a reference file: 16 lines and comments around them */
#define CS_REFS_LINE_MAX 512   /* one reference line: TYPE and two 128-digit hashes fit */

/* The values read and the bytes they borrow: ref[i].value and ref[i].signer
 * point into value[i] and signer[i] of this very struct, so it must outlive
 * every copy of ref[] (an order's, until it is encoded) and not be moved. */
typedef struct cs_refs {
	size_t n;
	cs_fwref ref[CS_ORDER_REFS_MAX];
	size_t line[CS_ORDER_REFS_MAX]; /* the line each value is on, 1 first, ascending */
	uint8_t value[CS_ORDER_REFS_MAX][CS_REF_HASH_MAX];
	uint8_t signer[CS_ORDER_REFS_MAX][CS_REF_HASH_MAX];
} cs_refs;

/* Reads a reference file's text[0..n) (text may be NULL when n is 0) into r.
 * A line ends with LF; one that holds only spaces, tabs and CRs, or whose
 * first other byte is #, is skipped whatever else it holds. Any other line
 * is at most CS_REFS_LINE_MAX bytes of printable ASCII, tab and CR, and
 * holds three fields separated by those three: TYPE (1-CS_REF_TYPE_MAX
 * printable characters, or * for any type), MEASUREMENT and SIGNER (hex, either
 * case, of 32, 48 or 64 bytes). At most CS_ORDER_REFS_MAX lines, no two
 * with the same three values.
 *
 * CS_OK: r->n is 1..CS_ORDER_REFS_MAX, one value for each line that is not
 * skipped, in order: ref[i].type "" for * (otherwise holding no space, tab
 * or CR), its measurement and signer id decoded; *line is 0.
 * Otherwise CS_USAGE with reason "usage" (the file is an operand the user
 * chose, refused as a wrong option is: exit 2), the first fault in e->msg
 * (no byte of the text copied into it: a bad byte is named by its value and
 * column), r->n is 0 and *line is the line refused, 1 first, or 0 when the
 * text as a whole is: no reference value in it, or more than
 * CS_REFS_FILE_MAX bytes. Lines before *line hold no fault. */
CS_MUST int cs_refs_parse(cs_refs *r, const uint8_t *text, size_t n, size_t *line, cs_err *e);

#endif
