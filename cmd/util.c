/* CLI plumbing: messages, options, passphrases, key loading, confirmation. */
#include "cmd.h"

#include <ctype.h>
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
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "util/file.h"
#include "util/text.h"

const char *cmd_name = "consign";
int cmd_force;

static int json_on;           /* errors as JSON reports too */
static const char *json_kind; /* of this kind, when known */

void
cmd_json_errors(const char *kind)
{
	json_on = 1;
	json_kind = kind;
}

int
cmd_error(const cs_err *e)
{
	char sub[CS_SUBJECT_MAX * 4], msg[CS_MSG_MAX];

	/* the message's text was escaped where it was made; the subject (a
	 * name the user gave) is escaped here */
	snprintf(msg, sizeof msg, "%s", e->msg[0] ? e->msg : "failed");
	if (e->subject[0] != '\0')
		fprintf(stderr, "%s: %s: %s (%s)\n", cmd_name,
		    cs_escapez(sub, sizeof sub, e->subject), msg, e->reason[0] ? e->reason : "error");
	else
		fprintf(stderr, "%s: %s (%s)\n", cmd_name, msg, e->reason[0] ? e->reason : "error");
	if (json_on)
		cmd_json_error(json_kind, e);
	return e->status;
}

int
cmd_report(const char *subject, cs_err *e)
{
	if (subject != NULL)
		cs_err_subject(e, "%s", subject);
	return cmd_error(e);
}

int
cmd_fail(int status, const char *reason, const char *subject, const char *fmt, ...)
{
	va_list ap;
	cs_err e;

	cs_err_clear(&e);
	e.status = status;
	snprintf(e.reason, sizeof e.reason, "%s", reason);
	if (subject != NULL)
		snprintf(e.subject, sizeof e.subject, "%s", subject);
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof e.msg, fmt, ap);
	va_end(ap);
	return cmd_error(&e);
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
	char cmd[64];
	const char *p = strstr(usage, "usage: "), *l;
	size_t n = 0, w, k;
	va_list ap;
	cs_err e;

	/* the command's words from its usage line: "consign release create" */
	for (p = p ? p + 7 : "consign"; *p == ' ' || (*p >= 'a' && *p <= 'z'); p += w) {
		for (w = 0; p[w] >= 'a' && p[w] <= 'z'; w++)
			;
		if (w == 0) {
			w = 1;
			continue;
		}
		if (n + w + 2 >= sizeof cmd)
			break;
		if (n > 0)
			cmd[n++] = ' ';
		memcpy(cmd + n, p, w);
		n += w;
	}
	/* where further synopsis lines name other subcommands ("consign station
	 * seal" below "consign station collect"), only the words they share */
	for (l = strstr(usage, "\n       consign "); l != NULL && n > 0;
	     l = strstr(l + 1, "\n       consign ")) {
		for (l += 8, k = 0; k < n && l[k] == cmd[k]; k++)
			;
		if (k == n && l[k] >= 'a' && l[k] <= 'z') /* a longer last word */
			k--;
		if (k < n)
			while (k > 0 && cmd[k] != ' ')
				k--;
		n = k;
	}
	cmd[n] = '\0';
	cs_err_clear(&e);
	e.status = CS_USAGE;
	snprintf(e.reason, sizeof e.reason, "usage");
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof e.msg, fmt, ap);
	va_end(ap);
	cmd_error(&e);
	fprintf(stderr, "Try '%s --help'.\n", n ? cmd : "consign");
	return CS_USAGE;
}

#define MAX_OPTS 32

/* An option kept in ctx as its row says (cmd_opt); 0, or -1 after a usage
 * error. */
static int
keep(const struct cmd_opt *o, const char *arg, void *ctx, const char *usage)
{
	char *at = (char *)ctx + o->at;
	size_t *n = (size_t *)((char *)ctx + o->n_at);
	uint64_t v;

	switch (o->keep) {
	case CMD_KEEP_ARG:
		*(const char **)at = arg;
		return 0;
	case CMD_KEEP_FLAG:
		*(int *)at = 1;
		return 0;
	case CMD_KEEP_LIST:
		if (*n >= o->max) {
			cmd_usage(usage, "at most %zu %s", o->max, o->what);
			return -1;
		}
		((const char **)at)[(*n)++] = arg;
		return 0;
	default:
		if (cmd_parse_u64(arg, &v) != 0 || v == 0 || v > o->max) {
			cmd_usage(usage, "--%s wants 1..%zu", o->name, o->max);
			return -1;
		}
		*(unsigned *)at = (unsigned)v;
		return 0;
	}
}

