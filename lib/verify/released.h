/* "Already released" claims checked against the signed earlier releases:
 * an exclusion for record-released-serial, -key, -hwid or -instance names the release
 * that holds the value (manifests/release.md), and whoever has that release
 * file checks it, rather than taking the office's index on its word. */
#ifndef CS_RELEASED_H
#define CS_RELEASED_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/reader.h"
#include "format/artifact.h"
#include "util/err.h"

#define CS_RCLAIM_HASH 16

enum { CS_RCLAIM_UNCHECKED = 0, CS_RCLAIM_HELD, CS_RCLAIM_NOT_HELD, CS_RCLAIM_UNAVAILABLE };

/* One claim: record index of the batch being verified had a value (its
 * serial, key, hardware id or chip's instance id, by reason) that release
 * seq accepted. The
 * value is kept as a keyless 128-bit hash: a factory cannot find another
 * value with the same hash, and the claims of a large release stay small
 * (40 bytes each). */
typedef struct cs_rclaim {
	uint64_t seq;
	uint64_t index;
	uint8_t h[CS_RCLAIM_HASH];
	uint8_t type;                     /* 1 serial, 2 key, 3 hardware id, 4 instance id */
	uint8_t state;                    /* CS_RCLAIM_* */
} cs_rclaim;

/* Where the earlier releases are: open(seq) gives release seq's zip (closed
 * by the caller), the policy it must carry M valid signatures of, and the
 * release digest it must have (the chain the caller trusts names it); *found
 * 0 when that release is not available. CS_OK or an error in e. */
typedef struct cs_vearlier {
	void *ctx;
	int (*open)(void *ctx, uint64_t seq, cs_zipr **z, const cs_policy **pol,
	    const uint8_t **pol_digest, uint8_t digest[CS_DIGEST_LEN], int *found, cs_err *e);
	const char *where;                /* for messages: "the ledger", a directory */
} cs_vearlier;

/* The claim for reason (a record-released-* code) on record r, whose chip's
 * instance id is inst (CS_PSA_INSTANCE_ID_LEN bytes; NULL when it has none:
 * a claim of record-released-instance is then held by no release). */
void cs_rclaim_make(cs_rclaim *c, uint64_t index, uint64_t seq, const char *reason,
    const cs_record *r, const uint8_t *inst);

/* Checks every claim of c[0..n) (in any order; sorted on return by release,
 * then hash): each named release is opened once, must verify (M valid
 * signatures of its policy, its digest the one expected, its batch and
 * exclusions sound) and is streamed; a claim is HELD when a record that
 * release accepted has the value, NOT_HELD when not, UNAVAILABLE when the
 * release cannot be had (threads and engine verify each, as in cs_vopts).
 * CS_OK (states set), or CS_MALFORMED/CS_REJECT when a
 * named release is unreadable or does not verify (e says which). */
CS_MUST int cs_rclaims_check(cs_rclaim *c, size_t n, const cs_vearlier *ea, unsigned threads,
    int engine, cs_err *e);

/* The value kind a record-released-* reason names: "serial", "device key",
 * "hardware id" or "PSA instance id". */
const char *cs_rclaim_what(int type);

/* A directory of earlier release zips (a copy of a ledger's releases/, or a
 * cloud's archive), for a signer or a verifier without the ledger. Each
 * release named is found by walking the chain back from the release being
 * checked (cs_earlier_dir_bind): every release between must be there, each
 * the predecessor its successor names, and each must carry M valid
 * signatures of pol (a release made under another policy version is not
 * found: only the ledger, which holds every version, checks those). */
typedef struct cs_earlier_dir cs_earlier_dir;

/* Reads the release entries of every *.zip in dir (no records yet).
 * CS_OK, or CS_USAGE/CS_MALFORMED when dir cannot be read or two files claim
 * one sequence with different digests. */
CS_MUST int cs_earlier_dir_open(cs_earlier_dir **d, const char *dir, const cs_policy *pol,
    const uint8_t pol_digest[CS_DIGEST_LEN], cs_err *e);
/* The release being checked: its sequence and the predecessor it names. */
void cs_earlier_dir_bind(cs_earlier_dir *d, uint64_t seq, const uint8_t prev[CS_DIGEST_LEN]);
/* ea reads from d (valid until cs_earlier_dir_close). */
void cs_earlier_dir_get(cs_earlier_dir *d, cs_vearlier *ea);
/* Releases found in the directory. */
size_t cs_earlier_dir_count(const cs_earlier_dir *d);
void cs_earlier_dir_close(cs_earlier_dir *d);

#endif
