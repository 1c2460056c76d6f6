/* A main() for a harness built as an ordinary test program
 * (tests/unit/fuzzreplay_NAME.c includes NAME.c, then this): every input
 * kept under tests/fuzz/regress/NAME/ is run through the harness in a child
 * process, so compilers without libFuzzer still replay every crash found.
 * FUZZ_NAME names the harness. */
#ifndef FUZZ_REPLAY_H
#define FUZZ_REPLAY_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FUZZ_REPLAY_MAX (1u << 20)

static int
fuzz_replay_one(const char *path)
{
	static uint8_t buf[FUZZ_REPLAY_MAX];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return 3;
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static int
fuzz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	const char *root = getenv("CONSIGN_TEST_ROOT");
	char dir[4096], path[8192], *names[4096];
	struct dirent *d;
	size_t n = 0, i;
	int st = 0, fails = 0;
	pid_t pid;
	DIR *dp;

	snprintf(dir, sizeof dir, "%s/tests/fuzz/regress/%s", root != NULL ? root : ".", FUZZ_NAME);
	if ((dp = opendir(dir)) == NULL) {
		printf("not ok - fuzz replay %s: no directory %s\n", FUZZ_NAME, dir);
		return 1;
	}
	while ((d = readdir(dp)) != NULL && n < sizeof names / sizeof names[0])
		if (d->d_name[0] != '.' && (names[n] = strdup(d->d_name)) != NULL)
			n++;
	closedir(dp);
	qsort(names, n, sizeof names[0], fuzz_name_cmp);
	if (n == 0) {
		printf("not ok - fuzz replay %s: %s holds no inputs\n", FUZZ_NAME, dir);
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		fflush(stdout);
		if ((pid = fork()) == 0)
			exit(fuzz_replay_one(path)); /* atexit: harnesses clean up */
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("not ok - fuzz replay %s: %s (%s %d)\n", FUZZ_NAME, names[i],
			    pid > 0 && WIFSIGNALED(st) ? "signal" : "status",
			    pid > 0 && WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			fails++;
		} else {
			printf("ok - fuzz replay %s: %s\n", FUZZ_NAME, names[i]);
		}
		free(names[i]);
	}
	return fails ? 1 : 0;
}

#endif
