/* consign export: the cloud's import file (manifests/export.md), written only
 * for a release that passes the cloud-side verification. */
#include "office.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign export --policy P (--first | --after SEQ:DIGEST) --format jsonl|csv\n"
    "                      [--deep] [--threads N] [--withdrawn W]... registry.zip\n"
    "                      [-o FILE [--json] [--force]]\n"
    "\n"
    "Verifies the release as consign verify does (M custodian signatures of P, the\n"
    "next in the chain, every cheap check of its batch; --deep every signature\n"
    "too) and only then writes one line per accepted device: serial, device key\n"
    "(hex and base64), hardware id, firmware, batch, order, release sequence,\n"
    "release digest, the key's algorithm, under an order that requires\n"
    "secure-element evidence the device's certificate (its DER in base64; empty\n"
    "otherwise), and under an order that requires firmware evidence its chip's\n"
    "PSA instance id (hex; empty otherwise). With -o the file appears only when\n"
    "verification passed; -o naming a pipe (FIFO, with --force) gets each line\n"
    "as its record passes, and what it got counts only if export exits 0.\n";

enum { O_FIRST = 256, O_AFTER, O_DEEP, O_THREADS, O_FORMAT, O_JSON, O_WITHDRAWN };

#define OUTBUF (1u << 16)
/* a device certificate's DER in base64 */
#define CERT_B64_MAX sodium_base64_ENCODED_LEN(CS_EV_CERT_MAX, sodium_base64_VARIANT_ORIGINAL)
/* longer than any line: hex, base64 and escaped text are bounded */
#define LINE_MAX_LEN (1024 + CERT_B64_MAX)

struct ex {
	const char *policy, *after, *format, *out;
	int first, deep, csv, json, engine;
	unsigned threads;
	const char *withdrawn[OFFICE_MAX_WITHDRAWN];
	uint8_t wd[OFFICE_MAX_WITHDRAWN][CS_DIGEST_LEN];
	size_t nwithdrawn;
	json_t *excl;            /* --json: the exclusions as verified */
	/* output */
	int writing;
	cs_atomic a;
	int to_file;
	FILE *sink;              /* not to_file: standard output or a pipe */
	uint8_t buf[OUTBUF];
	size_t len;
	int failed;
	cs_err *e;
	uint64_t lines;
	/* per release */
	char order_hex[2 * CS_DIGEST_LEN + 1], release_hex[2 * CS_DIGEST_LEN + 1];
	uint64_t seq;
	char tail[256];          /* every line ends with the release's fields */
	size_t tail_len;
	unsigned evidence;       /* the order's required evidence: CS_EV_SE exports certificates,
				    CS_EV_FIRMWARE instance ids */
	char cert[CERT_B64_MAX];
	/* the last firmware and batch text seen, escaped: most devices share them */
	char fw_raw[CS_FW_MAX + 1], fw[CS_FW_MAX * 6 + 8];
	char batch_raw[CS_ID_MAX + 1], batch[CS_ID_MAX * 2 + 8];
	size_t fw_len, batch_len;
	int have_fw, have_batch;
};

static int
flush_out(struct ex *o)
{
	if (o->len == 0 || o->failed)
		return o->failed ? -1 : 0;
	if (o->to_file) {
		if (cs_atomic_write(&o->a, o->buf, o->len, o->e) != CS_OK)
			o->failed = 1;
	} else if (fwrite(o->buf, 1, o->len, o->sink) != o->len) {
		cs_fail(o->e, CS_MALFORMED, "io", "cannot write to %s",
		    o->sink == stdout ? "standard output" : "the pipe");
		o->failed = 1;
	}
	o->len = 0;
	return o->failed ? -1 : 0;
}

static void
put(struct ex *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n > OUTBUF && flush_out(o) != 0)
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* The pieces of a line, written straight into the output buffer: one line
 * per device, so snprintf's parsing would cost more than the verification. */
static char *
cat(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}
#define CAT(p, lit) cat((p), (lit), sizeof(lit) - 1)

static char *
hex(char *p, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		*p++ = digits[b[i] >> 4];
		*p++ = digits[b[i] & 15];
	}
	return p;
}

static char *
decimal(char *p, uint64_t v)
{
	char t[20];
	size_t n = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = t[--n];
	return p;
}

/* Escapes text as the format wants it, remembering the last one. */
static const char *
cell(struct ex *o, const char *raw, char *keep, size_t keepcap, char *esc, size_t esccap,
    size_t *len, int *have)
{
	if (!*have || strcmp(keep, raw) != 0) {
		snprintf(keep, keepcap, "%s", raw);
		if (o->csv)
			cs_csv_cell(esc, esccap, raw);
		else
			cs_json_escape(esc, esccap, raw);
		*len = strlen(esc);
		*have = 1;
	}
	return esc;
}

