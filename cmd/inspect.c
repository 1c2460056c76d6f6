/* consign inspect: what an artifact or key file says, for people (escaped) or
 * as JSON. Nothing is verified here. */
#include "cmd.h"

#include <string.h>

#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign inspect [--json] FILE\n"
    "\n"
    "Shows what FILE (any artifact or key file) says, every text escaped. It checks\n"
    "the format strictly but verifies no signature: use consign verify for that.\n";

/* Field printer: "  name: value" or "\"name\":value" in a JSON object. */
struct out {
	int json;
	int n;
};

static void
field_raw(struct out *o, const char *name, const char *jsonval, const char *text)
{
	if (o->json)
		printf("%s\"%s\":%s", o->n++ ? "," : "", name, jsonval);
	else
		printf("  %-14s %s\n", name, text);
}

static void
field_str(struct out *o, const char *name, const char *s)
{
	char j[1024], t[1024], q[1040];

	cs_json_escape(j, sizeof j, s);
	snprintf(q, sizeof q, "\"%s\"", j);
	field_raw(o, name, q, cs_escapez(t, sizeof t, s));
}

static void
field_u64(struct out *o, const char *name, uint64_t v)
{
	char b[32];

	snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	field_raw(o, name, b, b);
}

static void
field_hex(struct out *o, const char *name, const uint8_t *p, size_t n)
{
	char h[2 * 64 + 1], q[2 * 64 + 3];

	cs_hex(h, p, n);
	snprintf(q, sizeof q, "\"%s\"", h);
	field_raw(o, name, q, h);
}

static void
field_key(struct out *o, const char *name, const uint8_t pk[CS_PK_LEN])
{
	uint8_t kid[CS_KID_LEN];

	cs_keyid(kid, pk);
	field_hex(o, name, kid, CS_KID_LEN);
}

static void
exclusions(struct out *o, const char *name, const cs_excl_list *l)
{
	cs_exclusion x;
	size_t pos = 0, i = 0;
	char line[128];

	if (o->json) {
		printf("%s\"%s\":[", o->n++ ? "," : "", name);
		while (cs_excl_next(l, &pos, &i, &x)) {
			printf("%s{\"index\":%llu,\"serial\":", i > 1 ? "," : "",
			    (unsigned long long)x.index);
			if (x.has_serial)
				printf("%llu", (unsigned long long)x.serial);
			else
				printf("null");
			printf(",\"reason\":\"%s\"", x.reason);
			if (x.released_in != 0)
				printf(",\"released_in\":%llu", (unsigned long long)x.released_in);
			printf("}");
		}
		printf("]");
		return;
	}
	snprintf(line, sizeof line, "%zu", l->n);
	field_raw(o, name, line, line);
	while (cs_excl_next(l, &pos, &i, &x)) {
		if (x.has_serial)
			printf("    record %llu (serial %llu): %s", (unsigned long long)x.index,
			    (unsigned long long)x.serial, x.reason);
		else
			printf("    record %llu: %s", (unsigned long long)x.index, x.reason);
		if (x.released_in != 0)
			printf(" in release %llu", (unsigned long long)x.released_in);
		printf("\n");
	}
}

