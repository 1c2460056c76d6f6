/* Test helper for editing artifacts at the byte or envelope level:
 *   cosetool flip IN OFFSET OUT    copy IN with the byte at OFFSET xor 0x01
 *   cosetool size IN               print the size of IN
 *   cosetool dupsig IN OUT         repeat the first signature entry of a COSE_Sign
 *   cosetool dropsig IN N OUT      keep only the first N signatures */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/cose.h"
#include "util/file.h"

static uint8_t *
slurp(const char *path, size_t *n)
{
	uint8_t *p;
	cs_err e;

	cs_err_clear(&e);
	if (cs_read_file(path, 1u << 26, &p, n, &e) != CS_OK) {
		fprintf(stderr, "cosetool: %s: %s\n", path, e.msg);
		exit(2);
	}
	return p;
}

static void
spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "cosetool: cannot write %s\n", path);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	static const uint8_t empty[1] = {0xa0};
	cs_cose_raw_signer rs[CS_COSE_MAX_SIGS + 1];
	uint8_t *p;
	size_t n, i, ns;
	cs_cose c;
	cs_buf out;
	cs_err e;

	if (argc == 5 && strcmp(argv[1], "flip") == 0) {
		p = slurp(argv[2], &n);
		i = strtoul(argv[3], NULL, 10);
		if (i >= n)
			return 2;
		p[i] ^= 0x01;
		spit(argv[4], p, n);
		cs_file_free(p, n);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "size") == 0) {
		p = slurp(argv[2], &n);
		printf("%zu\n", n);
		cs_file_free(p, n);
		return 0;
	}
	if ((argc == 4 && strcmp(argv[1], "dupsig") == 0) ||
	    (argc == 5 && strcmp(argv[1], "dropsig") == 0)) {
		p = slurp(argv[2], &n);
		cs_err_clear(&e);
		if (cs_cose_decode(&c, p, n, &e) != CS_OK || !c.multi || c.nsig == 0) {
			fprintf(stderr, "cosetool: %s: not a signed COSE_Sign\n", argv[2]);
			return 2;
		}
		for (i = 0; i < c.nsig; i++)
			rs[i] = (cs_cose_raw_signer){c.s[i].prot, c.s[i].prot_len, empty, 1, c.s[i].sig};
		ns = c.nsig;
		if (argv[1][0] == 'd' && argv[1][1] == 'u')
			rs[ns++] = rs[0];
		else if (strtoul(argv[3], NULL, 10) < ns)
			ns = strtoul(argv[3], NULL, 10);
		cs_buf_init(&out, n + 4096);
		if (cs_cose_encode_sign_raw(&out, c.prot, c.prot_len, empty, 1, c.payload,
			c.payload_len, rs, ns) != CS_OK)
			return 2;
		spit(argv[argc - 1], out.p, out.len);
		cs_buf_free(&out);
		cs_file_free(p, n);
		return 0;
	}
	fprintf(stderr, "usage: cosetool flip|size|dupsig|dropsig ...\n");
	return 2;
}