/* The device's signature algorithm, as its record's envelope names it: the
 * key's length says which (a verified record's algorithm is its key's). */
static const char *
algorithm(const cs_record *rec)
{
	return rec->pk_len == CS_P256_KEY_LEN ? "ES256" : "EdDSA";
}

static int
line(void *ctx, const cs_vrec *r)
{
	struct ex *o = ctx;
	char b64[sodium_base64_ENCODED_LEN(CS_DEVICE_KEY_MAX, sodium_base64_VARIANT_ORIGINAL)],
	    b64cell[sizeof b64 + 8], *p;
	const char *fw, *batch, *alg;

	if (r->excluded && o->excl != NULL && o->writing)
		json_array_append_new(o->excl, cmd_desc_vrec_exclusion(r));
	if (!o->writing || r->excluded || r->reason != NULL || !r->decoded)
		return 0;
	if (o->len + LINE_MAX_LEN > OUTBUF && flush_out(o) != 0)
		return o->failed;
	sodium_bin2base64(b64, sizeof b64, r->rec->pk, r->rec->pk_len,
	    sodium_base64_VARIANT_ORIGINAL);
	fw = cell(o, r->rec->firmware, o->fw_raw, sizeof o->fw_raw, o->fw, sizeof o->fw, &o->fw_len,
	    &o->have_fw);
	batch = cell(o, r->rec->batch, o->batch_raw, sizeof o->batch_raw, o->batch, sizeof o->batch,
	    &o->batch_len, &o->have_batch);
	alg = algorithm(r->rec);
	/* a secure element's certificate, only where the order required it:
	 * then its key is the record's and it chains to a pinned root (with
	 * --deep checked here, else on the custodians' word) */
	o->cert[0] = '\0';
	if ((o->evidence & CS_EV_SE) && r->rec->ev.nse > 0)
		sodium_bin2base64(o->cert, sizeof o->cert, r->rec->ev.se[0], r->rec->ev.se_len[0],
		    sodium_base64_VARIANT_ORIGINAL);
	p = (char *)o->buf + o->len;
	if (o->csv) {
		p = decimal(p, r->rec->serial);
		p = CAT(p, ",");
		p = hex(p, r->rec->pk, r->rec->pk_len);
		p = CAT(p, ",");
		/* standard base64 starts with '+' for one key in 64 */
		p = cat(p, b64cell, strlen(cs_csv_cell(b64cell, sizeof b64cell, b64)));
		p = CAT(p, ",");
		p = hex(p, r->rec->hwid, r->rec->hwid_len);
		p = CAT(p, ",");
		p = cat(p, fw, o->fw_len);
		p = CAT(p, ",");
		p = cat(p, batch, o->batch_len);
	} else {
		p = CAT(p, "{\"serial\":");
		p = decimal(p, r->rec->serial);
		p = CAT(p, ",\"public_key_hex\":\"");
		p = hex(p, r->rec->pk, r->rec->pk_len);
		p = CAT(p, "\",\"public_key_base64\":\"");
		p = cat(p, b64, strlen(b64));
		p = CAT(p, "\",\"hardware_id\":\"");
		p = hex(p, r->rec->hwid, r->rec->hwid_len);
		p = CAT(p, "\",\"firmware\":\"");
		p = cat(p, fw, o->fw_len);
		p = CAT(p, "\",\"batch\":\"");
		p = cat(p, batch, o->batch_len);
	}
	p = cat(p, o->tail, o->tail_len);
	/* the algorithm, the certificate and the instance id last: columns
	 * added after the first ones, so that CSV read by position keeps its
	 * columns where they were (a DER certificate's base64 starts "MI", an
	 * instance id's hex "01": never formula-guarded) */
	if (o->csv) {
		p = CAT(p, ",");
		p = cat(p, alg, strlen(alg));
		p = CAT(p, ",");
		p = cat(p, o->cert, strlen(o->cert));
		p = CAT(p, ",");
	} else {
		p = CAT(p, ",\"algorithm\":\"");
		p = cat(p, alg, strlen(alg));
		p = CAT(p, "\",\"certificate\":\"");
		p = cat(p, o->cert, strlen(o->cert));
		p = CAT(p, "\",\"instance\":\"");
	}
	/* the chip's PSA instance id, only where the order required firmware
	 * evidence: then the record passed only with a token that decodes, and
	 * the id is what makes it one chip, one record (with --deep the token's
	 * signature was checked here, else on the custodians' word) */
	if ((o->evidence & CS_EV_FIRMWARE) && r->instance != NULL)
		p = hex(p, r->instance, CS_PSA_INSTANCE_ID_LEN);
	if (o->csv)
		p = CAT(p, "\r\n");
	else
		p = CAT(p, "\"}\n");
	o->len = (size_t)(p - (char *)o->buf);
	o->lines++;
	return o->failed;
}

