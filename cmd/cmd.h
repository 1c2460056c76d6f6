/* Shared pieces of the consign CLI: errors to stderr, options, passphrases,
 * secret keys, and the command families. lib/ returns; only cmd/ prints. */
#ifndef CMD_H
#define CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "format/keyfile.h"
#include "crypto/p11.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/err.h"
#include "verify/trust.h"

#include <jansson.h>

#define CMD_ARTIFACT_MAX (16u << 20) /* a COSE artifact file (release payloads included) */
#define CMD_PASS_MAX 1024

extern const char *cmd_name; /* "consign" or argv[0] */

/* The one way a command reports a failure: "consign: SUBJECT: message
 * (reason)" on stderr (the subject escaped, left out when there is none),
 * and under --json (cmd_json_errors) also the error as a report on stdout.
 * Returns e->status, the exit code. */
int cmd_error(const cs_err *e);
/* cmd_error, naming subject unless the library already named what failed. */
int cmd_report(const char *subject, cs_err *e);
/* A failure found in cmd/: status and reason (manifests/reasons.md), the
 * subject (NULL: none), the message; returns status. */
int cmd_fail(int status, const char *reason, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* On a terminal (stderr), one line saying what a long step is doing,
 * rewritten in place; cmd_status_end clears it. Off a terminal, nothing. */
void cmd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cmd_status_end(void);
/* cmd_status for a verification: records checked of total and the rate,
 * at most four times a second. */
void cmd_progress(const char *what, uint64_t done, uint64_t total);
/* "consign: warning: message" on stderr. */
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: one line, and where the usage is ("consign sign --help");
 * returns CS_USAGE. usage is the command's usage text. */
int cmd_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Errors are also written to stdout as a JSON report of this kind (set by
 * a command given --json). */
void cmd_json_errors(const char *kind);

/* ---- the JSON report (cmd/json.c, manifests/report.md) ---- */
/* A new report {verdict, kind, subject, problems: []}; kind or subject NULL
 * gives null. Add the kind's fields with json_object_set_new. */
json_t *cmd_json_report(const char *verdict, const char *kind, const char *subject);
/* Appends {reason, message[, record]} to problems (record < 0: none). */
void cmd_json_problem(json_t *r, const char *reason, const char *message, int64_t record);
void cmd_json_set_verdict(json_t *r, const char *verdict);
/* Prints r on one line on stdout and frees it; 0, or -1 on a write error. */
int cmd_json_print(json_t *r);
/* An error as a report: verdict "error", the problem, and "exit". */
void cmd_json_error(const char *kind, const cs_err *e);
/* A JSON string of s as consign displays it (escaped, printable ASCII). */
json_t *cmd_json_text(const char *s);
/* Lower-case hex of p[0..n), n <= 256. */
json_t *cmd_json_hex(const uint8_t *p, size_t n);
/* An unsigned 64-bit number: an integer, or a decimal string above 2^63-1. */
json_t *cmd_json_u64(uint64_t v);

/* Reads an artifact file (at most CMD_ARTIFACT_MAX bytes) that is not
 * plainly another kind of artifact than kind: otherwise reports a usage
 * error (exit 2, reason kind) naming what it is. *buf: free with
 * cs_file_free. */
int cmd_read_kind(const char *path, const char *kind, uint8_t **buf, size_t *n);

/* A command of subcommands (consign order create): runs the one argv[1]
 * names with the argv starting at it, or prints usage for --help (-h);
 * otherwise the usage error missing. subs ends with a NULL name. */
struct cmd_sub {
	const char *name;
	int (*fn)(int argc, char **argv);
};
int cmd_subcommand(int argc, char **argv, const struct cmd_sub *subs, const char *usage,
    const char *missing);

/* Command-line options: a getopt_long wrapper that refuses repeated options
 * unless marked as repeatable, and unknown ones, instead of guessing. Most
 * options are only kept in a field of the command's options struct (ctx),
 * which their row names, by cmd_getopt: CMD_ARG the argument (a const char
 * *), CMD_FLAG a 1 (an int), CMD_LIST each argument appended (a const char
 * *f[] and its size_t count; more than max: "at most MAX WHAT"), CMD_COUNT a
 * number (an unsigned; not 1..max: "--NAME wants 1..MAX"). The others
 * (CMD_OPT) go to the command's fn. */
enum { CMD_KEEP_NONE, CMD_KEEP_ARG, CMD_KEEP_FLAG, CMD_KEEP_LIST, CMD_KEEP_COUNT };
struct cmd_opt {
	const char *name;  /* long name without dashes */
	int has_arg;
	int repeat;        /* may be given more than once */
	int key;           /* short letter, or a code above 255 */
	int keep;          /* CMD_KEEP_*: how cmd_getopt keeps it */
	size_t at, n_at;   /* the field's offset in ctx; a list's count's */
	size_t max;        /* a list's length, a count's largest */
	const char *what;  /* what a list holds */
};
/* The comparison, never evaluated, has the compiler check the field's type. */
#define CMD_AT(T, f, type) (offsetof(T, f) + 0 * sizeof(&((T *)0)->f == (type *)0))
#define CMD_ARG(name, key, T, f) \
	{name, 1, 0, key, CMD_KEEP_ARG, CMD_AT(T, f, const char *), 0, 0, NULL}
#define CMD_FLAG(name, key, T, f) {name, 0, 0, key, CMD_KEEP_FLAG, CMD_AT(T, f, int), 0, 0, NULL}
#define CMD_LIST(name, key, T, f, n, max, what) {name, 1, 1, key, CMD_KEEP_LIST, \
	CMD_AT(T, f[0], const char *), CMD_AT(T, n, size_t), max, what}
