/* Verifying a batch or a release zip (docs/design.md, "What verification
 * checks"; manifests/batch.md, release.md, reasons.md): batch-level checks
 * on the header, order and release, then every record of the records
 * entry, streamed. Two engines give the same answers: the fast one
 * (batch.c: two passes over the entry, worker threads, a duplicate filter)
 * and the reference one (ref.c: one plain loop), both on the rules in
 * rules.c, which is where to read what is accepted. */
#ifndef CS_BATCH_H
#define CS_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "attest/evidence.h"
#include "bundle/reader.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/buf.h"
#include "util/err.h"
#include "verify/released.h"
#include "verify/trust.h"

#define CS_VERIFY_MAX_PROBLEMS 16   /* batch-level problems kept; more are counted */
#define CS_VERIFY_MAX_THREADS 64
#define CS_RECORD_MIN 128           /* no valid record envelope is shorter */
#define CS_VERIFY_CHUNK (256u << 10) /* records read from the zip at a time */
#define CS_VREC_MSG_MAX 160

enum { CS_V_BATCH = 3, CS_V_RELEASE = 4 };
/* CS_ENGINE_REFERENCE: the serial verifier the fast one is tested against
 * (tests/cli/verify_engines.sh, tests/fuzz/batch.c); every result the same,
 * slower, and its duplicate set holds every value (about 150 bytes a record). */
enum { CS_ENGINE_FAST = 0, CS_ENGINE_REFERENCE = 1 };
enum { CS_CHAIN_NONE = 0, CS_CHAIN_FIRST, CS_CHAIN_AFTER };

typedef struct cs_vproblem {
	char reason[CS_REASON_MAX];
	char msg[CS_MSG_MAX];
} cs_vproblem;

/* One record's verdict, handed to on_record in record order on the thread
 * that called cs_verify_zip. Pointers are valid during the call only. */
typedef struct cs_vrec {
	uint64_t index;
	int decoded;              /* rec is filled (att is not kept: NULL) */
	const cs_record *rec;
	const char *reason;       /* NULL: passes every check that ran */
	const char *msg;          /* what failed, escaped; "" when it passes */
	const uint8_t *instance;  /* the chip's PSA instance id (CS_PSA_INSTANCE_ID_LEN bytes),
				     NULL when the order requires no firmware evidence or
				     the token does not decode */
	uint64_t released_in;     /* reason record-released-*: the release holding the value */
	int excluded;             /* a release lists it as excluded */
	const char *excl_reason;  /* the release's reason for it */
	uint64_t excl_released_in; /* and, for record-released-*, the release it names */
} cs_vrec;

/* What the office remembers (the ledger), for "released before" checks.
 * Every member may be NULL. Each returns CS_OK or fills e. */
typedef struct cs_vlookup {
	void *ctx;
	/* *reason: "record-released-serial", -key, -hwid, -instance (inst: the
	 * chip's instance id, CS_PSA_INSTANCE_ID_LEN bytes, NULL when it has
	 * none), or NULL; *seq: the release that holds the value */
	int (*record)(void *ctx, const cs_record *r, const uint8_t *inst, const char **reason,
	    uint64_t *seq, cs_err *e);
	/* devices released so far under the order */
	int (*order)(void *ctx, const uint8_t digest[CS_DIGEST_LEN], uint64_t *released, cs_err *e);
	/* the release that carried this batch header, 0 when none */
	int (*batch)(void *ctx, const uint8_t header[CS_DIGEST_LEN], uint64_t *seq, cs_err *e);
} cs_vlookup;

typedef struct cs_vopts {
	const cs_policy *policy;          /* pinned */
	const uint8_t *policy_digest;
	int deep;                         /* per-record signature and prime-order checks */
	unsigned threads;                 /* for decoding and checking, this one included; 0: all cores
					     (the fast engine's) */
	int engine;                       /* CS_ENGINE_FAST (0) or CS_ENGINE_REFERENCE */
	int expect;                       /* 0, CS_V_BATCH or CS_V_RELEASE */
	int chain;                        /* releases: CS_CHAIN_* */
	int drafting;                     /* releases being signed: neither the chain nor
					     the threshold is checked (quorum still counted) */
	uint64_t after_seq;               /* CS_CHAIN_AFTER: the last imported release */
	uint8_t after_digest[CS_DIGEST_LEN];
	const uint8_t (*withdrawn)[CS_DIGEST_LEN]; /* releases: digests of withdrawn releases
					     (each withdrawal verified by the caller) */
	size_t nwithdrawn;
	const cs_vlookup *lookup;         /* NULL: no ledger */
	const cs_vearlier *earlier;       /* NULL: record-released-* claims (a release's
					     exclusions, or the lookup's verdicts) are
					     not checked against the releases they name */
	int (*on_record)(void *ctx, const cs_vrec *r); /* nonzero stops (caller's I/O error) */
	void *ctx;
} cs_vopts;

/* Everything verification learned; free with cs_verify_free. */
typedef struct cs_verify {
	int kind;                         /* CS_V_BATCH or CS_V_RELEASE */
	cs_buf header_buf, order_buf, release_buf; /* the entries' bytes */
	cs_cose header_cose;
	cs_header header;
	uint8_t header_digest[CS_DIGEST_LEN];
	cs_signed order_s;
	cs_order order;
	cs_quorum order_q;
	cs_signed release_s;              /* release_s.digest names the release */
	cs_release release;
	cs_quorum release_q;
	int have_release_q;
	cs_appraiser appr;                /* the records' evidence against the order */
	uint8_t records_digest[CS_DIGEST_LEN]; /* computed over the entry */
	uint64_t records;                 /* records found */
	uint64_t failed;                  /* records failing a check */
	uint64_t excluded;                /* release: listed and confirmed (or trusted) */
	uint64_t released;                /* ledger: devices already released under the order */
	uint64_t claims;                  /* record-released-* verdicts or exclusions */
	uint64_t claims_checked;          /* of those, found in the release they name */
	int streamed;                     /* the records were read */
	size_t nproblem;
	uint64_t more_problems;
	cs_vproblem problem[CS_VERIFY_MAX_PROBLEMS];
} cs_verify;

/* Verifies the opened zip (its layout already checked by cs_zipr_open).
 * CS_OK: accepted (a batch: every record passes; a release: every check
 * passes and its exclusion list matches). CS_REJECT: v->problem lists the
 * batch-level problems, v->failed counts failing records. CS_MALFORMED: e
 * says why the input could not be read (zip-corrupt, cbor, schema, kind, io),
 * or (ledger-inconsistent) that the lookup named an earlier release that
 * does not hold the value, when o->earlier checks it.
 * CS_USAGE: bad options. Safe to call cs_verify_free afterwards in every case.
 * Either engine gives the same result, v and on_record calls, except where
 * the input changes while it is read (the fast engine reads it twice and
 * fails with "io"), or on_record stops it (then the counts may differ). */
CS_MUST int cs_verify_zip(cs_verify *v, cs_zipr *z, const cs_vopts *o, cs_err *e);
void cs_verify_free(cs_verify *v);

/* Only reads and decodes the header, order and release entries into v (no
 * check, no signature): for inspect and for the commands that rewrite a
 * release. CS_MALFORMED with a reason when an entry is not its format. */
CS_MUST int cs_verify_load(cs_verify *v, cs_zipr *z, cs_err *e);

/* 1 when reason is a per-record reason that only the deep checks find. */
CS_MUST int cs_reason_deep(const char *reason);
/* 1 when reason is a per-record reason that only the ledger finds. */
CS_MUST int cs_reason_ledger(const char *reason);

#endif
