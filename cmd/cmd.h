/* Shared pieces of the consign CLI: errors to stderr, options, passphrases,
 * secret keys, and the command families. lib/ returns; only cmd/ prints. */
#ifndef CMD_H
#define CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/keyfile.h"
#include "crypto/p11.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/err.h"
#include "verify/trust.h"

#define CMD_ARTIFACT_MAX (16u << 20) /* a COSE artifact file (release payloads included) */
#define CMD_PASS_MAX 1024

extern const char *cmd_name; /* "consign" or argv[0] */

/* One line "consign: FILE: message (reason)" on stderr; returns e->status. */
int cmd_report(const char *file, const cs_err *e);
/* "consign: message" on stderr; returns status. */
int cmd_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "consign: warning: message" on stderr. */
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: prints the message and the command's usage; returns CS_USAGE. */
int cmd_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Command-line options: a getopt_long wrapper that refuses repeated options
 * unless marked as repeatable, and unknown ones, instead of guessing. */
struct cmd_opt {
	const char *name;  /* long name without dashes */
	int has_arg;
	int repeat;        /* may be given more than once */
	int key;           /* short letter, or a code above 255 */
};

/* Parses argv[1..]; calls fn(key, arg, ctx) for each option and returns the
 * index of the first operand, or -1 after printing a usage error. --help is
 * handled: prints usage to stdout and returns -2. */
int cmd_getopt(int argc, char **argv, const struct cmd_opt *opts, const char *usage,
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
enum { CMD_OPT_MODULE = 0x300, CMD_OPT_PIN_FILE };
#define CMD_KEY_OPTS {"module", 1, 0, CMD_OPT_MODULE}, {"pin-file", 1, 0, CMD_OPT_PIN_FILE}
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
 * Only s->digest is kept: the envelope is not (s->cose is cleared). */
int cmd_load_pinned_policy(const char *path, cs_signed *s, cs_policy *p);
/* The same for an order. */
int cmd_load_order(const char *path, uint8_t **buf, size_t *n, cs_signed *s, cs_order *o);

/* Digest as 64 hex digits; a short fingerprint (first 8 bytes, grouped) for people. */
void cmd_hex(char *out, const uint8_t *p, size_t n);
void cmd_fingerprint(char out[24], const uint8_t d[CS_DIGEST_LEN]);

/* Parses a decimal unsigned integer (the whole string); 0 on success. */
int cmd_parse_u64(const char *s, uint64_t *v);

/* 1 when the file starts like a zip archive. */
int cmd_is_zip(const uint8_t *p, size_t n);
/* The same for a file, reading only its first bytes: zips (batches,
 * releases) can be far larger than any artifact read whole. */
int cmd_file_is_zip(const char *path);

/* Prints the signature lines of a quorum ("  signature 1: alice, valid"). */
void cmd_print_quorum(FILE *f, const cs_quorum *q, const cs_cose *c, const cs_policy *p);
/* Appends "; not signed by: " and the custodians that have not signed,
 * comma separated, to e->msg (truncated to fit). */
void cmd_note_missing(cs_err *e, const cs_quorum *q, const cs_policy *p);

/* Options of consign sign, passed on to the zip (release) handler. */
struct sign_opts {
	const char *key, *policy, *passfile, *file, *module, *pinfile;
	const char *released;   /* releases: a directory of the earlier release zips */
	int yes;
};

/* Release (zip) handlers, defined with the office side; cmd/hooks.c holds
 * weak fallbacks until then. */
int cmd_sign_zip(const struct sign_opts *o);
int cmd_verify_zip(int argc, char **argv);
int cmd_inspect_zip(int argc, char **argv);
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
