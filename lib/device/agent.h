/* The device agent: the reference code a device's firmware links to check an
 * order against the trust anchor in its firmware, make its Ed25519 key from
 * its own random source (or have its secure element make a P-256 one), keep
 * the secret in secure storage and answer with its signed record, carrying
 * the evidence the order requires. No heap: every buffer is inside cs_dev,
 * with named sizes, and the firmware provides the few functions of
 * cs_dev_hal (and cs_dev_ports for evidence). */
#ifndef CS_AGENT_H
#define CS_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/sig.h"
#include "device/wire.h"
#include "format/artifact.h"
#include "format/cose.h"
#include "util/err.h"

#define CS_DEV_ENVELOPE_MAX CS_WIRE_ENVELOPE_MAX /* one order or policy envelope */
#define CS_DEV_CHAIN_MAX CS_WIRE_CHAIN_MAX       /* policy rotations followed at once */
/* The record envelope this agent makes: ~270 bytes without evidence; with
 * it, up to the wire's and the station's limit (evidence is at most
 * CS_EV_MAX bytes of it). */
#define CS_DEV_RECORD_MAX CS_RECORD_MAX
#define CS_DEV_TBS_MAX (CS_DEV_ENVELOPE_MAX + 128) /* a Sig_structure over one envelope */
#define CS_DEV_PROT_MAX 128      /* the record's protected header */
#define CS_DEV_SEED_LEN 32
#define CS_DEV_RNG_SAMPLE 32     /* bytes in each of the two health-check samples */
#define CS_DEV_RNG_RUN_MAX 5     /* longest run of one byte value allowed in a sample */
#define CS_DEV_RNG_REPEAT_MAX 8  /* most times one value may occur in both samples */
#define CS_DEV_REPLY_MAX (CS_DEV_RECORD_MAX + 128) /* an encoded reply message */
#define CS_DEV_P256_LEN 65       /* a secure element's key: 0x04 || x || y */
#define CS_DEV_ES256_SIG_LEN 64  /* r || s, 32 bytes each, big-endian */
#define CS_DEV_NONCE_LEN 32      /* the PSA token's binding nonce */
#define CS_DEV_NONCE_DOMAIN "consign-psa-nonce-v1"

/* Secure storage holds one blob, written whole (atomically: the HAL's job):
 *   "CSDEV" 0x01 | seed (32) | order digest (32) | record length (2, BE) |
 *   record envelope | CRC-32 of all before it (4, BE)
 * The seed is all zero when the device key is a secure element's (the
 * element keeps its secret; the agent has none).
 * Empty storage (length 0) means a blank device. Anything else that does not
 * parse is refused, never overwritten: a device is keyed once. */
#define CS_DEV_STORE_MAGIC "CSDEV\x01"
#define CS_DEV_STORE_MAGIC_LEN 6
#define CS_DEV_STORE_HEAD (CS_DEV_STORE_MAGIC_LEN + CS_DEV_SEED_LEN + CS_DIGEST_LEN + 2)
#define CS_DEV_STORE_MAX (CS_DEV_STORE_HEAD + CS_DEV_RECORD_MAX + 4)

/* What the firmware trusts, compiled in (consign policy anchor writes it):
 * the policy it was built for. */
typedef struct cs_dev_anchor {
	uint8_t deployment[CS_DEPLOY_LEN];
	uint64_t version;
	uint8_t policy[CS_DIGEST_LEN];  /* the policy's digest */
	uint64_t threshold;             /* M */
	size_t ncust;                   /* N */
	uint8_t cust[CS_MAX_CUSTODIANS][CS_PK_LEN];
} cs_dev_anchor;

typedef struct cs_dev_security {
	int debug_locked;  /* 1 when debug access (JTAG/SWD) is closed for good */
	int secure_boot;   /* 1 when only the owner's firmware boots (information) */
} cs_dev_security;

/* The firmware's side. Each function returns 0 on success. ctx is passed
 * back unchanged. The agent calls them only from its own functions. */
typedef struct cs_dev_hal {
	void *ctx;
	/* n bytes from the hardware random source */
	int (*random)(void *ctx, uint8_t *out, size_t n);
	/* the whole secure-storage blob into buf[0..cap), its length in *len (0:
	 * empty); a blob longer than cap is an error */
	int (*storage_read)(void *ctx, uint8_t *buf, size_t cap, size_t *len);
	/* replaces the blob atomically: afterwards a read returns either the old
	 * blob or exactly this one, even across a power cut */
	int (*storage_write)(void *ctx, const uint8_t *buf, size_t len);
	/* the hardware unique id, 1..CS_HWID_MAX bytes */
	int (*hwid)(void *ctx, uint8_t out[CS_HWID_MAX], size_t *len);
	int (*serial)(void *ctx, uint64_t *serial);
	int (*security)(void *ctx, cs_dev_security *st);
	const char *firmware;  /* version, 1..CS_FW_MAX printable ASCII */
} cs_dev_hal;

