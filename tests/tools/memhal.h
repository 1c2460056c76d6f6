/* A device HAL in memory (lib/device/agent.h) for the programs that run the
 * real agent without a device: tests/unit/device_agent.c and
 * tests/tools/wiregen.c. Its store, hardware id, serial and debug state are
 * as set, its storage fails on demand, and it never allocates. The random
 * source is each program's own, with the memhal as the first member of its
 * context. */
#ifndef MEMHAL_H
#define MEMHAL_H

#include <string.h>

#include "device/agent.h"

struct memhal {
	uint8_t store[CS_DEV_STORE_MAX];
	size_t store_len;
	int fail_read, fail_write, unlocked;
	const char *hwid;
	uint64_t serial;
	long writes;
};

static int
memhal_read(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
	struct memhal *m = ctx;

	if (m->fail_read || m->store_len > cap)
		return -1;
	memcpy(buf, m->store, m->store_len);
	*len = m->store_len;
	return 0;
}

static int
memhal_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct memhal *m = ctx;

	m->writes++;
	if (m->fail_write || len > sizeof m->store)
		return -1;
	memcpy(m->store, buf, len);
	m->store_len = len;
	return 0;
}

static int
memhal_hwid(void *ctx, uint8_t out[CS_HWID_MAX], size_t *len)
{
	const char *hwid = ((struct memhal *)ctx)->hwid;

	*len = strlen(hwid);
	memcpy(out, hwid, *len);
	return 0;
}

static int
memhal_serial(void *ctx, uint64_t *serial)
{
	*serial = ((struct memhal *)ctx)->serial;
	return 0;
}

static int
memhal_security(void *ctx, cs_dev_security *st)
{
	st->debug_locked = !((struct memhal *)ctx)->unlocked;
	st->secure_boot = 1;
	return 0;
}

#endif