/* Whether text names the option: "--name" standing whole (not the prefix of
 * a longer option), or its short form "-k" as a word. */
static int
documented(const char *text, const struct cmd_opt *o)
{
	size_t len = strlen(o->name);
	const char *p;
	char c;

	for (p = strstr(text, "--"); p != NULL; p = strstr(p + 2, "--")) {
		c = p[2 + len];
		if (strncmp(p + 2, o->name, len) == 0 && !islower((unsigned char)c) &&
		    !isdigit((unsigned char)c) && c != '-')
			return 1;
	}
	for (p = strchr(text, '-'); o->key < 256 && p != NULL; p = strchr(p + 1, '-'))
		if (p > text && strchr(" [", p[-1]) != NULL && p[1] == o->key &&
		    strchr(" ]\n", p[2]) != NULL)
			return 1;
	return 0;
}

/* The option table is what a command takes and the usage text what --help
 * (and so the man page, tests/cli/man.sh) says it takes: an option missing
 * from the text stops the command at once, so no test run lets the two
 * drift apart. (Text naming an option the table lacks is allowed: one usage
 * serves the subcommands of station and ledger.) */
static void
documented_all(const struct cmd_opt *opts, size_t n, const char *usage)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!documented(usage, &opts[i])) {
			fprintf(stderr, "consign: internal error: option --%s is missing from "
			    "--help\n", opts[i].name);
			abort();
		}
	}
}

int
cmd_getopt(int argc, char **argv, const struct cmd_opt *opts, const char *usage,
    int (*fn)(int key, const char *arg, void *ctx), void *ctx)
{
	struct option lo[MAX_OPTS + 2];
	char shorts[3 * MAX_OPTS + 4] = "";
	int seen[MAX_OPTS] = {0};
	const char *out = NULL;
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
	documented_all(opts, n, usage);
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
		if (c == CMD_OPT_FORCE) {
			cmd_force = 1;
			continue;
		}
		if (i < n && c == 'o' && strcmp(opts[i].name, "output") == 0)
			out = optarg;
		if (i < n && opts[i].keep != CMD_KEEP_NONE) {
			if (keep(&opts[i], optarg, ctx, usage) != 0)
				return -1;
		} else if (fn != NULL && fn(c, optarg, ctx) != 0) {
			return -1;
		}
	}
	/* One rule for every command that writes a file it is told to: an
	 * existing one is refused unless --force, checked before any work (a
	 * passphrase, a verification); it is then replaced atomically. */
	for (i = 0; i < n && opts[i].key != CMD_OPT_FORCE; i++)
		;
	if (i < n && out != NULL && !cmd_force && access(out, F_OK) == 0) {
		cmd_fail(CS_USAGE, "exists", out, "already exists; --force replaces it");
		return -1;
	}
	return optind;
}

