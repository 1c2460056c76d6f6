/* CLI plumbing: messages, options, passphrases, key loading, confirmation. */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "util/file.h"
#include "util/text.h"

const char *cmd_name = "consign";

int
cmd_report(const char *file, const cs_err *e)
{
	char f[512];

	if (file != NULL)
		fprintf(stderr, "%s: %s: %s (%s)\n", cmd_name, cs_escapez(f, sizeof f, file), e->msg,
		    e->reason);
	else
		fprintf(stderr, "%s: %s (%s)\n", cmd_name, e->msg, e->reason);
	return e->status;
}

int
cmd_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

void
cmd_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cmd_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return CS_USAGE;
}

#define MAX_OPTS 32

int
cmd_getopt(int argc, char **argv, const struct cmd_opt *opts, const char *usage,
    int (*fn)(int key, const char *arg, void *ctx), void *ctx)
{
	struct option lo[MAX_OPTS + 2];
	char shorts[3 * MAX_OPTS + 4] = "";
	int seen[MAX_OPTS] = {0};
	size_t n = 0, s = 0, i, len;
	int c, idx, a;

	for (n = 0; opts[n].name != NULL && n < MAX_OPTS; n++) {
		lo[n] = (struct option){opts[n].name, opts[n].has_arg ? required_argument : no_argument,
		    NULL, opts[n].key};
		if (opts[n].key < 256) {
			shorts[s++] = (char)opts[n].key;
			if (opts[n].has_arg)
				shorts[s++] = ':';
		}
	}
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 1] = (struct option){NULL, 0, NULL, 0};
	shorts[s++] = 'h';
	shorts[s] = '\0';
	/* getopt_long takes unambiguous prefixes ("--pol"): refuse them rather
	 * than guess, as a repeated option is refused */
	for (a = 1; a < argc && strcmp(argv[a], "--") != 0; a++) {
		if (strncmp(argv[a], "--", 2) != 0)
			continue;
		len = strcspn(argv[a] + 2, "=");
		for (i = 0; i <= n; i++)
			if (strlen(lo[i].name) == len && strncmp(lo[i].name, argv[a] + 2, len) == 0)
				break;
		if (i > n) {
			cmd_usage(usage, "unknown option %.*s", (int)len + 2, argv[a]);
			return -1;
		}
	}
	/* options may come after the operands ("FILE --json"): getopt permutes */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, lo, &idx)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return -2;
		}
		if (c == '?' || c == ':') {
			if (optopt != 0 && optopt < 256)
				cmd_usage(usage, "unknown option or missing argument: -%c", optopt);
			else
				cmd_usage(usage, "unknown option or missing argument: %s",
				    argv[optind - 1]);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (opts[i].key == c)
				break;
		if (i < n && seen[i]++ && !opts[i].repeat) {
			cmd_usage(usage, "--%s given more than once", opts[i].name);
			return -1;
		}
		if (fn(c, optarg, ctx) != 0)
			return -1;
	}
	return optind;
}

int
cmd_read(const char *path, size_t max, uint8_t **out, size_t *n)
{
	cs_err e;

	cs_err_clear(&e);
	if (cs_read_file(path, max, out, n, &e) != CS_OK)
		return cmd_report(path, &e);
	return CS_OK;
}

int
cmd_write(const char *path, const void *p, size_t n, int mode, int noclobber)
{
	cs_err e;

	cs_err_clear(&e);
	if (cs_write_atomic(path, p, n, mode, noclobber, &e) != CS_OK)
		return cmd_report(path, &e);
	return CS_OK;
}

void
cmd_pass_free(char *p)
{
	if (p != NULL)
		sodium_free(p);
}

static struct termios saved_tio;
static int tty_fd = -1;

static void
restore_tty(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* One line from fd into buf (no newline kept); -1 on error, too long or EOF
 * before any byte. */
static int
read_line(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (c == '\n')
			break;
		if (n + 1 >= cap)
			return -1;
		buf[n++] = c;
	}
	if (r <= 0 && n == 0)
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return 0;
}

