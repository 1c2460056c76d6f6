/* Canonical CBOR: a writer that emits RFC 8949 §4.2.1 core deterministic
 * encoding, and a strict reader that accepts nothing else. Neither allocates:
 * the device agent links both. */
#ifndef CS_CBOR_H
#define CS_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define CS_CW_MAX_DEPTH 8        /* containers open at once in the writer */
#define CS_CW_MAX_MAP_ENTRIES 24 /* entries in one map the writer can sort */
#define CS_CBOR_MAX_DEPTH 16     /* nesting the generic checker follows */

/* ---- writer ------------------------------------------------------------ */

typedef struct cs_cw_frame {
	size_t start;  /* offset of the container's first item */
	size_t items;  /* complete items written inside it */
	int is_map;
	size_t ends[2 * CS_CW_MAX_MAP_ENTRIES]; /* maps: end offset of each item */
} cs_cw_frame;

/* Items are appended to b; containers get their heads when they are closed
 * (so the caller need not count) and maps get their entries sorted by the
 * encoded bytes of their keys. Errors (overflow, too deep, a duplicate map
 * key, unbalanced containers) are sticky and reported by cs_cw_finish. */
typedef struct cs_cw {
	cs_buf *b;
	int depth;
	int err;
	cs_cw_frame f[CS_CW_MAX_DEPTH];
} cs_cw;

void cs_cw_init(cs_cw *w, cs_buf *b);
void cs_cw_uint(cs_cw *w, uint64_t v);
void cs_cw_int(cs_cw *w, int64_t v);
void cs_cw_bytes(cs_cw *w, const void *p, size_t n);
void cs_cw_text(cs_cw *w, const char *s, size_t n);
void cs_cw_textz(cs_cw *w, const char *s);
void cs_cw_bool(cs_cw *w, int v);
void cs_cw_null(cs_cw *w);
/* A tag applies to the next item written; the pair counts as one item. */
void cs_cw_tag(cs_cw *w, uint64_t tag);
/* Appends one complete, already canonical item (e.g. a nested envelope). */
void cs_cw_raw(cs_cw *w, const void *p, size_t n);
void cs_cw_array_begin(cs_cw *w);
void cs_cw_array_end(cs_cw *w);
void cs_cw_map_begin(cs_cw *w);
void cs_cw_map_end(cs_cw *w);
/* 0 when everything written is one balanced, canonical sequence; -1 if not. */
CS_MUST int cs_cw_finish(cs_cw *w);

/* ---- strict reader ----------------------------------------------------- */

/* A cursor over untrusted bytes. Every read checks the head is the shortest
 * form, lengths are definite and inside the buffer, and the major type is the
 * one asked for. On failure the first error is recorded in *e with reason
 * "cbor" (encoding) or "schema" (well-formed but not what the format says),
 * the message giving the byte offset, and CS_MALFORMED is returned. */
typedef struct cs_cr {
	const uint8_t *base;
	const uint8_t *p;
	const uint8_t *end;
	cs_err *e;
} cs_cr;

enum cs_cbor_type {
	CS_CBOR_UINT,
	CS_CBOR_NEGINT,
	CS_CBOR_BYTES,
	CS_CBOR_TEXT,
	CS_CBOR_ARRAY,
	CS_CBOR_MAP,
	CS_CBOR_TAG,
	CS_CBOR_FALSE,
	CS_CBOR_TRUE,
	CS_CBOR_NULL,
	CS_CBOR_BAD /* floats, undefined, other simple values, breaks, indefinite */
};

void cs_cr_init(cs_cr *r, const uint8_t *p, size_t n, cs_err *e);
/* The type of the next item without consuming it; CS_CBOR_BAD at the end. */
enum cs_cbor_type cs_cr_peek(const cs_cr *r);
size_t cs_cr_offset(const cs_cr *r);

