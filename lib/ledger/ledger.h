/* The office ledger (manifests/ledger.md): what the office has released, so a
 * batch can never be released twice, a serial, key or hardware id never
 * twice, and an order never beyond its quantity. The signed files in the
 * ledger directory are the truth; the SQLite index (ledger.db) is rebuilt
 * from them at will, and brought up to date with them whenever it is opened,
 * so a kill at any moment leaves the ledger as before or as after. */
#ifndef CS_LEDGER_H
#define CS_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "format/artifact.h"
#include "util/err.h"
#include "verify/batch.h"
#include "verify/trust.h"

#define CS_LEDGER_DB "ledger.db"
#define CS_LEDGER_RELEASES "releases"   /* NNNNNN-DIGEST.zip: signed releases */
#define CS_LEDGER_DRAFTS "drafts"       /* NNNNNN-DIGEST.cose: reserved sequences */
#define CS_LEDGER_WITHDRAWALS "withdrawals" /* NNNNNN-DIGEST.cose: signed withdrawals */
#define CS_LEDGER_PATH_MAX 4096
#define CS_LEDGER_MAX_POLICIES 256
#define CS_LEDGER_MAX_FILES 1000000     /* releases or drafts listed in one directory */

typedef struct cs_ledger cs_ledger;

typedef struct cs_ledger_info {
	uint8_t deployment[CS_DEPLOY_LEN];
	uint64_t policy_version;
	uint8_t policy_digest[CS_DIGEST_LEN];
	uint64_t tip;                       /* last release, 0 before the first */
	uint8_t tip_digest[CS_DIGEST_LEN];
	uint64_t releases, devices, drafts;
} cs_ledger_info;

/* One row for listings: a release, a draft or an order. */
typedef struct cs_ledger_row {
	uint64_t seq, count, accepted, quantity, released, signatures;
	uint8_t digest[CS_DIGEST_LEN];      /* release, draft or order digest */
	uint8_t order[CS_DIGEST_LEN];
	char batch[CS_ID_MAX + 1];
} cs_ledger_row;

enum { CS_LEDGER_LIST_RELEASES, CS_LEDGER_LIST_DRAFTS, CS_LEDGER_LIST_ORDERS };

/* Creates a ledger in dir (made if missing) pinned to the policy file
 * p[0..n), which must carry M signatures of its own custodians. Refuses a
 * directory that already holds a ledger (CS_USAGE "exists"). */
CS_MUST int cs_ledger_init(const char *dir, const uint8_t *p, size_t n, cs_err *e);

/* Opens the ledger in dir and brings its index up to date with its files:
 * a release file one past the index (a kill after its rename) is verified
 * and entered; drafts and policy files likewise. Anything else that does not
 * match is CS_MALFORMED "ledger-inconsistent" (run cs_ledger_rebuild). A
 * missing index is CS_MALFORMED "ledger-missing". */
CS_MUST int cs_ledger_open(cs_ledger **l, const char *dir, cs_err *e);
void cs_ledger_close(cs_ledger *l);

CS_MUST int cs_ledger_info_get(cs_ledger *l, cs_ledger_info *i, cs_err *e);

/* The newest policy (owned by l, valid until close) and its file's bytes. */
CS_MUST int cs_ledger_policy(cs_ledger *l, const cs_signed **s, const cs_policy **p, cs_err *e);

/* The "released before" checks for cs_verify_zip, answered from the index. */
void cs_ledger_lookup(cs_ledger *l, cs_vlookup *lk);

/* The ledger's signed release files, for cs_verify_zip to check every
 * "released before" verdict or exclusion against the release it names (so
 * an altered index is found out, not trusted). Valid while l is open. */
void cs_ledger_earlier(cs_ledger *l, cs_vearlier *ea);

/* Takes a rotation p[0..n) of the newest policy (cs_policy_verify_rotation). */
CS_MUST int cs_ledger_rotate(cs_ledger *l, const uint8_t *p, size_t n, cs_err *e);

/* Reserving a sequence for a draft: begin locks the ledger against other
 * writers and tells the next sequence and its predecessor's digest (the last
 * release's, or the last reserved draft's: drafts chain on each other);
 * reserve stores the draft (release.cose, unsigned) as a file and in the
 * index and commits; rollback gives the lock back without reserving. */
CS_MUST int cs_ledger_begin(cs_ledger *l, uint64_t *seq, int *has_prev, uint8_t prev[CS_DIGEST_LEN],
    cs_err *e);
CS_MUST int cs_ledger_reserve(cs_ledger *l, const uint8_t *draft, size_t n, cs_err *e);
void cs_ledger_rollback(cs_ledger *l);

/* The draft reserved for a batch header, 0 when none. */
CS_MUST int cs_ledger_draft_of(cs_ledger *l, const uint8_t header[CS_DIGEST_LEN], uint64_t *seq,
    cs_err *e);

/* An unsigned withdrawal (COSE_Sign of kind "withdrawal") of draft seq,
 * under the newest policy, appended to out. CS_USAGE when seq is not
 * reserved. */
CS_MUST int cs_ledger_withdrawal_draft(cs_ledger *l, uint64_t seq, cs_buf *out, cs_err *e);

/* Frees draft seq and every later draft (they chain on it); *dropped says
 * how many. The office cannot know which signed copies of a draft exist, so
 * a sequence is freed only with a withdrawal of that very draft signed by M
 * custodians of the newest policy (w[0..wn)): it is kept in the ledger, and
 * the release it names never enters the ledger afterwards. CS_USAGE when
 * seq is not reserved; CS_REJECT (withdrawal-*) when w does not withdraw it. */
CS_MUST int cs_ledger_abandon(cs_ledger *l, uint64_t seq, const uint8_t *w, size_t wn, uint64_t *dropped,
    cs_err *e);

/* Enters the signed release zip at path: copied into the ledger under a
 * temporary name, the copy verified (M signatures of the newest policy, the
 * next in the chain, every cheap check of its batch against the index, the
 * exclusion list), renamed into place, then the index committed. v receives
 * the verification (problems when CS_REJECT). *already is set when the very
 * same release was in the ledger (nothing done, CS_OK). */
CS_MUST int cs_ledger_add(cs_ledger *l, const char *path, unsigned threads, int deep, cs_verify *v,
    int *already, cs_err *e);

/* What a rebuild changed: rows the old index held that no signed file bears
 * out (it was altered, or is damaged), and rows the files give that the old
 * index lacked. */
typedef struct cs_ledger_diff {
	int had_index;                      /* an old index was there and readable */
	uint64_t devices_dropped, devices_added;
	uint64_t releases_dropped, releases_added;
	int has_example;
	uint64_t example_serial, example_seq; /* one dropped device row */
	/* chips (PSA instance ids) released: rows the old index held that no
	 * signed file bears out, and rows it lacked; chips_unrecorded: the old
	 * index predates them (no such table), every chip counts as added */
	uint64_t chips_dropped, chips_added;
	int chips_unrecorded;
} cs_ledger_diff;

/* Recreates the index of dir from its policy, release and draft files
 * (written beside it, then renamed over it); d (may be NULL) says how the
 * old index differed. The files are the truth: a release file that does
 * not verify stops the rebuild and is named. */
CS_MUST int cs_ledger_rebuild(const char *dir, cs_ledger_diff *d, cs_err *e);

/* Calls fn for each release (by sequence), draft or order. */
CS_MUST int cs_ledger_list(cs_ledger *l, int what, int (*fn)(void *ctx, const cs_ledger_row *r),
    void *ctx, cs_err *e);

#endif
