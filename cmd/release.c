/* consign release create, and the release side of consign sign and merge:
 * drafting a release from a verified batch, each custodian checking the whole
 * batch again before adding a signature, and combining parallel copies. */
#include "office.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ledger/ledger.h"
#include "util/file.h"
#include "util/text.h"

static const char create_usage[] =
    "usage: consign release create --policy P [--ledger DIR] [--exclude-refused]\n"
    "                              [--threads N] batch.zip -o registry.zip [--force]\n"
    "\n"
    "Verifies the batch fully against P and the ledger (every release before it),\n"
    "refuses it when a batch-level check fails, or when any record fails unless\n"
    "--exclude-refused (then those records are listed with their reasons and left\n"
    "out), reserves the next sequence number in the ledger and writes the release\n"
    "draft: the batch's entries unchanged plus release.cose, unsigned. Custodians\n"
    "then sign it (consign sign --policy P registry.zip) and consign ledger add\n"
    "enters it once it carries M signatures. The ledger is DIR, else\n"
    "$CONSIGN_LEDGER, else ./ledger.\n";

enum { O_LEDGER = 256, O_EXCLUDE, O_THREADS };

struct rc_opts {
	const char *policy, *ledger, *out;
	int exclude;
	unsigned threads;
	/* collected while verifying */
	cs_exclusion *x;
	size_t nx, capx;
	int oom;
	uint64_t shown;
	const cs_verify *v;   /* its header's count, for the progress line */
};

static int
collect(void *ctx, const cs_vrec *r)
{
	struct rc_opts *o = ctx;
	char esc[CS_VREC_MSG_MAX * 4], ser[40] = "";

	cmd_progress("release create", r->index + 1, o->v->header.count);
	if (r->reason == NULL)
		return 0;
	cmd_status_end();
	if (o->shown++ < OFFICE_SHOW_FIRST) {
		if (r->decoded)
			snprintf(ser, sizeof ser, " (serial %llu)", (unsigned long long)r->rec->serial);
		printf("  record %llu%s: %s: %s\n", (unsigned long long)r->index, ser, r->reason,
		    cs_escapez(esc, sizeof esc, r->msg));
	}
	if (office_excl_add(&o->x, &o->nx, &o->capx, r) != 0) {
		o->oom = 1;
		return 1;
	}
	return 0;
}

/* Whether a verified batch may be drafted: no batch-level problem, every
 * failing record excluded on request, and at least one record left. */
static int
release_verdict(const struct rc_opts *o, const cs_verify *v, const char *file)
{
	if (o->shown > OFFICE_SHOW_FIRST)
		printf("  ... and %llu more refused records\n",
		    (unsigned long long)(o->shown - OFFICE_SHOW_FIRST));
	if (v->nproblem > 0) {
		office_print_problems(stdout, v);
		return cmd_fail(CS_REJECT, v->problem[0].reason, file, "not released: %zu batch-level "
		    "problem%s", v->nproblem, v->nproblem == 1 ? "" : "s");
	}
	if (v->failed > 0 && !o->exclude)
		return cmd_fail(CS_REJECT, o->x[0].reason, file, "not released: %llu of %llu records "
		    "fail; --exclude-refused releases the others", (unsigned long long)v->failed,
		    (unsigned long long)v->records);
	if (v->failed == v->records)
		return cmd_fail(CS_REJECT, "release-empty", file, "not released: no record passes");
	return CS_OK;
}

/* Takes the ledger's next sequence, writes the draft zip to o->out and then
 * reserves the sequence; rel and pay hold the release as written. */
