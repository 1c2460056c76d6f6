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
office_parse_threads(const char *usage, const char *s, unsigned *n)
{
	uint64_t v;

	if (cmd_parse_u64(s, &v) != 0 || v == 0 || v > CS_VERIFY_MAX_THREADS) {
		cmd_usage(usage, "--threads wants 1..%d", CS_VERIFY_MAX_THREADS);
		return -1;
	}
	*n = (unsigned)v;
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

void
office_json_problems(FILE *f, const cs_verify *v)
{
	char esc[CS_MSG_MAX * 6];
	size_t i;

	for (i = 0; i < v->nproblem; i++)
		fprintf(f, "%s{\"reason\":\"%s\",\"message\":\"%s\"}", i ? "," : "",
		    v->problem[i].reason, cs_json_escape(esc, sizeof esc, v->problem[i].msg));
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

/* Pulls the records entry of the source zip into the new one, hashing it on
 * the way: a records entry that is not the one verified fails the write. */
struct copy {
	cs_zips *s;
	crypto_hash_sha256_state st;
	uint64_t done, size;
	const uint8_t *want;
	cs_err *e;
	int checked;
};

static int
copy_read(void *ctx, uint8_t *buf, size_t cap, size_t *got)
{
	struct copy *c = ctx;
	uint8_t d[CS_DIGEST_LEN];

	if (cs_zips_read(c->s, buf, cap, got, c->e) != CS_OK)
		return -1;
	crypto_hash_sha256_update(&c->st, buf, *got);
	c->done += *got;
	if (c->done == c->size && !c->checked) {
		c->checked = 1;
		crypto_hash_sha256_final(&c->st, d);
		if (memcmp(d, c->want, CS_DIGEST_LEN) != 0) {
			cs_fail(c->e, CS_MALFORMED, "io", "the records changed while being copied");
			return -1;
		}
	}
	return 0;
}

int
office_write_release(const char *out, cs_zipr *z, const cs_verify *v, const uint8_t *rel,
    size_t reln, cs_err *e)
{
	cs_bundle_entry ent[4];
	cs_bundle_source src[4];
	struct copy c;
	int rc;

	memset(ent, 0, sizeof ent);
	memset(src, 0, sizeof src);
	memset(&c, 0, sizeof c);
	if ((rc = cs_zips_open(&c.s, z, CS_ZE_RECORDS, e)) != CS_OK)
		return rc;
	crypto_hash_sha256_init(&c.st);
	c.size = cs_zipr_size(z, CS_ZE_RECORDS);
	c.want = v->header.records;
	c.e = e;
	ent[0].name = CS_ENTRY_HEADER;
	ent[0].data = v->header_buf.p;
	ent[0].len = v->header_buf.len;
	ent[1].name = CS_ENTRY_ORDER;
	ent[1].data = v->order_buf.p;
	ent[1].len = v->order_buf.len;
	ent[2].name = CS_ENTRY_RECORDS;
	src[2].read = copy_read;
	src[2].ctx = &c;
	src[2].size = c.size;
	ent[3].name = CS_ENTRY_RELEASE;
	ent[3].data = rel;
	ent[3].len = reln;
	if (c.size == 0) {
		uint8_t d[CS_DIGEST_LEN];

		/* nothing will be pulled, so nothing would be checked */
		crypto_hash_sha256(d, (const uint8_t *)"", 0);
		if (memcmp(d, v->header.records, CS_DIGEST_LEN) != 0) {
			cs_zips_close(c.s);
			return cs_fail(e, CS_REJECT, "records-digest", "the records differ from the header");
		}
	}
	rc = cs_bundle_write_src(out, ent, src, 4, (time_t)v->header.created, NULL, e);
	cs_zips_close(c.s);
	return rc;
}

int
office_getopt(int argc, char **argv, const struct cmd_opt *opts, const char *usage,
    int (*fn)(int key, const char *arg, void *ctx), void *ctx)
{
	char **ops;
	int i, n = 1, nops = 0, takes, k;

	/* options may follow operands ("batch.zip -o registry.zip"): move the
	 * operands behind the options, keeping both in order */
	if ((ops = calloc((size_t)argc + 1, sizeof *ops)) == NULL)
		return -1;
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "--") == 0) {
			for (i++; i < argc; i++)
				ops[nops++] = argv[i];
			break;
		}
		if (s[0] != '-' || s[1] == '\0') {
			ops[nops++] = argv[i];
			continue;
		}
		takes = 0;
		for (k = 0; opts[k].name != NULL; k++) {
			size_t ln = strlen(opts[k].name);

			if ((s[1] == '-' && strncmp(s + 2, opts[k].name, ln) == 0 && s[2 + ln] == '\0') ||
			    (s[1] != '-' && opts[k].key < 256 && s[1] == opts[k].key && s[2] == '\0'))
				takes = opts[k].has_arg;
		}
		argv[n++] = argv[i];
		if (takes && i + 1 < argc)
			argv[n++] = argv[++i];
	}
	for (i = 0; i < nops; i++)
		argv[n + i] = ops[i];
	free(ops);
	return cmd_getopt(argc, argv, opts, usage, fn, ctx);
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
