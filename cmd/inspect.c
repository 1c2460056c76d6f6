/* consign inspect: what an artifact, a batch or release zip, or a key file
 * says, for people (escaped) or as the JSON report (verdict "shown").
 * Nothing is verified here: the one report is built, then printed as JSON
 * or as lines of text. */
#include "office.h"

#include <string.h>

#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign inspect [--json] FILE\n"
    "\n"
    "Shows what FILE (any artifact, batch or release zip, or key file) says, every\n"
    "text escaped. It checks the format strictly but verifies no signature: use\n"
    "consign verify for that. --json prints the report (manifests/report.md).\n";

/* ---- printing the report for people ---------------------------------------- */

static void text_value(const char *name, json_t *v, int depth);

/* A key id reads as every fingerprint does, in groups of four. */
static void
text_scalar(char *out, size_t cap, const char *name, json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = strlen(name);
	uint8_t k[CS_KID_LEN];

	if (s != NULL && n >= 3 && strcmp(name + n - 3, "kid") == 0 && strlen(s) == 32 &&
	    cs_unhex(k, sizeof k, s) == 0 && cap >= CMD_FP_LEN)
		cmd_fingerprint(out, k);
	else if (json_is_string(v))
		snprintf(out, cap, "%s", s);
	else if (json_is_integer(v))
		snprintf(out, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_true(v))
		snprintf(out, cap, "yes");
	else if (json_is_false(v))
		snprintf(out, cap, "no");
	else
		snprintf(out, cap, "none");
}

static void
text_value(const char *name, json_t *v, int depth)
{
	char s[1024];
	const char *k;
	json_t *x, *y;
	size_t i;

	if (json_is_object(v)) {
		printf("%*s%s:\n", 2 * depth, "", name);
		json_object_foreach(v, k, x)
			text_value(k, x, depth + 1);
	} else if (json_is_array(v)) {
		printf("%*s%-16s %zu\n", 2 * depth, "", name, json_array_size(v));
		json_array_foreach(v, i, x) {
			if (json_is_object(x)) {
				const char *sep = "";

				printf("%*s-", 2 * depth + 2, "");
				json_object_foreach(x, k, y) {
					text_scalar(s, sizeof s, k, y);
					printf("%s %s %s", sep, k, s);
					sep = ",";
				}
				printf("\n");
			} else {
				text_scalar(s, sizeof s, name, x);
				printf("%*s- %s\n", 2 * depth + 2, "", s);
			}
		}
	} else {
		text_scalar(s, sizeof s, name, v);
		printf("%*s%-16s %s\n", 2 * depth, "", name, s);
	}
}

static int
show(json_t *r, int json, const char *what)
{
	const char *k;
	json_t *v;

	if (json)
		return cmd_json_print(r) == 0 ? CS_OK : CS_MALFORMED;
	printf("%s: %s (not verified here: use consign verify)\n",
	    json_string_value(json_object_get(r, "subject")), what);
	json_object_foreach(r, k, v) {
		if (strcmp(k, "verdict") == 0 || strcmp(k, "subject") == 0 ||
		    strcmp(k, "problems") == 0)
			continue;
		text_value(k, v, 1);
	}
	json_decref(r);
	return CS_OK;
}

/* ---- what each file says ----------------------------------------------------- */