static int
release_draft(cs_ledger *l, const char *dir, cs_zipr *z, cs_verify *v, const struct rc_opts *o,
    const cs_signed *ps, const cs_policy *pol, const char *file, cs_release *rel, cs_buf *pay)
{
	cs_buf draft;
	cs_err e;
	uint64_t seq;
	int rc;

	cs_err_clear(&e);
	if ((rc = cs_ledger_draft_of(l, v->header_digest, &seq, &e)) != CS_OK)
		return cmd_report(dir, &e);
	if (seq != 0)
		return cmd_fail(CS_REJECT, "ledger-reserved", file, "draft %llu already holds this "
		    "batch; sign that one, or withdraw it (consign ledger withdraw %llu)",
		    (unsigned long long)seq, (unsigned long long)seq);
	memset(rel, 0, sizeof *rel);
	if ((rc = cs_ledger_begin(l, &rel->seq, &rel->has_prev, rel->prev, &e)) != CS_OK)
		return cmd_report(dir, &e);
	memcpy(rel->deployment, pol->deployment, CS_DEPLOY_LEN);
	memcpy(rel->policy, ps->digest, CS_DIGEST_LEN);
	memcpy(rel->order, v->order_s.digest, CS_DIGEST_LEN);
	snprintf(rel->batch, sizeof rel->batch, "%s", v->order.batch);
	memcpy(rel->header, v->header_digest, CS_DIGEST_LEN);
	memcpy(rel->records, v->header.records, CS_DIGEST_LEN);
	rel->count = v->records;
	rel->accepted = v->records - o->nx;
	cs_buf_init(&draft, CS_RELEASE_ENTRY_MAX);
	if (cs_release_encode(pay, rel, o->x, o->nx) != CS_OK ||
	    cs_cose_sign_draft(&draft, CS_KIND_RELEASE, pay->p, pay->len) != CS_OK) {
		cs_ledger_rollback(l);
		rc = cmd_fail(CS_MALFORMED, "too-large", file, "not released: its %zu exclusions do "
		    "not fit in a release's %u MiB", o->nx, CS_RELEASE_ENTRY_MAX >> 20);
	/* the draft zip first, then the reservation: a kill between leaves a
	 * draft whose sequence is not reserved, which the chain refuses later */
	} else if ((rc = cs_release_zip_write(o->out, z, v, draft.p, draft.len, &e)) != CS_OK) {
		cs_ledger_rollback(l);
		rc = cmd_report(o->out, &e);
	} else if ((rc = cs_ledger_reserve(l, draft.p, draft.len, &e)) != CS_OK) {
		unlink(o->out);
		rc = cmd_report(dir, &e);
	}
	cs_buf_free(&draft);
	return rc;
}

