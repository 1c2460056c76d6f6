/* Fuzzes the device agent as a hostile station would drive it: the input is
 * a sequence of messages (each a 2-byte big-endian length and the payload)
 * handed to cs_dev_handle on a device with in-memory storage, a fixed random
 * source and the golden policy as its trust anchor. Invariants: every reply
 * fits its buffer and is a well-formed wire message; the device's seed never
 * appears in anything it sends; once keyed, the seed never changes. */
#include "fuzz.h"

#include <sodium.h>

#include "device/agent.h"
#include "util/file.h"
#include "verify/trust.h"

static uint8_t store[CS_DEV_STORE_MAX];
static size_t store_len;
static uint64_t rng_ctr;

static int
h_random(void *ctx, uint8_t *out, size_t n)
{
	uint8_t nonce[8] = {0};

	(void)ctx;
	memcpy(nonce, &rng_ctr, sizeof rng_ctr);
	rng_ctr++;
	crypto_stream_chacha20((unsigned char *)out, n, nonce,
	    (const unsigned char *)"consign fuzz device random key!!");
	return 0;
}

static int
h_read(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
	(void)ctx;
	if (store_len > cap)
		return -1;
	memcpy(buf, store, store_len);
	*len = store_len;
	return 0;
}

static int
h_write(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	if (len > sizeof store)
		return -1;
	memcpy(store, buf, len);
	store_len = len;
	return 0;
}

static int
h_hwid(void *ctx, uint8_t out[CS_HWID_MAX], size_t *len)
{
	(void)ctx;
	memset(out, 0x44, 12);
	*len = 12;
	return 0;
}

static int
h_serial(void *ctx, uint64_t *serial)
{
	(void)ctx;
	*serial = 1000;
	return 0;
}

static int
h_security(void *ctx, cs_dev_security *st)
{
	(void)ctx;
	st->debug_locked = 1;
	st->secure_boot = 1;
	return 0;
}

static const cs_dev_hal hal = {NULL, h_random, h_read, h_write, h_hwid, h_serial, h_security,
    "fuzz-1.0"};
static cs_dev_anchor anchor;
static cs_dev dev;

static void
load_anchor(void)
{
	static int done;
	const char *root = getenv("CONSIGN_TEST_ROOT");
	char path[4096];
	static cs_signed s;
	static cs_policy p;
	uint8_t *b;
	size_t n;
	cs_err e;

	if (done)
		return;
	snprintf(path, sizeof path, "%s/manifests/golden/policy.cbor", root != NULL ? root : ".");
	cs_err_clear(&e);
	FUZZ_REQUIRE(cs_read_file(path, 1 << 20, &b, &n, &e) == CS_OK);
	FUZZ_REQUIRE(cs_policy_load(&s, &p, b, n, &e) == CS_OK);
	cs_dev_anchor_from_policy(&anchor, &p, s.digest);
	cs_file_free(b, n);
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cs_wire_msg m;
	uint8_t seed[CS_DEV_SEED_LEN];
	const uint8_t *reply;
	size_t off = 0, l, rl;
	int keyed = 0;
	cs_err e;

	fuzz_init();
	load_anchor();
	store_len = 0;
	rng_ctr = 0;
	cs_dev_init(&dev, &hal, &anchor);
	while (size - off >= 2) {
		l = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (l > size - off)
			l = size - off;
		reply = NULL;
		rl = 0;
		/* a call that fails answers nothing (agent.h) */
		FUZZ_REQUIRE(cs_dev_handle(&dev, data + off, l, &reply, &rl) == CS_OK || rl == 0);
		off += l;
		FUZZ_REQUIRE(rl <= CS_DEV_REPLY_MAX);
		if (rl > 0) {
			cs_err_clear(&e);
			FUZZ_REQUIRE(reply != NULL && cs_wire_msg_decode(&m, reply, rl, &e) == CS_OK);
		}
		if (store_len >= CS_DEV_STORE_HEAD) {
			if (!keyed) {
				memcpy(seed, store + CS_DEV_STORE_MAGIC_LEN, sizeof seed);
				keyed = 1;
			}
			/* keyed once: the seed never changes */
			FUZZ_REQUIRE(memcmp(seed, store + CS_DEV_STORE_MAGIC_LEN, sizeof seed) == 0);
			FUZZ_REQUIRE(rl == 0 || memmem(reply, rl, seed, sizeof seed) == NULL);
		}
	}
	return 0;
}