static int
inspect_key(const char *file, const uint8_t *buf, size_t n, int json)
{
	cs_pubkey pk;
	cs_seckey sk;
	cs_err e;
	json_t *r;

	cs_err_clear(&e);
	if (n > 20 && memcmp(buf, "consign public key: ", 20) == 0) {
		if (cs_pubkey_parse(&pk, buf, n, &e) != CS_OK)
			return cmd_report(file, &e);
		r = cmd_json_report("shown", "public-key", file);
		json_object_set_new(r, "id", json_string(pk.id));
		json_object_set_new(r, "name", cmd_json_text(pk.name));
		json_object_set_new(r, "kid", cmd_json_hex(pk.kid, CS_KID_LEN));
		json_object_set_new(r, "public_key", cmd_json_hex(pk.pk, CS_PK_LEN));
		return show(r, json, "public key");
	}
	if (cs_seckey_parse_public(&sk, buf, n, &e) != CS_OK)
		return cmd_report(file, &e);
	r = cmd_json_report("shown", "secret-key", file);
	json_object_set_new(r, "id", json_string(sk.pub.id));
	json_object_set_new(r, "name", cmd_json_text(sk.pub.name));
	json_object_set_new(r, "kid", cmd_json_hex(sk.pub.kid, CS_KID_LEN));
	json_object_set_new(r, "kdf_passes", cmd_json_u64(sk.opslimit));
	json_object_set_new(r, "kdf_memory", cmd_json_u64(sk.memlimit));
	return show(r, json, "secret key (encrypted; only its public part is shown)");
}

/* The payload's fields into r; CS_MALFORMED with e when it is not its kind. */
static int
payload(json_t *r, const cs_cose *c, cs_err *e)
{
	cs_policy pol;
	uint8_t d[CS_DIGEST_LEN];
	cs_order ord;
	cs_record rec;
	cs_header h;
	cs_release rel;
	cs_receipt rcp;
	cs_withdrawal w;
	int rc;

	cs_digest(d, c->kind, c->payload, c->payload_len);
	if (strcmp(c->kind, CS_KIND_POLICY) == 0) {
		if ((rc = cs_policy_decode(&pol, c->payload, c->payload_len, e)) == CS_OK)
			cmd_desc_policy(r, d, &pol);
	} else if (strcmp(c->kind, CS_KIND_ORDER) == 0) {
		if ((rc = cs_order_decode(&ord, c->payload, c->payload_len, e)) == CS_OK)
			cmd_desc_order(r, d, &ord);
	} else if (strcmp(c->kind, CS_KIND_RECORD) == 0) {
		if ((rc = cs_record_decode(&rec, c->payload, c->payload_len, e)) == CS_OK)
			cmd_desc_record(r, &rec);
	} else if (strcmp(c->kind, CS_KIND_HEADER) == 0) {
		if ((rc = cs_header_decode(&h, c->payload, c->payload_len, e)) == CS_OK)
			cmd_desc_header(r, &h);
	} else if (strcmp(c->kind, CS_KIND_RELEASE) == 0) {
		if ((rc = cs_release_decode(&rel, c->payload, c->payload_len, e)) == CS_OK) {
			json_object_set_new(r, "batch", json_string(rel.batch));
			json_object_set_new(r, "order", cmd_json_hex(rel.order, CS_DIGEST_LEN));
			json_object_set_new(r, "header", cmd_json_hex(rel.header, CS_DIGEST_LEN));
			json_object_set_new(r, "records", cmd_json_u64(rel.count));
			json_object_set_new(r, "records_digest", cmd_json_hex(rel.records,
			    CS_DIGEST_LEN));
			cmd_desc_release(r, d, &rel);
			json_object_set_new(r, "excluded", cmd_desc_exclusions(&rel.excluded));
		}
	} else if (strcmp(c->kind, CS_KIND_RECEIPT) == 0) {
		if ((rc = cs_receipt_decode(&rcp, c->payload, c->payload_len, e)) == CS_OK)
			cmd_desc_receipt(r, d, &rcp);
	} else if (strcmp(c->kind, CS_KIND_WITHDRAWAL) == 0) {
		if ((rc = cs_withdrawal_decode(&w, c->payload, c->payload_len, e)) == CS_OK)
			cmd_desc_withdrawal(r, d, &w);
	} else {
		rc = cs_fail(e, CS_MALFORMED, "kind", "unknown kind %s", c->kind);
	}
	return rc;
}

