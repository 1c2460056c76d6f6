/* The rules of batch and release verification in one place, for both
 * engines (lib/verify/batch.h): what is accepted, every verdict, message,
 * count and problem, and the order in which they rank. An engine only reads
 * the records entry and schedules this work: the fast one (batch.c) on
 * worker threads in two passes, the reference one (ref.c) in a plain loop.
 * Internal to lib/verify. */
#ifndef CS_RULES_H
#define CS_RULES_H

#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

#include "bundle/reader.h"
#include "format/cose.h"
#include "verify/batch.h"
#include "verify/dupset.h"
#include "verify/released.h"

/* One record as the rules judge it. */
typedef struct cs_vr_rec {
	cs_record rec;
	uint64_t index;
	const char *reason;   /* the cheap checks', then the duplicates' and the ledger's */
	const char *deep;     /* the deep checks' verdict, which ranks last */
	uint64_t released_in; /* the ledger's verdict: the release holding the value */
	uint8_t decoded;
	uint8_t has_inst;     /* decoded, and its order requires firmware evidence whose
			       * token decodes: inst is the chip's instance id */
	uint8_t inst[CS_PSA_INSTANCE_ID_LEN];
	char msg[CS_VREC_MSG_MAX];
} cs_vr_rec;

/* What one verification carries from record to record. */
typedef struct cs_vrun {
	cs_verify *v;
	const cs_vopts *o;
	cs_err *e;
	cs_zipr *z;
	uint64_t limit;          /* items examined at most: the header's count */
	int overflow;            /* the entry holds more items than that */
	int split;               /* the entry stopped splitting: 1 inside an item, -1 not CBOR */
	uint64_t split_index, split_off;
	int stopped;             /* on_record asked to stop */
	int failed;              /* a lookup, the engine or memory failed: e is set */
	size_t xpos, xi;         /* a release's exclusions, walked in record order */
	int have_x;
	cs_exclusion x;
	cs_rclaim *claim;        /* record-released-* claims, for o->earlier */
	size_t nclaim, capclaim;
} cs_vrun;

/* Everything before the records: the options, the entries read and
 * decoded, the batch-level checks (and a release's), the records entry's
 * size against the header's count. CS_OK: r is ready and the engine reads
 * the records; any other status is cs_verify_zip's result (v or e says why). */
CS_MUST int cs_vr_begin(cs_vrun *r, cs_verify *v, cs_zipr *z, const cs_vopts *o, cs_err *e);

/* ---- the records entry, split as the rules examine it ---- */

enum { CS_VR_ITEM = 1, CS_VR_TAIL, CS_VR_END };

/* A window over the records entry. Items are split off while at least
 * CS_RECORD_MAX bytes are buffered (or the entry ends), so both engines see
 * the same records before a read error. */
typedef struct cs_vr_reader {
	cs_vrun *r;
	cs_zips *s;
	uint8_t *win;            /* CS_VERIFY_CHUNK + CS_RECORD_MAX bytes, the caller's */
	size_t have, pos;
	uint64_t base;           /* the entry's offset of win[0] */
	uint64_t index;          /* the next item's */
	uint64_t at;             /* the last item's offset in the entry */
	uint64_t bytes;          /* read so far */
	int eof, splitting, report;
} cs_vr_reader;

/* report: this pass's split failure and overflow are the ones reported. */
CS_MUST int cs_vr_read_open(cs_vr_reader *rd, cs_vrun *r, uint8_t *win, int report);
/* The next piece of the entry, in order, every byte once: CS_VR_ITEM (record
 * *index, at most CS_RECORD_MAX bytes), CS_VR_TAIL (bytes that are no record:
 * after the entry stopped splitting, or past the header's count; never
 * followed by an item) or CS_VR_END. A read error is returned as its status
 * (e is set; CS_REJECT: a zip limit). */
CS_MUST int cs_vr_read(cs_vr_reader *rd, int *what, const uint8_t **p, size_t *n, uint64_t *index);
void cs_vr_read_close(cs_vr_reader *rd);

/* ---- one record, in this order ---- */

/* Decodes record s->index from p[0..n) into s (and its envelope into c,
 * pointing into p), with its chip's instance id when r's order requires
 * firmware evidence (cs_evidence_instance); 0, or -1 with record-malformed
 * in s. */
CS_MUST int cs_vr_decode(const cs_vrun *r, cs_vr_rec *s, const uint8_t *p, size_t n, cs_cose *c);
/* The checks against the order (any thread), then, when asked and none
 * failed, the deep checks (tbs: CS_RECORD_MAX + 64 bytes of scratch; NULL
 * fails closed), whose verdict waits in s->deep. */
void cs_vr_check(const cs_vrun *r, cs_vr_rec *s, const cs_cose *c, uint8_t *tbs);
/* The duplicate types a run's records may hold: CS_DUP_SERIAL to _HWID,
 * and CS_DUP_INSTANCE when the order requires firmware evidence. */
static inline int
cs_vr_dup_types(const cs_vrun *r)
{
	return r->v->appr.required & CS_EV_FIRMWARE ? CS_DUP_INSTANCE : CS_DUP_HWID;
}
/* The value of duplicate type t (CS_DUP_SERIAL, _KEY, _HWID, _INSTANCE) in
 * a decoded record: the serial as 8 big-endian bytes in be, the key, the
 * hardware id, the instance id; NULL (*n 0) when it has none of that type.
 * Inline: the fast engine takes twelve a record. */
static inline const uint8_t *
cs_vr_dup_value(const cs_vr_rec *s, int t, uint8_t be[8], size_t *n)
{
	const cs_record *rec = &s->rec;
	int k;

	if (t == CS_DUP_SERIAL) {
		for (k = 0; k < 8; k++)
			be[k] = (uint8_t)(rec->serial >> (56 - 8 * k));
		*n = 8;
		return be;
	}
	if (t == CS_DUP_KEY) {
		*n = rec->pk_len;
		return rec->pk;
	}
	if (t == CS_DUP_INSTANCE) {
		*n = s->has_inst ? CS_PSA_INSTANCE_ID_LEN : 0;
		return s->has_inst ? s->inst : NULL;
	}
	*n = rec->hwid_len;
	return rec->hwid;
}
/* On the caller's thread, in record order, every record examined: first[k]
 * is the first earlier record holding the same value of type k + 1 (-1 when
 * none or the record holds no value of that type; every decoded record's
 * values count, whatever else fails; unused when s is not decoded). Duplicates, then the ledger, then the deep
 * verdict; then the counts, the release's exclusion for it, the claims and
 * on_record. Sets r->failed (e set) when the lookup fails. */
void cs_vr_record(cs_vrun *r, cs_vr_rec *s, const int64_t first[CS_DUP_SLOTS_PER_RECORD]);

/* After the records: rc is the engine's status (CS_REJECT: the entry broke
 * a zip limit, e says how). The entry's problems (records-malformed,
 * records-count, records-digest, exclusions past the end), the claims
 * against the releases they name, and cs_verify_zip's result. Frees what r
 * holds. */
CS_MUST int cs_vr_end(cs_vrun *r, int rc);

/* ---- the engines: read every record, hand each to cs_vr_record in order,
 * set v->records_digest (SHA-256 of the entry) and v->streamed (every
 * record read, none stopped). CS_OK or a read error's status (e set). ---- */

CS_MUST int cs_verify_fast(cs_vrun *r);
CS_MUST int cs_verify_ref(cs_vrun *r);

void cs_vr_problem(cs_verify *v, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