/* Optional ports for evidence (manifests/formats.md, "Evidence"), given with
 * cs_dev_ports; a firmware without them never names them and its records
 * are as they always were. Kept out of cs_dev_hal because they are optional
 * parts of some boards, not what every device has. Each function returns 0
 * on success; ctx is passed back unchanged. A function left NULL is a port
 * the device lacks: an order that requires it is refused
 * (device-evidence-unsupported). */
typedef struct cs_dev_ports {
	void *ctx;
	/* Secure element. se_keygen: the element's P-256 key, made inside it the
	 * first time and reported after (the secret never leaves it), in
	 * consign's one encoding, 0x04 || x || y. se_sign: the ES256 signature
	 * of msg[0..n) by that key (SHA-256 computed inside the element), as
	 * r || s, 32 bytes each, big-endian. se_chain: the element's certificate
	 * chain for that key into buf[0..cap), its length in *len, framed as a
	 * record carries it: one CBOR array (definite length, shortest heads) of
	 * 1 to CS_EV_CHAIN_MAX byte strings, each one DER certificate of 1 to
	 * CS_EV_CERT_MAX bytes, leaf (the element's own certificate) first, then
	 * the maker's intermediates; the root may be left out (COSE's x5chain,
	 * RFC 9360, in its array form). */
	int (*se_keygen)(void *ctx, uint8_t pt[CS_DEV_P256_LEN]);
	int (*se_sign)(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[CS_DEV_ES256_SIG_LEN]);
	int (*se_chain)(void *ctx, uint8_t *buf, size_t cap, size_t *len);
	/* Attestation. attest_token: a PSA initial attestation token (RFC 9783;
	 * a tagged COSE_Sign1 ES256 by the chip's attestation key, at most
	 * CS_EV_TOKEN_MAX bytes) whose nonce claim is exactly these 32 bytes,
	 * into buf[0..cap). attest_chain: that attestation key's certificate
	 * chain, framed as se_chain's. */
	int (*attest_token)(void *ctx, const uint8_t nonce[CS_DEV_NONCE_LEN], uint8_t *buf,
	    size_t cap, size_t *len);
	int (*attest_chain)(void *ctx, uint8_t *buf, size_t cap, size_t *len);
} cs_dev_ports;

/* What the last cs_dev_handle call did, for the firmware's lights. */
enum cs_dev_event {
	CS_DEV_NONE,
	CS_DEV_IDENTIFIED,   /* answered a hello */
	CS_DEV_PROVISIONED,  /* answered with its record (new or stored) */
	CS_DEV_REFUSED,      /* refused a request (see last_err) */
	CS_DEV_FINISHED,     /* the station confirmed it journaled this record */
	CS_DEV_STATION_ERROR /* the station refused this device (see last_err) */
};

/* The agent's state: all working memory, so firmware can place it statically.
 * Nothing secret stays in it between calls. */
typedef struct cs_dev {
	const cs_dev_hal *hal;
	const cs_dev_ports *ports;    /* NULL: no evidence ports */
	const cs_dev_anchor *anchor;
	cs_dev_anchor trust;          /* the anchor, advanced along a rotation chain */
	cs_policy next;               /* a chain entry being checked */
	cs_order order;
	uint8_t order_digest[CS_DIGEST_LEN];
	cs_cose cose;
	uint8_t tbs[CS_DEV_TBS_MAX];
	uint8_t prot[CS_DEV_PROT_MAX];
	/* Working buffers whose uses never overlap share one place: the record
	 * payload while it is signed, the storage blob while it is built,
	 * written or read (wiped after each use: it holds the seed), and the
	 * reply, encoded last, after both. */
	union {
		uint8_t payload[CS_DEV_RECORD_MAX];
		uint8_t store[CS_DEV_STORE_MAX];
		uint8_t reply[CS_DEV_REPLY_MAX];
	};
	/* the record, after provisioning; while the record is made, the
	 * evidence the ports return, before it is copied into the payload */
	uint8_t record[CS_DEV_RECORD_MAX];
	size_t record_len;
	enum cs_dev_event event;
	cs_err last_err;
} cs_dev;

