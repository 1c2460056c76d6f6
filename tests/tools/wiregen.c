/* Writes the factory golden files of manifests/golden/ (wire-*.bin, the
 * device record, journal.bin) from the core golden policy and order and
 * fixed seeds; tests/cli/station_golden.sh checks them byte for byte.
 *   wiregen GOLDEN_DIR OUT_DIR
 *   wiregen scan FILE      one line per frame found in FILE: its payload in hex
 * The device frames are what the real agent answers, with a HAL whose
 * random source is SHA-256("consign golden device random" || counter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define TOOL_NAME "wiregen"
#include "tool.h"
#include "memhal.h"
#include "device/agent.h"
#include "station/journal.h"
#include "util/file.h"
#include "verify/trust.h"

static const char *out;
static struct memhal golden_device = {.hwid = "golden-device-0001", .serial = 1042};
static unsigned rng_counter;

static int
hal_random(void *ctx, uint8_t *o, size_t n)
{
	uint8_t seed[crypto_hash_sha256_BYTES];
	char label[64];

	(void)ctx;
	snprintf(label, sizeof label, "consign golden device random%u", rng_counter++);
	crypto_hash_sha256(seed, (const uint8_t *)label, strlen(label));
	randombytes_buf_deterministic(o, n, seed);
	return 0;
}

static size_t
frame_msg(uint8_t *f, size_t cap, cs_wire_msg *m, const uint8_t session[CS_WIRE_SESSION_LEN])
{
	static uint8_t scratch[CS_WIRE_PAYLOAD_MAX];
	size_t n;

	memcpy(m->session, session, CS_WIRE_SESSION_LEN);
	if ((n = cs_wire_msg_frame(f, cap, m, scratch, sizeof scratch)) == 0)
		die("cannot frame a message");
	return n;
}

/* The device's framed answer to a framed request. */
static size_t
device(cs_dev *d, const uint8_t *req, size_t rn, uint8_t *f, size_t cap)
{
	const uint8_t *pl, *reply;
	size_t used, plen, rlen = 0;

	if (cs_wire_scan(req, rn, &used, &pl, &plen) != CS_WIRE_FOUND ||
	    cs_dev_handle(d, pl, plen, &reply, &rlen) != CS_OK || rlen == 0)
		die("the agent did not answer");
	return cs_wire_frame(f, cap, reply, rlen);
}