#define CMD_COUNT(name, key, T, f, max) \
	{name, 1, 0, key, CMD_KEEP_COUNT, CMD_AT(T, f, unsigned), 0, max, NULL}
/* an option for fn */
#define CMD_OPT(name, has_arg, repeat, key) \
	{name, has_arg, repeat, key, CMD_KEEP_NONE, 0, 0, 0, NULL}
#define CMD_OPT_END CMD_OPT(NULL, 0, 0, 0)

/* Parses argv[1..]; keeps each kept option and calls fn(key, arg, ctx) for
 * each other one (fn may be NULL when there is none), and returns the index
 * of the first operand, or -1 after printing a usage error. --help is
 * handled: prints usage to stdout and returns -2. */
int cmd_getopt(int argc, char **argv, const struct cmd_opt *opts, const char *usage,
    int (*fn)(int key, const char *arg, void *ctx), void *ctx);
/* cmd_getopt for a command that takes options only (an operand is an
 * "unexpected argument"): -1 to go on, else the exit status (CS_OK after
 * --help). */
int cmd_getopt_only(int argc, char **argv, const struct cmd_opt *opts, const char *usage,
    int (*fn)(int key, const char *arg, void *ctx), void *ctx);

/* Reads a file of at most max bytes; on failure reports "FILE: reason". */
int cmd_read(const char *path, size_t max, uint8_t **out, size_t *n);

/* Writes atomically (temp, fsync, rename); reports failures. */
int cmd_write(const char *path, const void *p, size_t n, int mode, int noclobber);

/* Reads a passphrase: from file (first line) when file != NULL, else from
 * /dev/tty without echo (twice when confirm). *out is sodium_malloc'd;
 * free with cmd_pass_free. */
int cmd_passphrase(const char *file, const char *prompt, int confirm, char **out, size_t *len);
void cmd_pass_free(char *p);
/* The same for a token's PIN (--pin-file FILE, else the terminal). */
int cmd_pin(const char *file, const char *prompt, char **out, size_t *len);

/* Makes this process undumpable and sets its core size limit to 0; called
 * before any secret is read. */
void cmd_no_core(void);

/* Loads and unlocks a secret key file (warning when it is readable by
 * others). */
int cmd_load_seckey(const char *path, const char *passfile, cs_seckey *k);

/* A signing key given with --key: a secret key file, or a pkcs11: URI naming
 * a key in a token (with --module, --pin-file); cmd/key.c. */
enum { CMD_OPT_MODULE = 0x300, CMD_OPT_PIN_FILE, CMD_OPT_FORCE };
/* --force in a command's table: its -o FILE may replace an existing file
 * (cmd_getopt refuses one otherwise, before any work); sets cmd_force. */
#define CMD_FORCE_OPT CMD_OPT("force", 0, 0, CMD_OPT_FORCE)
extern int cmd_force;
/* --module and --pin-file, kept in the struct cmd_keyarg f of T */
#define CMD_KEY_OPTS(T, f) CMD_ARG("module", CMD_OPT_MODULE, T, f.module), \
	CMD_ARG("pin-file", CMD_OPT_PIN_FILE, T, f.pinfile)
