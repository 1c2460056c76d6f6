/* What the bench programs share beside the tools' error exit: the two
 * clocks. A program defines TOOL_NAME (its name in messages) first. */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../tools/tool.h"

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

#endif