int
cmd_getopt_only(int argc, char **argv, const struct cmd_opt *opts, const char *usage,
    int (*fn)(int key, const char *arg, void *ctx), void *ctx)
{
	int a = cmd_getopt(argc, argv, opts, usage, fn, ctx);

	if (a < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (a != argc)
		return cmd_usage(usage, "unexpected argument '%s'", argv[a]);
	return -1;
}

int
cmd_subcommand(int argc, char **argv, const struct cmd_sub *subs, const char *usage,
    const char *missing)
{
	size_t i;

	for (i = 0; argc >= 2 && subs[i].name != NULL; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return CS_OK;
	}
	return cmd_usage(usage, "%s", missing);
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

int
cmd_write_draft(const char *path, const char *kind, const cs_buf *payload, char fp[CMD_FP_LEN])
{
	uint8_t d[CS_DIGEST_LEN];
	cs_buf out;
	int rc;

	cs_buf_init(&out, CS_PAYLOAD_MAX + 256);
	if (cs_cose_sign_draft(&out, kind, payload->p, payload->len) != CS_OK) {
		rc = cmd_fail(CS_MALFORMED, "internal", path, "cannot encode the %s", kind);
	} else if ((rc = cmd_write(path, out.p, out.len, 0644, !cmd_force)) == CS_OK) {
		cs_digest(d, kind, payload->p, payload->len);
		cmd_fingerprint(fp, d);
	}
	cs_buf_free(&out);
	return rc;
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
		return cmd_fail(CS_MALFORMED, "system", NULL, "cannot allocate secure memory");
	if (file != NULL) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = cmd_fail(CS_MALFORMED, "io", file, "cannot open %s file: %s", what,
			    strerror(errno));
			goto fail;
		}
		if (read_line(fd, p, CMD_PASS_MAX, len) != 0) {
			close(fd);
			rc = cmd_fail(CS_MALFORMED, "io", file, "no %s line (or longer than %d bytes)",
			    what, CMD_PASS_MAX - 1);
			goto fail;
		}
		close(fd);
	} else {
		if (tty_read(prompt, p, CMD_PASS_MAX, len) != 0) {
			rc = cmd_fail(CS_USAGE, "usage", NULL, "cannot read a %s from the terminal (use %s)",
			    what, opt);
			goto fail;
		}
		if (confirm) {
			if ((again = sodium_malloc(CMD_PASS_MAX)) == NULL ||
			    tty_read("Passphrase (again): ", again, CMD_PASS_MAX, &alen) != 0) {
				rc = cmd_fail(CS_USAGE, "usage", NULL, "cannot read a passphrase from the terminal");
				goto fail;
			}
			if (alen != *len || sodium_memcmp(again, p, alen) != 0) {
				rc = cmd_fail(CS_USAGE, "passphrase", NULL, "the passphrases do not match");
				goto fail;
			}
		}
	}
	if (*len == 0) {
		rc = cmd_fail(CS_USAGE, "passphrase", NULL, "empty %s refused", what);
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
	cmd_status("deriving the key from the passphrase (Argon2id, %llu MiB, %llu pass%s)...",
	    (unsigned long long)(k->memlimit >> 20), (unsigned long long)k->opslimit,
	    k->opslimit == 1 ? "" : "es");
	rc = cs_seckey_unlock(k, buf, n, pass, plen, &e);
	cmd_status_end();
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
		return cmd_fail(CS_USAGE, "usage", file, "no terminal to confirm on; use --yes in scripts");
	if (!cmd_confirm(question))
		return cmd_fail(CS_REJECT, "declined", file, "not signed: declined at the prompt");
	return CS_OK;
}

static int
expect_kind(const char *path, const uint8_t *buf, size_t n, const char *kind)
{
	cs_cose c;
	cs_err e;

	/* operands given in the wrong places are a usage error, not a
	 * malformed file: say what the file is */
	if (cmd_is_zip(buf, n))
		return cmd_fail(CS_USAGE, "kind", path, "a zip (a batch or a release), not a %s", kind);
	cs_err_clear(&e);
	if (cs_cose_decode(&c, buf, n, &e) == CS_OK && strcmp(c.kind, kind) != 0)
		return cmd_fail(CS_USAGE, "kind", path, "a %s, not a %s", c.kind, kind);
	return CS_OK;
}

int
cmd_read_kind(const char *path, const char *kind, uint8_t **buf, size_t *n)
{
	int rc;

	if ((rc = cmd_read(path, CMD_ARTIFACT_MAX, buf, n)) != CS_OK)
		return rc;
	if ((rc = expect_kind(path, *buf, *n, kind)) != CS_OK) {
		cs_file_free(*buf, *n);
		*buf = NULL;
		return rc;
	}
	return CS_OK;
}

/* A policy or an order file (kind) decoded into out, a cs_policy or a
 * cs_order (no signature checked). */
static int
load_signed(const char *path, const char *kind, uint8_t **buf, size_t *n, cs_signed *s,
    void *out)
{
	cs_err e;
	int rc;

	if ((rc = cmd_read_kind(path, kind, buf, n)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	if (strcmp(kind, CS_KIND_POLICY) == 0)
		rc = cs_policy_load(s, out, *buf, *n, &e);
	else
		rc = cs_order_load(s, out, *buf, *n, &e);
	if (rc != CS_OK) {
		cs_file_free(*buf, *n);
		*buf = NULL;
		return cmd_report(path, &e);
	}
	return CS_OK;
}

int
cmd_load_policy(const char *path, uint8_t **buf, size_t *n, cs_signed *s, cs_policy *p)
{
	return load_signed(path, CS_KIND_POLICY, buf, n, s, p);
}

/* Files whose bytes a pinned policy borrows (its envelope, its attestation
 * roots) for as long as the command runs; freed at exit. */
struct kept {
	struct kept *next;
	uint8_t *buf;
	size_t n;
};
static struct kept *kept;

static void
free_kept(void)
{
	struct kept *k;

	while ((k = kept) != NULL) {
		kept = k->next;
		cs_file_free(k->buf, k->n);
		free(k);
	}
}

static int
keep_file(uint8_t *buf, size_t n)
{
	struct kept *k = malloc(sizeof *k);

	if (k == NULL)
		return -1;
	if (kept == NULL)
		atexit(free_kept);
	*k = (struct kept){kept, buf, n};
	kept = k;
	return 0;
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
	if (rc == CS_OK && keep_file(buf, n) != 0) {
		cs_file_free(buf, n);
		return cmd_fail(CS_MALFORMED, "system", path, "out of memory");
	}
	if (rc != CS_OK) {
		cs_file_free(buf, n);
		memset(&s->cose, 0, sizeof s->cose);
		cs_err_prefix(&e, "not a complete policy, nothing can be checked against it");
		return cmd_report(path, &e);
	}
	return CS_OK;
}

int
cmd_load_order(const char *path, uint8_t **buf, size_t *n, cs_signed *s, cs_order *o)
{
	return load_signed(path, CS_KIND_ORDER, buf, n, s, o);
}

void
cmd_hex(char *out, const uint8_t *p, size_t n)
{
	cs_hex(out, p, n);
}

void
cmd_fingerprint(char out[CMD_FP_LEN], const uint8_t *d)
{
	char h[2 * CMD_FP_BYTES + 1];
	size_t i, o = 0;

	cs_hex(h, d, CMD_FP_BYTES);
	for (i = 0; i < 2 * CMD_FP_BYTES; i += 4) {
		if (i > 0)
			out[o++] = ' ';
		memcpy(out + o, h + i, 4);
		o += 4;
	}
	out[o] = '\0';
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
	char kid[CMD_FP_LEN];
	size_t i;

	for (i = 0; i < q->nsig; i++) {
		if (q->who[i] >= 0)
			fprintf(f, "  signature %zu: %s, %s\n", i + 1, p->cust[q->who[i]].id,
			    st[q->state[i]]);
		else {
			cmd_fingerprint(kid, c->s[i].kid);
			fprintf(f, "  signature %zu: key id %s, %s\n", i + 1, kid, st[q->state[i]]);
		}
	}
}

int
cmd_custodian_of(const cs_policy *p, const uint8_t pk[CS_PK_LEN])
{
	size_t i;

	for (i = 0; i < p->ncust; i++)
		if (memcmp(p->cust[i].pk, pk, CS_PK_LEN) == 0)
			return (int)i;
	return -1;
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

/* ---- what a long step is doing, on a terminal only -------------------------- */

static int status_shown;

void
cmd_status(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	status_shown = 1;
}

void
cmd_status_end(void)
{
	if (status_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	status_shown = 0;
}

void
cmd_progress(const char *what, uint64_t done, uint64_t total)
{
	static struct timespec start, last;
	struct timespec now;
	double secs;

	if (!isatty(STDERR_FILENO))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done <= 1)
		start = last = now;
	/* four times a second is enough for a person, and costs nothing */
	if (done < total && (now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec) <
			       250000000L)
		return;
	last = now;
	secs = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
	cmd_status("%s: %llu of %llu records checked, %.0f a second", what,
	    (unsigned long long)done, (unsigned long long)total, secs > 0 ? (double)done / secs : 0.0);
}