/* Binds d to the firmware's HAL and anchor (both must outlive d). */
void cs_dev_init(cs_dev *d, const cs_dev_hal *hal, const cs_dev_anchor *anchor);

/* Gives d the evidence ports of its board (after cs_dev_init; p must outlive
 * d; NULL: none). */
void cs_dev_set_ports(cs_dev *d, const cs_dev_ports *p);

/* The nonce a PSA token must carry to bind it to one record: SHA-256 over
 * the 20 ASCII bytes CS_DEV_NONCE_DOMAIN, the order's digest (cs_digest of
 * its payload) and the device key as the record carries it (32 bytes
 * Ed25519, or the 65-byte P-256 point). The same construction as
 * cs_psa_binding_nonce (lib/attest/psa.h), which verifiers use; this one is
 * the agent's, on the crypto port, for builds without lib/attest. */
void cs_dev_binding_nonce(uint8_t out[CS_DEV_NONCE_LEN], const uint8_t order_digest[CS_DIGEST_LEN],
    const uint8_t *key, size_t len);

/* The anchor of a decoded policy whose digest is pd (for the simulator and
 * for `consign policy anchor`). */
void cs_dev_anchor_from_policy(cs_dev_anchor *a, const cs_policy *p,
    const uint8_t pd[CS_DIGEST_LEN]);

/* Provisions the device for an order (a COSE_Sign envelope), after following
 * chain[0..nchain) (policy envelopes, oldest first) from the anchor. In this
 * order it checks: debug access locked (device-debug-unlocked); each chain
 * link: same deployment, version +1 naming its predecessor's digest, M of the
 * previous and M of its own custodians (policy-*); the order: deployment,
 * policy digest and M valid signatures of distinct custodians of the trusted
 * policy (order-deployment, order-policy, order-threshold); the serial inside
 * the order's range (device-serial-range). Then storage: a device already
 * keyed for this same order (same payload digest) answers its stored record
 * again and changes nothing; keyed for another order it refuses
 * (device-provisioned); unreadable storage is refused (device-storage).
 * Only a blank device goes on. The evidence the order requires
 * (cs_order.evidence) needs its ports: a device lacking one is refused
 * (device-evidence-unsupported) before it makes any key. Under an order that
 * requires secure-element evidence the device key is the element's
 * (se_keygen) and the record is signed ES256 by the element (se_sign; the
 * agent has no P-256 arithmetic to check it, the station does); otherwise
 * the random-source health check runs (device-rng-health) and the agent
 * makes an Ed25519 key from the seed and signs its record (checking the
 * signature). The record carries the element's chain (se_chain) when the
 * order requires it, and the PSA token for cs_dev_binding_nonce of the
 * order and the device key with its attestation key's chain (attest_token,
 * attest_chain) when it requires firmware evidence; evidence a port returns
 * that is not framed as agent.h says, or does not fit, is refused
 * (device-evidence) and no record is made. Then it stores seed and record,
 * and reads them back. On CS_OK *record and *len point to the record inside
 * d. Secrets are wiped on every path; none is ever returned. */
CS_MUST int cs_dev_provision(cs_dev *d, const uint8_t *order, size_t order_len,
    const uint8_t *const *chain, const size_t *chain_len, size_t nchain, const uint8_t **record,
    size_t *len, cs_err *e);

/* The station journaled the record with this payload digest: CS_OK when it is
 * this device's record, CS_REJECT (device-record-mismatch) otherwise. */
CS_MUST int cs_dev_confirm(cs_dev *d, const uint8_t digest[CS_DIGEST_LEN], cs_err *e);

/* Fills an identify reply (serial, hardware id, firmware, keyed or not, the
 * anchor); session is the hello's. */
CS_MUST int cs_dev_identify(cs_dev *d, cs_wire_msg *m, cs_err *e);

/* The protocol: handles one received message payload (a frame's content) and
 * writes the reply payload to *reply (inside d, valid until the next call),
 * *len 0 when there is nothing to answer (the station's own error message).
 * d->event tells what happened, d->last_err why a request was refused (the
 * refusal itself is the reply). A message that does not decode is answered
 * with an error under an all-zero session, which the station ignores and
 * resends. CS_MALFORMED only when the reply cannot be encoded. */
CS_MUST int cs_dev_handle(cs_dev *d, const uint8_t *msg, size_t n, const uint8_t **reply, size_t *len);

#endif
