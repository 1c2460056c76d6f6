/* Bounded formatting without a C library: the device agent's messages are
 * formatted by cs_vfmt in freestanding builds (firmware has no stdio), and by
 * the C library's vsnprintf everywhere else. */
#ifndef CS_FMT_H
#define CS_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* vsnprintf for the conversions the agent's messages use: d i u x X c s and
 * %%, the flags '-' and '0', a field width, a precision for s (digits or *),
 * and the length modifiers hh h l ll z j t. Any other conversion is copied
 * as written. out always ends with a NUL when cap > 0; returns the length
 * the whole output would have. */
int cs_vfmt(char *out, size_t cap, const char *fmt, va_list ap);
int cs_fmt(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#if __STDC_HOSTED__
#include <stdio.h>
#define cs_vsnprintf vsnprintf
#define cs_snprintf snprintf
#else
#define cs_vsnprintf cs_vfmt
#define cs_snprintf cs_fmt
#endif

#endif
