/* Shared pieces of the office commands: batch and release zips for verify,
 * inspect, release, sign, merge, ledger, export and receipt. */
#ifndef CMD_OFFICE_H
#define CMD_OFFICE_H

#include "cmd.h"

#include "bundle/reader.h"
#include "verify/batch.h"
#include "verify/release_zip.h"

#define OFFICE_SHOW_FIRST 20    /* record problems shown to people; --json has all */
#define OFFICE_CHAIN_MAX 88     /* "SEQ:" and 64 hex digits */
#define OFFICE_LEDGER_ENV "CONSIGN_LEDGER"
#define OFFICE_LEDGER_DEFAULT "ledger"
#define OFFICE_ENGINE_ENV "CONSIGN_ENGINE"

/* "SEQ:DIGEST": a decimal sequence and the release digest in 64 hex digits;
 * 0 on success. */
int office_parse_after(const char *s, uint64_t *seq, uint8_t d[CS_DIGEST_LEN]);

/* --threads N (1..CS_VERIFY_MAX_THREADS) kept in T's unsigned f */
#define OFFICE_THREADS_OPT(key, T, f) CMD_COUNT("threads", key, T, f, CS_VERIFY_MAX_THREADS)

/* $CONSIGN_ENGINE, the verifier every verifying command runs: unset or
 * "fast", or "reference" (the serial engine the fast one is tested
 * against). Read here only. 0 and *engine; else the usage error printed
 * and -1. */
int office_engine(int *engine);

/* The chain position a CI job stores and gives to --after. */
void office_chain(char out[OFFICE_CHAIN_MAX], uint64_t seq, const uint8_t d[CS_DIGEST_LEN]);

/* The ledger directory: the option, else $CONSIGN_LEDGER, else ./ledger. */
const char *office_ledger_dir(const char *opt);

/* One line per batch-level problem ("problem: reason: message"). */
void office_print_problems(FILE *f, const cs_verify *v);

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


/* ---- the report's fields for each kind (cmd/describe.c) ---- */
/* signatures, and valid_signatures when q is given (q NULL: "not-checked") */
void cmd_desc_signatures(json_t *r, const cs_cose *c, const cs_quorum *q, const cs_policy *p);
void cmd_desc_policy(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_policy *p);
void cmd_desc_order(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_order *o);
void cmd_desc_record(json_t *r, const cs_record *rec);
void cmd_desc_header(json_t *r, const cs_header *h);
void cmd_desc_receipt(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_receipt *rc);
void cmd_desc_withdrawal(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_withdrawal *w);
/* release, sequence, after, policy, accepted (the exclusions are the caller's) */
void cmd_desc_release(json_t *r, const uint8_t digest[CS_DIGEST_LEN], const cs_release *rel);
json_t *cmd_desc_exclusion(const cs_exclusion *x);
json_t *cmd_desc_exclusions(const cs_excl_list *l);
/* {digest, fingerprint, quantity, [valid_signatures,] signatures} of v's order */
json_t *cmd_desc_order_ref(const cs_verify *v, const cs_quorum *q, const cs_policy *p);
/* v's batch-level problems into r's problems */
void cmd_desc_problems(json_t *r, const cs_verify *v);
/* A verified batch or release: its problems and fields. failures (borrowed,
 * NULL: none listed) is every record failing a check of this run (a batch:
 * a release lists none, its problems name them); excluded (a release; NULL: the payload's list)
 * every exclusion as verified. */
void cmd_desc_zip(json_t *r, const cs_verify *v, const cs_policy *pol, json_t *failures,
    json_t *excluded);
/* An excluded record as verified: index, serial, reason, and for
 * record-released-* released_in and value (what a registry checks), and
 * checked (this run found the same reason itself). */
json_t *cmd_desc_vrec_exclusion(const cs_vrec *r);

/* --released DIR, the earlier release zips of the release in z (file):
 * opened and bound to it (the chain back from it), *ea reading from *ed until
 * the caller closes *ed. Failures are reported (naming dir, or file when the
 * release cannot be read) and their status returned. */
int office_earlier(const char *dir, const char *file, cs_zipr *z, const cs_policy *pol,
    const uint8_t pd[CS_DIGEST_LEN], cs_earlier_dir **ed, cs_vearlier *ea);

#define OFFICE_MAX_WITHDRAWN 64
/* A withdrawal given with --withdrawn: M custodians of the pinned policy
 * signed it (else the error is reported and its status returned); digest
 * gets the release it withdraws. */
int office_load_withdrawal(const char *path, const cs_policy *pol,
    const uint8_t pd[CS_DIGEST_LEN], uint8_t digest[CS_DIGEST_LEN]);

#endif
