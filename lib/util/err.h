/* Status codes and the error record every library call fills in.
 * lib/ never prints or exits: it returns one of these and a reason the caller shows. */
#ifndef CS_ERR_H
#define CS_ERR_H

#include <stddef.h>

/* Status values double as the CLI's exit codes (docs/design.md, "Commands"). */
enum {
	CS_OK = 0,        /* success, or accepted */
	CS_REJECT = 1,    /* well-formed input that fails verification or policy */
	CS_USAGE = 2,     /* the caller asked for something impossible */
	CS_MALFORMED = 3, /* malformed or unreadable input, I/O or system error */
};

/* On every call whose status must be looked at: a verification, a decode, a
 * write that has to reach the disk (libsodium marks its own the same way). */
#define CS_MUST __attribute__((warn_unused_result))

#define CS_REASON_MAX 40
#define CS_SUBJECT_MAX 512
#define CS_MSG_MAX 400

/* reason is a stable code from manifests/reasons.md ("record-signature");
 * subject names what failed (a file, a directory, a port), as given by the
 * caller, unescaped: "" until a layer that knows it sets it; msg is one
 * human line without the subject, with untrusted text escaped. */
typedef struct cs_err {
	int status;
	char reason[CS_REASON_MAX];
	char subject[CS_SUBJECT_MAX];
	char msg[CS_MSG_MAX];
} cs_err;

/* Records the first failure only (later calls keep the first reason, which is
 * the root cause) and returns status, so callers can write
 * `return cs_fail(e, CS_MALFORMED, "cbor-head", "non-shortest head at %zu", off);`.
 * A NULL e is allowed and ignored. */
int cs_fail(cs_err *e, int status, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the failure that from holds into e, as cs_fail would (e keeps a
 * failure of its own); returns from->status. For a layer that tries a step
 * into a scratch record and then chooses which failure to report. */
int cs_err_take(cs_err *e, const cs_err *from);

/* Clears e to CS_OK. */
void cs_err_clear(cs_err *e);

/* Names what failed, unless a deeper layer already did (the innermost one
 * that knows the file is the most exact): so a function that opens a path
 * sets it on its way out, and cmd/ reports whatever is there. Ignored when
 * e is NULL or holds no failure. */
void cs_err_subject(cs_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes e->msg with "prefix: " (for entry names, record indexes). */
void cs_err_prefix(cs_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
