/* The station-device wire protocol (manifests/wire.md): frames with a
 * checksummed length and a CRC-32, carrying one canonical CBOR message each.
 * Hostile-input code on both ends: bounded, allocation-free, and no length is
 * trusted before it is checked against its named maximum. */
#ifndef CS_WIRE_H
#define CS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sig.h"
#include "format/artifact.h"
#include "util/buf.h"
#include "util/err.h"

#define CS_WIRE_PROTO 1            /* protocol version in hello and identify */
#define CS_WIRE_SOF0 0xc5          /* start of frame, two bytes */
#define CS_WIRE_SOF1 0x17
#define CS_WIRE_HEAD_LEN 5         /* SOF0 SOF1 LEN_HI LEN_LO CRC8(LEN) */
#define CS_WIRE_TAIL_LEN 4         /* CRC-32 (IEEE) of LEN, CRC8 and payload, big-endian */
#define CS_WIRE_PAYLOAD_MAX 16384u /* one message; a provision request is the largest */
#define CS_WIRE_FRAME_MAX (CS_WIRE_HEAD_LEN + CS_WIRE_PAYLOAD_MAX + CS_WIRE_TAIL_LEN)
#define CS_WIRE_SESSION_LEN 8      /* chosen by the station for each exchange */
#define CS_WIRE_CHAIN_MAX 4        /* policy envelopes in one provision request */
#define CS_WIRE_ENVELOPE_MAX 8192u /* one order or policy envelope */
#define CS_WIRE_TEXT_MAX 80        /* the human text of an error reply */

/* Timing (milliseconds) and retries; wire.md explains the choices. */
#define CS_WIRE_GAP_MS 100         /* silence inside a frame that abandons it */
#define CS_WIRE_HELLO_MS 250       /* station: hello retry interval */
#define CS_WIRE_REPLY_MS 5000      /* station: base wait for a record or confirmation */
#define CS_WIRE_RETRIES 3          /* station: resends of one request */

enum cs_wire_type {
	CS_WIRE_HELLO = 1,     /* station -> device: who are you */
	CS_WIRE_IDENTIFY = 2,  /* device -> station: serial, hardware id, state, anchor */
	CS_WIRE_PROVISION = 3, /* station -> device: the order and the policy chain */
	CS_WIRE_RECORD = 4,    /* device -> station: its signed record */
	CS_WIRE_DONE = 5,      /* station -> device: the record is journaled */
	CS_WIRE_FINISHED = 6,  /* device -> station: done received */
	CS_WIRE_ERROR = 7,     /* either way: a refusal with a reason code */
};

/* ---- checksums ----------------------------------------------------------- */

/* CRC-8, polynomial 0x07, initial 0 (CRC-8/SMBUS): "123456789" -> 0xf4. */
uint8_t cs_crc8(const uint8_t *p, size_t n);
/* CRC-32 (IEEE 802.3, reflected, as zlib): "123456789" -> 0xcbf43926. Chain
 * calls by passing the previous result as crc (start with 0). */
uint32_t cs_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* ---- frames -------------------------------------------------------------- */

/* Writes one frame around payload[0..n) into out[0..cap); returns the frame
 * length, or 0 when n is 0, above CS_WIRE_PAYLOAD_MAX, or the frame does not
 * fit in cap. */
size_t cs_wire_frame(uint8_t *out, size_t cap, const uint8_t *payload, size_t n);

enum cs_wire_scan_result {
	CS_WIRE_FOUND, /* a whole valid frame: p[0..*used) */
	CS_WIRE_MORE,  /* p[0..n) is a valid beginning of a frame: read more bytes */
	CS_WIRE_SKIP,  /* p[0..*used) cannot begin a frame (noise, a bad header or
			* checksum): drop those bytes and scan again */
};

/* The frame parser, for untrusted bytes (and the entry point for fuzzing:
 * call it on any buffer, then on what follows *used, until n is used up).
 * Looks at p[0..n) only and never writes. On CS_WIRE_FOUND, *payload and
 * *plen point at the message inside p. The length field is checked against
 * its own CRC-8 and against CS_WIRE_PAYLOAD_MAX before anything waits for
 * that many bytes; a frame that fails its CRC-32 is skipped by one byte only,
 * so a real frame that began inside it is still found (resynchronisation). */