static const char csv_header[] = "serial,public_key_hex,public_key_base64,hardware_id,firmware,"
				 "batch,order,release_sequence,release_digest,algorithm,"
				 "certificate,instance\r\n";

/* One verification pass; with writing set, the lines go out as records pass. */
static int
pass(struct ex *o, const char *file, const cs_signed *ps, const cs_policy *pol, cs_vopts *vo,
    cs_verify *v, cs_err *e)
{
	cs_zipr *z = NULL;
	int rc;

	if ((rc = cs_zipr_open(&z, file, e)) != CS_OK)
		return rc;
	if (cs_zipr_entries(z) != CS_V_RELEASE) {
		cs_zipr_close(z);
		return cs_fail(e, CS_USAGE, "usage", "a batch: only a release is exported");
	}
	/* the digests the lines carry come from the release itself */
	if ((rc = cs_verify_load(v, z, e)) == CS_OK) {
		cs_hex(o->order_hex, v->release.order, CS_DIGEST_LEN);
		cs_hex(o->release_hex, v->release_s.digest, CS_DIGEST_LEN);
		o->seq = v->release.seq;
		o->evidence = v->order.evidence;
		snprintf(o->tail, sizeof o->tail,
		    o->csv ? ",%s,%llu,%s"
			   : "\",\"order\":\"%s\",\"release_sequence\":%llu,\"release_digest\":\"%s\"",
		    o->order_hex, (unsigned long long)o->seq, o->release_hex);
		o->tail_len = strlen(o->tail);
	}
	cs_verify_free(v);
	if (rc != CS_OK) {
		cs_zipr_close(z);
		return rc;
	}
	memset(vo, 0, sizeof *vo);
	vo->policy = pol;
	vo->policy_digest = ps->digest;
	vo->deep = o->deep;
	vo->threads = o->threads;
	vo->engine = o->engine;
	vo->expect = CS_V_RELEASE;
	vo->chain = o->first ? CS_CHAIN_FIRST : CS_CHAIN_AFTER;
	vo->withdrawn = (const uint8_t(*)[CS_DIGEST_LEN])o->wd;
	vo->nwithdrawn = o->nwithdrawn;
	if (o->after != NULL)
		office_parse_after(o->after, &vo->after_seq, vo->after_digest);
	vo->on_record = line;
	vo->ctx = o;
	if (o->writing && o->csv)
		put(o, csv_header);
	rc = cs_verify_zip(v, z, vo, e);
	cs_zipr_close(z);
	if (rc == CS_OK && o->failed)
		rc = CS_MALFORMED;
	return rc;
}