static int
tty_read(const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios tio;
	struct sigaction sa, old_int, old_term;
	int rc;

	if ((tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	if (tcgetattr(tty_fd, &saved_tio) != 0) {
		close(tty_fd);
		tty_fd = -1;
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = restore_tty;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	tio = saved_tio;
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tio.c_lflag |= ICANON;
	tcsetattr(tty_fd, TCSAFLUSH, &tio);
	if (write(tty_fd, prompt, strlen(prompt)) < 0) {
		/* nothing useful to do: the read below still works */
	}
	rc = read_line(tty_fd, buf, cap, len);
	if (write(tty_fd, "\n", 1) < 0) {
		/* as above */
	}
	tcsetattr(tty_fd, TCSAFLUSH, &saved_tio);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	close(tty_fd);
	tty_fd = -1;
	return rc;
}

/* A passphrase or a PIN (what), from file or the terminal; opt names the
 * option that gives a file. */
static int
read_secret(const char *what, const char *opt, const char *file, const char *prompt, int confirm,
    char **out, size_t *len)
{
	char *p, *again = NULL;
	size_t alen;
	int fd, rc = CS_MALFORMED;

	*out = NULL;
	*len = 0;
	if ((p = sodium_malloc(CMD_PASS_MAX)) == NULL)
		return cmd_fail(CS_MALFORMED, "cannot allocate secure memory");
	if (file != NULL) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = cmd_fail(CS_MALFORMED, "%s: cannot open %s file: %s", file, what,
			    strerror(errno));
			goto fail;
		}
		if (read_line(fd, p, CMD_PASS_MAX, len) != 0) {
			close(fd);
			rc = cmd_fail(CS_MALFORMED, "%s: no %s line (or longer than %d bytes)", file,
			    what, CMD_PASS_MAX - 1);
			goto fail;
		}
		close(fd);
	} else {
		if (tty_read(prompt, p, CMD_PASS_MAX, len) != 0) {
			rc = cmd_fail(CS_USAGE, "cannot read a %s from the terminal (use %s)", what, opt);
			goto fail;
		}
		if (confirm) {
			if ((again = sodium_malloc(CMD_PASS_MAX)) == NULL ||
			    tty_read("Passphrase (again): ", again, CMD_PASS_MAX, &alen) != 0) {
				rc = cmd_fail(CS_USAGE, "cannot read a passphrase from the terminal");
				goto fail;
			}
			if (alen != *len || sodium_memcmp(again, p, alen) != 0) {
				rc = cmd_fail(CS_USAGE, "the passphrases do not match");
				goto fail;
			}
		}
	}
	if (*len == 0) {
		rc = cmd_fail(CS_USAGE, "empty %s refused", what);
		goto fail;
	}
	cmd_pass_free(again);
	*out = p;
	return CS_OK;
fail:
	cmd_pass_free(again);
	cmd_pass_free(p);
	*len = 0;
	return rc;
}

int
cmd_passphrase(const char *file, const char *prompt, int confirm, char **out, size_t *len)
{
	return read_secret("passphrase", "--passphrase-file", file, prompt, confirm, out, len);
}

int
cmd_pin(const char *file, const char *prompt, char **out, size_t *len)
{
	return read_secret("PIN", "--pin-file", file, prompt, 0, out, len);
}

void
cmd_no_core(void)
{
	struct rlimit rl = {0, 0};

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
cmd_load_pubkey(const char *path, cs_pubkey *k)
{
	uint8_t *buf;
	size_t n;
	cs_err e;
	int rc;

	if ((rc = cmd_read(path, CS_KEYFILE_MAX, &buf, &n)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	rc = cs_pubkey_parse(k, buf, n, &e);
	cs_file_free(buf, n);
	return rc == CS_OK ? CS_OK : cmd_report(path, &e);
}

int
cmd_load_seckey(const char *path, const char *passfile, cs_seckey *k)
{
	char prompt[128], id[80];
	struct stat st;
	uint8_t *buf;
	char *pass = NULL;
	size_t n, plen;
	cs_err e;
	int rc;

	cmd_no_core();
	memset(k, 0, sizeof *k);
	if ((rc = cmd_read(path, CS_KEYFILE_MAX, &buf, &n)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	/* check the file before asking for anything */
	if ((rc = cs_seckey_parse_public(k, buf, n, &e)) != CS_OK) {
		cs_file_free(buf, n);
		return cmd_report(path, &e);
	}
	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		cmd_warn("%s is readable by others (mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	snprintf(prompt, sizeof prompt, "Passphrase for %s: ",
	    cs_escapez(id, sizeof id, k->pub.id));
	if ((rc = cmd_passphrase(passfile, prompt, 0, &pass, &plen)) != CS_OK) {
		cs_file_free(buf, n);
		return rc;
	}
	rc = cs_seckey_unlock(k, buf, n, pass, plen, &e);
	cmd_pass_free(pass);
	cs_file_free(buf, n);
	if (rc != CS_OK)
		return cmd_report(path, &e);
	return CS_OK;
}

int
cmd_confirm(const char *question)
{
	char ans[16];
	size_t n;
	int fd, rc;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return 0;
	if (write(fd, question, strlen(question)) < 0 || write(fd, " [y/N] ", 7) < 0) {
		close(fd);
		return 0;
	}
	rc = read_line(fd, ans, sizeof ans, &n) == 0 && (strcmp(ans, "y") == 0 ||
							     strcmp(ans, "yes") == 0 ||
							     strcmp(ans, "Y") == 0);
	close(fd);
	return rc;
}

int
cmd_confirm_sign(const char *file, int yes, const char *question)
{
	if (yes)
		return CS_OK;
	if (!isatty(STDIN_FILENO) && access("/dev/tty", R_OK) != 0)
		return cmd_fail(CS_USAGE, "no terminal to confirm on; use --yes in scripts");
	if (!cmd_confirm(question))
		return cmd_fail(CS_REJECT, "%s: not signed: declined at the prompt (declined)", file);
	return CS_OK;
}

int
cmd_load_policy(const char *path, uint8_t **buf, size_t *n, cs_signed *s, cs_policy *p)
{
	cs_err e;
	int rc;

	if ((rc = cmd_read(path, CMD_ARTIFACT_MAX, buf, n)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	if ((rc = cs_policy_load(s, p, *buf, *n, &e)) != CS_OK) {
		cs_file_free(*buf, *n);
		*buf = NULL;
		return cmd_report(path, &e);
	}
	return CS_OK;
}

int
cmd_load_pinned_policy(const char *path, cs_signed *s, cs_policy *p)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	cs_quorum q;
	cs_err e;
	int rc;

	if ((rc = cmd_load_policy(path, &buf, &n, s, p)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	rc = cs_policy_verify_self(s, p, &q, &e);
	/* the envelope borrowed from buf: only the digest and the policy remain */
	cs_file_free(buf, n);
	memset(&s->cose, 0, sizeof s->cose);
	if (rc != CS_OK) {
		cs_err_prefix(&e, "not a complete policy, nothing can be checked against it");
		return cmd_report(path, &e);
	}
	return CS_OK;
}

int
cmd_load_order(const char *path, uint8_t **buf, size_t *n, cs_signed *s, cs_order *o)
{
	cs_err e;
	int rc;

	if ((rc = cmd_read(path, CMD_ARTIFACT_MAX, buf, n)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	if ((rc = cs_order_load(s, o, *buf, *n, &e)) != CS_OK) {
		cs_file_free(*buf, *n);
		*buf = NULL;
		return cmd_report(path, &e);
	}
	return CS_OK;
}

void
cmd_hex(char *out, const uint8_t *p, size_t n)
{
	cs_hex(out, p, n);
}

void
cmd_fingerprint(char out[24], const uint8_t d[CS_DIGEST_LEN])
{
	char h[17];

	cs_hex(h, d, 8);
	snprintf(out, 24, "%.4s %.4s %.4s %.4s", h, h + 4, h + 8, h + 12);
}

int
cmd_is_zip(const uint8_t *p, size_t n)
{
	return n >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4;
}

void
cmd_print_quorum(FILE *f, const cs_quorum *q, const cs_cose *c, const cs_policy *p)
{
	static const char *st[] = {"valid", "INVALID signature (not counted)",
	    "unknown key (not counted)", "repeated signer (counted once)"};
	char kid[2 * CS_KID_LEN + 1];
	size_t i;

	for (i = 0; i < q->nsig; i++) {
		if (q->who[i] >= 0)
			fprintf(f, "  signature %zu: %s, %s\n", i + 1, p->cust[q->who[i]].id,
			    st[q->state[i]]);
		else {
			cs_hex(kid, c->s[i].kid, CS_KID_LEN);
			fprintf(f, "  signature %zu: key id %s, %s\n", i + 1, kid, st[q->state[i]]);
		}
	}
}

void
cmd_note_missing(cs_err *e, const cs_quorum *q, const cs_policy *p)
{
	size_t i, o = strlen(e->msg), cap = sizeof e->msg;
	const char *sep = "; not signed by: ";

	for (i = 0; i < p->ncust && o < cap; i++)
		if (!q->counted[i]) {
			o += (size_t)snprintf(e->msg + o, cap - o, "%s%s", sep, p->cust[i].id);
			sep = ", ";
		}
}

int
cmd_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = x;
	return 0;
}
