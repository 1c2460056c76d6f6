/* The station's journal (manifests/journal.md): an append-only file of
 * checksummed entries in the journal directory, bound to one order. Each
 * record is made durable before its device is told it is done; a torn last
 * write is detected and discarded when the journal is opened again. */
#ifndef CS_JOURNAL_H
#define CS_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sig.h"
#include "util/err.h"

#define CS_JOURNAL_FILE "journal"
#define CS_JOURNAL_MAGIC "consign-journal\x01" /* 15 characters and the format version */
#define CS_JOURNAL_MAGIC_LEN 16
#define CS_JOURNAL_HEAD_LEN (CS_JOURNAL_MAGIC_LEN + CS_DIGEST_LEN + 4)
#define CS_JOURNAL_ENTRY_HEAD 5  /* type, length (4, big-endian) */
#define CS_JOURNAL_ENTRY_TAIL 4  /* CRC-32 of type, length and body */
#define CS_JOURNAL_RECORD 'R'    /* body: one record envelope */
#define CS_JOURNAL_CONFIRM 'C'   /* body: index (4, big-endian) of a record its device confirmed */
#define CS_JOURNAL_TAIL_MAX (64u << 20) /* damaged tail examined for later valid entries */

typedef struct cs_journal {
	int fd;
	char *path;
	uint64_t size;       /* bytes of valid journal, where the next entry goes */
	uint64_t synced;     /* bytes known to be on the medium */
	uint64_t records;    /* record entries */
	uint64_t confirmed;  /* confirmation entries */
	uint64_t torn;       /* bytes of a torn last write discarded when opened */
} cs_journal;

/* Called for each entry while a journal is opened; a non-CS_OK return stops
 * the open with that status (e has the reason). */
typedef struct cs_journal_visit {
	void *ctx;
	int (*record)(void *ctx, uint64_t index, const uint8_t *rec, size_t n, cs_err *e);
	int (*confirm)(void *ctx, uint64_t index, cs_err *e);
} cs_journal_visit;

/* Opens DIR/journal for the order with this digest, creating the directory
 * (0700) and the file when create is set, and takes an exclusive lock
 * (journal-locked when another station holds it). Replays every entry into
 * v (may be NULL). A damaged entry with no valid entry after it is a torn
 * last write: it is cut off (j->torn counts the bytes). The file is then
 * synced, so that every record found is on the medium before a station
 * tells its device "done" again. A damaged entry followed by a valid one is
 * journal-corrupt; another order's journal is journal-order. */
CS_MUST int cs_journal_open(cs_journal *j, const char *dir, const uint8_t order[CS_DIGEST_LEN],
    int create, const cs_journal_visit *v, cs_err *e);

/* Appends a record entry (not yet durable: call cs_journal_sync). A failed
 * write is cut off again so the file stays a valid journal. */
CS_MUST int cs_journal_append(cs_journal *j, const uint8_t *rec, size_t n, cs_err *e);

/* Appends a confirmation of record index (written, synced with the next
 * cs_journal_sync: losing one only means waiting for that device again). */
CS_MUST int cs_journal_confirm(cs_journal *j, uint64_t index, cs_err *e);

/* Makes everything appended so far durable (fdatasync). When that fails,
 * the file is cut back to what the last good sync made durable (records
 * and confirmations appended since are gone), the error is returned, and
 * the journal is only fit to be closed: the next open replays what is on
 * the medium. */
CS_MUST int cs_journal_sync(cs_journal *j, cs_err *e);

/* Closes and unlocks; safe on a zeroed or closed journal. */
void cs_journal_close(cs_journal *j);

/* Encodes one entry into out[0..cap); returns its length or 0 when it does
 * not fit (for tools that write golden files). */
size_t cs_journal_entry(uint8_t *out, size_t cap, int type, const uint8_t *body, size_t n);

#endif
