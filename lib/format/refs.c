/* Reading an order's firmware reference file (refs.h): one reference value
 * a line, refused at the first line at fault. */
#include "format/refs.h"

#include <string.h>

#include "crypto/sig.h"

#define SEP " \t\r"

/* A measurement or signer id: hex of 32, 48 or 64 bytes. */
static int
ref_hash(uint8_t out[CS_REF_HASH_MAX], size_t *len, const char *hex)
{
	size_t n = strlen(hex) / 2;

	if (n != 32 && n != 48 && n != 64)
		return -1;
	*len = n;
	return cs_unhex(out, n, hex);
}

static int
same_ref(const cs_fwref *a, const cs_fwref *b)
{
	return strcmp(a->type, b->type) == 0 && a->value_len == b->value_len &&
	       memcmp(a->value, b->value, a->value_len) == 0 && a->signer_len == b->signer_len &&
	       memcmp(a->signer, b->signer, a->signer_len) == 0;
}

/* One line that is not skipped, text[0..len) with no LF: into r->ref[r->n]. */
static int
parse_line(cs_refs *r, const uint8_t *text, size_t len, size_t line, cs_err *e)
{
	char s[CS_REFS_LINE_MAX + 1], *f[3], *tok, *save;
	cs_fwref *ref;
	size_t i, nf;

	if (len > CS_REFS_LINE_MAX)
		return cs_fail(e, CS_USAGE, "usage", "a line of %zu bytes (at most %d)", len,
		    CS_REFS_LINE_MAX);
	for (i = 0; i < len; i++)
		if ((text[i] < 0x20 || text[i] > 0x7e) && text[i] != '\t' && text[i] != '\r')
			return cs_fail(e, CS_USAGE, "usage",
			    "byte 0x%02x at column %zu is not printable ASCII", text[i], i + 1);
	memcpy(s, text, len);
	s[len] = '\0';
	for (nf = 0, tok = strtok_r(s, SEP, &save); tok != NULL; tok = strtok_r(NULL, SEP, &save))
		if (nf++ < 3)
			f[nf - 1] = tok;
	if (nf != 3)
		return cs_fail(e, CS_USAGE, "usage", "%zu fields, 3 expected: TYPE MEASUREMENT SIGNER",
		    nf);
	if (r->n == CS_ORDER_REFS_MAX)
		return cs_fail(e, CS_USAGE, "usage", "more than %d reference values",
		    CS_ORDER_REFS_MAX);
	ref = &r->ref[r->n];
	memset(ref, 0, sizeof *ref);
	if (strcmp(f[0], "*") != 0) {
		if (!cs_text_valid(f[0], CS_REF_TYPE_MAX))
			return cs_fail(e, CS_USAGE, "usage",
			    "TYPE must be 1-%d printable characters, or * for any type",
			    CS_REF_TYPE_MAX);
		strcpy(ref->type, f[0]);
	}
	if (ref_hash(r->value[r->n], &ref->value_len, f[1]) != 0)
		return cs_fail(e, CS_USAGE, "usage",
		    "MEASUREMENT must be the hex of 32, 48 or 64 bytes");
	if (ref_hash(r->signer[r->n], &ref->signer_len, f[2]) != 0)
		return cs_fail(e, CS_USAGE, "usage", "SIGNER must be the hex of 32, 48 or 64 bytes");
	ref->value = r->value[r->n];
	ref->signer = r->signer[r->n];
	for (i = 0; i < r->n; i++)
		if (same_ref(&r->ref[i], ref))
			return cs_fail(e, CS_USAGE, "usage", "repeats line %zu", r->line[i]);
	r->line[r->n++] = line;
	return CS_OK;
}

int
cs_refs_parse(cs_refs *r, const uint8_t *text, size_t n, size_t *line, cs_err *e)
{
	size_t at, end, i, ln;
	int rc;

	r->n = 0;
	*line = 0;
	if (n > CS_REFS_FILE_MAX)
		return cs_fail(e, CS_USAGE, "usage", "a file of %zu bytes (at most %d)", n,
		    CS_REFS_FILE_MAX);
	for (at = 0, ln = 1; at < n; at = end + 1, ln++) {
		for (end = at; end < n && text[end] != '\n'; end++)
			;
		for (i = at; i < end && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'); i++)
			;
		if (i == end || text[i] == '#')
			continue;
		if ((rc = parse_line(r, text + at, end - at, ln, e)) != CS_OK) {
			r->n = 0;
			*line = ln;
			return rc;
		}
	}
	if (r->n == 0)
		return cs_fail(e, CS_USAGE, "usage", "no reference values");
	return CS_OK;
}