int
cmd_export(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("policy", 'P', struct ex, policy),
	    CMD_ARG("output", 'o', struct ex, out), CMD_FLAG("first", O_FIRST, struct ex, first),
	    CMD_ARG("after", O_AFTER, struct ex, after), CMD_FLAG("deep", O_DEEP, struct ex, deep),
	    CMD_ARG("format", O_FORMAT, struct ex, format),
	    OFFICE_THREADS_OPT(O_THREADS, struct ex, threads),
	    CMD_FLAG("json", O_JSON, struct ex, json),
	    CMD_LIST("withdrawn", O_WITHDRAWN, struct ex, withdrawn, nwithdrawn,
		OFFICE_MAX_WITHDRAWN, "--withdrawn"), CMD_FORCE_OPT, CMD_OPT_END};
	static struct ex o;      /* static for its 64 KiB output buffer */
	cs_signed ps;
	cs_policy pol;
	cs_verify v = {0};
	cs_vopts vo;
	uint8_t d[CS_DIGEST_LEN];
	uint64_t s;
	const char *file;
	char f[1024];
	struct stat st;
	cs_err e;
	size_t i;
	int a, rc;

	memset(&o, 0, sizeof o);
	cs_err_clear(&e);
	o.e = &e;
	if ((a = cmd_getopt(argc, argv, opts, usage, NULL, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (o.json)
		cmd_json_errors("release");
	if (o.json && o.out == NULL)
		return cmd_usage(usage, "--json reports on standard output: give -o FILE for the devices");
	if (a != argc - 1 || o.policy == NULL || o.format == NULL)
		return cmd_usage(usage, "--policy, --format and exactly one registry.zip are required");
	if (strcmp(o.format, "jsonl") != 0 && strcmp(o.format, "csv") != 0)
		return cmd_usage(usage, "--format is jsonl or csv");
	o.csv = strcmp(o.format, "csv") == 0;
	if (o.first == (o.after != NULL))
		return cmd_usage(usage, "give the chain position: --first or --after SEQ:DIGEST "
					"(without it nothing is exported)");
	if (o.after != NULL && office_parse_after(o.after, &s, d) != 0)
		return cmd_usage(usage, "--after wants SEQ:DIGEST (64 hex digits)");
	if (office_engine(&o.engine) != 0)
		return CS_USAGE;
	file = argv[a];
	cs_escapez(f, sizeof f, file);
	if ((rc = cmd_load_pinned_policy(o.policy, &ps, &pol)) != CS_OK)
		return rc;
	for (i = 0; i < o.nwithdrawn; i++)
		if ((rc = office_load_withdrawal(o.withdrawn[i], &pol, ps.digest, o.wd[i])) != CS_OK)
			return rc;
	if (o.out != NULL && stat(o.out, &st) == 0 && S_ISFIFO(st.st_mode)) {
		/* a pipe its reader made (the CI job's COPY): nothing written there
		 * can be taken back, and verifying first would read the release
		 * twice, so the lines go out as their records pass, in one pass;
		 * the reader takes them only if export exits 0. (The pipe exists:
		 * cmd_getopt wants --force, which replaces nothing here.) */
		if ((o.sink = fopen(o.out, "w")) == NULL)
			return cmd_fail(CS_MALFORMED, "io", o.out, "cannot open the pipe: %s",
			    strerror(errno));
		if (o.json)
			o.excl = json_array();
		o.writing = 1;
		rc = pass(&o, file, &ps, &pol, &vo, &v, &e);
		if (rc == CS_OK && flush_out(&o) != 0)
			rc = CS_MALFORMED;
		if (fclose(o.sink) != 0 && rc == CS_OK) {
			o.failed = 1;
			rc = cs_fail(&e, CS_MALFORMED, "io", "cannot write to the pipe");
		}
	} else if (o.out != NULL) {
		/* one pass: the file appears only if verification passed */
		if ((rc = cs_atomic_open(&o.a, o.out, 0644, 0, &e)) != CS_OK)
			return cmd_report(o.out, &e);
		if (o.json)
			o.excl = json_array();
		o.to_file = 1;
		o.writing = 1;
		rc = pass(&o, file, &ps, &pol, &vo, &v, &e);
		if (rc == CS_OK && flush_out(&o) != 0)
			rc = CS_MALFORMED;
		if (rc == CS_OK && (rc = cs_atomic_commit(&o.a, &e)) != CS_OK) {
			cs_verify_free(&v);
			json_decref(o.excl);
			return cmd_report(o.out, &e);
		}
		if (rc != CS_OK)
			cs_atomic_abort(&o.a);
	} else {
		/* standard output cannot be taken back: verify first, then write */
		o.sink = stdout;
		rc = pass(&o, file, &ps, &pol, &vo, &v, &e);
		if (rc == CS_OK) {
			cs_verify_free(&v);
			o.writing = 1;
			rc = pass(&o, file, &ps, &pol, &vo, &v, &e);
			if (rc == CS_REJECT)
				rc = cs_fail(&e, CS_MALFORMED, "io", "%s changed while being exported", f);
			if (rc == CS_OK && (flush_out(&o) != 0 || fflush(stdout) != 0))
				rc = CS_MALFORMED;
		}
	}
	if (rc == CS_REJECT && o.json) {
		json_t *j = cmd_json_report("rejected", "release", file);

		cmd_desc_zip(j, &v, &pol, NULL, NULL);
		json_object_set_new(j, "exported", json_integer(0));
		cmd_json_print(j);
	} else if (rc == CS_REJECT) {
		office_print_problems(stderr, &v);
		rc = cmd_fail(CS_REJECT, v.nproblem ? v.problem[0].reason : "rejected", file,
		    "not exported: the release does not verify");
	} else if (rc != CS_OK) {
		rc = cmd_report(o.failed && o.out != NULL ? o.out : file, &e);
	} else if (o.json) {
		json_t *j = cmd_json_report("accepted", "release", file);

		cmd_desc_zip(j, &v, &pol, NULL, o.excl);
		json_object_set_new(j, "output", cmd_json_text(o.out));
		json_object_set_new(j, "exported", cmd_json_u64(o.lines));
		cmd_json_print(j);
	} else {
		fprintf(stderr, "%s: %llu devices exported (release %llu)\n", f,
		    (unsigned long long)o.lines, (unsigned long long)o.seq);
	}
	cs_verify_free(&v);
	json_decref(o.excl);
	o.excl = NULL;
	return rc;
}
