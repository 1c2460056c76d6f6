/* Wire protocol: checksums, the frame parser and receiver, and the message
 * codec. Linked by the device agent, so nothing here allocates. */
#include "device/wire.h"

#include <string.h>

#include "format/cbor.h"

uint8_t
cs_crc8(const uint8_t *p, size_t n)
{
	uint8_t c = 0;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (b = 0; b < 8; b++)
			c = (uint8_t)((c & 0x80) ? (c << 1) ^ 0x07 : c << 1);
	}
	return c;
}

uint32_t
cs_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	/* half-byte table: small enough for any firmware, fast enough for a station */
	static const uint32_t t[16] = {0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
	    0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8,
	    0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c};
	size_t i;

	crc = ~crc;
	for (i = 0; i < n; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ t[crc & 15];
		crc = (crc >> 4) ^ t[crc & 15];
	}
	return ~crc;
}

size_t
cs_wire_frame(uint8_t *out, size_t cap, const uint8_t *payload, size_t n)
{
	uint32_t crc;
	size_t total = CS_WIRE_HEAD_LEN + n + CS_WIRE_TAIL_LEN;

	if (n == 0 || n > CS_WIRE_PAYLOAD_MAX || total > cap)
		return 0;
	out[0] = CS_WIRE_SOF0;
	out[1] = CS_WIRE_SOF1;
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	out[4] = cs_crc8(out + 2, 2);
	memmove(out + CS_WIRE_HEAD_LEN, payload, n);
	crc = cs_crc32(0, out + 2, 3 + n);
	out[total - 4] = (uint8_t)(crc >> 24);
	out[total - 3] = (uint8_t)(crc >> 16);
	out[total - 2] = (uint8_t)(crc >> 8);
	out[total - 1] = (uint8_t)crc;
	return total;
}

enum cs_wire_scan_result
cs_wire_scan(const uint8_t *p, size_t n, size_t *used, const uint8_t **payload, size_t *plen)
{
	const uint8_t *next;
	uint32_t crc, got;
	size_t len, total;

	*used = 0;
	*payload = NULL;
	*plen = 0;
	if (n == 0)
		return CS_WIRE_MORE;
	if (p[0] != CS_WIRE_SOF0) {
		next = memchr(p + 1, CS_WIRE_SOF0, n - 1);
		*used = next != NULL ? (size_t)(next - p) : n;
		return CS_WIRE_SKIP;
	}
	if (n < 2)
		return CS_WIRE_MORE;
	if (p[1] != CS_WIRE_SOF1) {
		*used = 1;
		return CS_WIRE_SKIP;
	}
	if (n < CS_WIRE_HEAD_LEN)
		return CS_WIRE_MORE;
	/* the length is trusted only once its own checksum and the limit agree */
	len = (size_t)p[2] << 8 | p[3];
	if (cs_crc8(p + 2, 2) != p[4] || len == 0 || len > CS_WIRE_PAYLOAD_MAX) {
		*used = 1;
		return CS_WIRE_SKIP;
	}
	total = CS_WIRE_HEAD_LEN + len + CS_WIRE_TAIL_LEN;
	if (n < total)
		return CS_WIRE_MORE;
	crc = cs_crc32(0, p + 2, 3 + len);
	got = (uint32_t)p[total - 4] << 24 | (uint32_t)p[total - 3] << 16 |
	      (uint32_t)p[total - 2] << 8 | p[total - 1];
	if (crc != got) {
		*used = 1;
		return CS_WIRE_SKIP;
	}
	*used = total;
	*payload = p + CS_WIRE_HEAD_LEN;
	*plen = len;
	return CS_WIRE_FOUND;
}

/* ---- receiver ------------------------------------------------------------ */

/* buf[off..len) holds the bytes not yet consumed; done is the length of the
 * frame handed out last, dropped at the next call. */
void
cs_wire_rx_init(cs_wire_rx *rx, uint64_t frame_ms)
{
	memset(rx, 0, sizeof *rx);
	rx->frame_ms = frame_ms;
}

void
cs_wire_rx_reset(cs_wire_rx *rx)
{
	rx->off = rx->len = rx->done = 0;
}

