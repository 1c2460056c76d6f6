/* The collect engine: a state machine per serial port, the batch's
 * uniqueness indexes, and group commit of records to the journal before any
 * device hears "done". */
#include "station/collect.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "device/wire.h"
#include "format/cose.h"
#include "station/check.h"
#include "station/journal.h"
#include "station/port.h"
#include "util/text.h"

#define READ_CHUNK 4096
#define POLL_MAX_MS 100
#define OUT_MAX (2 * CS_WIRE_FRAME_MAX)

enum pstate {
	P_DOWN,      /* closed; reopened at next_open */
	P_HELLO,     /* hello sent, waiting for identify */
	P_PROVISION, /* order sent, waiting for the record */
	P_JOURNAL,   /* record accepted, waiting for this loop's fdatasync */
	P_DONE,      /* done sent, waiting for the device to confirm */
	P_PAUSE,     /* between devices */
};

struct port {
	cs_port line;
	enum pstate st;
	cs_wire_rx rx;
	uint8_t session[CS_WIRE_SESSION_LEN];
	uint64_t deadline, next_open;
	unsigned tries;
	uint64_t bad0;            /* rx.bad when the exchange began */
	cs_wire_msg id;           /* the device's identify (no pointers used) */
	uint8_t last_hwid[CS_HWID_MAX];
	size_t last_hwid_len;
	uint64_t last_serial;
	int have_last;            /* last_* is a device finished on this line */
	int reserved;             /* holds one unit of the order's quantity */
	int fresh;                /* its record was journaled in this exchange */
	int64_t index;            /* journal index of its record */
	uint8_t rec[CS_RECORD_MAX];
	size_t rec_len;
	uint8_t req[CS_WIRE_FRAME_MAX]; /* the last request, resent on silence */
	size_t req_len;
	uint64_t req_ms;          /* how long to wait for its answer */
	uint8_t out[OUT_MAX];
	size_t out_off, out_len;
	int lost;                 /* reported as lost, not yet back */
	int warned;               /* its lack of TIOCEXCL was reported */
	int lost_in_journal;      /* lost while its record waited for the commit */
};

