/* What the bench programs share beside the tools' error exit: the two
 * clocks, a batch's records entry read whole, and the limit programs'
 * options and runs. A program defines TOOL_NAME (its name in messages)
 * first. */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* A limit program's common options: --threads N, --repeat N, --parts,
 * --cores one|all. */
typedef struct bench_limit_opts {
	unsigned nth, repeat;
	int parts, one, all;
} bench_limit_opts;

/* Reads the common option at argv[*a] (its value too) into o: 1 when it was
 * one, 0 when not (the program's own, or the operand). */
static __attribute__((unused)) int
bench_limit_opt(bench_limit_opts *o, int argc, char **argv, int *a)
{
	const char *opt = argv[*a], *val = *a + 1 < argc ? argv[*a + 1] : "";

	if (strcmp(opt, "--parts") == 0)
		o->parts = 1;
	else if (strcmp(opt, "--threads") == 0)
		o->nth = (unsigned)strtoul(val, NULL, 10), (*a)++;
	else if (strcmp(opt, "--repeat") == 0)
		o->repeat = (unsigned)strtoul(val, NULL, 10), (*a)++;
	else if (strcmp(opt, "--cores") == 0 && strcmp(val, "one") == 0)
		o->all = 0, (*a)++;
	else if (strcmp(opt, "--cores") == 0 && strcmp(val, "all") == 0)
		o->one = 0, (*a)++;
	else
		return 0;
	return 1;
}

/* The defaults before the options: one repeat, both runs, every core. */
static __attribute__((unused)) void
bench_limit_init(bench_limit_opts *o)
{
	*o = (bench_limit_opts){0, 1, 0, 1, 1};
}

/* After the options: the threads, every core's when not given (at most 64). */
static __attribute__((unused)) void
bench_limit_threads(bench_limit_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (o->nth == 0)
		o->nth = ncpu > 0 ? (unsigned)ncpu : 1;
	if (o->nth > 64)
		o->nth = 64;
}

/* The repeats of limit (records a second on nth threads, wall; *cps the
 * same in CPU time), printed as NAME_1core_rps, NAME_1core_cpu_rps,
 * NAME_allcores_rps and NAME_threads. */
static __attribute__((unused)) void
bench_limit_runs(const char *name, const bench_limit_opts *o, double (*limit)(unsigned, double *))
{
	double r, cpu;
	unsigned k;

	for (k = 0; k < o->repeat; k++) {
		if (o->one) {
			r = limit(1, &cpu);
			printf("%s_1core_rps %.0f\n%s_1core_cpu_rps %.0f\n", name, r, name, cpu);
		}
		if (o->all) {
			r = limit(o->nth, &cpu);
			printf("%s_allcores_rps %.0f\n", name, r);
		}
	}
	printf("%s_threads %u\n", name, o->nth);
}

#endif
