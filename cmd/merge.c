/* consign merge: combine the signatures of copies signed in parallel. */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>

#include "util/file.h"

static const char usage[] =
    "usage: consign merge -o OUT [--force] FILE FILE...\n"
    "\n"
    "Combines the signatures of copies of one policy, order or release that were\n"
    "signed in parallel. Every copy must carry the same payload; exact repeats are\n"
    "kept once. Nothing is verified here: verify OUT afterwards.\n";

struct opts {
	const char *out;
};

int
cmd_merge(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("output", 'o', struct opts, out),
	    CMD_FORCE_OPT, CMD_OPT_END};
	struct opts o = {0};
	const char *outpath;
	uint8_t *bufs[64] = {0};
	size_t lens[64] = {0}, i, j, nfiles;
	cs_cose *all = NULL, *m;
	cs_buf out;
	cs_err e;
	int a, rc = CS_OK;

	if ((a = cmd_getopt(argc, argv, opts, usage, NULL, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	outpath = o.out;
	if (outpath == NULL || argc - a < 2)
		return cmd_usage(usage, "-o and at least two files are required");
	nfiles = (size_t)(argc - a);
	if (nfiles > 64)
		return cmd_usage(usage, "at most 64 files");
	cs_buf_init(&out, CMD_ARTIFACT_MAX);
	cs_err_clear(&e);
	if ((all = calloc(nfiles, sizeof *all)) == NULL) {
		rc = cmd_fail(CS_MALFORMED, "system", NULL, "out of memory");
		goto done;
	}
	for (i = 0; i < nfiles; i++) {
		if (i == 0 && cmd_file_is_zip(argv[a])) {
			rc = cmd_merge_zip(outpath, (int)nfiles, argv + a);
			goto done;
		}
		if ((rc = cmd_read(argv[a + i], CMD_ARTIFACT_MAX, &bufs[i], &lens[i])) != CS_OK)
			goto done;
		if ((rc = cs_cose_decode(&all[i], bufs[i], lens[i], &e)) != CS_OK) {
			rc = cmd_report(argv[a + i], &e);
			goto done;
		}
		if (!all[i].multi) {
			rc = cmd_fail(CS_USAGE, "usage", argv[a + i],
			    "a %s carries one signature; nothing to merge", all[i].kind);
			goto done;
		}
		if (i > 0 && (all[i].prot_len != all[0].prot_len ||
				 memcmp(all[i].prot, all[0].prot, all[0].prot_len) != 0 ||
				 all[i].payload_len != all[0].payload_len ||
				 memcmp(all[i].payload, all[0].payload, all[0].payload_len) != 0)) {
			rc = cmd_fail(CS_REJECT, "not-a-copy", argv[a + i],
			    "not a copy of %s (different %s payload)", argv[a], all[0].kind);
			goto done;
		}
	}
	m = &all[0];
	for (i = 1; i < nfiles; i++)
		for (j = 0; j < all[i].nsig; j++) {
			if (m->nsig >= CS_COSE_MAX_SIGS) {
				rc = cmd_fail(CS_REJECT, "too-many-signatures", outpath, "more than %d signatures",
				    CS_COSE_MAX_SIGS);
				goto done;
			}
			m->s[m->nsig++] = all[i].s[j];
		}
	if (cs_cose_encode(&out, m) != CS_OK) {
		rc = cmd_fail(CS_MALFORMED, "internal", outpath, "cannot encode the merged %s", m->kind);
		goto done;
	}
	if ((rc = cmd_write(outpath, out.p, out.len, 0644, 0)) != CS_OK)
		goto done;
	/* count what the encoder kept: exact repeats collapse */
	if (cs_cose_decode(&all[0], out.p, out.len, &e) == CS_OK)
		printf("%s: %s with %zu signature%s from %zu copies\n", outpath, all[0].kind,
		    all[0].nsig, all[0].nsig == 1 ? "" : "s", nfiles);
done:
	for (i = 0; i < nfiles && i < 64; i++)
		cs_file_free(bufs[i], lens[i]);
	free(all);
	cs_buf_free(&out);
	return rc;
}
