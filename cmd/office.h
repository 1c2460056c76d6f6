/* Shared pieces of the office commands: batch and release zips for verify,
 * inspect, release, sign, merge, ledger, export and receipt. */
#ifndef CMD_OFFICE_H
#define CMD_OFFICE_H

#include "cmd.h"

#include "bundle/reader.h"
#include "verify/batch.h"

#define OFFICE_SHOW_FIRST 20    /* record problems shown to people; --json has all */
#define OFFICE_CHAIN_MAX 88     /* "SEQ:" and 64 hex digits */
#define OFFICE_LEDGER_ENV "CONSIGN_LEDGER"
#define OFFICE_LEDGER_DEFAULT "ledger"

/* "SEQ:DIGEST": a decimal sequence and the release digest in 64 hex digits;
 * 0 on success. */
int office_parse_after(const char *s, uint64_t *seq, uint8_t d[CS_DIGEST_LEN]);

/* cmd_getopt, with options allowed after the operands too. */
int office_getopt(int argc, char **argv, const struct cmd_opt *opts, const char *usage,
    int (*fn)(int key, const char *arg, void *ctx), void *ctx);

/* --threads: a count 1..CS_VERIFY_MAX_THREADS into *n and 0; else the usage
 * error printed and -1. */
int office_parse_threads(const char *usage, const char *s, unsigned *n);

/* The chain position a CI job stores and gives to --after. */
void office_chain(char out[OFFICE_CHAIN_MAX], uint64_t seq, const uint8_t d[CS_DIGEST_LEN]);

/* The ledger directory: the option, else $CONSIGN_LEDGER, else ./ledger. */
const char *office_ledger_dir(const char *opt);

/* One line per batch-level problem ("problem: reason: message"). */
void office_print_problems(FILE *f, const cs_verify *v);
/* The same as JSON array items. */
void office_json_problems(FILE *f, const cs_verify *v);

/* Opens a zip for a command that needs a readable one: on any failure
 * (layout included) prints "consign: FILE: message (reason)" and returns the
 * exit status. */
int office_open(const char *path, cs_zipr **z);

/* The record list of an exclusion summary: "record 17 (serial 1017)
 * record-signature, ..." of at most max entries, into out. */
void office_excl_summary(char *out, size_t cap, const cs_excl_list *l, size_t max);

/* Appends the failing record r to the growing exclusion list *x (*n used,
 * *cap allocated); -1 when out of memory. */
int office_excl_add(cs_exclusion **x, size_t *n, size_t *cap, const cs_vrec *r);

/* Writes a release zip at out (atomically): the header, order and records
 * entries of the batch in z byte for byte (the records streamed and checked
 * against the header's digest on the way), then rel as release.cose. The
 * modification time is the header's created time, so copies compare equal. */
int office_write_release(const char *out, cs_zipr *z, const cs_verify *v, const uint8_t *rel,
    size_t reln, cs_err *e);

#endif
