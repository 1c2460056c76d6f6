/* A byte buffer that is either fixed (caller's memory, never grows: the device
 * agent uses these) or growable up to a named cap (host code). */
#ifndef CS_BUF_H
#define CS_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct cs_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max;    /* growable: never beyond this; fixed: == cap */
	int growable;
	int overflow;  /* sticky: a write did not fit */
} cs_buf;

/* A fixed buffer over mem[0..cap). */
void cs_buf_fixed(cs_buf *b, uint8_t *mem, size_t cap);

/* An empty growable buffer (malloc) that refuses to exceed max bytes. */
void cs_buf_init(cs_buf *b, size_t max);

/* Frees a growable buffer's memory (wiping it first) and empties it. */
void cs_buf_free(cs_buf *b);

/* Makes room for n more bytes; returns a pointer to them or NULL (and sets
 * overflow) when they do not fit. Does not change len. */
uint8_t *cs_buf_room(cs_buf *b, size_t n);

/* Appends n bytes; on overflow sets the sticky flag and returns -1. */
int cs_buf_add(cs_buf *b, const void *data, size_t n);

#endif