static void
drop(cs_wire_rx *rx, size_t n, uint64_t now_ms)
{
	rx->off += n;
	if (rx->off == rx->len)
		rx->off = rx->len = 0;
	/* the bytes left started a new candidate frame no earlier than now */
	rx->start_ms = now_ms;
}

size_t
cs_wire_rx_feed(cs_wire_rx *rx, const uint8_t *p, size_t n, uint64_t now_ms)
{
	size_t room;

	if (rx->done > 0) {
		drop(rx, rx->done, now_ms);
		rx->done = 0;
	}
	if (rx->off > 0 && rx->len == sizeof rx->buf) {
		memmove(rx->buf, rx->buf + rx->off, rx->len - rx->off);
		rx->len -= rx->off;
		rx->off = 0;
	}
	room = sizeof rx->buf - rx->len;
	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	if (rx->len == rx->off)
		rx->start_ms = now_ms;
	memcpy(rx->buf + rx->len, p, n);
	rx->len += n;
	rx->last_ms = now_ms;
	return n;
}

int
cs_wire_rx_next(cs_wire_rx *rx, const uint8_t **payload, size_t *plen, uint64_t now_ms)
{
	enum cs_wire_scan_result r;
	size_t used;

	if (rx->done > 0) {
		drop(rx, rx->done, now_ms);
		rx->done = 0;
	}
	while (rx->off < rx->len) {
		r = cs_wire_scan(rx->buf + rx->off, rx->len - rx->off, &used, payload, plen);
		if (r == CS_WIRE_FOUND) {
			rx->done = used;
			return 1;
		}
		if (r == CS_WIRE_SKIP) {
			if (used > 1 || rx->buf[rx->off] != CS_WIRE_SOF0)
				rx->skipped += used;
			else
				rx->bad++;
			drop(rx, used, now_ms);
			continue;
		}
		/* an incomplete frame: wait, unless the sender has gone quiet or slow */
		if (now_ms - rx->last_ms < CS_WIRE_GAP_MS && now_ms - rx->start_ms < rx->frame_ms)
			break;
		rx->bad++;
		drop(rx, 1, now_ms);
	}
	*payload = NULL;
	*plen = 0;
	return 0;
}

/* ---- messages ------------------------------------------------------------ */

/* Number of map entries (keys 0..n-1) each message type has. */
static size_t
fields_of(uint64_t type)
{
	switch (type) {
	case CS_WIRE_HELLO: return 3;
	case CS_WIRE_IDENTIFY: return 10;
	case CS_WIRE_PROVISION: return 4;
	case CS_WIRE_RECORD: return 3;
	case CS_WIRE_DONE: return 3;
	case CS_WIRE_FINISHED: return 2;
	case CS_WIRE_ERROR: return 4;
	default: return 0;
	}
}