static int
payload(struct out *o, const char *kind, const uint8_t *p, size_t n, cs_err *e)
{
	static cs_policy pol;
	cs_order ord;
	cs_record rec;
	cs_header h;
	cs_release rel;
	cs_receipt rcp;
	char name[64];
	size_t i;
	int rc;

	if (strcmp(kind, CS_KIND_POLICY) == 0) {
		if ((rc = cs_policy_decode(&pol, p, n, e)) != CS_OK)
			return rc;
		field_hex(o, "deployment", pol.deployment, CS_DEPLOY_LEN);
		field_u64(o, "version", pol.version);
		if (pol.has_prev)
			field_hex(o, "previous", pol.prev, CS_DIGEST_LEN);
		field_u64(o, "threshold", pol.threshold);
		for (i = 0; i < pol.ncust; i++) {
			snprintf(name, sizeof name, "custodian.%zu", i + 1);
			field_str(o, name, pol.cust[i].id);
			snprintf(name, sizeof name, "custodian.%zu.name", i + 1);
			field_str(o, name, pol.cust[i].name);
			snprintf(name, sizeof name, "custodian.%zu.kid", i + 1);
			field_key(o, name, pol.cust[i].pk);
		}
		field_key(o, "office.kid", pol.office_pk);
	} else if (strcmp(kind, CS_KIND_ORDER) == 0) {
		if ((rc = cs_order_decode(&ord, p, n, e)) != CS_OK)
			return rc;
		field_hex(o, "deployment", ord.deployment, CS_DEPLOY_LEN);
		field_hex(o, "policy", ord.policy, CS_DIGEST_LEN);
		field_str(o, "batch", ord.batch);
		field_str(o, "product", ord.product);
		field_u64(o, "first", ord.first);
		field_u64(o, "last", ord.last);
		field_u64(o, "quantity", ord.quantity);
		field_hex(o, "nonce", ord.nonce, CS_NONCE_LEN);
		for (i = 0; i < ord.nstation; i++) {
			snprintf(name, sizeof name, "station.%zu.kid", i + 1);
			field_key(o, name, ord.station[i]);
		}
	} else if (strcmp(kind, CS_KIND_RECORD) == 0) {
		if ((rc = cs_record_decode(&rec, p, n, e)) != CS_OK)
			return rc;
		field_hex(o, "deployment", rec.deployment, CS_DEPLOY_LEN);
		field_u64(o, "serial", rec.serial);
		field_hex(o, "device_key", rec.pk, CS_PK_LEN);
		field_hex(o, "hardware_id", rec.hwid, rec.hwid_len);
		field_str(o, "firmware", rec.firmware);
		field_str(o, "batch", rec.batch);
		field_hex(o, "nonce", rec.nonce, CS_NONCE_LEN);
		if (rec.has_att) {
			field_str(o, "attestation", rec.att_type);
			field_u64(o, "attestation.bytes", rec.att_len);
		}
	} else if (strcmp(kind, CS_KIND_HEADER) == 0) {
		if ((rc = cs_header_decode(&h, p, n, e)) != CS_OK)
			return rc;
		field_hex(o, "deployment", h.deployment, CS_DEPLOY_LEN);
		field_hex(o, "order", h.order, CS_DIGEST_LEN);
		field_str(o, "batch", h.batch);
		field_u64(o, "count", h.count);
		field_hex(o, "records", h.records, CS_DIGEST_LEN);
		field_u64(o, "created", h.created);
		field_key(o, "station.kid", h.station_pk);
	} else if (strcmp(kind, CS_KIND_RELEASE) == 0) {
		if ((rc = cs_release_decode(&rel, p, n, e)) != CS_OK)
			return rc;
		field_hex(o, "deployment", rel.deployment, CS_DEPLOY_LEN);
		field_u64(o, "sequence", rel.seq);
		if (rel.has_prev)
			field_hex(o, "previous", rel.prev, CS_DIGEST_LEN);
		field_hex(o, "policy", rel.policy, CS_DIGEST_LEN);
		field_hex(o, "order", rel.order, CS_DIGEST_LEN);
		field_str(o, "batch", rel.batch);
		field_hex(o, "header", rel.header, CS_DIGEST_LEN);
		field_hex(o, "records", rel.records, CS_DIGEST_LEN);
		field_u64(o, "count", rel.count);
		field_u64(o, "accepted", rel.accepted);
		exclusions(o, "excluded", &rel.excluded);
	} else if (strcmp(kind, CS_KIND_RECEIPT) == 0) {
		if ((rc = cs_receipt_decode(&rcp, p, n, e)) != CS_OK)
			return rc;
		field_hex(o, "deployment", rcp.deployment, CS_DEPLOY_LEN);
		field_hex(o, "header", rcp.header, CS_DIGEST_LEN);
		field_str(o, "batch", rcp.batch);
		field_hex(o, "order", rcp.order, CS_DIGEST_LEN);
		field_u64(o, "count", rcp.count);
		field_u64(o, "accepted", rcp.accepted);
		exclusions(o, "refused", &rcp.refused);
		for (i = 0; i < rcp.nproblem; i++) {
			snprintf(name, sizeof name, "batch_problem.%zu", i + 1);
			field_str(o, name, rcp.problem[i]);
		}
	} else {
		return cs_fail(e, CS_MALFORMED, "kind", "unknown kind %s", kind);
	}
	return CS_OK;
}

