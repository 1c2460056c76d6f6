/* Canonical CBOR: a writer of shortest heads that sorts map entries, and a
 * strict reader of one head at a time. The project writes the CBOR head
 * itself (RFC 8949 §3): the same code runs on hosts and in device firmware,
 * where libcbor is not available (see examples/firmware/README.md). */
#include "format/cbor.h"

#include <stdarg.h>
#include <string.h>

#include "util/fmt.h"

enum { MT_UINT, MT_NEGINT, MT_BYTES, MT_TEXT, MT_ARRAY, MT_MAP, MT_TAG, MT_SIMPLE };

/* The shortest head of major type mt with argument v into h[9]; its length. */
static size_t
encode_head(uint8_t h[9], unsigned mt, uint64_t v)
{
	size_t n, i;

	if (v < 24) {
		h[0] = (uint8_t)(mt << 5 | v);
		return 1;
	}
	n = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
	h[0] = (uint8_t)(mt << 5 | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27));
	for (i = 0; i < n; i++)
		h[n - i] = (uint8_t)(v >> (8 * i));
	return n + 1;
}

/* ---- writer ------------------------------------------------------------ */

void
cs_cw_init(cs_cw *w, cs_buf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
}

/* An item finished at the current level: count it (and, in a map, where it ends). */
static void
item_done(cs_cw *w)
{
	cs_cw_frame *f;

	if (w->depth == 0)
		return;
	f = &w->f[w->depth - 1];
	if (f->is_map) {
		if (f->items >= 2 * CS_CW_MAX_MAP_ENTRIES) {
			w->err = 1;
			return;
		}
		f->ends[f->items] = w->b->len;
	}
	f->items++;
}

static void
put(cs_cw *w, const uint8_t *p, size_t n)
{
	if (cs_buf_add(w->b, p, n) != 0)
		w->err = 1;
}

static void
put_head(cs_cw *w, size_t n, const uint8_t *head)
{
	if (n == 0)
		w->err = 1;
	else
		put(w, head, n);
}

void
cs_cw_uint(cs_cw *w, uint64_t v)
{
	uint8_t h[9];

	put_head(w, encode_head(h, MT_UINT, v), h);
	item_done(w);
}

void
cs_cw_int(cs_cw *w, int64_t v)
{
	uint8_t h[9];

	if (v >= 0)
		put_head(w, encode_head(h, MT_UINT, (uint64_t)v), h);
	else
		put_head(w, encode_head(h, MT_NEGINT, (uint64_t)(-(v + 1))), h);
	item_done(w);
}

/* A byte or text string: its length in the head, then its bytes. */
static void
string(cs_cw *w, unsigned mt, const void *p, size_t n)
{
	uint8_t h[9];

	put_head(w, encode_head(h, mt, n), h);
	if (n > 0)
		put(w, p, n);
	item_done(w);
}

void cs_cw_bytes(cs_cw *w, const void *p, size_t n) { string(w, MT_BYTES, p, n); }
void cs_cw_text(cs_cw *w, const char *s, size_t n) { string(w, MT_TEXT, s, n); }

void
cs_cw_textz(cs_cw *w, const char *s)
{
	cs_cw_text(w, s, strlen(s));
}

void
cs_cw_bool(cs_cw *w, int v)
{
	uint8_t h[1] = {v != 0 ? 0xf5 : 0xf4};

	put_head(w, 1, h);
	item_done(w);
}

void
cs_cw_null(cs_cw *w)
{
	static const uint8_t h[1] = {0xf6};

	put_head(w, 1, h);
	item_done(w);
}

void
cs_cw_tag(cs_cw *w, uint64_t tag)
{
	uint8_t h[9];

	/* the tagged item that follows completes the pair */
	put_head(w, encode_head(h, MT_TAG, tag), h);
}

void
cs_cw_raw(cs_cw *w, const void *p, size_t n)
{
	put(w, p, n);
	item_done(w);
}

static void
open_frame(cs_cw *w, int is_map)
{
	cs_cw_frame *f;

	if (w->depth >= CS_CW_MAX_DEPTH) {
		w->err = 1;
		return;
	}
	f = &w->f[w->depth++];
	f->start = w->b->len;
	f->items = 0;
	f->is_map = is_map;
}