static int
get_field(cs_cr *r, cs_wire_msg *m, uint64_t key)
{
	const uint8_t *b;
	const char *s;
	size_t n, i;
	int rc;

	if (key == 1)
		return cs_cr_bytes_fixed(r, m->session, CS_WIRE_SESSION_LEN);
	switch (m->type * 16 + key) {
	case CS_WIRE_HELLO * 16 + 2:
	case CS_WIRE_IDENTIFY * 16 + 2:
		if ((rc = cs_cr_uint(r, &m->proto)) == CS_OK && m->proto == 0)
			rc = cs_cr_schema(r, "protocol version 0");
		return rc;
	case CS_WIRE_IDENTIFY * 16 + 3: return cs_cr_uint(r, &m->serial);
	case CS_WIRE_IDENTIFY * 16 + 4:
		if ((rc = cs_cr_bytes(r, &b, &m->hwid_len, 1, CS_HWID_MAX)) == CS_OK)
			memcpy(m->hwid, b, m->hwid_len);
		return rc;
	case CS_WIRE_IDENTIFY * 16 + 5: return cs_cr_textz(r, m->firmware, sizeof m->firmware, 1);
	case CS_WIRE_IDENTIFY * 16 + 6: return cs_cr_bool(r, &m->provisioned);
	case CS_WIRE_IDENTIFY * 16 + 7: return cs_cr_bytes_fixed(r, m->deployment, CS_DEPLOY_LEN);
	case CS_WIRE_IDENTIFY * 16 + 8:
		if ((rc = cs_cr_uint(r, &m->anchor_version)) == CS_OK && m->anchor_version == 0)
			rc = cs_cr_schema(r, "anchor version 0");
		return rc;
	case CS_WIRE_IDENTIFY * 16 + 9:
		return cs_cr_bytes_fixed(r, m->anchor_policy, CS_DIGEST_LEN);
	case CS_WIRE_PROVISION * 16 + 2:
		return cs_cr_bytes(r, &m->order, &m->order_len, 1, CS_WIRE_ENVELOPE_MAX);
	case CS_WIRE_PROVISION * 16 + 3:
		if ((rc = cs_cr_array(r, &m->nchain, 0, CS_WIRE_CHAIN_MAX)) != CS_OK)
			return rc;
		for (i = 0; i < m->nchain; i++)
			if ((rc = cs_cr_bytes(r, &m->chain[i], &m->chain_len[i], 1,
				 CS_WIRE_ENVELOPE_MAX)) != CS_OK)
				return rc;
		return CS_OK;
	case CS_WIRE_RECORD * 16 + 2:
		return cs_cr_bytes(r, &m->record, &m->record_len, 1, CS_RECORD_MAX);
	case CS_WIRE_DONE * 16 + 2: return cs_cr_bytes_fixed(r, m->digest, CS_DIGEST_LEN);
	case CS_WIRE_ERROR * 16 + 2:
		if ((rc = cs_cr_textz(r, m->reason, sizeof m->reason, 1)) == CS_OK &&
		    !cs_id_valid(m->reason))
			rc = cs_cr_schema(r, "reason code with characters outside [A-Za-z0-9._-]");
		return rc;
	case CS_WIRE_ERROR * 16 + 3:
		if ((rc = cs_cr_text(r, &s, &n, 0, CS_WIRE_TEXT_MAX)) == CS_OK) {
			memcpy(m->text, s, n);
			m->text[n] = '\0';
		}
		return rc;
	}
	return cs_cr_schema(r, "unexpected field %llu", (unsigned long long)key);
}

int
cs_wire_msg_decode(cs_wire_msg *m, const uint8_t *p, size_t n, cs_err *e)
{
	cs_err le;
	cs_cr r;
	uint64_t key, type;
	int64_t prev = -1;
	size_t entries, i;
	int rc;

	memset(m, 0, sizeof *m);
	cs_err_clear(&le);
	cs_cr_init(&r, p, n, &le);
	if ((rc = cs_cr_map(&r, &entries, 2, 10)) != CS_OK)
		goto fail;
	if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
		goto fail;
	if (key != 0 || (rc = cs_cr_uint(&r, &type)) != CS_OK) {
		rc = rc != CS_OK ? rc : cs_cr_schema(&r, "field 0 (message type) missing");
		goto fail;
	}
	if (fields_of(type) == 0 || entries != fields_of(type)) {
		rc = cs_cr_schema(&r, "message type %llu with %zu fields", (unsigned long long)type,
		    entries);
		goto fail;
	}
	m->type = (enum cs_wire_type)type;
	for (i = 1; i < entries; i++) {
		if ((rc = cs_cr_key(&r, &key, &prev)) != CS_OK)
			goto fail;
		if (key != i) {
			rc = cs_cr_schema(&r, "field %zu missing", i);
			goto fail;
		}
		if ((rc = get_field(&r, m, key)) != CS_OK)
			goto fail;
	}
	if ((rc = cs_cr_done(&r)) != CS_OK)
		goto fail;
	return CS_OK;
fail:
	return cs_fail(e, CS_MALFORMED, "wire-message", "%s", le.msg);
}