CS_MUST int cs_cr_uint(cs_cr *r, uint64_t *v);
/* An unsigned or negative integer that fits int64_t. */
CS_MUST int cs_cr_int(cs_cr *r, int64_t *v);
/* A byte string of min..max bytes; *p points into the input. */
CS_MUST int cs_cr_bytes(cs_cr *r, const uint8_t **p, size_t *n, size_t min, size_t max);
/* A byte string of exactly n bytes, copied out. */
CS_MUST int cs_cr_bytes_fixed(cs_cr *r, uint8_t *out, size_t n);
/* A text string of min..max bytes, each printable ASCII (0x20..0x7e). */
CS_MUST int cs_cr_text(cs_cr *r, const char **s, size_t *n, size_t min, size_t max);
/* The same, copied into out[cap] and NUL-terminated (max < cap). */
CS_MUST int cs_cr_textz(cs_cr *r, char *out, size_t cap, size_t min);
CS_MUST int cs_cr_array(cs_cr *r, size_t *n, size_t min, size_t max);
CS_MUST int cs_cr_map(cs_cr *r, size_t *n, size_t min, size_t max);
/* The tag number, then the tagged item follows. */
CS_MUST int cs_cr_tag(cs_cr *r, uint64_t *tag);
CS_MUST int cs_cr_null(cs_cr *r);
CS_MUST int cs_cr_bool(cs_cr *r, int *v);
/* The next key of a map whose keys are unsigned integers: strictly above
 * *prev (sorted, no duplicates) — for such keys numeric order is the order of
 * their encodings. Start with *prev = -1. */
CS_MUST int cs_cr_key(cs_cr *r, uint64_t *key, int64_t *prev);
/* The next key must be exactly want (a required field of a map read in key
 * order); otherwise a schema error "missing field WANT (name)". */
CS_MUST int cs_cr_field(cs_cr *r, uint64_t want, int64_t *prev, const char *name);
/* Skips one item of any permitted type, at most depth levels deep, checking
 * all of it (generic maps: keys sorted by encoded bytes, unique). */
CS_MUST int cs_cr_skip(cs_cr *r, int depth);
/* CS_OK when the cursor has consumed all its input (no trailing bytes). */
CS_MUST int cs_cr_done(cs_cr *r);

/* Schema errors found by callers, with the cursor's offset. */
CS_MUST int cs_cr_schema(cs_cr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks that p[0..n) is exactly one canonical item, nested at most depth. */
CS_MUST int cs_cbor_check(const uint8_t *p, size_t n, int depth, cs_err *e);

/* Only the encoding rules (manifests/formats.md): exactly one well-formed
 * item in p[0..n), shortest heads, definite lengths, map keys unique and in
 * canonical order, nesting at most depth; CS_MALFORMED "cbor" at the first
 * fault by offset. */
CS_MUST int cs_cbor_canonical(const uint8_t *p, size_t n, int depth, cs_err *e);

/* Runs a strict decoder, read(out, p, n, e), with every encoding fault of
 * p[0..n) reported before any schema fault (formats.md). A strict decode
 * that succeeds has read every head in its shortest form with a definite
 * length, every map key in ascending order, and no trailing byte, so its
 * input is canonical; the encoding walk (cs_cbor_canonical) runs only when
 * read fails, to report its first encoding fault if there is one, else
 * read's own. Only for a read that consumes all of p[0..n) through a cs_cr
 * and ends with cs_cr_done; the verifier decodes every record twice, and the
 * walk before each read cost it more than the read. */
typedef int (*cs_cbor_reader)(void *out, const uint8_t *p, size_t n, cs_err *e);
CS_MUST int cs_cbor_decode(cs_cbor_reader read, void *out, const uint8_t *p, size_t n, cs_err *e);

/* Splits a CBOR sequence (RFC 8742): the length of the first item of
 * p[0..n), well-formed with definite lengths (as the strict reader wants
 * them; heads need not be the shortest, which the item's own reader checks),
 * nested at most CS_CBOR_MAX_DEPTH. 0 and *len; 1 when n ends inside the
 * item; -1 when it is not well-formed, has an indefinite length, or is
 * longer than max. Fast enough for millions of records: reads heads only. */
CS_MUST int cs_cbor_item_len(const uint8_t *p, size_t n, size_t max, size_t *len);

#endif
