/* Fixed or capped growable byte buffers with a sticky overflow flag. A
 * freestanding build (device firmware) has no heap: there a buffer never
 * grows, and a growable one is always full. */
#include "util/buf.h"

#include <string.h>

#if __STDC_HOSTED__
#include <stdlib.h>

#include <sodium.h>
#endif

void
cs_buf_fixed(cs_buf *b, uint8_t *mem, size_t cap)
{
	memset(b, 0, sizeof *b);
	b->p = mem;
	b->cap = b->max = cap;
}

void
cs_buf_init(cs_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
	b->growable = 1;
}

void
cs_buf_free(cs_buf *b)
{
#if __STDC_HOSTED__
	if (b->growable && b->p != NULL) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
#endif
	if (b->growable) {
		b->p = NULL;
		b->cap = 0;
	}
	b->len = 0;
	b->overflow = 0;
}

static uint8_t *grow(cs_buf *b, size_t want);

uint8_t *
cs_buf_room(cs_buf *b, size_t n)
{
	size_t want;

	if (b->overflow)
		return NULL;
	if (n > b->max || b->len > b->max - n) {
		b->overflow = 1;
		return NULL;
	}
	want = b->len + n;
	if (want <= b->cap)
		return b->p + b->len;
	if (!b->growable) {
		b->overflow = 1;
		return NULL;
	}
	return grow(b, want);
}

#if __STDC_HOSTED__
static uint8_t *
grow(cs_buf *b, size_t want)
{
	size_t ncap;
	uint8_t *np;

	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	/* realloc would leave a copy of the old contents unwiped */
	if ((np = malloc(ncap)) == NULL) {
		b->overflow = 1;
		return NULL;
	}
	if (b->p != NULL) {
		memcpy(np, b->p, b->len);
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = ncap;
	return b->p + b->len;
}
#else
/* no heap: a growable buffer is full before its first byte */
static uint8_t *
grow(cs_buf *b, size_t want)
{
	(void)want;
	b->overflow = 1;
	return NULL;
}
#endif

int
cs_buf_add(cs_buf *b, const void *data, size_t n)
{
	uint8_t *d;

	if (n == 0)
		return b->overflow ? -1 : 0;
	if ((d = cs_buf_room(b, n)) == NULL)
		return -1;
	memcpy(d, data, n);
	b->len += n;
	return 0;
}