static int
inspect_key(struct out *o, const char *file, const uint8_t *buf, size_t n)
{
	cs_pubkey pk;
	cs_seckey sk;
	cs_err e;

	cs_err_clear(&e);
	if (n > 20 && memcmp(buf, "consign public key: ", 20) == 0) {
		if (cs_pubkey_parse(&pk, buf, n, &e) != CS_OK)
			return cmd_report(file, &e);
		if (o->json)
			printf("{");
		else
			printf("%s: public key\n", file);
		field_str(o, "kind", "public-key");
		field_str(o, "id", pk.id);
		field_str(o, "name", pk.name);
		field_hex(o, "kid", pk.kid, CS_KID_LEN);
		field_hex(o, "public_key", pk.pk, CS_PK_LEN);
	} else {
		if (cs_seckey_parse_public(&sk, buf, n, &e) != CS_OK)
			return cmd_report(file, &e);
		if (o->json)
			printf("{");
		else
			printf("%s: secret key (encrypted; only its public part is shown)\n", file);
		field_str(o, "kind", "secret-key");
		field_str(o, "id", sk.pub.id);
		field_str(o, "name", sk.pub.name);
		field_hex(o, "kid", sk.pub.kid, CS_KID_LEN);
		field_u64(o, "kdf.passes", sk.opslimit);
		field_u64(o, "kdf.memory", sk.memlimit);
	}
	if (o->json)
		printf("}\n");
	return CS_OK;
}

static int
opt(int key, const char *arg, void *ctx)
{
	(void)arg;
	if (key == 'j')
		((struct out *)ctx)->json = 1;
	return 0;
}

int
cmd_inspect(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {{"json", 0, 0, 'j'}, {NULL, 0, 0, 0}};
	struct out o = {0};
	uint8_t *buf = NULL;
	const char *file;
	size_t n = 0, i;
	cs_cose c;
	cs_err e;
	char kid[2 * CS_KID_LEN + 1], fp[24];
	uint8_t d[CS_DIGEST_LEN];
	int a, rc;

	if ((a = cmd_getopt(argc, argv, opts, usage, opt, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (a != argc - 1)
		return cmd_usage(usage, "expected exactly one FILE");
	file = argv[a];
	if (cmd_file_is_zip(file))
		return cmd_inspect_zip(argc, argv);
	if ((rc = cmd_read(file, CMD_ARTIFACT_MAX, &buf, &n)) != CS_OK)
		return rc;
	if (n > 8 && memcmp(buf, "consign ", 8) == 0) {
		rc = inspect_key(&o, file, buf, n);
		cs_file_free(buf, n);
		return rc;
	}
	cs_err_clear(&e);
	if ((rc = cs_cose_decode(&c, buf, n, &e)) != CS_OK) {
		cs_file_free(buf, n);
		return cmd_report(file, &e);
	}
	cs_digest(d, c.kind, c.payload, c.payload_len);
	if (o.json) {
		printf("{");
		field_str(&o, "kind", c.kind);
		field_str(&o, "envelope", c.multi ? "COSE_Sign" : "COSE_Sign1");
		field_hex(&o, "digest", d, CS_DIGEST_LEN);
	} else {
		cmd_fingerprint(fp, d);
		printf("%s: %s (%s), digest %s\n", file, c.kind, c.multi ? "COSE_Sign" : "COSE_Sign1",
		    fp);
	}
	if ((rc = payload(&o, c.kind, c.payload, c.payload_len, &e)) != CS_OK) {
		if (o.json)
			printf("}\n");
		cs_file_free(buf, n);
		cs_err_prefix(&e, "%s payload", c.kind);
		return cmd_report(file, &e);
	}
	if (o.json) {
		printf(",\"signatures\":[");
		for (i = 0; i < c.nsig; i++) {
			cs_hex(kid, c.s[i].kid, CS_KID_LEN);
			printf("%s\"%s\"", i ? "," : "", kid);
		}
		printf("]}\n");
	} else {
		printf("  %-14s %zu (not verified here)\n", "signatures", c.nsig);
		for (i = 0; i < c.nsig; i++) {
			cs_hex(kid, c.s[i].kid, CS_KID_LEN);
			printf("    key id %s\n", kid);
		}
	}
	cs_file_free(buf, n);
	return CS_OK;
}
