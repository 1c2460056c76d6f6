/* A tiny test harness: each check prints "ok - ..." or "not ok - ...", a
 * skipped one "skip - ..."; tests/run counts the lines. */
#ifndef T_H
#define T_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;

static void __attribute__((format(printf, 4, 5), unused))
t_report(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		printf(" (%s:%d)", file, line);
		t_failures++;
	}
	printf("\n");
	fflush(stdout);
}

#define T_OK(cond, ...) t_report((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

/* A step a test builds on, whose status the library asks to be checked
 * (CS_MUST): its failure ends the test program, which the runner counts. */
#define T_MUST(call)                                                                   \
	do {                                                                           \
		if ((call) != 0) {                                                     \
			printf("not ok - %s:%d: %s failed\n", __FILE__, __LINE__, #call); \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

static void __attribute__((format(printf, 1, 2), unused))
t_skip(const char *fmt, ...)
{
	va_list ap;

	printf("skip - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int __attribute__((unused))
t_done(void)
{
	return t_failures ? 1 : 0;
}

/* Parses hex (any case) into out; returns the byte count or -1. */
static long __attribute__((unused))
t_unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex), i;
	unsigned v;

	if (n % 2 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
}

/* The vectors directory (VECTORS env), or NULL when absent. */
static __attribute__((unused)) const char *
t_vectors(void)
{
	const char *v = getenv("VECTORS");

	return v != NULL && *v != '\0' ? v : NULL;
}

#endif
