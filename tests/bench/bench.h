/* What the bench programs share beside the tools' error exit: the two
 * clocks, and a batch's records entry read whole. A program defines
 * TOOL_NAME (its name in messages) first. */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../tools/tool.h"
#include "bundle/reader.h"

/* wall time, seconds */
static double __attribute__((unused))
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* this thread's CPU time, seconds: other work on the machine slows a
 * measure taken with it less */
static double __attribute__((unused))
cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Nanoseconds an operation of the n timed since the CPU time t0; a run in
 * which any of them failed (bad) measured nothing, and ends the program. */
static double __attribute__((unused))
ns_per_op(double t0, size_t n, size_t bad, const char *failed)
{
	double t = cpu() - t0;

	if (bad)
		die(failed);
	return t * 1e9 / (double)n;
}

/* The records entry of the open zip z, whole, in a new buffer (one byte
 * more than *size, for a reader that wants to see the end); dies on error. */
static __attribute__((unused)) uint8_t *
bench_records(cs_zipr *z, size_t *size)
{
	cs_zips *s;
	cs_err e;
	uint8_t *entry;
	size_t got, pos;

	cs_err_clear(&e);
	*size = (size_t)cs_zipr_size(z, CS_ZE_RECORDS);
	if ((entry = malloc(*size + 1)) == NULL)
		die("out of memory");
	if (cs_zips_open(&s, z, CS_ZE_RECORDS, &e) != CS_OK)
		die("cannot read the records");
	for (pos = 0;; pos += got) {
		if (cs_zips_read(s, entry + pos, *size + 1 - pos, &got, &e) != CS_OK)
			die("cannot read the records");
		if (got == 0)
			break;
	}
	cs_zips_close(s);
	return entry;
}

#endif
