/* The wire protocol's checksums (known answers), frame parser and receiver
 * (truncation, bad lengths, bad checksums, noise, resynchronisation,
 * abandoned frames) and message codec (round trips, strictness). */
#include <sodium.h>

#include "device/wire.h"
#include "t.h"

static const uint8_t check[] = "123456789";

/* Scans p[0..n) to its end; counts frames found and returns the last one. */
static size_t
scan_all(const uint8_t *p, size_t n, const uint8_t **last, size_t *last_len)
{
	const uint8_t *pl;
	size_t used, plen, found = 0, off = 0;
	enum cs_wire_scan_result r;

	while (off < n) {
		r = cs_wire_scan(p + off, n - off, &used, &pl, &plen);
		if (r == CS_WIRE_MORE)
			break;
		if (r == CS_WIRE_FOUND) {
			found++;
			*last = pl;
			*last_len = plen;
		}
		off += used;
	}
	return found;
}

static void
frames(void)
{
	uint8_t pay[CS_WIRE_PAYLOAD_MAX + 1], f[CS_WIRE_FRAME_MAX + 64], g[3 * CS_WIRE_FRAME_MAX];
	const uint8_t *pl;
	size_t n, used, plen, i, k, bad;
	enum cs_wire_scan_result r;

	randombytes_buf(pay, sizeof pay);
	n = cs_wire_frame(f, sizeof f, pay, 100);
	T_OK(n == 100 + CS_WIRE_HEAD_LEN + CS_WIRE_TAIL_LEN && f[0] == 0xc5 && f[1] == 0x17 &&
		 f[2] == 0 && f[3] == 100 && f[4] == cs_crc8(f + 2, 2),
	    "frame layout: SOF, length, CRC-8 of the length");
	r = cs_wire_scan(f, n, &used, &pl, &plen);
	T_OK(r == CS_WIRE_FOUND && used == n && plen == 100 && memcmp(pl, pay, 100) == 0,
	    "a frame scans back to its payload");
	T_OK(cs_wire_frame(f, sizeof f, pay, 0) == 0, "an empty payload is not framed");
	T_OK(cs_wire_frame(f, sizeof f, pay, CS_WIRE_PAYLOAD_MAX + 1) == 0,
	    "a payload above the maximum is not framed");
	T_OK(cs_wire_frame(f, 50, pay, 100) == 0, "a frame that does not fit the buffer is not made");
	n = cs_wire_frame(f, sizeof f, pay, CS_WIRE_PAYLOAD_MAX);
	r = cs_wire_scan(f, n, &used, &pl, &plen);
	T_OK(n == CS_WIRE_FRAME_MAX && r == CS_WIRE_FOUND && plen == CS_WIRE_PAYLOAD_MAX,
	    "a frame of the maximum payload scans");

	/* every proper prefix asks for more, and never reads past it */
	n = cs_wire_frame(f, sizeof f, pay, 300);
	for (i = 0, bad = 0; i < n; i++)
		if (cs_wire_scan(f, i, &used, &pl, &plen) != CS_WIRE_MORE || used != 0)
			bad++;
	T_OK(bad == 0, "every proper prefix of a frame is MORE (%zu not)", bad);

	/* every single bit flip is caught (skipped), none passes as a frame */
	for (i = 0, bad = 0; i < n * 8; i++) {
		f[i / 8] ^= (uint8_t)(1 << (i % 8));
		r = cs_wire_scan(f, n, &used, &pl, &plen);
		if (r == CS_WIRE_FOUND)
			bad++;
		f[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	T_OK(bad == 0, "no single-bit error passes as a frame (%zu did)", bad);

	/* a length above the maximum is refused from the header alone */
	f[0] = CS_WIRE_SOF0;
	f[1] = CS_WIRE_SOF1;
	f[2] = 0xff;
	f[3] = 0xff;
	f[4] = cs_crc8(f + 2, 2);
	r = cs_wire_scan(f, 5, &used, &pl, &plen);
	T_OK(r == CS_WIRE_SKIP && used == 1,
	    "a length above the maximum is skipped without waiting for its bytes");
	f[2] = 0;
	f[3] = 0;
	f[4] = cs_crc8(f + 2, 2);
	r = cs_wire_scan(f, 5, &used, &pl, &plen);
	T_OK(r == CS_WIRE_SKIP && used == 1, "a zero length is skipped");
	f[3] = 10;
	f[4] = (uint8_t)(cs_crc8(f + 2, 2) ^ 1);
	r = cs_wire_scan(f, 5, &used, &pl, &plen);
	T_OK(r == CS_WIRE_SKIP && used == 1, "a length with a bad CRC-8 is skipped at once");

	/* noise, a damaged frame and good frames: the good ones are all found */
	k = 0;
	for (i = 0; i < 37; i++)
		g[k++] = (uint8_t)(i * 91 + 7);
	g[k++] = CS_WIRE_SOF0; /* a lone start byte */
	k += cs_wire_frame(g + k, sizeof g - k, pay, 200);
	n = cs_wire_frame(g + k, sizeof g - k, pay + 1, 150);
	g[k + 60] ^= 0x10; /* damaged: its payload CRC fails */
	k += n;
	k += cs_wire_frame(g + k, sizeof g - k, pay + 2, 20);
	T_OK(scan_all(g, k, &pl, &plen) == 2 && plen == 20 && memcmp(pl, pay + 2, 20) == 0,
	    "noise and a damaged frame are skipped, both good frames found");
	/* a frame hidden inside a damaged one is still found (skip by one byte) */
	k = 0;
	g[k++] = CS_WIRE_SOF0;
	g[k++] = CS_WIRE_SOF1;
	g[k++] = 0;
	g[k++] = 60;
	g[k++] = cs_crc8(g + 2, 2);
	k += cs_wire_frame(g + k, sizeof g - k, pay, 30);
	memset(g + k, 0, 80);
	k += 80;
	T_OK(scan_all(g, k, &pl, &plen) == 1 && plen == 30 && memcmp(pl, pay, 30) == 0,
	    "a frame that begins inside a bogus frame header is found");
}

static void
receiver(void)
{
	static cs_wire_rx rx;
	uint8_t pay[400], f[1000], noise[64];
	const uint8_t *pl;
	size_t n, i, got = 0, plen;

	randombytes_buf(pay, sizeof pay);
	randombytes_buf(noise, sizeof noise);
	cs_wire_rx_init(&rx, 1000);
	n = cs_wire_frame(f, sizeof f, pay, 300);
	/* byte by byte, with noise before it */
	for (i = 0; i < sizeof noise; i++)
		cs_wire_rx_feed(&rx, noise + i, 1, 0);
	for (i = 0; i < n; i++) {
		cs_wire_rx_feed(&rx, f + i, 1, 1);
		while (cs_wire_rx_next(&rx, &pl, &plen, 1))
			got += plen == 300 && memcmp(pl, pay, 300) == 0;
	}
	T_OK(got == 1, "a frame fed byte by byte after noise arrives once");
	/* an abandoned half frame is given up after the gap, then a frame follows */
	cs_wire_rx_feed(&rx, f, n / 2, 10);
	T_OK(!cs_wire_rx_next(&rx, &pl, &plen, 10 + CS_WIRE_GAP_MS - 1),
	    "a half frame waits within the gap");
	T_OK(!cs_wire_rx_next(&rx, &pl, &plen, 10 + CS_WIRE_GAP_MS + 1) && rx.len == rx.off,
	    "a half frame is abandoned after the gap");
	cs_wire_rx_feed(&rx, f, n, 500);
	T_OK(cs_wire_rx_next(&rx, &pl, &plen, 500) && plen == 300, "the next whole frame arrives");
	/* a half frame followed at once by a whole one (a station restarted
	 * mid-frame): the whole frame is found once the half one is abandoned */
	cs_wire_rx_reset(&rx);
	cs_wire_rx_feed(&rx, f, n / 3, 1000);
	cs_wire_rx_feed(&rx, f, n, 1001);
	for (i = 0, got = 0; i <= 3000 && !got; i += 10)
		got = (size_t)cs_wire_rx_next(&rx, &pl, &plen, 1001 + i);
	T_OK(got && plen == 300 && memcmp(pl, pay, 300) == 0,
	    "a frame behind a torn one is found after the torn one is abandoned");
	/* two frames in one feed */
	cs_wire_rx_reset(&rx);
	n = cs_wire_frame(f, sizeof f, pay, 100);
	n += cs_wire_frame(f + n, sizeof f - n, pay + 100, 100);
	cs_wire_rx_feed(&rx, f, n, 5000);
	got = 0;
	while (cs_wire_rx_next(&rx, &pl, &plen, 5000))
		got++;
	T_OK(got == 2, "two frames in one read are both delivered");
	/* a full buffer of noise never wedges the receiver */
	{
		static uint8_t junk[CS_WIRE_FRAME_MAX * 2];
		size_t off = 0, k, rounds = 0;

		memset(junk, CS_WIRE_SOF0, sizeof junk);
		cs_wire_rx_reset(&rx);
		while (off < sizeof junk && rounds++ < 100000) {
			k = cs_wire_rx_feed(&rx, junk + off, sizeof junk - off, 6000);
			off += k;
			while (cs_wire_rx_next(&rx, &pl, &plen, 6000))
				;
		}
		n = cs_wire_frame(f, sizeof f, pay, 50);
		cs_wire_rx_feed(&rx, f, n, 6001);
		got = cs_wire_rx_next(&rx, &pl, &plen, 6001);
		T_OK(off == sizeof junk && got && plen == 50,
		    "a receiver flooded with start bytes still takes the next frame");
	}
}

static void
messages(void)
{
	uint8_t buf[CS_WIRE_PAYLOAD_MAX], order[600], pol[300], rec[500], frame[CS_WIRE_FRAME_MAX];
	cs_wire_msg m, d;
	cs_buf b;
	cs_err e;
	size_t n;
	int rc;

	randombytes_buf(order, sizeof order);
	randombytes_buf(pol, sizeof pol);
	randombytes_buf(rec, sizeof rec);

	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_IDENTIFY;
	randombytes_buf(m.session, sizeof m.session);
	m.proto = 1;
	m.serial = 123456789012ull;
	memcpy(m.hwid, "\x01\x02\x03hw", 5);
	m.hwid_len = 5;
	strcpy(m.firmware, "fw 2.0");
	m.provisioned = 1;
	randombytes_buf(m.deployment, sizeof m.deployment);
	m.anchor_version = 3;
	randombytes_buf(m.anchor_policy, sizeof m.anchor_policy);
	cs_buf_fixed(&b, buf, sizeof buf);
	cs_err_clear(&e);
	rc = cs_wire_msg_encode(&b, &m);
	T_OK(rc == CS_OK && cs_wire_msg_decode(&d, b.p, b.len, &e) == CS_OK &&
		 d.type == CS_WIRE_IDENTIFY && d.serial == m.serial && d.hwid_len == 5 &&
		 memcmp(d.hwid, m.hwid, 5) == 0 && strcmp(d.firmware, "fw 2.0") == 0 &&
		 d.provisioned == 1 && d.anchor_version == 3 &&
		 memcmp(d.anchor_policy, m.anchor_policy, 32) == 0 &&
		 memcmp(d.session, m.session, CS_WIRE_SESSION_LEN) == 0,
	    "identify round trips");
	T_OK(cs_cbor_check(b.p, b.len, 4, &e) == CS_OK, "identify is canonical CBOR");

	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_PROVISION;
	m.order = order;
	m.order_len = sizeof order;
	m.nchain = 2;
	m.chain[0] = pol;
	m.chain_len[0] = 100;
	m.chain[1] = pol + 100;
	m.chain_len[1] = 200;
	cs_buf_fixed(&b, buf, sizeof buf);
	rc = cs_wire_msg_encode(&b, &m);
	T_OK(rc == CS_OK && cs_wire_msg_decode(&d, b.p, b.len, &e) == CS_OK && d.nchain == 2 &&
		 d.order_len == sizeof order && memcmp(d.order, order, sizeof order) == 0 &&
		 d.chain_len[1] == 200 && memcmp(d.chain[1], pol + 100, 200) == 0,
	    "provision with a chain of two round trips");
	/* trailing byte, truncation, and every byte flipped never crash; a
	 * decoded message always re-encodes to the same bytes */
	{
		size_t i, odd = 0;
		uint8_t c2[CS_WIRE_PAYLOAD_MAX];
		cs_buf b2;

		buf[b.len] = 0;
		cs_err_clear(&e);
		T_OK(cs_wire_msg_decode(&d, b.p, b.len + 1, &e) == CS_MALFORMED &&
			 strcmp(e.reason, "wire-message") == 0,
		    "a trailing byte is refused (wire-message)");
		for (i = 0; i < b.len; i++) {
			cs_err_clear(&e);
			if (cs_wire_msg_decode(&d, b.p, i, &e) == CS_OK)
				odd++;
		}
		T_OK(odd == 0, "no truncation of a provision request decodes (%zu did)", odd);
		for (i = 0, odd = 0; i < b.len; i++) {
			b.p[i] ^= 0xff;
			cs_err_clear(&e);
			if (cs_wire_msg_decode(&d, b.p, b.len, &e) == CS_OK) {
				cs_buf_fixed(&b2, c2, sizeof c2);
				if (cs_wire_msg_encode(&b2, &d) != CS_OK || b2.len != b.len ||
				    memcmp(c2, b.p, b.len) != 0)
					odd++;
			}
			b.p[i] ^= 0xff;
		}
		T_OK(odd == 0, "whatever decodes re-encodes byte for byte (%zu did not)", odd);
	}

	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_RECORD;
	m.record = rec;
	m.record_len = sizeof rec;
	n = cs_wire_msg_frame(frame, sizeof frame, &m, buf, sizeof buf);
	{
		const uint8_t *pl;
		size_t used, plen;

		T_OK(n > 0 && cs_wire_scan(frame, n, &used, &pl, &plen) == CS_WIRE_FOUND &&
			 cs_wire_msg_decode(&d, pl, plen, &e) == CS_OK && d.type == CS_WIRE_RECORD &&
			 d.record_len == sizeof rec,
		    "a framed record message scans and decodes");
	}

	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_ERROR;
	strcpy(m.reason, "device-debug-unlocked");
	strcpy(m.text, "debug access is open");
	cs_buf_fixed(&b, buf, sizeof buf);
	T_OK(cs_wire_msg_encode(&b, &m) == CS_OK && cs_wire_msg_decode(&d, b.p, b.len, &e) == CS_OK &&
		 strcmp(d.reason, "device-debug-unlocked") == 0 &&
		 strcmp(d.text, "debug access is open") == 0,
	    "error round trips");
	strcpy(m.reason, "bad reason");
	cs_buf_fixed(&b, buf, sizeof buf);
	T_OK(cs_wire_msg_encode(&b, &m) == CS_USAGE, "a reason code with a space is not encoded");
	strcpy(m.reason, "ok");
	strcpy(m.text, "tab\there");
	cs_buf_fixed(&b, buf, sizeof buf);
	T_OK(cs_wire_msg_encode(&b, &m) == CS_USAGE, "error text with a control byte is not encoded");

	/* hand-made payloads the decoder must refuse */
	{
		static const struct {
			const char *what;
			const char *hex;
		} bad[] = {
			{"not a map", "8101"},
			{"unknown type", "a2000901480000000000000000"},
			{"hello without its version", "a2000101480000000000000000"},
			{"session of 7 bytes", "a300010147000000000000000201"},
			{"protocol version 0", "a3000101480000000000000000" "0200"},
			{"keys out of order", "a30001024801014800000000000000000201"},
			{"non-shortest type", "a3001801014800000000000000000201"},
			{"indefinite map", "bf000101480000000000000000" "0201ff"},
			{"a float value", "a3000101480000000000000000" "02f93c00"},
			{"finished with an extra field", "a3000601480000000000000000" "0200"},
			{"done with a short digest", "a3000501480000000000000000" "024100"},
		};
		uint8_t p[64];
		long len;
		size_t i;

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			len = t_unhex(p, sizeof p, bad[i].hex);
			cs_err_clear(&e);
			T_OK(len > 0 && cs_wire_msg_decode(&d, p, (size_t)len, &e) == CS_MALFORMED &&
				 strcmp(e.reason, "wire-message") == 0,
			    "refused: %s (%s)", bad[i].what, e.msg);
		}
		len = t_unhex(p, sizeof p, "a3000101480000000000000000" "0201");
		cs_err_clear(&e);
		T_OK(len > 0 && cs_wire_msg_decode(&d, p, (size_t)len, &e) == CS_OK &&
			 d.type == CS_WIRE_HELLO && d.proto == 1,
		    "the minimal hello decodes");
	}
}

int
main(void)
{
	uint32_t c;

	if (cs_crypto_init() != 0)
		return 1;
	T_OK(cs_crc8(check, 9) == 0xf4, "CRC-8/SMBUS of \"123456789\" is 0xf4 (got 0x%02x)",
	    cs_crc8(check, 9));
	T_OK(cs_crc32(0, check, 9) == 0xcbf43926u,
	    "CRC-32 of \"123456789\" is 0xcbf43926 (got 0x%08x)", cs_crc32(0, check, 9));
	c = cs_crc32(0, check, 4);
	T_OK(cs_crc32(c, check + 4, 5) == 0xcbf43926u, "CRC-32 chains over pieces");
	T_OK(cs_crc32(0, check, 0) == 0, "CRC-32 of nothing is 0");
	frames();
	receiver();
	messages();
	return t_done();
}
