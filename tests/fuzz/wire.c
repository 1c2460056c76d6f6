/* Fuzzes the station-device wire protocol's parsers: the frame scanner over
 * the whole input (every byte consumed, found payloads inside the input and
 * within the limit), the streaming receiver fed in chunks whose sizes come
 * from the input, and the message decoder on the input itself and on every
 * frame found. A message that decodes must encode back to the same bytes,
 * and its frame must scan back to it. */
#include "fuzz.h"

#include "device/wire.h"
#include "util/buf.h"

static void
message(const uint8_t *p, size_t n)
{
	static uint8_t out[CS_WIRE_PAYLOAD_MAX], frame[CS_WIRE_FRAME_MAX], scratch[CS_WIRE_PAYLOAD_MAX];
	static cs_wire_msg m;
	const uint8_t *pl;
	size_t fl, used, pn;
	cs_buf b;
	cs_err e;

	cs_err_clear(&e);
	if (!fuzz_decoded(cs_wire_msg_decode(&m, p, n, &e), &e))
		return;
	FUZZ_REQUIRE(m.type >= CS_WIRE_HELLO && m.type <= CS_WIRE_ERROR);
	cs_buf_fixed(&b, out, sizeof out);
	FUZZ_REQUIRE(cs_wire_msg_encode(&b, &m) == CS_OK);
	FUZZ_REQUIRE(b.len == n && memcmp(b.p, p, n) == 0);
	fl = cs_wire_msg_frame(frame, sizeof frame, &m, scratch, sizeof scratch);
	FUZZ_REQUIRE(fl == n + CS_WIRE_HEAD_LEN + CS_WIRE_TAIL_LEN);
	FUZZ_REQUIRE(cs_wire_scan(frame, fl, &used, &pl, &pn) == CS_WIRE_FOUND);
	FUZZ_REQUIRE(used == fl && pn == n && memcmp(pl, p, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cs_wire_rx rx;
	const uint8_t *pl;
	size_t off = 0, used, pn, took, chunk;
	uint64_t now = 0;
	enum cs_wire_scan_result r;
	int frames = 0, guard = 0;

	fuzz_init();
	message(data, size);

	while (off < size) {
		used = 0;
		r = cs_wire_scan(data + off, size - off, &used, &pl, &pn);
		if (r == CS_WIRE_MORE) {
			FUZZ_REQUIRE(size - off < CS_WIRE_FRAME_MAX);
			break;
		}
		FUZZ_REQUIRE(used >= 1 && used <= size - off);
		if (r == CS_WIRE_FOUND) {
			FUZZ_REQUIRE(pn >= 1 && pn <= CS_WIRE_PAYLOAD_MAX);
			FUZZ_REQUIRE(pl > data + off && pl + pn <= data + off + used);
			FUZZ_REQUIRE(used == pn + CS_WIRE_HEAD_LEN + CS_WIRE_TAIL_LEN);
			message(pl, pn);
			frames++;
		}
		off += used;
	}

	/* the same bytes through the receiver, in chunks of 1..64 bytes, with
	 * time passing so that gaps abandon frames now and then */
	cs_wire_rx_init(&rx, 2000);
	off = 0;
	while (off < size && guard++ < 100000) {
		chunk = 1 + data[off] % 64;
		if (chunk > size - off)
			chunk = size - off;
		now += data[off] & 0x80 ? CS_WIRE_GAP_MS + 1 : 1;
		took = cs_wire_rx_feed(&rx, data + off, chunk, now);
		FUZZ_REQUIRE(took <= chunk);
		off += took;
		while (cs_wire_rx_next(&rx, &pl, &pn, now)) {
			FUZZ_REQUIRE(pn >= 1 && pn <= CS_WIRE_PAYLOAD_MAX);
			FUZZ_REQUIRE(pl >= rx.buf && pl + pn <= rx.buf + sizeof rx.buf);
		}
		if (took == 0 && !cs_wire_rx_next(&rx, &pl, &pn, now + CS_WIRE_GAP_MS + 1))
			now += CS_WIRE_GAP_MS + 1;
	}
	FUZZ_REQUIRE(guard < 100000);
	(void)frames;
	return 0;
}
