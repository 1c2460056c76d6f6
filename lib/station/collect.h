/* consign station collect, the engine: serial ports in raw mode, one
 * exchange per device on each (hello, provision, done), every record checked
 * and journaled durably before its device is told it is done. Single
 * threaded: poll() over all ports, and the records that arrive together are
 * made durable with one fdatasync. Reports through callbacks; never prints. */
#ifndef CS_COLLECT_H
#define CS_COLLECT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/evidence.h"
#include "format/artifact.h"
#include "util/err.h"

#define CS_COLLECT_PORTS_MAX 64     /* serial ports one station drives */
#define CS_COLLECT_POLICIES_MAX 16  /* policies given for rotation chains */
#define CS_COLLECT_REOPEN_MS 500    /* a lost port is tried again this often */
#define CS_COLLECT_SAME_MS 500      /* a finished device still on the line: asked again after */
#define CS_COLLECT_BAUD_DEFAULT 115200
#define CS_COLLECT_CONFIRM_WAIT_MS 10000 /* default wait for late confirmations at the end */

/* A policy the station may hand to devices as part of a rotation chain. */
typedef struct cs_collect_policy {
	const uint8_t *env;
	size_t len;
	uint64_t version;
	uint8_t digest[CS_DIGEST_LEN];
} cs_collect_policy;

enum cs_collect_kind {
	CS_EV_JOURNAL,     /* the journal was opened (stats: records so far, torn bytes) */
	CS_EV_DONE,        /* a new record journaled and confirmed by its device */
	CS_EV_CONFIRMED,   /* a record journaled earlier, now confirmed by its device */
	CS_EV_UNCONFIRMED, /* journaled, but the device did not confirm (it stays in the batch) */
	CS_EV_REFUSED,     /* a device refused (by the station, or by the device itself) */
	CS_EV_PORT_LOST,   /* a port went away or cannot be opened (err says why) */
	CS_EV_PORT_BACK,   /* a lost port works again */
	CS_EV_PORT_WARNING, /* a port works, but err says what it lacks (once per port) */
};

typedef struct cs_collect_stats {
	uint64_t quantity;
	uint64_t journaled;    /* records in the journal */
	uint64_t unconfirmed;  /* journaled, device not yet confirmed */
	uint64_t added;        /* records journaled by this run */
	uint64_t refused;      /* devices refused by this run */
	uint64_t in_flight;    /* devices being provisioned now */
	uint64_t torn;         /* bytes of a torn last write discarded at start */
	size_t ports_up;
} cs_collect_stats;

typedef struct cs_collect_event {
	enum cs_collect_kind kind;
	const char *port;
	int has_serial;
	uint64_t serial;
	int by_device;         /* refused: the device's own refusal */
	const cs_err *err;     /* refused, port lost: reason and message (escaped) */
} cs_collect_event;

typedef struct cs_collect {
	const cs_order *order;
	const uint8_t *order_env;           /* the order exactly as signed */
	size_t order_len;
	uint8_t order_digest[CS_DIGEST_LEN];
	const cs_appraiser *appraiser;      /* the records' evidence; NULL: none required */
	uint64_t order_policy_version;      /* 0 when no policies are given */
	const cs_collect_policy *pol;       /* sorted by version, one per version */
	size_t npol;
	const char *const *ports;
	size_t nports;
	unsigned baud;
	unsigned timeout_ms;                /* base wait for a device's answer */
	unsigned retries;                   /* resends of a request before giving up */
	unsigned confirm_wait_ms;           /* at the end: how long to wait for devices to
					     * confirm records journaled by an earlier run */
	const char *journal_dir;
	void (*event)(void *ctx, const cs_collect_event *ev, const cs_collect_stats *st);
	void (*tick)(void *ctx, const cs_collect_stats *st); /* every loop, for progress */
	void *ctx;
	volatile sig_atomic_t *stop;        /* set from a signal handler: stop cleanly */
} cs_collect;

/* 1 when baud is a rate the station can set. */
CS_MUST int cs_collect_baud_ok(unsigned baud);

/* Takes every port first, each for the whole run (station/port.h: the
 * device node's flock and the UUCP lock file, released however the run
 * ends): a port that does not exist or is not a terminal is CS_USAGE, one
 * another process holds CS_USAGE "port-busy"; e's subject then names it
 * and nothing else is done (the journal is not opened). Then runs until the
 * order's quantity is journaled and every journaled record is confirmed by
 * its device (or confirm_wait_ms passed without a confirmation:
 * st->unconfirmed says how many are left), or until *stop. Refused devices,
 * ports lost later (tried again until they come back) and silent lines are
 * reported and the line carries on; only journal and system errors end the
 * run early (non-CS_OK, e says why). st holds the totals at the end. */
CS_MUST int cs_collect_run(const cs_collect *c, cs_collect_stats *st, cs_err *e);

#endif