enum cs_wire_scan_result cs_wire_scan(const uint8_t *p, size_t n, size_t *used,
    const uint8_t **payload, size_t *plen);

/* A streaming receiver over a fixed buffer (no allocation). Feed it bytes as
 * they arrive and pull frames out; a frame left incomplete for
 * CS_WIRE_GAP_MS without a new byte, or for frame_ms in total, is abandoned
 * and scanning resumes one byte after its start. */
typedef struct cs_wire_rx {
	uint8_t buf[CS_WIRE_FRAME_MAX];
	size_t off;        /* buf[off..len) is unconsumed */
	size_t len;
	size_t done;       /* length of the frame handed out last */
	uint64_t last_ms;  /* when the last byte arrived */
	uint64_t start_ms; /* when the bytes now at buf[0] started arriving */
	uint64_t frame_ms; /* the longest a frame may take; set from the baud rate */
	uint64_t skipped;  /* bytes dropped as noise (for diagnostics) */
	uint64_t bad;      /* frames abandoned (checksum, timeout) */
} cs_wire_rx;

void cs_wire_rx_init(cs_wire_rx *rx, uint64_t frame_ms);
/* Takes up to n bytes of p (all of them unless the buffer is full: call
 * cs_wire_rx_next and feed the rest); returns how many it took. */
size_t cs_wire_rx_feed(cs_wire_rx *rx, const uint8_t *p, size_t n, uint64_t now_ms);
/* 1 and the next complete frame's payload in *payload and *plen (valid until the
 * next call on rx), 0 when no complete frame is buffered. */
CS_MUST int cs_wire_rx_next(cs_wire_rx *rx, const uint8_t **payload, size_t *plen, uint64_t now_ms);
/* Forgets everything buffered (a new exchange, a reopened port). */
void cs_wire_rx_reset(cs_wire_rx *rx);

/* ---- messages ------------------------------------------------------------ */

/* One decoded message. Pointers borrow from the decoded payload. Which fields
 * are set depends on type (manifests/wire.md, CDDL "wire-message"). */
typedef struct cs_wire_msg {
	enum cs_wire_type type;
	uint8_t session[CS_WIRE_SESSION_LEN];
	uint64_t proto;                          /* hello, identify */
	/* identify */
	uint64_t serial;
	uint8_t hwid[CS_HWID_MAX];
	size_t hwid_len;
	char firmware[CS_FW_MAX + 1];
	int provisioned;
	uint8_t deployment[CS_DEPLOY_LEN];       /* the device's anchor */
	uint64_t anchor_version;
	uint8_t anchor_policy[CS_DIGEST_LEN];
	/* provision */
	const uint8_t *order;
	size_t order_len;
	size_t nchain;
	const uint8_t *chain[CS_WIRE_CHAIN_MAX]; /* oldest first */
	size_t chain_len[CS_WIRE_CHAIN_MAX];
	/* record */
	const uint8_t *record;
	size_t record_len;
	/* done: the payload digest of the record being confirmed */
	uint8_t digest[CS_DIGEST_LEN];
	/* error */
	char reason[CS_REASON_MAX];
	char text[CS_WIRE_TEXT_MAX + 1];
} cs_wire_msg;

/* Decodes one message: canonical CBOR, exactly the fields of its type, each
 * within its limit; CS_MALFORMED with reason "wire-message" otherwise. */
CS_MUST int cs_wire_msg_decode(cs_wire_msg *m, const uint8_t *p, size_t n, cs_err *e);

/* Appends the canonical encoding of m to out (a fixed buffer on a device).
 * CS_USAGE when a field is outside its limit, CS_MALFORMED when out is full. */
CS_MUST int cs_wire_msg_encode(cs_buf *out, const cs_wire_msg *m);

/* Encodes m and frames it into out[0..cap); returns the frame length or 0.
 * scratch (at least CS_WIRE_PAYLOAD_MAX bytes) holds the payload meanwhile. */
size_t cs_wire_msg_frame(uint8_t *out, size_t cap, const cs_wire_msg *m, uint8_t *scratch,
    size_t scratch_cap);

#endif
