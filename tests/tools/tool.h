/* What the test tools share: the error exit and writing an output file. A
 * tool defines TOOL_NAME (its name in messages) before including this. */
#ifndef TOOL_H
#define TOOL_H

#include <stdio.h>
#include <stdlib.h>

#include "util/file.h"

static void __attribute__((noreturn, unused))
die(const char *msg)
{
	fprintf(stderr, TOOL_NAME ": %s\n", msg);
	exit(2);
}

/* Writes dir/name (0644, atomically), or ends the tool naming the path. */
static void __attribute__((unused))
tool_put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[4096];
	cs_err e;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	cs_err_clear(&e);
	if (cs_write_atomic(path, p, n, 0644, 0, &e) != CS_OK) {
		fprintf(stderr, TOOL_NAME ": %s: %s\n", path, e.msg);
		exit(2);
	}
}

#endif
