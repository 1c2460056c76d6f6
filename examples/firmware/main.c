/* The device firmware: the consign device agent on its board, answering the
 * station on the UART. Everything is static (no heap): the agent's state,
 * the receive buffer of one whole frame, and one reply frame. */
#include <string.h>

#include "board.h"
#include "device/agent.h"
#include "device/wire.h"
#include "util/fmt.h"

#define FW_VERSION "consign-fw-1 mps2-an385"
/* the longest a whole frame takes at FW_BAUD, with a margin */
#define FRAME_MS ((uint64_t)CS_WIRE_FRAME_MAX * 10 * 1000 / FW_BAUD + 500)

extern const cs_dev_anchor *const fw_anchor;

static cs_dev dev;
static cs_wire_rx rx;
static uint8_t reply_frame[CS_WIRE_HEAD_LEN + CS_DEV_REPLY_MAX + CS_WIRE_TAIL_LEN];

static int hal_random(void *c, uint8_t *o, size_t n) { (void)c; return board_random(o, n); }
static int hal_read(void *c, uint8_t *b, size_t cap, size_t *n) { (void)c; return board_storage_read(b, cap, n); }
static int hal_write(void *c, const uint8_t *b, size_t n) { (void)c; return board_storage_write(b, n); }
static int hal_hwid(void *c, uint8_t o[CS_HWID_MAX], size_t *n) { (void)c; return board_hwid(o, n); }
static int hal_serial(void *c, uint64_t *s) { (void)c; return board_serial(s); }
static int hal_security(void *c, cs_dev_security *st) { (void)c; return board_security(st); }

static const cs_dev_hal hal = {NULL, hal_random, hal_read, hal_write, hal_hwid, hal_serial,
    hal_security, FW_VERSION};

static const char *
event_name(enum cs_dev_event ev)
{
	switch (ev) {
	case CS_DEV_IDENTIFIED: return "identified";
	case CS_DEV_PROVISIONED: return "provisioned";
	case CS_DEV_REFUSED: return "refused";
	case CS_DEV_FINISHED: return "finished";
	case CS_DEV_STATION_ERROR: return "station-error";
	default: return "none";
	}
}

/* One message from the station: the agent's answer goes back at once. The
 * console line says what it cost in the emulator's virtual nanoseconds (one
 * per instruction under -icount shift=0) and how deep the stack has been. */
static void
handle(const uint8_t *msg, size_t n)
{
	const uint8_t *reply;
	char line[160], why[CS_REASON_MAX + 4];
	uint64_t c0 = board_cycles(), c1;
	size_t rlen = 0, flen;
	int rc;

	rc = cs_dev_handle(&dev, msg, n, &reply, &rlen);
	c1 = board_cycles();
	if (rc == CS_OK && rlen > 0 &&
	    (flen = cs_wire_frame(reply_frame, sizeof reply_frame, reply, rlen)) > 0)
		board_uart_write(reply_frame, flen);
	why[0] = '\0';
	if (dev.event == CS_DEV_REFUSED || dev.event == CS_DEV_STATION_ERROR)
		cs_fmt(why, sizeof why, " (%s)", dev.last_err.reason);
	cs_fmt(line, sizeof line, "fw: %s%s in %llu virtual ns, stack peak %zu bytes",
	    event_name(dev.event), why, (unsigned long long)(c1 - c0), board_stack_peak());
	board_log(line);
}

int
main(void)
{
	uint8_t buf[256];
	const uint8_t *msg;
	size_t n, off, mlen;
	char line[96];
	uint64_t serial = 0;

	board_init();
	cs_dev_init(&dev, &hal, fw_anchor);
	cs_wire_rx_init(&rx, FRAME_MS);
	board_serial(&serial);
	cs_fmt(line, sizeof line, "fw: ready, serial %llu, booted in %llu virtual ns",
	    (unsigned long long)serial, (unsigned long long)board_cycles());
	board_log(line);
	for (;;) {
		n = board_uart_read(buf, sizeof buf);
		for (off = 0; off < n;) {
			off += cs_wire_rx_feed(&rx, buf + off, n - off, board_ms());
			while (cs_wire_rx_next(&rx, &msg, &mlen, board_ms()))
				handle(msg, mlen);
		}
		/* an incomplete frame is dropped after its time even when nothing more comes */
		while (cs_wire_rx_next(&rx, &msg, &mlen, board_ms()))
			handle(msg, mlen);
		if (n == 0)
			board_idle();
	}
}