int
cs_wire_msg_encode(cs_buf *out, const cs_wire_msg *m)
{
	cs_cw w;
	size_t i;

	if (fields_of(m->type) == 0)
		return CS_USAGE;
	switch (m->type) {
	case CS_WIRE_IDENTIFY:
		if (m->hwid_len == 0 || m->hwid_len > CS_HWID_MAX ||
		    !cs_text_valid(m->firmware, CS_FW_MAX) || m->anchor_version == 0 || m->proto == 0)
			return CS_USAGE;
		break;
	case CS_WIRE_HELLO:
		if (m->proto == 0)
			return CS_USAGE;
		break;
	case CS_WIRE_PROVISION:
		if (m->order_len == 0 || m->order_len > CS_WIRE_ENVELOPE_MAX ||
		    m->nchain > CS_WIRE_CHAIN_MAX)
			return CS_USAGE;
		for (i = 0; i < m->nchain; i++)
			if (m->chain_len[i] == 0 || m->chain_len[i] > CS_WIRE_ENVELOPE_MAX)
				return CS_USAGE;
		break;
	case CS_WIRE_RECORD:
		if (m->record_len == 0 || m->record_len > CS_RECORD_MAX)
			return CS_USAGE;
		break;
	case CS_WIRE_ERROR:
		if (!cs_id_valid(m->reason) || strlen(m->reason) >= CS_REASON_MAX ||
		    (m->text[0] != '\0' && !cs_text_valid(m->text, CS_WIRE_TEXT_MAX)))
			return CS_USAGE;
		break;
	default: break;
	}
	cs_cw_init(&w, out);
	cs_cw_map_begin(&w);
	cs_cw_uint(&w, 0);
	cs_cw_uint(&w, m->type);
	cs_cw_uint(&w, 1);
	cs_cw_bytes(&w, m->session, CS_WIRE_SESSION_LEN);
	switch (m->type) {
	case CS_WIRE_HELLO:
		cs_cw_uint(&w, 2);
		cs_cw_uint(&w, m->proto);
		break;
	case CS_WIRE_IDENTIFY:
		cs_cw_uint(&w, 2);
		cs_cw_uint(&w, m->proto);
		cs_cw_uint(&w, 3);
		cs_cw_uint(&w, m->serial);
		cs_cw_uint(&w, 4);
		cs_cw_bytes(&w, m->hwid, m->hwid_len);
		cs_cw_uint(&w, 5);
		cs_cw_textz(&w, m->firmware);
		cs_cw_uint(&w, 6);
		cs_cw_bool(&w, m->provisioned);
		cs_cw_uint(&w, 7);
		cs_cw_bytes(&w, m->deployment, CS_DEPLOY_LEN);
		cs_cw_uint(&w, 8);
		cs_cw_uint(&w, m->anchor_version);
		cs_cw_uint(&w, 9);
		cs_cw_bytes(&w, m->anchor_policy, CS_DIGEST_LEN);
		break;
	case CS_WIRE_PROVISION:
		cs_cw_uint(&w, 2);
		cs_cw_bytes(&w, m->order, m->order_len);
		cs_cw_uint(&w, 3);
		cs_cw_array_begin(&w);
		for (i = 0; i < m->nchain; i++)
			cs_cw_bytes(&w, m->chain[i], m->chain_len[i]);
		cs_cw_array_end(&w);
		break;
	case CS_WIRE_RECORD:
		cs_cw_uint(&w, 2);
		cs_cw_bytes(&w, m->record, m->record_len);
		break;
	case CS_WIRE_DONE:
		cs_cw_uint(&w, 2);
		cs_cw_bytes(&w, m->digest, CS_DIGEST_LEN);
		break;
	case CS_WIRE_ERROR:
		cs_cw_uint(&w, 2);
		cs_cw_textz(&w, m->reason);
		cs_cw_uint(&w, 3);
		cs_cw_textz(&w, m->text);
		break;
	default: break;
	}
	cs_cw_map_end(&w);
	return cs_cw_finish(&w) == 0 ? CS_OK : CS_MALFORMED;
}

size_t
cs_wire_msg_frame(uint8_t *out, size_t cap, const cs_wire_msg *m, uint8_t *scratch,
    size_t scratch_cap)
{
	cs_buf b;

	cs_buf_fixed(&b, scratch, scratch_cap);
	if (cs_wire_msg_encode(&b, m) != CS_OK)
		return 0;
	return cs_wire_frame(out, cap, b.p, b.len);
}
