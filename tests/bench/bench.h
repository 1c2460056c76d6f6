/* What the bench programs share: the error exit and the two clocks. A
 * program defines BENCH_NAME (its name in messages) before including this. */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void __attribute__((noreturn, unused))
die(const char *msg)
{
	fprintf(stderr, BENCH_NAME ": %s\n", msg);
	exit(2);
}

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