static void
reverse(uint8_t *p, size_t n)
{
	size_t i;
	uint8_t t;

	for (i = 0; i < n / 2; i++) {
		t = p[i];
		p[i] = p[n - 1 - i];
		p[n - 1 - i] = t;
	}
}

/* [a][b] -> [b][a] in place, so sorting needs no scratch memory */
static void
rotate(uint8_t *p, size_t a, size_t b)
{
	reverse(p, a);
	reverse(p + a, b);
	reverse(p, a + b);
}

/* Bytewise lexicographic, a shorter prefix first (RFC 8949 §4.2.1). */
static int
keycmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

static void
sort_entries(cs_cw *w, cs_cw_frame *f)
{
	size_t n = f->items / 2, klen[CS_CW_MAX_MAP_ENTRIES], elen[CS_CW_MAX_MAP_ENTRIES];
	size_t i, j, k, prev = f->start, off_i, off_j;
	uint8_t *base = w->b->p;
	int c;

	for (i = 0; i < n; i++) {
		klen[i] = f->ends[2 * i] - prev;
		elen[i] = f->ends[2 * i + 1] - prev;
		prev = f->ends[2 * i + 1];
	}
	/* insertion sort; entries are few and usually already in order */
	for (i = 1; i < n; i++) {
		off_i = f->start;
		for (k = 0; k < i; k++)
			off_i += elen[k];
		off_j = f->start;
		for (j = 0; j < i; j++) {
			c = keycmp(base + off_i, klen[i], base + off_j, klen[j]);
			if (c == 0) {
				w->err = 1; /* duplicate key */
				return;
			}
			if (c < 0)
				break;
			off_j += elen[j];
		}
		if (j == i)
			continue;
		rotate(base + off_j, off_i - off_j, elen[i]);
		{
			size_t kl = klen[i], el = elen[i];

			memmove(&klen[j + 1], &klen[j], (i - j) * sizeof klen[0]);
			memmove(&elen[j + 1], &elen[j], (i - j) * sizeof elen[0]);
			klen[j] = kl;
			elen[j] = el;
		}
	}
}

static void
close_frame(cs_cw *w, int is_map)
{
	cs_cw_frame *f;
	uint8_t h[9], *room;
	size_t hl, count, body;

	if (w->depth == 0 || w->f[w->depth - 1].is_map != is_map) {
		w->err = 1;
		return;
	}
	f = &w->f[w->depth - 1];
	if (is_map && f->items % 2 != 0) {
		w->err = 1;
		return;
	}
	count = is_map ? f->items / 2 : f->items;
	if (is_map && !w->err && !w->b->overflow)
		sort_entries(w, f);
	hl = encode_head(h, is_map ? MT_MAP : MT_ARRAY, count);
	if (hl == 0 || (room = cs_buf_room(w->b, hl)) == NULL || w->err) {
		w->err = 1;
		w->depth--;
		return;
	}
	body = w->b->len - f->start;
	memmove(w->b->p + f->start + hl, w->b->p + f->start, body);
	memcpy(w->b->p + f->start, h, hl);
	w->b->len += hl;
	w->depth--;
	item_done(w);
}

void cs_cw_array_begin(cs_cw *w) { open_frame(w, 0); }
void cs_cw_array_end(cs_cw *w) { close_frame(w, 0); }
void cs_cw_map_begin(cs_cw *w) { open_frame(w, 1); }
void cs_cw_map_end(cs_cw *w) { close_frame(w, 1); }

int
cs_cw_finish(cs_cw *w)
{
	if (w->err || w->depth != 0 || w->b->overflow)
		return -1;
	return 0;
}

/* ---- strict reader ----------------------------------------------------- */

struct tok {
	enum cs_cbor_type t;
	uint64_t v;          /* value, length, count or tag */
	const uint8_t *data; /* strings */
};

void
cs_cr_init(cs_cr *r, const uint8_t *p, size_t n, cs_err *e)
{
	r->base = r->p = p;
	r->end = p + n;
	r->e = e;
}