struct cmd_keyarg {
	const char *key, *passfile, *module, *pinfile;
	int quiet;   /* no "key: ... (token ...)" line before the PIN */
};
typedef struct cmd_key {
	struct cmd_keyarg a;
	cs_pubkey pub;     /* known after cmd_key_open, before any secret */
	cs_seckey file;
	cs_p11 *tok;
	cs_signer signer;  /* signs after cmd_key_unlock */
} cmd_key;
/* The public half: the key file's header, or the token's public key object
 * (no passphrase or PIN asked). Reports and returns the status on failure. */
int cmd_key_open(cmd_key *k, const struct cmd_keyarg *a);
/* Asks for the passphrase or PIN (a token's location shown first) and makes
 * k->signer sign with the key. */
int cmd_key_unlock(cmd_key *k);
/* Wipes and releases; safe on a zeroed or closed key. */
void cmd_key_close(cmd_key *k);

/* Loads a public key file. */
int cmd_load_pubkey(const char *path, cs_pubkey *k);

/* Asks "question [y/N]" on the terminal; 1 for yes. */
int cmd_confirm(const char *question);
/* consign sign's confirmation: CS_OK when yes (--yes, or answered so);
 * otherwise the one-line error printed and its status (usage without a
 * terminal, rejected when declined). */
int cmd_confirm_sign(const char *file, int yes, const char *question);

/* Loads a policy file and decodes it (no signature checks). */
int cmd_load_policy(const char *path, uint8_t **buf, size_t *n, cs_signed *s, cs_policy *p);
/* Loads a policy given with --policy to check something against: it must
 * carry M valid signatures of its own custodians (its trust still comes from
 * the caller having pinned it: the file name and fingerprint are shown).
 * The file's bytes stay until the command exits, so s->cose and p's
 * attestation roots, which borrow from them, stay valid. */
int cmd_load_pinned_policy(const char *path, cs_signed *s, cs_policy *p);
/* The same for an order. */
int cmd_load_order(const char *path, uint8_t **buf, size_t *n, cs_signed *s, cs_order *o);

/* The one form of a digest or key id for people (manifests/report.md): its
 * first 16 bytes as eight groups of four hex digits ("8c0e 1f2a ... 1b93"). */
#define CMD_FP_BYTES 16
#define CMD_FP_LEN (5 * CMD_FP_BYTES / 2)
void cmd_fingerprint(char out[CMD_FP_LEN], const uint8_t *d);

/* Writes the unsigned draft of an encoded payload of kind (policy, order)
 * to path, refused when it exists unless --force, and gives the fingerprint
 * of its digest; reports failures. */
int cmd_write_draft(const char *path, const char *kind, const cs_buf *payload,
    char fp[CMD_FP_LEN]);

/* Parses a decimal unsigned integer (the whole string); 0 on success. */
int cmd_parse_u64(const char *s, uint64_t *v);

/* 1 when the file starts like a zip archive. */
int cmd_is_zip(const uint8_t *p, size_t n);
/* The same for a file, reading only its first bytes: zips (batches,
 * releases) can be far larger than any artifact read whole. */
int cmd_file_is_zip(const char *path);

/* Which of p's custodians has the key pk; -1 when none. */
int cmd_custodian_of(const cs_policy *p, const uint8_t pk[CS_PK_LEN]);
/* Prints the signature lines of a quorum ("  signature 1: alice, valid"). */
void cmd_print_quorum(FILE *f, const cs_quorum *q, const cs_cose *c, const cs_policy *p);
/* Appends "; not signed by: " and the custodians that have not signed,
 * comma separated, to e->msg (truncated to fit). */
void cmd_note_missing(cs_err *e, const cs_quorum *q, const cs_policy *p);

/* Options of consign sign, passed on to the zip (release) handler. */
struct sign_opts {
	struct cmd_keyarg ka;   /* --key, --passphrase-file, --module, --pin-file */
	const char *policy, *file;
	const char *released;   /* releases: a directory of the earlier release zips */
	int yes;
};

/* The release (zip) halves of sign and merge, in cmd/release.c. */
int cmd_sign_zip(const struct sign_opts *o);
int cmd_merge_zip(const char *out, int nfiles, char **files);

/* Command families. Each takes the argv starting at its own name. */
int cmd_keygen(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_order(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
/* The office side (cmd/release.c, ledger.c, export.c, receipt.c). */
int cmd_release(int argc, char **argv);
int cmd_ledger(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_receipt(int argc, char **argv);

/* The factory side (cmd/station.c, cmd/anchor.c). */
int cmd_station(int argc, char **argv);
int cmd_policy_anchor(int argc, char **argv);

#endif