/* The frames a parser finds in a file, as the receiver would deliver them. */
static int
scan(const char *path)
{
	static cs_wire_rx rx;
	const uint8_t *pl;
	uint8_t *b;
	size_t n, plen, i, off = 0;
	cs_err e;

	cs_err_clear(&e);
	if (cs_read_file(path, 1 << 20, &b, &n, &e) != CS_OK)
		die(e.msg);
	cs_wire_rx_init(&rx, 1000);
	/* the bytes arrive at once; then the line goes quiet (time 1000000), so
	 * an incomplete frame is given up and what follows it is scanned */
	for (;;) {
		int quiet = off == n;

		if (!quiet)
			off += cs_wire_rx_feed(&rx, b + off, n - off, 0);
		while (cs_wire_rx_next(&rx, &pl, &plen, quiet ? 1000000 : 0)) {
			for (i = 0; i < plen; i++)
				printf("%02x", pl[i]);
			printf("\n");
		}
		if (quiet)
			break;
	}
	cs_file_free(b, n);
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t hello[256], ident[512], prov[CS_WIRE_FRAME_MAX], rec[4096], done[256],
	    fin[256], err[512], stream[CS_WIRE_FRAME_MAX + 512];
	static cs_dev dev;
	static cs_dev_anchor anchor;
	static cs_dev_hal hal = {&golden_device, hal_random, memhal_read, memhal_write, memhal_hwid,
	    memhal_serial, memhal_security, "golden-1.0"};
	uint8_t session[32], noise[32], *pbuf, *obuf, *jbuf;
	size_t pn, on, jn, hn, in, prn, rn, dn, fn, en, sn, used, plen;
	const uint8_t *pl;
	char path[4096], jdir[4096];
	cs_wire_msg m;
	cs_signed ps, os;
	cs_policy p;
	cs_order o;
	cs_cose c;
	cs_journal j;
	cs_err e;

	if (argc == 3 && strcmp(argv[1], "scan") == 0)
		return scan(argv[2]);
	if (argc != 3)
		die("usage: wiregen GOLDEN_DIR OUT_DIR | wiregen scan FILE");
	out = argv[2];
	if (cs_crypto_init() != 0)
		die("libsodium");
	cs_err_clear(&e);
	snprintf(path, sizeof path, "%s/policy.cbor", argv[1]);
	if (cs_read_file(path, 1 << 20, &pbuf, &pn, &e) != CS_OK ||
	    cs_policy_load(&ps, &p, pbuf, pn, &e) != CS_OK)
		die(e.msg);
	snprintf(path, sizeof path, "%s/order.cbor", argv[1]);
	if (cs_read_file(path, 1 << 20, &obuf, &on, &e) != CS_OK ||
	    cs_order_load(&os, &o, obuf, on, &e) != CS_OK)
		die(e.msg);
	cs_dev_anchor_from_policy(&anchor, &p, ps.digest);
	crypto_hash_sha256(session, (const uint8_t *)"consign golden session", 22);

	/* station: hello */
	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_HELLO;
	m.proto = CS_WIRE_PROTO;
	hn = frame_msg(hello, sizeof hello, &m, session);
	cs_dev_init(&dev, &hal, &anchor);
	in = device(&dev, hello, hn, ident, sizeof ident);
	/* station: provision with the order, no chain */
	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_PROVISION;
	m.order = obuf;
	m.order_len = on;
	prn = frame_msg(prov, sizeof prov, &m, session);
	rn = device(&dev, prov, prn, rec, sizeof rec);
	if (dev.event != CS_DEV_PROVISIONED || cs_cose_decode(&c, dev.record, dev.record_len, &e) != CS_OK)
		die("the golden device was not provisioned");
	tool_put(out, "wire-record.cose", dev.record, dev.record_len);
	/* station: done, naming the record's payload digest */
	memset(&m, 0, sizeof m);
	m.type = CS_WIRE_DONE;
	cs_digest(m.digest, CS_KIND_RECORD, c.payload, c.payload_len);
	dn = frame_msg(done, sizeof done, &m, session);
	fn = device(&dev, done, dn, fin, sizeof fin);
	if (dev.event != CS_DEV_FINISHED)
		die("the golden device did not take done");
	/* journal: header, the record, its confirmation */
	snprintf(jdir, sizeof jdir, "%s/.wiregen-journal", out);
	if (cs_journal_open(&j, jdir, os.digest, 1, NULL, &e) != CS_OK ||
	    cs_journal_append(&j, dev.record, dev.record_len, &e) != CS_OK ||
	    cs_journal_confirm(&j, 0, &e) != CS_OK || cs_journal_sync(&j, &e) != CS_OK)
		die(e.msg);
	cs_journal_close(&j);
	snprintf(path, sizeof path, "%s/%s", jdir, CS_JOURNAL_FILE);
	if (cs_read_file(path, 1 << 20, &jbuf, &jn, &e) != CS_OK)
		die(e.msg);
	unlink(path);
	rmdir(jdir);
	tool_put(out, "journal.bin", jbuf, jn);
	/* a device with debug access open answers the same request with an error */
	golden_device.store_len = 0;
	golden_device.unlocked = 1;
	cs_dev_init(&dev, &hal, &anchor);
	en = device(&dev, prov, prn, err, sizeof err);
	if (dev.event != CS_DEV_REFUSED)
		die("the unlocked device did not refuse");
	/* a stream to resynchronise on: noise (start bytes among it), the
	 * provision frame with one payload bit flipped, then the hello */
	crypto_hash_sha256(noise, (const uint8_t *)"consign golden noise", 20);
	noise[3] = CS_WIRE_SOF0;
	noise[9] = CS_WIRE_SOF0;
	noise[10] = CS_WIRE_SOF1;
	sn = 0;
	memcpy(stream, noise, sizeof noise);
	sn += sizeof noise;
	memcpy(stream + sn, prov, prn);
	stream[sn + CS_WIRE_HEAD_LEN + 40] ^= 0x08;
	sn += prn;
	memcpy(stream + sn, hello, hn);
	sn += hn;
	(void)used;
	(void)pl;
	(void)plen;
	tool_put(out, "wire-hello.bin", hello, hn);
	tool_put(out, "wire-identify.bin", ident, in);
	tool_put(out, "wire-provision.bin", prov, prn);
	tool_put(out, "wire-record.bin", rec, rn);
	tool_put(out, "wire-done.bin", done, dn);
	tool_put(out, "wire-finished.bin", fin, fn);
	tool_put(out, "wire-error.bin", err, en);
	tool_put(out, "wire-stream.bin", stream, sn);
	cs_file_free(pbuf, pn);
	cs_file_free(obuf, on);
	cs_file_free(jbuf, jn);
	return 0;
}