size_t
cs_cr_offset(const cs_cr *r)
{
	return (size_t)(r->p - r->base);
}

static int
bad(cs_cr *r, const char *what)
{
	return cs_fail(r->e, CS_MALFORMED, "cbor", "offset %zu: %s", cs_cr_offset(r), what);
}

int
cs_cr_schema(cs_cr *r, const char *fmt, ...)
{
	char m[CS_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	cs_vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	return cs_fail(r->e, CS_MALFORMED, "schema", "offset %zu: %s", cs_cr_offset(r), m);
}

static size_t
shortest(uint64_t v)
{
	if (v < 24)
		return 1;
	if (v <= 0xff)
		return 2;
	if (v <= 0xffff)
		return 3;
	if (v <= 0xffffffffu)
		return 5;
	return 9;
}

/* Decodes the next token; consumes it when consume is set. What is not
 * well-formed (a reserved additional information, an indefinite length on
 * an integer or a tag, an unassigned simple value) is told apart from what is
 * well-formed but not allowed here (floats, undefined, indefinite lengths,
 * breaks), and both from an item cut short. */
static int
token(cs_cr *r, struct tok *t, int consume)
{
	size_t avail = (size_t)(r->end - r->p), hl = 1, i;
	unsigned mt, ai;
	uint64_t v;

	memset(t, 0, sizeof *t);
	t->t = CS_CBOR_BAD;
	if (avail == 0)
		return bad(r, "unexpected end of data");
	mt = r->p[0] >> 5;
	ai = r->p[0] & 0x1fu;
	if (ai >= 28 && ai <= 30)
		return bad(r, "not well-formed");
	if (ai == 31) {
		if (mt == MT_UINT || mt == MT_NEGINT || mt == MT_TAG)
			return bad(r, "not well-formed");
		return bad(r, "item type not allowed (float, undefined, simple value or indefinite length)");
	}
	if (mt == MT_SIMPLE) {
		switch (ai) {
		case 20: t->t = CS_CBOR_FALSE; break;
		case 21: t->t = CS_CBOR_TRUE; break;
		case 22: t->t = CS_CBOR_NULL; break;
		case 23: break; /* undefined */
		case 25:
		case 26:
		case 27: /* floats */
			if (avail < 1 + ((size_t)1 << (ai - 24)))
				return bad(r, "truncated item");
			break;
		default: return bad(r, "not well-formed"); /* unassigned simple values */
		}
		if (t->t == CS_CBOR_BAD)
			return bad(r, "item type not allowed (float, undefined, simple value or "
				      "indefinite length)");
		if (consume)
			r->p++;
		return CS_OK;
	}
	v = ai;
	if (ai >= 24) {
		hl = 1 + ((size_t)1 << (ai - 24));
		if (avail < hl)
			return bad(r, "truncated item");
		for (v = 0, i = 1; i < hl; i++)
			v = v << 8 | r->p[i];
	}
	t->v = v;
	t->t = mt == MT_UINT	 ? CS_CBOR_UINT
	       : mt == MT_NEGINT ? CS_CBOR_NEGINT
	       : mt == MT_BYTES	 ? CS_CBOR_BYTES
	       : mt == MT_TEXT	 ? CS_CBOR_TEXT
	       : mt == MT_ARRAY	 ? CS_CBOR_ARRAY
	       : mt == MT_MAP	 ? CS_CBOR_MAP
				 : CS_CBOR_TAG;
	if (t->t == CS_CBOR_BYTES || t->t == CS_CBOR_TEXT) {
		if (v > avail - hl)
			return bad(r, "truncated item");
		t->data = r->p + hl;
	}
	if (hl != shortest(v))
		return bad(r, "integer or length not in its shortest form");
	if (consume)
		r->p += hl + (t->t == CS_CBOR_BYTES || t->t == CS_CBOR_TEXT ? (size_t)v : 0);
	return CS_OK;
}

enum cs_cbor_type
cs_cr_peek(const cs_cr *r)
{
	cs_cr tmp = *r;
	cs_err scratch;
	struct tok t;

	cs_err_clear(&scratch);
	tmp.e = &scratch;
	if (token(&tmp, &t, 0) != CS_OK)
		return CS_CBOR_BAD;
	return t.t;
}

static const char *
tname(enum cs_cbor_type t)
{
	static const char *n[] = {"unsigned integer", "negative integer", "byte string",
	    "text string", "array", "map", "tag", "false", "true", "null", "bad item"};
	return n[t];
}

static int
expect(cs_cr *r, struct tok *t, enum cs_cbor_type want)
{
	const uint8_t *at = r->p;
	int rc;

	if ((rc = token(r, t, 1)) != CS_OK)
		return rc;
	if (t->t != want) {
		r->p = at;
		return cs_cr_schema(r, "expected %s, found %s", tname(want), tname(t->t));
	}
	return CS_OK;
}

/* An item whose head's argument is its value (an unsigned integer, a tag). */
static int
head_value(cs_cr *r, enum cs_cbor_type want, uint64_t *v)
{
	struct tok t;
	int rc;

	if ((rc = expect(r, &t, want)) != CS_OK)
		return rc;
	*v = t.v;
	return CS_OK;
}

int
cs_cr_uint(cs_cr *r, uint64_t *v)
{
	return head_value(r, CS_CBOR_UINT, v);
}

int
cs_cr_int(cs_cr *r, int64_t *v)
{
	const uint8_t *at = r->p;
	struct tok t;
	int rc;

	if ((rc = token(r, &t, 1)) != CS_OK)
		return rc;
	if ((t.t != CS_CBOR_UINT && t.t != CS_CBOR_NEGINT) || t.v > INT64_MAX) {
		r->p = at;
		return cs_cr_schema(r, "expected an integer within 64 bits");
	}
	*v = t.t == CS_CBOR_UINT ? (int64_t)t.v : -1 - (int64_t)t.v;
	return CS_OK;
}

int
cs_cr_bytes(cs_cr *r, const uint8_t **p, size_t *n, size_t min, size_t max)
{
	const uint8_t *at = r->p;
	struct tok t;
	int rc;

	if ((rc = expect(r, &t, CS_CBOR_BYTES)) != CS_OK)
		return rc;
	if (t.v < min || t.v > max) {
		r->p = at;
		if (min == max)
			return cs_cr_schema(r, "byte string of %llu bytes, expected %zu",
			    (unsigned long long)t.v, min);
		return cs_cr_schema(r, "byte string of %llu bytes, expected %zu to %zu",
		    (unsigned long long)t.v, min, max);
	}
	*p = t.data;
	*n = (size_t)t.v;
	return CS_OK;
}

int
cs_cr_bytes_fixed(cs_cr *r, uint8_t *out, size_t n)
{
	const uint8_t *p = NULL;
	size_t len;
	int rc;

	if ((rc = cs_cr_bytes(r, &p, &len, n, n)) != CS_OK)
		return rc;
	memcpy(out, p, n);
	return CS_OK;
}

int
cs_cr_text(cs_cr *r, const char **s, size_t *n, size_t min, size_t max)
{
	const uint8_t *at = r->p;
	struct tok t;
	size_t i;
	int rc;

	if ((rc = expect(r, &t, CS_CBOR_TEXT)) != CS_OK)
		return rc;
	if (t.v < min || t.v > max) {
		r->p = at;
		return cs_cr_schema(r, "text of %llu bytes, expected %zu to %zu",
		    (unsigned long long)t.v, min, max);
	}
	for (i = 0; i < t.v; i++) {
		if (t.data[i] < 0x20 || t.data[i] > 0x7e) {
			r->p = at;
			return cs_cr_schema(r, "text byte %zu is not printable ASCII (0x%02x)", i,
			    t.data[i]);
		}
	}
	*s = (const char *)t.data;
	*n = (size_t)t.v;
	return CS_OK;
}

int
cs_cr_textz(cs_cr *r, char *out, size_t cap, size_t min)
{
	const char *s = NULL;
	size_t n = 0;
	int rc;

	if ((rc = cs_cr_text(r, &s, &n, min, cap - 1)) != CS_OK)
		return rc;
	memcpy(out, s, n);
	out[n] = '\0';
	return CS_OK;
}

static int
container(cs_cr *r, enum cs_cbor_type ty, size_t *n, size_t min, size_t max)
{
	const uint8_t *at = r->p;
	struct tok t;
	int rc;

	if ((rc = expect(r, &t, ty)) != CS_OK)
		return rc;
	if (t.v < min || t.v > max) {
		r->p = at;
		return cs_cr_schema(r, "%s of %llu items, expected %zu to %zu", tname(ty),
		    (unsigned long long)t.v, min, max);
	}
	/* every item takes at least a byte: cheap bound before anyone loops */
	if (t.v > (uint64_t)(r->end - r->p)) {
		r->p = at;
		return bad(r, "container longer than the data");
	}
	*n = (size_t)t.v;
	return CS_OK;
}

int
cs_cr_array(cs_cr *r, size_t *n, size_t min, size_t max)
{
	return container(r, CS_CBOR_ARRAY, n, min, max);
}

int
cs_cr_map(cs_cr *r, size_t *n, size_t min, size_t max)
{
	return container(r, CS_CBOR_MAP, n, min, max);
}

int
cs_cr_tag(cs_cr *r, uint64_t *tag)
{
	return head_value(r, CS_CBOR_TAG, tag);
}

int
cs_cr_null(cs_cr *r)
{
	struct tok t;

	return expect(r, &t, CS_CBOR_NULL);
}

int
cs_cr_bool(cs_cr *r, int *v)
{
	const uint8_t *at = r->p;
	struct tok t;
	int rc;

	if ((rc = token(r, &t, 1)) != CS_OK)
		return rc;
	if (t.t != CS_CBOR_TRUE && t.t != CS_CBOR_FALSE) {
		r->p = at;
		return cs_cr_schema(r, "expected a boolean");
	}
	*v = t.t == CS_CBOR_TRUE;
	return CS_OK;
}

int
cs_cr_key(cs_cr *r, uint64_t *key, int64_t *prev)
{
	const uint8_t *at = r->p;
	struct tok t;
	int rc;

	if ((rc = token(r, &t, 1)) != CS_OK)
		return rc;
	if (t.t != CS_CBOR_UINT || t.v > INT64_MAX) {
		r->p = at;
		return cs_cr_schema(r, "map key is not a small unsigned integer");
	}
	if ((int64_t)t.v <= *prev) {
		r->p = at;
		if ((int64_t)t.v == *prev)
			return bad(r, "duplicate map key");
		return bad(r, "map keys not in canonical order");
	}
	*key = t.v;
	*prev = (int64_t)t.v;
	return CS_OK;
}

int
cs_cr_field(cs_cr *r, uint64_t want, int64_t *prev, const char *name)
{
	const uint8_t *at = r->p;
	uint64_t key = 0;
	int rc;

	if ((rc = cs_cr_key(r, &key, prev)) != CS_OK)
		return rc;
	if (key != want) {
		r->p = at;
		return cs_cr_schema(r, "missing field %llu (%s)", (unsigned long long)want, name);
	}
	return CS_OK;
}

/* Walks one item; text is checked for printable ASCII only when text is
 * set (a schema rule, which the encoding walk leaves to the
 * decoder, so that every cbor fault is found before any schema fault). */
static int
skip(cs_cr *r, int depth, int text)
{
	const uint8_t *at = r->p, *pk = NULL, *k;
	size_t pkn = 0, kn, i;
	struct tok t;
	int rc;

	if (depth <= 0)
		return bad(r, "nested too deeply");
	if ((rc = token(r, &t, 1)) != CS_OK)
		return rc;
	switch (t.t) {
	case CS_CBOR_TEXT:
		for (i = 0; text && i < t.v; i++)
			if (t.data[i] < 0x20 || t.data[i] > 0x7e) {
				r->p = at;
				return cs_cr_schema(r, "text is not printable ASCII");
			}
		break;
	case CS_CBOR_ARRAY:
		if (t.v > (uint64_t)(r->end - r->p))
			return bad(r, "container longer than the data");
		for (i = 0; i < t.v; i++)
			if ((rc = skip(r, depth - 1, text)) != CS_OK)
				return rc;
		break;
	case CS_CBOR_MAP:
		if (t.v > (uint64_t)(r->end - r->p) / 2)
			return bad(r, "container longer than the data");
		for (i = 0; i < t.v; i++) {
			k = r->p;
			if ((rc = skip(r, depth - 1, text)) != CS_OK)
				return rc;
			kn = (size_t)(r->p - k);
			if (pk != NULL && keycmp(pk, pkn, k, kn) >= 0) {
				r->p = k;
				return bad(r, keycmp(pk, pkn, k, kn) == 0 ? "duplicate map key"
									  : "map keys not in canonical order");
			}
			pk = k;
			pkn = kn;
			if ((rc = skip(r, depth - 1, text)) != CS_OK)
				return rc;
		}
		break;
	case CS_CBOR_TAG:
		return skip(r, depth - 1, text);
	default:
		break;
	}
	return CS_OK;
}

int
cs_cr_skip(cs_cr *r, int depth)
{
	return skip(r, depth, 1);
}

int
cs_cr_done(cs_cr *r)
{
	if (r->p != r->end)
		return bad(r, "trailing bytes after the item");
	return CS_OK;
}

int
cs_cbor_check(const uint8_t *p, size_t n, int depth, cs_err *e)
{
	cs_cr r;
	int rc;

	cs_cr_init(&r, p, n, e);
	if ((rc = cs_cr_skip(&r, depth)) != CS_OK)
		return rc;
	return cs_cr_done(&r);
}

int
cs_cbor_canonical(const uint8_t *p, size_t n, int depth, cs_err *e)
{
	cs_cr r;
	int rc;

	cs_cr_init(&r, p, n, e);
	if ((rc = skip(&r, depth, 0)) != CS_OK)
		return rc;
	return cs_cr_done(&r);
}

int
cs_cbor_decode(cs_cbor_reader read, void *out, const uint8_t *p, size_t n, cs_err *e)
{
	cs_err got, enc;
	int rc;

	cs_err_clear(&got);
	if ((rc = read(out, p, n, &got)) == CS_OK)
		return CS_OK;
	cs_err_clear(&enc);
	if (cs_cbor_canonical(p, n, CS_CBOR_MAX_DEPTH, &enc) != CS_OK)
		return cs_err_take(e, &enc);
	return cs_err_take(e, &got);
}

/* A walk over the heads only: the records entry is split at millions of
 * items a second, and each item is read strictly afterwards. */
int
cs_cbor_item_len(const uint8_t *p, size_t n, size_t max, size_t *len)
{
	uint64_t left[CS_CBOR_MAX_DEPTH + 1], val;
	size_t off = 0, hl, i;
	uint8_t mt, ai;
	int d = 0;

#define NEED(x) \
	do { \
		if ((x) > max) \
			return -1; \
		if ((x) > n) \
			return 1; \
	} while (0)

	left[0] = 1;
	for (;;) {
		NEED(off + 1);
		mt = p[off] >> 5;
		ai = p[off] & 31;
		if (ai < 24) {
			val = ai;
			hl = 1;
		} else if (ai <= 27) {
			hl = 1 + ((size_t)1 << (ai - 24));
			NEED(off + hl);
			for (val = 0, i = 1; i < hl; i++)
				val = val << 8 | p[off + i];
		} else {
			return -1; /* reserved, an indefinite length or a break */
		}
		off += hl;
		if (mt == 2 || mt == 3) {
			if (val > max)
				return -1;
			NEED(off + val);
			off += (size_t)val;
		} else if ((mt == 4 || mt == 5) && val > 0) {
			if (val > max || d == CS_CBOR_MAX_DEPTH)
				return -1;
			left[++d] = mt == 5 ? 2 * val : val;
			continue;
		} else if (mt == 6) {
			if (d == CS_CBOR_MAX_DEPTH)
				return -1;
			left[++d] = 1;
			continue;
		}
		/* an item ended at level d; containers that are now full end too */
		while (--left[d] == 0) {
			if (d == 0) {
				*len = off;
				return 0;
			}
			d--;
		}
	}
#undef NEED
}