static int
release_create(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("policy", 'P', struct rc_opts, policy),
	    CMD_ARG("output", 'o', struct rc_opts, out),
	    CMD_ARG("ledger", O_LEDGER, struct rc_opts, ledger),
	    CMD_FLAG("exclude-refused", O_EXCLUDE, struct rc_opts, exclude),
	    OFFICE_THREADS_OPT(O_THREADS, struct rc_opts, threads), CMD_FORCE_OPT, CMD_OPT_END};
	cs_signed ps;
	cs_policy pol;
	cs_verify v = {0};
	struct rc_opts o;
	const cs_signed *lps;
	const cs_policy *lp;
	const char *file, *dir;
	cs_ledger *l = NULL;
	cs_zipr *z = NULL;
	cs_vopts vo;
	cs_vlookup lk;
	cs_vearlier ea;
	cs_release rel, back;
	cs_buf pay;
	cs_err e;
	char f[1024], chain[OFFICE_CHAIN_MAX], excl[4096] = "";
	int a, rc, engine;

	memset(&o, 0, sizeof o);
	cs_buf_init(&pay, CS_RELEASE_ENTRY_MAX);
	cs_err_clear(&e);
	if ((a = cmd_getopt(argc, argv, opts, create_usage, NULL, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (a != argc - 1 || o.policy == NULL || o.out == NULL)
		return cmd_usage(create_usage, "--policy, -o and exactly one batch.zip are required");
	if (office_engine(&engine) != 0)
		return CS_USAGE;
	file = argv[a];
	dir = office_ledger_dir(o.ledger);
	if ((rc = cmd_load_pinned_policy(o.policy, &ps, &pol)) != CS_OK)
		return rc;
	if ((rc = cs_ledger_open(&l, dir, &e)) != CS_OK) {
		rc = cmd_report(dir, &e);
		goto done;
	}
	if ((rc = cs_ledger_policy(l, &lps, &lp, &e)) != CS_OK) {
		rc = cmd_report(dir, &e);
		goto done;
	}
	if (memcmp(lps->digest, ps.digest, CS_DIGEST_LEN) != 0) {
		rc = cmd_fail(CS_REJECT, "ledger-policy", o.policy, "is not the ledger's policy "
		    "(version %llu); give that one, or rotate the ledger first",
		    (unsigned long long)lp->version);
		goto done;
	}
	if ((rc = office_open(file, &z)) != CS_OK)
		goto done;
	if (cs_zipr_entries(z) != CS_V_BATCH) {
		rc = cmd_fail(CS_USAGE, "kind", file, "already a release; release create takes a batch");
		goto done;
	}
	memset(&vo, 0, sizeof vo);
	cs_ledger_lookup(l, &lk);
	cs_ledger_earlier(l, &ea);
	vo.policy = &pol;
	vo.policy_digest = ps.digest;
	vo.deep = 1;
	vo.threads = o.threads;
	vo.engine = engine;
	vo.lookup = &lk;
	vo.earlier = &ea;
	vo.on_record = collect;
	vo.ctx = &o;
	o.v = &v;
	rc = cs_verify_zip(&v, z, &vo, &e);
	cmd_status_end();
	if (o.oom)
		rc = cs_fail(&e, CS_MALFORMED, "system", "out of memory listing refused records");
	if (rc == CS_MALFORMED || rc == CS_USAGE) {
		rc = cmd_report(file, &e);
		goto done;
	}
	if ((rc = release_verdict(&o, &v, file)) != CS_OK ||
	    (rc = release_draft(l, dir, z, &v, &o, &ps, &pol, file, &rel, &pay)) != CS_OK)
		goto done;
	cs_digest(v.release_s.digest, CS_KIND_RELEASE, pay.p, pay.len);
	office_chain(chain, rel.seq, v.release_s.digest);
	/* the summary comes from the payload as written */
	if (cs_release_decode(&back, pay.p, pay.len, &e) == CS_OK)
		office_excl_summary(excl, sizeof excl, &back.excluded, OFFICE_SHOW_FIRST);
	printf("%s: release %s drafted for batch %s: %llu accepted, %zu excluded%s%s\n",
	    cs_escapez(f, sizeof f, o.out), chain, rel.batch, (unsigned long long)rel.accepted, o.nx,
	    o.nx ? ": " : "", excl);
	printf("%s: needs %llu custodian signatures: consign sign --policy %s %s\n", f,
	    (unsigned long long)pol.threshold, o.policy, f);
done:
	free(o.x);
	cs_buf_free(&pay);
	cs_verify_free(&v);
	cs_zipr_close(z);
	cs_ledger_close(l);
	return rc;
}

int
cmd_release(int argc, char **argv)
{
	static const struct cmd_sub subs[] = {{"create", release_create}, {NULL, NULL}};

	return cmd_subcommand(argc, argv, subs, create_usage, "unknown or missing release command");
}

/* ---- sign ---------------------------------------------------------------------- */

/* The signer waits for the whole batch: a progress line on a terminal. */
static int
quiet(void *ctx, const cs_vrec *r)
{
	const cs_verify *v = ctx;

	cmd_progress("checking", r->index + 1, v->header.count);
	return 0;
}

/* Lines of a listing shown at a time on a terminal. */
static size_t
page_lines(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 8)
		return (size_t)ws.ws_row - 3;
	return 20;
}

/* Waits for the reader between pages; 0 when they stop the listing. */
static int
page_wait(size_t shown, size_t total)
{
	char prompt[96], ans[8];
	ssize_t n;
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return 1;
	snprintf(prompt, sizeof prompt, "-- %zu of %zu exclusions shown: Enter for more, q to stop --",
	    shown, total);
	n = write(fd, prompt, strlen(prompt)) < 0 ? -1 : read(fd, ans, sizeof ans);
	close(fd);
	return !(n > 0 && (ans[0] == 'q' || ans[0] == 'Q'));
}

/* Every exclusion of the release, grouped by reason with counts, then each
 * one; on a terminal (and without --yes) a page at a time. Returns how many
 * were shown, which the confirmation repeats. */
static size_t
show_exclusions(const cs_verify *v, const struct sign_opts *so)
{
	struct {
		char reason[CS_REASON_MAX];
		size_t n;
	} g[64];
	size_t ng = 0, pos = 0, i = 0, k, shown = 0, page, total = v->release.excluded.n;
	cs_exclusion x;
	int paged = !so->yes && isatty(STDOUT_FILENO);

	if (total == 0)
		return 0;
	while (cs_excl_next(&v->release.excluded, &pos, &i, &x)) {
		for (k = 0; k < ng && strcmp(g[k].reason, x.reason) != 0; k++)
			;
		if (k == ng && ng < sizeof g / sizeof g[0]) {
			snprintf(g[ng].reason, sizeof g[ng].reason, "%s", x.reason);
			g[ng++].n = 0;
		}
		if (k < ng)
			g[k].n++;
	}
	printf("Exclusions, by reason:\n");
	for (k = 0; k < ng; k++)
		printf("  %-26s %zu\n", g[k].reason, g[k].n);
	if (v->claims > 0 && so->released != NULL)
		printf("  (each \"released\" exclusion checked: the release it names, in %s, holds "
		       "the value)\n", so->released);
	else if (v->claims > 0)
		printf("  (%llu \"released\" exclusion%s taken on the office's word: give --released "
		       "DIR with the earlier releases to check them)\n",
		    (unsigned long long)v->claims, v->claims == 1 ? "" : "s");
	printf("Every exclusion:\n");
	page = page_lines();
	pos = i = 0;
	while (cs_excl_next(&v->release.excluded, &pos, &i, &x)) {
		if (paged && shown > 0 && shown % page == 0) {
			fflush(stdout);
			if (!page_wait(shown, total))
				break;
		}
		printf("  record %llu", (unsigned long long)x.index);
		if (x.has_serial)
			printf(" (serial %llu)", (unsigned long long)x.serial);
		printf(": %s", x.reason);
		if (x.released_in != 0)
			printf(" in release %llu", (unsigned long long)x.released_in);
		printf("\n");
		shown++;
	}
	return shown;
}

/* What a custodian is shown of a release before signing it. */
static void
show_release(const cs_verify *v, const char *policy, const cs_signed *ps, const cs_policy *pol)
{
	char chain[OFFICE_CHAIN_MAX], prod[CS_NAME_MAX * 4 + 1], fp[CMD_FP_LEN];

	office_chain(chain, v->release.seq, v->release_s.digest);
	printf("Release %s\n  batch:       %s (%s)\n", chain, v->order.batch,
	    cs_escapez(prod, sizeof prod, v->order.product));
	cmd_fingerprint(fp, v->order_s.digest);
	printf("  order:       %s, serials %llu-%llu, quantity %llu\n", fp,
	    (unsigned long long)v->order.first, (unsigned long long)v->order.last,
	    (unsigned long long)v->order.quantity);
	if (v->release.has_prev) {
		office_chain(chain, v->release.seq - 1, v->release.prev);
		printf("  after:       %s\n", chain);
	} else {
		printf("  after:       none (the first release)\n");
	}
	printf("  records:     %llu accepted, %zu excluded\n", (unsigned long long)v->release.accepted,
	    v->release.excluded.n);
	cmd_fingerprint(fp, ps->digest);
	printf("  policy:      %s (version %llu, digest %s), %zu of %llu signatures so far\n",
	    policy, (unsigned long long)pol->version, fp, v->release_q.valid,
	    (unsigned long long)pol->threshold);
	cmd_print_quorum(stdout, &v->release_q, &v->release_s.cose, pol);
}

/* The custodian's own check: every record of the release again, as a
 * release being drafted (neither the chain nor the threshold), against
 * --released DIR too when given. CS_OK with the verdict (CS_OK or CS_REJECT,
 * v's problems) when it came to one; else the failure, reported. */
static int
check_again(const struct sign_opts *so, cs_zipr *z, const cs_signed *ps, const cs_policy *pol,
    int engine, cs_verify *v, int *verdict)
{
	cs_earlier_dir *ed = NULL;
	cs_vearlier ea;
	cs_vopts vo;
	cs_err e;
	char f[1024];
	int rc;

	memset(&vo, 0, sizeof vo);
	if (so->released != NULL) {
		if ((rc = office_earlier(so->released, so->file, z, pol, ps->digest, &ed, &ea)) != CS_OK) {
			cs_earlier_dir_close(ed);
			return rc;
		}
		vo.earlier = &ea;
	}
	printf("Checking every record of %s again (signatures, keys, batch, nonces, serials,\n"
	       "uniqueness) against %s ...\n", cs_escapez(f, sizeof f, so->file), so->policy);
	fflush(stdout);
	vo.policy = pol;
	vo.policy_digest = ps->digest;
	vo.deep = 1;
	vo.expect = CS_V_RELEASE;
	vo.drafting = 1;
	vo.engine = engine;
	vo.on_record = quiet;
	vo.ctx = v;
	cs_err_clear(&e);
	*verdict = cs_verify_zip(v, z, &vo, &e);
	cmd_status_end();
	cs_earlier_dir_close(ed);
	if (*verdict == CS_MALFORMED || *verdict == CS_USAGE)
		return cmd_report(so->file, &e);
	return CS_OK;
}

int
cmd_sign_zip(const struct sign_opts *so)
{
	cs_signed ps;
	cs_policy pol;
	cs_verify v = {0};
	cmd_key k = {0};
	cs_zipr *z = NULL;
	cs_buf out;
	cs_err e;
	size_t shown;
	char f[1024], q[160];
	int rc, who, added, engine, verdict;

	cs_buf_init(&out, CS_RELEASE_ENTRY_MAX);
	cs_err_clear(&e);
	cs_escapez(f, sizeof f, so->file);
	if (so->policy == NULL)
		return cmd_fail(CS_USAGE, "usage", so->file,
		    "a release is signed against the policy: give --policy");
	if (office_engine(&engine) != 0)
		return CS_USAGE;
	if ((rc = cmd_load_pinned_policy(so->policy, &ps, &pol)) != CS_OK)
		return rc;
	/* the public half first: membership is checked before any passphrase or PIN */
	if ((rc = cmd_key_open(&k, &so->ka)) != CS_OK)
		goto done;
	if ((who = cmd_custodian_of(&pol, k.pub.pk)) < 0) {
		rc = cmd_fail(CS_REJECT, "not-custodian", so->ka.key,
		    "key %s is not a custodian of %s", k.pub.id, so->policy);
		goto done;
	}
	if ((rc = office_open(so->file, &z)) != CS_OK)
		goto done;
	if (cs_zipr_entries(z) != CS_V_RELEASE) {
		rc = cmd_fail(CS_USAGE, "kind", so->file, "a batch is not signed by custodians; "
		    "consign release create drafts its release");
		goto done;
	}
	if ((rc = check_again(so, z, &ps, &pol, engine, &v, &verdict)) != CS_OK)
		goto done;
	show_release(&v, so->policy, &ps, &pol);
	if (verdict != CS_OK) {
		office_print_problems(stdout, &v);
		rc = cmd_fail(CS_REJECT, v.nproblem ? v.problem[0].reason : "rejected", so->file,
		    "not signed: the release does not match its batch");
		goto done;
	}
	if (v.release_q.counted[who]) {
		printf("%s: already signed by %s; nothing to do\n", f, k.pub.id);
		rc = CS_OK;
		goto done;
	}
	shown = show_exclusions(&v, so);
	snprintf(q, sizeof q, "Sign this release as shown above (%zu of %zu exclusions shown)?",
	    shown, v.release.excluded.n);
	if ((rc = cmd_confirm_sign(f, so->yes, q)) != CS_OK)
		goto done;
	if ((rc = cmd_key_unlock(&k)) != CS_OK)
		goto done;
	rc = cs_cose_sign_add_with(&out, &v.release_s.cose, &k.signer, &added, &e);
	cmd_key_close(&k);
	if (rc != CS_OK) {
		rc = cmd_report(so->file, &e);
		goto done;
	}
	if ((rc = cs_release_zip_write(so->file, z, &v, out.p, out.len, &e)) != CS_OK) {
		rc = cmd_report(so->file, &e);
		goto done;
	}
	printf("%s: signed by %s (now %zu of %llu needed)\n", f, pol.cust[who].id,
	    v.release_q.valid + 1, (unsigned long long)pol.threshold);
	rc = CS_OK;
done:
	cmd_key_close(&k);
	cs_buf_free(&out);
	cs_verify_free(&v);
	cs_zipr_close(z);
	return rc;
}

/* ---- merge ---------------------------------------------------------------------- */

int
cmd_merge_zip(const char *outpath, int nfiles, char **files)
{
	cs_verify *v = calloc(64, sizeof *v); /* 13 KB each */
	cs_zipr *z[64] = {0};
	cs_cose m;
	cs_buf out;
	cs_err e;
	size_t j;
	int i, rc = CS_OK, loaded = 0;
	char f[1024];

	if (nfiles > 64) {
		free(v);
		return cmd_fail(CS_USAGE, "usage", NULL, "at most 64 files");
	}
	if (v == NULL)
		return cmd_fail(CS_MALFORMED, "io", NULL, "out of memory");
	cs_buf_init(&out, CS_RELEASE_ENTRY_MAX);
	cs_err_clear(&e);
	for (i = 0; i < nfiles; i++) {
		cs_escapez(f, sizeof f, files[i]);
		if ((rc = office_open(files[i], &z[i])) != CS_OK)
			goto done;
		if (cs_zipr_entries(z[i]) != CS_V_RELEASE) {
			rc = cmd_fail(CS_USAGE, "kind", files[i], "a batch carries no signatures to merge");
			goto done;
		}
		loaded = i + 1;
		if ((rc = cs_verify_load(&v[i], z[i], &e)) != CS_OK) {
			rc = cmd_report(files[i], &e);
			goto done;
		}
		if (i > 0 && (v[i].release_s.cose.prot_len != v[0].release_s.cose.prot_len ||
				 memcmp(v[i].release_s.cose.prot, v[0].release_s.cose.prot,
				     v[0].release_s.cose.prot_len) != 0 ||
				 memcmp(v[i].release_s.digest, v[0].release_s.digest, CS_DIGEST_LEN) != 0)) {
			rc = cmd_fail(CS_REJECT, "not-a-copy", files[i],
			    "not a copy of %s (another release payload)", files[0]);
			goto done;
		}
	}
	m = v[0].release_s.cose;
	for (i = 1; i < nfiles; i++)
		for (j = 0; j < v[i].release_s.cose.nsig; j++) {
			if (m.nsig >= CS_COSE_MAX_SIGS) {
				rc = cmd_fail(CS_REJECT, "too-many-signatures", outpath, "more than %d signatures",
				    CS_COSE_MAX_SIGS);
				goto done;
			}
			m.s[m.nsig++] = v[i].release_s.cose.s[j];
		}
	if (cs_cose_encode(&out, &m) != CS_OK) {
		rc = cmd_fail(CS_MALFORMED, "internal", outpath, "cannot encode the merged release");
		goto done;
	}
	/* the batch entries come from the first copy, checked against its header */
	if ((rc = cs_release_zip_write(outpath, z[0], &v[0], out.p, out.len, &e)) != CS_OK) {
		rc = cmd_report(outpath, &e);
		goto done;
	}
	if (cs_cose_decode(&m, out.p, out.len, &e) == CS_OK)
		printf("%s: release with %zu signature%s from %d copies (verify it: consign verify)\n",
		    cs_escapez(f, sizeof f, outpath), m.nsig, m.nsig == 1 ? "" : "s", nfiles);
	rc = CS_OK;
done:
	for (i = 0; i < loaded; i++)
		cs_verify_free(&v[i]);
	free(v);
	for (i = 0; i < nfiles && i < 64; i++)
		cs_zipr_close(z[i]);
	cs_buf_free(&out);
	return rc;
}