struct eng {
	const cs_collect *c;
	cs_collect_stats st;
	cs_journal j;
	cs_seen seen;
	struct port *p;
	size_t *queue;            /* ports in P_JOURNAL, in index order */
	size_t nqueue;
	uint8_t scratch[CS_WIRE_PAYLOAD_MAX];
	uint64_t frame_ms;        /* the longest a frame may take at this baud */
	uint64_t wait_until;      /* all journaled: give up waiting for confirmations then */
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const struct {
	unsigned baud;
	speed_t sp;
} bauds[] = {{9600, B9600}, {19200, B19200}, {38400, B38400}, {57600, B57600},
    {115200, B115200}, {230400, B230400}, {460800, B460800}, {921600, B921600},
    {1000000, B1000000}, {2000000, B2000000}, {3000000, B3000000}, {4000000, B4000000}};

int
cs_collect_baud_ok(unsigned baud)
{
	size_t i;

	for (i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
		if (bauds[i].baud == baud)
			return 1;
	return 0;
}

static speed_t
speed_of(unsigned baud)
{
	size_t i;

	for (i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
		if (bauds[i].baud == baud)
			return bauds[i].sp;
	return B115200;
}

/* Milliseconds n bytes take on the line (10 bits a byte), rounded up. */
static uint64_t
line_ms(const struct eng *g, size_t n)
{
	return ((uint64_t)n * 10 * 1000 + g->c->baud - 1) / g->c->baud;
}

static void
emit(struct eng *g, enum cs_collect_kind kind, struct port *p, int has_serial, uint64_t serial,
    int by_device, const cs_err *err)
{
	cs_collect_event ev = {kind, p ? p->line.path : NULL, has_serial, serial, by_device, err};

	if (g->c->event != NULL)
		g->c->event(g->c->ctx, &ev, &g->st);
}

/* ---- ports ---------------------------------------------------------------- */

/* Opens the line (first: at start, taking it for the whole run) and starts
 * its receiver afresh. */
static int
port_open(struct eng *g, struct port *p, int first, cs_err *e)
{
	cs_err w;
	int rc;

	if ((rc = cs_port_open(&p->line, speed_of(g->c->baud), first, e)) != CS_OK)
		return rc;
	if (!p->line.excl && !p->warned) {
		p->warned = 1;
		cs_err_clear(&w);
		cs_fail(&w, CS_MALFORMED, "io",
		    "the driver refused exclusive use (TIOCEXCL); a program that ignores port "
		    "locks can still open it");
		emit(g, CS_EV_PORT_WARNING, p, 0, 0, 0, &w);
	}
	cs_wire_rx_init(&p->rx, g->frame_ms);
	p->out_off = p->out_len = 0;
	return CS_OK;
}

static void
flush_out(struct port *p)
{
	ssize_t w;

	while (p->line.fd >= 0 && p->out_off < p->out_len) {
		w = write(p->line.fd, p->out + p->out_off, p->out_len - p->out_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* EAGAIN: poll says when; errors show up as a hangup on read */
		p->out_off += (size_t)w;
	}
	if (p->out_off == p->out_len)
		p->out_off = p->out_len = 0;
}

static void
queue_out(struct port *p, const uint8_t *f, size_t n)
{
	if (p->out_len + n > sizeof p->out) {
		/* the device is not reading: what it has not taken is stale anyway */
		p->out_off = p->out_len = 0;
	}
	if (p->out_off > 0 && p->out_len + n > sizeof p->out - p->out_off) {
		memmove(p->out, p->out + p->out_off, p->out_len - p->out_off);
		p->out_len -= p->out_off;
		p->out_off = 0;
	}
	memcpy(p->out + p->out_len, f, n);
	p->out_len += n;
	flush_out(p);
}

/* Frames and queues a message; keeps it as the request to resend when
 * want_ms > 0. 0 when it does not fit one frame. */
static int
send_msg(struct eng *g, struct port *p, cs_wire_msg *m, uint64_t want_ms, uint64_t now)
{
	uint8_t frame[CS_WIRE_FRAME_MAX];
	size_t n;

	memcpy(m->session, p->session, CS_WIRE_SESSION_LEN);
	if ((n = cs_wire_msg_frame(frame, sizeof frame, m, g->scratch, sizeof g->scratch)) == 0)
		return 0;
	queue_out(p, frame, n);
	if (want_ms > 0) {
		memcpy(p->req, frame, n);
		p->req_len = n;
		p->req_ms = want_ms;
		p->deadline = now + want_ms;
		p->tries = 1;
	}
	return 1;
}

static void
new_exchange(struct eng *g, struct port *p, uint64_t now)
{
	cs_wire_msg m;

	memset(&m, 0, sizeof m);
	randombytes_buf(p->session, sizeof p->session);
	p->reserved = p->fresh = 0;
	p->index = -1;
	p->bad0 = p->rx.bad;
	m.type = CS_WIRE_HELLO;
	m.proto = CS_WIRE_PROTO;
	send_msg(g, p, &m, CS_WIRE_HELLO_MS + 2 * line_ms(g, 64), now);
	p->st = P_HELLO;
}

/* The device is finished with (confirmed, refused): remember it, so that
 * while it stays on the line it is not provisioned again. */
static void
finish(struct port *p, uint64_t now, uint64_t pause_ms)
{
	memcpy(p->last_hwid, p->id.hwid, p->id.hwid_len);
	p->last_hwid_len = p->id.hwid_len;
	p->last_serial = p->id.serial;
	p->have_last = 1;
	p->st = P_PAUSE;
	p->deadline = now + pause_ms;
}

static void
release(struct eng *g, struct port *p)
{
	if (p->reserved) {
		p->reserved = 0;
		g->st.in_flight--;
	}
}

/* Refuses the device on p: tells it why (so it can show it), reports it,
 * and the line carries on with the next device. */
static void
refuse(struct eng *g, struct port *p, int by_device, uint64_t now, const char *reason,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
refuse(struct eng *g, struct port *p, int by_device, uint64_t now, const char *reason,
    const char *fmt, ...)
{
	cs_wire_msg m;
	cs_err e;
	va_list ap;
	char msg[CS_MSG_MAX];

	release(g, p);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cs_err_clear(&e);
	cs_fail(&e, CS_REJECT, reason, "%s", msg);
	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_ERROR;
	/* every reason here is a code of reasons.md; the check keeps the wire valid */
	snprintf(m.reason, sizeof m.reason, "%s", cs_id_valid(reason) ? reason : "wire-message");
	cs_escape(m.text, sizeof m.text, msg, strnlen(msg, CS_WIRE_TEXT_MAX - 8));
	if (p->line.fd >= 0)
		send_msg(g, p, &m, 0, now);
	g->st.refused++;
	emit(g, CS_EV_REFUSED, p, p->id.hwid_len > 0, p->id.serial, by_device, &e);
	finish(p, now, 0);
}

static void
port_lost(struct eng *g, struct port *p, uint64_t now, const char *why)
{
	cs_err e;

	cs_err_clear(&e);
	cs_port_close(&p->line);
	if (p->st == P_PROVISION) {
		release(g, p);
		cs_fail(&e, CS_REJECT, "device-lost", "the line went away mid-exchange");
		g->st.refused++;
		emit(g, CS_EV_REFUSED, p, 1, p->id.serial, 0, &e);
		cs_err_clear(&e);
	} else if (p->st == P_DONE) {
		cs_fail(&e, CS_REJECT, "device-lost", "the line went away before the device confirmed");
		emit(g, CS_EV_UNCONFIRMED, p, 1, p->id.serial, 0, &e);
		cs_err_clear(&e);
	}
	/* a record waiting for this loop's commit is still journaled (commit reports it) */
	p->lost_in_journal = p->st == P_JOURNAL;
	p->st = P_DOWN;
	p->have_last = 0;
	p->next_open = now + CS_COLLECT_REOPEN_MS;
	g->st.ports_up--;
	if (!p->lost) {
		p->lost = 1;
		cs_fail(&e, CS_MALFORMED, "io", "%s", why);
		emit(g, CS_EV_PORT_LOST, p, 0, 0, 0, &e);
	}
}

/* Takes port i at start. The same device under two names (a symlink and
 * its node) would otherwise be refused as held by this very station. */
static int
port_start(struct eng *g, size_t i, cs_err *e)
{
	struct stat a, b;
	size_t k;

	if (stat(g->c->ports[i], &a) != 0 || !S_ISCHR(a.st_mode))
		return port_open(g, &g->p[i], 1, e);
	for (k = 0; k < i; k++)
		if (stat(g->c->ports[k], &b) == 0 && S_ISCHR(b.st_mode) && a.st_rdev == b.st_rdev) {
			cs_fail(e, CS_USAGE, "usage", "the same device as --port %s", g->c->ports[k]);
			cs_err_subject(e, "%s", g->c->ports[i]);
			return CS_USAGE;
		}
	return port_open(g, &g->p[i], 1, e);
}

/* ---- one device's exchange ------------------------------------------------ */

/* Policies from the device's anchor to the order's policy, for its chain. */
static int
chain_for(struct eng *g, const cs_wire_msg *id, cs_wire_msg *m)
{
	const cs_collect *c = g->c;
	uint64_t v;
	size_t i;

	m->nchain = 0;
	if (c->npol == 0 || id->anchor_version >= c->order_policy_version)
		return 0;
	for (v = id->anchor_version + 1; v <= c->order_policy_version; v++) {
		for (i = 0; i < c->npol && c->pol[i].version != v; i++)
			;
		if (i == c->npol || m->nchain >= CS_WIRE_CHAIN_MAX)
			return -1;
		m->chain[m->nchain] = c->pol[i].env;
		m->chain_len[m->nchain] = c->pol[i].len;
		m->nchain++;
	}
	return 0;
}

static void
send_provision(struct eng *g, struct port *p, uint64_t now)
{
	cs_wire_msg m;
	uint64_t want;

	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_PROVISION;
	m.order = g->c->order_env;
	m.order_len = g->c->order_len;
	if (chain_for(g, &p->id, &m) != 0) {
		refuse(g, p, 0, now, "station-chain",
		    "the device trusts policy version %llu; give the policies up to version %llu "
		    "with --policy",
		    (unsigned long long)p->id.anchor_version,
		    (unsigned long long)g->c->order_policy_version);
		return;
	}
	want = g->c->timeout_ms + line_ms(g, CS_WIRE_FRAME_MAX);
	if (!send_msg(g, p, &m, want, now)) {
		refuse(g, p, 0, now, "station-chain", "the order and its policy chain do not fit one "
						      "frame");
		return;
	}
	p->bad0 = p->rx.bad; /* damage during the hello says nothing of this answer */
	p->st = P_PROVISION;
}

static int
same_hwid(const struct port *p, const uint8_t *hw, size_t n)
{
	return p->id.hwid_len == n && memcmp(p->id.hwid, hw, n) == 0;
}

static void
on_identify(struct eng *g, struct port *p, const cs_wire_msg *m, uint64_t now)
{
	const cs_order *o = g->c->order;
	uint8_t hw[CS_DIGEST_LEN];
	char esc[2 * CS_HWID_MAX + 8];
	int64_t js, jh;

	if (p->have_last && p->last_serial == m->serial && p->last_hwid_len == m->hwid_len &&
	    memcmp(p->last_hwid, m->hwid, m->hwid_len) == 0) {
		/* the device just finished is still on the line */
		p->st = P_PAUSE;
		p->deadline = now + CS_COLLECT_SAME_MS;
		return;
	}
	p->id = *m;
	p->have_last = 0;
	cs_seen_hwid_digest(hw, m->hwid, m->hwid_len);
	js = cs_seen_serial(&g->seen, m->serial);
	jh = cs_seen_hwid(&g->seen, hw);
	if (js >= 0) {
		/* journaled before: only its own device, keyed, may confirm it */
		if (sodium_memcmp(g->seen.rec[js].hwid, hw, CS_DIGEST_LEN) != 0)
			refuse(g, p, 0, now, "record-duplicate-serial",
			    "serial %llu is already in this batch, from another device",
			    (unsigned long long)m->serial);
		else if (!m->provisioned)
			refuse(g, p, 0, now, "record-duplicate-serial",
			    "serial %llu is already in this batch but this device has no key",
			    (unsigned long long)m->serial);
		else {
			p->index = js;
			send_provision(g, p, now);
		}
		return;
	}
	if (jh >= 0) {
		refuse(g, p, 0, now, "record-duplicate-hwid",
		    "hardware id %s is already in this batch (serial %llu)",
		    cs_escape(esc, sizeof esc, (const char *)m->hwid, m->hwid_len),
		    (unsigned long long)g->seen.rec[jh].serial);
		return;
	}
	/* serial range, deployment, the order's signatures: the device checks
	 * those itself (and refuses with its own reason); only the batch so far
	 * is known here alone */
	if (g->st.journaled + g->st.in_flight >= o->quantity) {
		refuse(g, p, 0, now, "station-quantity", "the order's quantity of %llu is reached; %s",
		    (unsigned long long)o->quantity,
		    m->provisioned ? "this device already has a key and is not journaled"
				   : "no key made");
		return;
	}
	p->reserved = 1;
	g->st.in_flight++;
	send_provision(g, p, now);
}

static void
send_done(struct eng *g, struct port *p, uint64_t now)
{
	cs_wire_msg m;

	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_DONE;
	memcpy(m.digest, g->seen.rec[p->index].digest, CS_DIGEST_LEN);
	send_msg(g, p, &m, g->c->timeout_ms + line_ms(g, 256), now);
	p->st = P_DONE;
}

static void
on_record(struct eng *g, struct port *p, const cs_wire_msg *m, uint64_t now)
{
	uint8_t digest[CS_DIGEST_LEN], hw[CS_DIGEST_LEN], kd[CS_DIGEST_LEN];
	uint8_t inst[CS_PSA_INSTANCE_ID_LEN];
	cs_record r;
	cs_err e;
	int64_t js;

	cs_err_clear(&e);
	memcpy(p->rec, m->record, m->record_len);
	p->rec_len = m->record_len;
	if (cs_station_check_record(g->c->order, g->c->appraiser, p->rec, p->rec_len, &r, digest,
		&e) != CS_OK) {
		refuse(g, p, 0, now, e.reason, "%s", e.msg);
		return;
	}
	cs_seen_hwid_digest(hw, r.hwid, r.hwid_len);
	cs_seen_key_digest(kd, r.pk, r.pk_len);
	js = cs_seen_serial(&g->seen, r.serial);
	if (js >= 0) {
		if (sodium_memcmp(g->seen.rec[js].digest, digest, CS_DIGEST_LEN) == 0 &&
		    r.serial == p->id.serial && same_hwid(p, r.hwid, r.hwid_len)) {
			/* the very record journaled before: confirm it, add nothing */
			release(g, p);
			p->index = js;
			send_done(g, p, now);
		} else
			refuse(g, p, 0, now, "record-duplicate-serial",
			    "serial %llu is already in this batch", (unsigned long long)r.serial);
		return;
	}
	if (cs_seen_key(&g->seen, kd) >= 0) {
		refuse(g, p, 0, now, "record-duplicate-key",
		    "device key already in this batch (serial %llu)",
		    (unsigned long long)g->seen.rec[cs_seen_key(&g->seen, kd)].serial);
		return;
	}
	if (cs_seen_hwid(&g->seen, hw) >= 0) {
		refuse(g, p, 0, now, "record-duplicate-hwid",
		    "hardware id already in this batch (serial %llu)",
		    (unsigned long long)g->seen.rec[cs_seen_hwid(&g->seen, hw)].serial);
		return;
	}
	/* a genuine chip's evidence replayed for another device */
	if (cs_evidence_instance(g->seen.evidence, &r, inst) &&
	    (js = cs_seen_instance(&g->seen, inst)) >= 0) {
		refuse(g, p, 0, now, "record-duplicate-instance",
		    "a device with the same chip (PSA instance id) is already in this batch "
		    "(serial %llu)", (unsigned long long)g->seen.rec[js].serial);
		return;
	}
	if (r.serial != p->id.serial || !same_hwid(p, r.hwid, r.hwid_len)) {
		refuse(g, p, 0, now, "device-serial-mismatch",
		    "the record is for serial %llu, the device said it is %llu",
		    (unsigned long long)r.serial, (unsigned long long)p->id.serial);
		return;
	}
	if (!p->reserved) {
		refuse(g, p, 0, now, "station-quantity", "the order's quantity is reached");
		return;
	}
	if (cs_seen_add(&g->seen, &r, digest, &e) != CS_OK) {
		refuse(g, p, 0, now, e.reason, "%s", e.msg);
		return;
	}
	p->index = (int64_t)g->seen.n - 1;
	p->st = P_JOURNAL;
	g->queue[g->nqueue++] = (size_t)(p - g->p);
}

static int
on_finished(struct eng *g, struct port *p, uint64_t now, cs_err *e)
{
	int rc;

	if (!g->seen.rec[p->index].confirmed) {
		if ((rc = cs_journal_confirm(&g->j, (uint64_t)p->index, e)) != CS_OK)
			return rc;
		g->seen.rec[p->index].confirmed = 1;
		g->st.unconfirmed--;
		g->wait_until = 0;
	}
	emit(g, p->fresh ? CS_EV_DONE : CS_EV_CONFIRMED, p, 1, p->id.serial, 0, NULL);
	finish(p, now, 0);
	return CS_OK;
}

/* One message from the device on p. Replies to an older exchange, or of the
 * wrong type for this state, are ignored: the request is resent on silence. */
static int
on_message(struct eng *g, struct port *p, const uint8_t *payload, size_t n, uint64_t now,
    cs_err *e)
{
	cs_wire_msg m;
	cs_err le;
	char esc[CS_WIRE_TEXT_MAX * 4 + 8];

	cs_err_clear(&le);
	if (cs_wire_msg_decode(&m, payload, n, &le) != CS_OK)
		return CS_OK;
	if (sodium_memcmp(m.session, p->session, CS_WIRE_SESSION_LEN) != 0)
		return CS_OK;
	if (m.type == CS_WIRE_ERROR && (p->st == P_HELLO || p->st == P_PROVISION)) {
		if (p->st == P_HELLO)
			memset(&p->id, 0, sizeof p->id);
		refuse(g, p, 1, now, m.reason, "refused by the device: %s",
		    cs_escapez(esc, sizeof esc, m.text));
		return CS_OK;
	}
	if (m.type == CS_WIRE_ERROR && p->st == P_DONE) {
		cs_fail(&le, CS_REJECT, m.reason, "the device did not take the confirmation: %s",
		    cs_escapez(esc, sizeof esc, m.text));
		emit(g, CS_EV_UNCONFIRMED, p, 1, p->id.serial, 1, &le);
		finish(p, now, 0);
		return CS_OK;
	}
	if (m.type == CS_WIRE_IDENTIFY && p->st == P_HELLO) {
		if (m.proto != CS_WIRE_PROTO) {
			p->id = m;
			refuse(g, p, 0, now, "wire-protocol", "the device speaks protocol version %llu",
			    (unsigned long long)m.proto);
			return CS_OK;
		}
		on_identify(g, p, &m, now);
	} else if (m.type == CS_WIRE_RECORD && p->st == P_PROVISION)
		on_record(g, p, &m, now);
	else if (m.type == CS_WIRE_FINISHED && p->st == P_DONE)
		return on_finished(g, p, now, e);
	return CS_OK;
}

static int
on_readable(struct eng *g, struct port *p, uint64_t now, cs_err *e)
{
	uint8_t buf[READ_CHUNK];
	const uint8_t *payload;
	size_t plen, off, k;
	ssize_t r;
	int rc;

	for (;;) {
		r = read(p->line.fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			port_lost(g, p, now, r == 0 ? "the line hung up" : strerror(errno));
			return CS_OK;
		}
		for (off = 0; off < (size_t)r;) {
			k = cs_wire_rx_feed(&p->rx, buf + off, (size_t)r - off, now);
			off += k;
			while (cs_wire_rx_next(&p->rx, &payload, &plen, now))
				if ((rc = on_message(g, p, payload, plen, now, e)) != CS_OK)
					return rc;
			if (k == 0 && off < (size_t)r)
				cs_wire_rx_reset(&p->rx); /* cannot happen: a full buffer holds a frame */
		}
	}
	return CS_OK;
}

static int
on_timer(struct eng *g, struct port *p, uint64_t now, cs_err *err)
{
	const uint8_t *payload;
	size_t plen;
	cs_err e;
	int rc, damaged;

	if (p->st == P_DOWN) {
		if (now < p->next_open || p->lost_in_journal)
			return CS_OK;
		cs_err_clear(&e);
		if (port_open(g, p, 0, &e) != CS_OK) {
			p->next_open = now + CS_COLLECT_REOPEN_MS;
			if (!p->lost) {
				p->lost = 1;
				emit(g, CS_EV_PORT_LOST, p, 0, 0, 0, &e);
			}
			return CS_OK;
		}
		g->st.ports_up++;
		if (p->lost) {
			p->lost = 0;
			emit(g, CS_EV_PORT_BACK, p, 0, 0, 0, NULL);
		}
		new_exchange(g, p, now);
		return CS_OK;
	}
	/* an abandoned partial frame may leave a complete one behind it */
	while (cs_wire_rx_next(&p->rx, &payload, &plen, now))
		if ((rc = on_message(g, p, payload, plen, now, err)) != CS_OK)
			return rc;
	if (now < p->deadline || p->st == P_JOURNAL)
		return CS_OK;
	switch (p->st) {
	case P_PAUSE: new_exchange(g, p, now); break;
	case P_HELLO:
		/* nobody on the line yet: keep asking, no failure -- unless each
		 * of the last hellos was answered by damaged frames only (one
		 * burst of noise followed by silence is an empty line) */
		damaged = p->rx.bad > p->bad0;
		p->bad0 = p->rx.bad;
		if (damaged && p->tries > g->c->retries) {
			memset(&p->id, 0, sizeof p->id);
			refuse(g, p, 0, now, "wire-frame",
			    "only damaged frames on the line after %u hellos", p->tries);
			break;
		}
		p->tries = damaged ? p->tries + 1 : 1;
		queue_out(p, p->req, p->req_len);
		p->deadline = now + p->req_ms;
		break;
	case P_PROVISION:
	case P_DONE:
		if (p->tries <= g->c->retries) {
			p->tries++;
			queue_out(p, p->req, p->req_len);
			p->deadline = now + p->req_ms;
			break;
		}
		if (p->st == P_DONE) {
			cs_err_clear(&e);
			cs_fail(&e, CS_REJECT, "device-timeout",
			    "no confirmation after %u tries; the record stays journaled", p->tries);
			emit(g, CS_EV_UNCONFIRMED, p, 1, p->id.serial, 0, &e);
			finish(p, now, 0);
		} else if (p->rx.bad > p->bad0)
			refuse(g, p, 0, now, "wire-frame",
			    "only damaged frames from the device after %u tries", p->tries);
		else
			refuse(g, p, 0, now, "device-timeout", "no answer after %u tries", p->tries);
		break;
	default: break;
	}
	return CS_OK;
}

/* Makes this loop's accepted records durable, then tells their devices. */
static int
commit(struct eng *g, uint64_t now, cs_err *e)
{
	struct port *p;
	size_t i;
	int rc;

	if (g->nqueue == 0)
		return CS_OK;
	for (i = 0; i < g->nqueue; i++) {
		p = &g->p[g->queue[i]];
		if ((rc = cs_journal_append(&g->j, p->rec, p->rec_len, e)) != CS_OK)
			return rc;
	}
	if ((rc = cs_journal_sync(&g->j, e)) != CS_OK)
		return rc;
	for (i = 0; i < g->nqueue; i++) {
		p = &g->p[g->queue[i]];
		release(g, p);
		p->fresh = 1;
		g->st.journaled++;
		g->st.added++;
		g->st.unconfirmed++;
		if (p->lost_in_journal) {
			cs_err le;

			p->lost_in_journal = 0;
			cs_err_clear(&le);
			cs_fail(&le, CS_REJECT, "device-lost",
			    "the line went away before the device was told it is done");
			emit(g, CS_EV_UNCONFIRMED, p, 1, p->id.serial, 0, &le);
		} else
			send_done(g, p, now);
	}
	g->nqueue = 0;
	return CS_OK;
}

/* ---- replaying the journal ------------------------------------------------ */

static int
visit_record(void *ctx, uint64_t index, const uint8_t *rec, size_t n, cs_err *e)
{
	struct eng *g = ctx;

	return cs_seen_add_journaled(&g->seen, index, rec, n, 0, e);
}

static int
visit_confirm(void *ctx, uint64_t index, cs_err *e)
{
	struct eng *g = ctx;

	(void)e;
	g->seen.rec[index].confirmed = 1;
	return CS_OK;
}

/* Done when the quantity is journaled, nothing is in flight, and every
 * journaled record is confirmed by its device -- or, for records left
 * unconfirmed by an earlier run (killed between its fdatasync and hearing
 * "finished"), when no confirmation came for confirm_wait_ms: their devices
 * may have been told and gone, and the records are durable either way. */
static int
complete(struct eng *g, uint64_t now)
{
	size_t i;

	if (g->st.journaled < g->c->order->quantity || g->st.in_flight > 0)
		return 0;
	for (i = 0; i < g->c->nports; i++)
		if (g->p[i].st == P_DONE || g->p[i].st == P_JOURNAL)
			return 0;
	if (g->st.unconfirmed == 0)
		return 1;
	if (g->wait_until == 0)
		g->wait_until = now + g->c->confirm_wait_ms;
	return now >= g->wait_until;
}

int
cs_collect_run(const cs_collect *c, cs_collect_stats *st, cs_err *e)
{
	static const cs_journal_visit visit0 = {NULL, visit_record, visit_confirm};
	cs_journal_visit visit = visit0;
	struct pollfd *pf = NULL;
	struct eng *g;
	uint64_t now, wait;
	size_t i, n;
	int rc = CS_OK, pr;

	memset(st, 0, sizeof *st);
	if (c->nports == 0 || c->nports > CS_COLLECT_PORTS_MAX || !cs_collect_baud_ok(c->baud))
		return cs_fail(e, CS_USAGE, "usage", "1 to %d ports at a supported baud rate",
		    CS_COLLECT_PORTS_MAX);
	if ((g = calloc(1, sizeof *g)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	g->c = c;
	g->j.fd = -1;
	g->frame_ms = CS_WIRE_GAP_MS + line_ms(g, CS_WIRE_FRAME_MAX);
	g->p = calloc(c->nports, sizeof *g->p);
	g->queue = calloc(c->nports, sizeof *g->queue);
	pf = calloc(c->nports, sizeof *pf);
	if (g->p == NULL || g->queue == NULL || pf == NULL) {
		rc = cs_fail(e, CS_MALFORMED, "system", "out of memory");
		goto done;
	}
	for (i = 0; i < c->nports; i++) {
		cs_port_init(&g->p[i].line, c->ports[i]);
		g->p[i].st = P_DOWN;
		g->p[i].index = -1;
	}
	/* every port is this station's before anything else happens: a second
	 * station on a held port must stop here, not share the devices' answers */
	for (i = 0; i < c->nports; i++) {
		if ((rc = port_start(g, i, e)) != CS_OK)
			goto done;
		/* open, and asked for a device at the first turn of the loop */
		g->p[i].st = P_PAUSE;
		g->st.ports_up++;
	}
	if ((rc = cs_seen_init(&g->seen, e)) != CS_OK)
		goto done;
	g->seen.evidence = c->order->evidence;
	visit.ctx = g;
	if ((rc = cs_journal_open(&g->j, c->journal_dir, c->order_digest, 1, &visit, e)) != CS_OK)
		goto done;
	g->st.quantity = c->order->quantity;
	g->st.journaled = g->j.records;
	g->st.torn = g->j.torn;
	for (i = 0; i < g->seen.n; i++)
		g->st.unconfirmed += !g->seen.rec[i].confirmed;
	if (g->st.journaled > c->order->quantity) {
		rc = cs_fail(e, CS_MALFORMED, "journal-corrupt",
		    "the journal holds %llu records, the order only %llu",
		    (unsigned long long)g->st.journaled, (unsigned long long)c->order->quantity);
		goto done;
	}
	emit(g, CS_EV_JOURNAL, NULL, 0, 0, 0, NULL);
	while (!(c->stop != NULL && *c->stop) && !complete(g, now_ms())) {
		now = now_ms();
		for (i = 0; i < c->nports; i++)
			if ((rc = on_timer(g, &g->p[i], now, e)) != CS_OK)
				goto done;
		if ((rc = commit(g, now, e)) != CS_OK)
			goto done;
		if (complete(g, now))
			break;
		wait = POLL_MAX_MS;
		for (i = n = 0; i < c->nports; i++) {
			struct port *p = &g->p[i];

			if (p->st != P_DOWN && p->deadline > now && p->deadline - now < wait)
				wait = p->deadline - now;
			if (p->st == P_DOWN && p->next_open > now && p->next_open - now < wait)
				wait = p->next_open - now;
			if (p->line.fd < 0)
				continue;
			pf[n].fd = p->line.fd;
			pf[n].events = (short)(POLLIN | (p->out_len > p->out_off ? POLLOUT : 0));
			pf[n].revents = 0;
			n++;
		}
		if (c->tick != NULL)
			c->tick(c->ctx, &g->st);
		pr = poll(pf, n, (int)wait);
		if (pr < 0 && errno != EINTR) {
			rc = cs_fail(e, CS_MALFORMED, "system", "poll: %s", strerror(errno));
			goto done;
		}
		now = now_ms();
		for (i = n = 0; pr > 0 && i < c->nports; i++) {
			struct port *p = &g->p[i];

			if (p->line.fd < 0)
				continue;
			if (pf[n].fd == p->line.fd && pf[n].revents != 0) {
				if (pf[n].revents & POLLOUT)
					flush_out(p);
				if (pf[n].revents & (POLLIN | POLLHUP | POLLERR)) {
					if ((rc = on_readable(g, p, now, e)) != CS_OK)
						goto done;
				}
			}
			n++;
		}
		if ((rc = commit(g, now, e)) != CS_OK)
			goto done;
	}
	/* confirmations are worth keeping across a power cut too */
	rc = cs_journal_sync(&g->j, e);
done:
	if (g != NULL) {
		*st = g->st;
		if (g->p != NULL)
			for (i = 0; i < c->nports; i++)
				cs_port_release(&g->p[i].line);
		cs_journal_close(&g->j);
		cs_seen_free(&g->seen);
		free(g->p);
		free(g->queue);
		free(g);
	}
	free(pf);
	return rc;
}