static int
inspect_cose(const char *file, const uint8_t *buf, size_t n, int json)
{
	cs_cose c;
	cs_err e;
	json_t *r;
	char what[64];

	cs_err_clear(&e);
	if (cs_cose_decode(&c, buf, n, &e) != CS_OK)
		return cmd_report(file, &e);
	cmd_json_errors(c.kind);
	r = cmd_json_report("shown", c.kind, file);
	json_object_set_new(r, "envelope", json_string(c.multi ? "COSE_Sign" : "COSE_Sign1"));
	if (payload(r, &c, &e) != CS_OK) {
		json_decref(r);
		cs_err_prefix(&e, "%s payload", c.kind);
		return cmd_report(file, &e);
	}
	cmd_desc_signatures(r, &c, NULL, NULL);
	snprintf(what, sizeof what, "%s (%s)", c.kind, c.multi ? "COSE_Sign" : "COSE_Sign1");
	return show(r, json, what);
}

static int
inspect_zip(const char *file, int json)
{
	cs_verify v = {0};
	cs_zipr *z = NULL;
	cs_err e;
	json_t *r, *o;
	uint8_t k[CS_KID_LEN];
	int rc, rel;

	cs_err_clear(&e);
	if ((rc = office_open(file, &z)) != CS_OK)
		return rc;
	rel = cs_zipr_entries(z) == CS_V_RELEASE;
	cmd_json_errors(rel ? "release" : "batch");
	if ((rc = cs_verify_load(&v, z, &e)) != CS_OK) {
		rc = cmd_report(file, &e);
		goto done;
	}
	r = cmd_json_report("shown", rel ? "release" : "batch", file);
	json_object_set_new(r, "batch", json_string(v.order.batch));
	o = cmd_desc_order_ref(&v, NULL, NULL);
	json_object_set_new(o, "product", cmd_json_text(v.order.product));
	json_object_set_new(o, "first", cmd_json_u64(v.order.first));
	json_object_set_new(o, "last", cmd_json_u64(v.order.last));
	json_object_set_new(r, "order", o);
	json_object_set_new(r, "header", cmd_json_hex(v.header_digest, CS_DIGEST_LEN));
	json_object_set_new(r, "records", cmd_json_u64(v.header.count));
	json_object_set_new(r, "records_digest", cmd_json_hex(v.header.records, CS_DIGEST_LEN));
	json_object_set_new(r, "records_bytes", cmd_json_u64(cs_zipr_size(z, CS_ZE_RECORDS)));
	json_object_set_new(r, "records_stored", json_boolean(cs_zipr_stored(z, CS_ZE_RECORDS)));
	json_object_set_new(r, "created", cmd_json_u64(v.header.created));
	cs_keyid(k, v.header.station_pk);
	json_object_set_new(r, "station_kid", cmd_json_hex(k, CS_KID_LEN));
	if (rel) {
		cmd_desc_release(r, v.release_s.digest, &v.release);
		json_object_set_new(r, "excluded", cmd_desc_exclusions(&v.release.excluded));
		cmd_desc_signatures(r, &v.release_s.cose, NULL, NULL);
	}
	rc = show(r, json, rel ? "release zip" : "batch zip");
done:
	cs_verify_free(&v);
	cs_zipr_close(z);
	return rc;
}

struct opts {
	int json;
};

int
cmd_inspect(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_FLAG("json", 'j', struct opts, json),
	    CMD_OPT_END};
	struct opts o = {0};
	uint8_t *buf = NULL;
	const char *file;
	size_t n = 0;
	int a, rc, json;

	if ((a = cmd_getopt(argc, argv, opts, usage, NULL, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	json = o.json;
	if (json)
		cmd_json_errors(NULL);
	if (a != argc - 1)
		return cmd_usage(usage, "expected exactly one FILE");
	file = argv[a];
	if (cmd_file_is_zip(file))
		return inspect_zip(file, json);
	if ((rc = cmd_read(file, CMD_ARTIFACT_MAX, &buf, &n)) != CS_OK)
		return rc;
	if (n > 8 && memcmp(buf, "consign ", 8) == 0)
		rc = inspect_key(file, buf, n, json);
	else
		rc = inspect_cose(file, buf, n, json);
	cs_file_free(buf, n);
	return rc;
}
