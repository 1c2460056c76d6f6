/* A COSE header map made to order, for the tests and tools that build
 * envelopes the profile must refuse (tests/unit/core_crypto.c,
 * tests/tools/malformed.c). */
#ifndef COSEHDR_H
#define COSEHDR_H

#include "format/cbor.h"
#include "format/cose.h"

/* Writes into b, emptied first: alg (0: none), the content type of kind
 * (NULL: none), kid (NULL: none), and the unknown label 99 => 0 when extra
 * is set. -1 when kind has no content type or b is too small. */
static int
cosehdr(cs_buf *b, int64_t alg, const char *kind, const uint8_t *kid, int extra)
{
	char ct[CS_CTYPE_MAX + 1];
	cs_cw w;

	b->len = 0;
	cs_cw_init(&w, b);
	cs_cw_map_begin(&w);
	if (alg != 0) {
		cs_cw_uint(&w, CS_COSE_HDR_ALG);
		cs_cw_int(&w, alg);
	}
	if (kind != NULL) {
		if (cs_cose_ctype(ct, kind) != 0)
			return -1;
		cs_cw_uint(&w, CS_COSE_HDR_CTYPE);
		cs_cw_textz(&w, ct);
	}
	if (kid != NULL) {
		cs_cw_uint(&w, CS_COSE_HDR_KID);
		cs_cw_bytes(&w, kid, CS_KID_LEN);
	}
	if (extra) {
		cs_cw_uint(&w, 99);
		cs_cw_uint(&w, 0);
	}
	cs_cw_map_end(&w);
	return cs_cw_finish(&w) != 0 ? -1 : 0;
}

#endif
