/* What the external-vector runners (vectors.c, p256vectors.c) share: lines
 * of space-separated fields on stdin, hex fields ("-" for empty), COSE
 * header specs and the ok / not ok lines. */
#ifndef VEC_H
#define VEC_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "format/cbor.h"
#include "format/cose.h"

#define VEC_FIELDS 16

static int vec_failed;

static size_t
unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n;

	if (strcmp(hex, "-") == 0)
		return 0;
	if (sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL) != 0) {
		fprintf(stderr, "bad hex\n");
		exit(2);
	}
	return n;
}

static void __attribute__((format(printf, 2, 3)))
result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		vec_failed++;
}

/* "alg=NAME,ctyp=0,kid=11" -> canonical CBOR map: alg (1) is alg_value
 * when it is alg_name (else 0), ctyp (3) an integer, kid (4) the text's
 * bytes; "-" is the empty map. */
static size_t
header(uint8_t *out, size_t cap, const char *spec, const char *alg_name, int64_t alg_value)
{
	char copy[256], *tok, *save = NULL, *eq;
	cs_buf b;
	cs_cw w;

	cs_buf_fixed(&b, out, cap);
	cs_cw_init(&w, &b);
	cs_cw_map_begin(&w);
	if (strcmp(spec, "-") != 0) {
		snprintf(copy, sizeof copy, "%s", spec);
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if ((eq = strchr(tok, '=')) == NULL)
				exit(2);
			*eq++ = '\0';
			if (strcmp(tok, "alg") == 0) {
				cs_cw_uint(&w, 1);
				cs_cw_int(&w, strcmp(eq, alg_name) == 0 ? alg_value : 0);
			} else if (strcmp(tok, "ctyp") == 0) {
				cs_cw_uint(&w, 3);
				cs_cw_uint(&w, strtoull(eq, NULL, 10));
			} else if (strcmp(tok, "kid") == 0) {
				cs_cw_uint(&w, 4);
				cs_cw_bytes(&w, eq, strlen(eq));
			} else {
				fprintf(stderr, "unknown header label %s\n", tok);
				exit(2);
			}
		}
	}
	cs_cw_map_end(&w);
	if (cs_cw_finish(&w) != 0) {
		fprintf(stderr, "header too large\n");
		exit(2);
	}
	return b.len;
}

/* The next line of stdin with fields, split at spaces into f (at most
 * VEC_FIELDS - 1 of them): their count, or 0 at the end of the input. */
static int
vec_line(char *line, int cap, char *f[VEC_FIELDS])
{
	char *save = NULL;
	int nf;

	while (fgets(line, cap, stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		nf = 0;
		for (f[nf] = strtok_r(line, " ", &save); f[nf] && nf < VEC_FIELDS - 1;
		     f[nf] = strtok_r(NULL, " ", &save))
			nf++;
		if (nf > 0)
			return nf;
	}
	return 0;
}

/* A COSE WG example: its payload and headers (the signer's, for a
 * COSE_Sign), the ToBeSigned and the output it gives, and the ToBeSigned
 * built here. */
typedef struct vec_cose {
	int multi;
	uint8_t msg[4096], bp[128], bu[128], sp[128], su[128], tbsx[4096], cborx[4096];
	size_t msgn, bpn, bun, spn, sun, tbsn, cborn;
	uint8_t tbsm[8192];
	cs_buf tbs;
} vec_cose;

/* Reads PAYLOAD BODYPROT BODYUNPROT [PROT UNPROT] TBS CBOR from f (the two
 * signer's headers when multi), headers with alg_name as alg_value. */
static void
vec_cose_read(vec_cose *v, char **f, int multi, const char *alg_name, int64_t alg_value)
{
	v->multi = multi;
	v->msgn = unhex(v->msg, sizeof v->msg, f[0]);
	v->bpn = header(v->bp, sizeof v->bp, f[1], alg_name, alg_value);
	v->bun = header(v->bu, sizeof v->bu, f[2], alg_name, alg_value);
	v->spn = multi ? header(v->sp, sizeof v->sp, f[3], alg_name, alg_value) : 0;
	v->sun = multi ? header(v->su, sizeof v->su, f[4], alg_name, alg_value) : 0;
	v->tbsn = unhex(v->tbsx, sizeof v->tbsx, f[multi ? 5 : 3]);
	v->cborn = unhex(v->cborx, sizeof v->cborx, f[multi ? 6 : 4]);
}

/* Builds the example's ToBeSigned: a result that it is encoded, one that
 * it is the example's byte for byte. */
static void
vec_cose_tbs(vec_cose *v, const char *name)
{
	cs_buf_fixed(&v->tbs, v->tbsm, sizeof v->tbsm);
	result(cs_cose_tbs_raw(&v->tbs, v->bp, v->bpn, v->multi ? v->sp : NULL, v->spn, NULL, 0,
		   v->msg, v->msgn) == CS_OK,
	    "%s: ToBeSigned encoded", name);
	result(v->tbs.len == v->tbsn && memcmp(v->tbs.p, v->tbsx, v->tbsn) == 0,
	    "%s: ToBeSigned reproduced byte for byte", name);
}

#endif
