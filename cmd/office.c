/* Helpers shared by the office commands: chain positions, problem lines,
 * opening zips with one-line errors. */
#include "office.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "util/text.h"

int
office_parse_after(const char *s, uint64_t *seq, uint8_t d[CS_DIGEST_LEN])
{
	const char *colon = strchr(s, ':');
	char num[24];
	size_t n;

	if (colon == NULL || (n = (size_t)(colon - s)) == 0 || n >= sizeof num)
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (cmd_parse_u64(num, seq) != 0 || *seq == 0)
		return -1;
	return cs_unhex(d, CS_DIGEST_LEN, colon + 1);
}

int
office_engine(int *engine)
{
	const char *env = getenv(OFFICE_ENGINE_ENV);
	char esc[64];

	if (env == NULL || *env == '\0' || strcmp(env, "fast") == 0)
		*engine = CS_ENGINE_FAST;
	else if (strcmp(env, "reference") == 0)
		*engine = CS_ENGINE_REFERENCE;
	else {
		cmd_fail(CS_USAGE, "usage", OFFICE_ENGINE_ENV, "no engine \"%s\": fast or reference",
		    cs_escapez(esc, sizeof esc, env));
		return -1;
	}
	return 0;
}

void
office_chain(char out[OFFICE_CHAIN_MAX], uint64_t seq, const uint8_t d[CS_DIGEST_LEN])
{
	char hex[2 * CS_DIGEST_LEN + 1];

	cs_hex(hex, d, CS_DIGEST_LEN);
	snprintf(out, OFFICE_CHAIN_MAX, "%llu:%s", (unsigned long long)seq, hex);
}

const char *
office_ledger_dir(const char *opt)
{
	const char *env = getenv(OFFICE_LEDGER_ENV);

	if (opt != NULL)
		return opt;
	return env != NULL && *env != '\0' ? env : OFFICE_LEDGER_DEFAULT;
}

void
office_print_problems(FILE *f, const cs_verify *v)
{
	char esc[CS_MSG_MAX * 4];
	size_t i;

	for (i = 0; i < v->nproblem; i++)
		fprintf(f, "problem: %s: %s\n", v->problem[i].reason,
		    cs_escapez(esc, sizeof esc, v->problem[i].msg));
	if (v->more_problems > 0)
		fprintf(f, "problem: ... and %llu more\n", (unsigned long long)v->more_problems);
}

int
office_open(const char *path, cs_zipr **z)
{
	cs_err e;

	cs_err_clear(&e);
	if (cs_zipr_open(z, path, &e) != CS_OK)
		return cmd_report(path, &e);
	return CS_OK;
}

int
office_earlier(const char *dir, const char *file, cs_zipr *z, const cs_policy *pol,
    const uint8_t pd[CS_DIGEST_LEN], cs_earlier_dir **ed, cs_vearlier *ea)
{
	cs_verify v = {0};
	cs_err e;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_earlier_dir_open(ed, dir, pol, pd, &e)) != CS_OK)
		return cmd_report(dir, &e);
	/* only the release's sequence and predecessor: the caller verifies it */
	if ((rc = cs_verify_load(&v, z, &e)) != CS_OK) {
		cs_verify_free(&v);
		return cmd_report(file, &e);
	}
	cs_earlier_dir_bind(*ed, v.release.seq, v.release.prev);
	cs_verify_free(&v);
	cs_earlier_dir_get(*ed, ea);
	return CS_OK;
}

void
office_excl_summary(char *out, size_t cap, const cs_excl_list *l, size_t max)
{
	cs_exclusion x;
	size_t pos = 0, i = 0, o = 0;

	out[0] = '\0';
	while (o < cap && cs_excl_next(l, &pos, &i, &x)) {
		if (i > max) {
			snprintf(out + o, cap - o, ", and %zu more", l->n - max);
			break;
		}
		if (x.has_serial)
			o += (size_t)snprintf(out + o, cap - o, "%srecord %llu (serial %llu) %s",
			    i > 1 ? ", " : "", (unsigned long long)x.index,
			    (unsigned long long)x.serial, x.reason);
		else
			o += (size_t)snprintf(out + o, cap - o, "%srecord %llu %s", i > 1 ? ", " : "",
			    (unsigned long long)x.index, x.reason);
		if (x.released_in != 0 && o < cap)
			o += (size_t)snprintf(out + o, cap - o, " in release %llu",
			    (unsigned long long)x.released_in);
	}
}

int
cmd_file_is_zip(const char *path)
{
	uint8_t b[4];
	struct stat st;
	ssize_t n;
	int fd;

	/* a FIFO must not block here: not a regular file, not a zip */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	n = read(fd, b, sizeof b);
	close(fd);
	return n == (ssize_t)sizeof b && cmd_is_zip(b, sizeof b);
}

int
office_excl_add(cs_exclusion **x, size_t *n, size_t *cap, const cs_vrec *r)
{
	cs_exclusion *nx;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap ? 2 * *cap : 64;
		if ((nx = realloc(*x, ncap * sizeof *nx)) == NULL)
			return -1;
		*x = nx;
		*cap = ncap;
	}
	memset(&(*x)[*n], 0, sizeof **x);
	(*x)[*n].index = r->index;
	(*x)[*n].has_serial = r->decoded;
	(*x)[*n].serial = r->decoded ? r->rec->serial : 0;
	snprintf((*x)[*n].reason, sizeof (*x)[*n].reason, "%s", r->reason);
	(*x)[*n].released_in = cs_reason_released(r->reason) ? r->released_in : 0;
	(*n)++;
	return 0;
}
