/* consign-devsim: the device agent on a host, with a file as secure storage,
 * speaking the wire protocol on a pseudo-terminal, a serial port or
 * stdin/stdout, and able to misbehave on purpose for the station's tests. */
#ifndef DEVSIM_H
#define DEVSIM_H

#include <stddef.h>
#include <stdint.h>

#include "device/agent.h"

/* How a faulty device misbehaves (all off by default). */
struct faults {
	int debug_unlocked;   /* the HAL reports debug access open */
	int rng_stuck;        /* the random source returns one byte value */
	int wrong_nonce;      /* the record carries another batch nonce (validly signed) */
	int record_serial;    /* the record carries serial record_serial_value */
	uint64_t record_serial_value;
	int forge_signature;  /* the record's signature has a flipped bit */
	const char *dup_key_of; /* sign the record with the key in this storage file */
	int replay;           /* answer with the previous device's record */
	long corrupt;         /* flip a byte in this many reply frames */
	long drop;            /* drop a byte from this many reply frames */
	long noise;           /* random bytes written before every reply */
	long stall_ms;        /* wait before answering a provision request */
	long stall_done_ms;   /* wait before confirming "done" */
	int die_mid_reply;    /* write half of the record frame, then exit */
	int wrong_session;    /* answer a provision request under another session */
	/* the attesting firmware's (attest.c) */
	const char *token_replay; /* send this token file whatever the nonce */
	int token_wrong_nonce;    /* a token for another nonce than the one asked */
	int token_other_firmware; /* the last component measures other firmware */
	int token_debug;          /* lifecycle: debug (non-PSA-RoT debug), not secured */
};

/* One simulated device on the line. */
struct device {
	uint64_t serial;
	uint8_t hwid[CS_HWID_MAX];
	size_t hwid_len;
	char store[4096];
	int faulty;
};

/* The evidence parts a simulated device has (attest.c): files, each path
 * with "{serial}" replaced by the device's serial; NULL: not fitted. */
struct sim_attest {
	const char *se_key, *se_chain;   /* secure element: 32-byte scalar, chain */
	const char *iak_key, *iak_chain; /* attestation key: the same */
};

extern struct faults F;
extern struct sim_attest A;

/* Reads the software components the simulated firmware reports, one a line
 * "TYPE MEASUREMENT SIGNER" (the format of consign order create
 * --firmware-reference; TYPE * for none); 0, or -1 with why. */
int sim_components(const char *path, char *why, size_t whylen);

/* The ports of what A fits, for devices whose context is ctx (a struct
 * device); a part A leaves NULL stays NULL. */
void sim_ports(cs_dev_ports *p, void *ctx);

/* A record rewritten by a misbehaving firmware: fields changed as f says and
 * signed again with seed (the device's own, or another device's). */
int rogue_record(const uint8_t *rec, size_t n, const struct faults *f,
    const uint8_t seed[CS_DEV_SEED_LEN], uint8_t *out, size_t cap, size_t *outlen);

/* The seed inside a storage blob file (the layout in device/agent.h); 0 on
 * success. A simulated compromised device reading its own flash. */
int rogue_seed(const char *path, uint8_t seed[CS_DEV_SEED_LEN]);

#endif
