/* consign order create: draft a batch order for the factory, with the
 * evidence its devices must carry and the firmware it accepts. */
#include "cmd.h"

#include <string.h>

#include <sodium.h>

#include "format/refs.h"
#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign order create --policy P --batch ID --product NAME\n"
    "                            --serials FIRST-LAST --quantity N\n"
    "                            --station S.pub [--station S2.pub ...] -o order.cbor\n"
    "                            [--evidence none|secure-element|firmware|both]\n"
    "                            [--firmware-reference FILE] [--force]\n"
    "\n"
    "Writes an unsigned order draft under policy P (which must carry M valid\n"
    "signatures): batch ID, product, the serial range, how many devices, a new random\n"
    "batch nonce, and the station keys allowed to seal the batch. M custodians then\n"
    "sign it (consign sign --policy P).\n"
    "\n"
    "--evidence is what every device record must carry, checked against the\n"
    "policy's attestation roots (default none): a secure element's certificate\n"
    "chain for the device key, a PSA token from the firmware that made it, or both.\n"
    "--firmware-reference FILE, required exactly when the evidence includes firmware,\n"
    "lists the accepted firmware: one reference value a line,\n"
    "    TYPE MEASUREMENT SIGNER\n"
    "separated by spaces or tabs; TYPE a measurement type (1-32 printable\n"
    "characters, e.g. BL, SPE, App) or * for any; MEASUREMENT and SIGNER (the\n"
    "signer id) hex of 32, 48 or 64 bytes. Blank lines and lines starting with #\n"
    "are ignored; 1 to 16 reference values, each once.\n";

enum { OPT_EVIDENCE = 0x400, OPT_REFERENCE };

struct opts {
	const char *policy, *batch, *product, *serials, *quantity, *out, *evidence, *reference;
	const char *station[CS_MAX_STATIONS + 1];
	size_t nstation;
};

/* Reads the reference file (format/refs.h) into o->ref[], whose bytes live
 * in st; every refusal names FILE:LINE (FILE alone for the file as a whole)
 * and why, with exit 2. */
static int
load_refs(const char *file, cs_order *o, cs_refs *st)
{
	uint8_t *buf = NULL;
	size_t n = 0, line;
	cs_err e;
	int rc;

	if ((rc = cmd_read(file, CS_REFS_FILE_MAX, &buf, &n)) != CS_OK)
		return rc;
	cs_err_clear(&e);
	if ((rc = cs_refs_parse(st, buf, n, &line, &e)) != CS_OK) {
		if (line > 0)
			cs_err_subject(&e, "%s:%zu", file, line);
		else
			cs_err_subject(&e, "%s", file);
		rc = cmd_error(&e);
	} else {
		o->nref = st->n;
		memcpy(o->ref, st->ref, st->n * sizeof st->ref[0]);
	}
	cs_file_free(buf, n);
	return rc;
}

/* --evidence's words into CS_EV_* bits; -1 for another word. */
static int
evidence_of(const char *s)
{
	if (s == NULL || strcmp(s, "none") == 0)
		return 0;
	if (strcmp(s, "secure-element") == 0)
		return CS_EV_SE;
	if (strcmp(s, "firmware") == 0)
		return CS_EV_FIRMWARE;
	if (strcmp(s, "both") == 0)
		return CS_EV_ALL;
	return -1;
}

static int
create(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("policy", 'P', struct opts, policy),
	    CMD_ARG("batch", 'b', struct opts, batch),
	    CMD_ARG("product", 'd', struct opts, product),
	    CMD_ARG("serials", 'r', struct opts, serials),
	    CMD_ARG("quantity", 'q', struct opts, quantity),
	    CMD_LIST("station", 's', struct opts, station, nstation, CS_MAX_STATIONS, "stations"),
	    CMD_ARG("output", 'o', struct opts, out),
	    CMD_ARG("evidence", OPT_EVIDENCE, struct opts, evidence),
	    CMD_ARG("firmware-reference", OPT_REFERENCE, struct opts, reference), CMD_FORCE_OPT,
	    CMD_OPT_END};
	struct opts o = {0};
	cs_refs refs;
	char first[32], *dash, fp[CMD_FP_LEN], esc[200];
	cs_order ord;
	cs_policy p;
	cs_signed ps;
	cs_pubkey k;
	size_t i, j;
	cs_buf payload;
	int rc, ev;

	if ((rc = cmd_getopt_only(argc, argv, opts, usage, NULL, &o)) >= 0)
		return rc;
	if (!o.policy || !o.batch || !o.product || !o.serials || !o.quantity || !o.nstation ||
	    !o.out)
		return cmd_usage(usage, "--policy, --batch, --product, --serials, --quantity, "
					"--station and -o are required");
	memset(&ord, 0, sizeof ord);
	if (!cs_id_valid(o.batch))
		return cmd_usage(usage, "--batch must be 1-%d characters of [A-Za-z0-9._-]", CS_ID_MAX);
	if (!cs_text_valid(o.product, CS_NAME_MAX))
		return cmd_usage(usage, "--product must be 1-%d printable ASCII characters",
		    CS_NAME_MAX);
	strcpy(ord.batch, o.batch);
	strcpy(ord.product, o.product);
	dash = strchr(o.serials, '-');
	if (dash == NULL || (size_t)(dash - o.serials) >= sizeof first)
		return cmd_usage(usage, "--serials must be FIRST-LAST");
	memcpy(first, o.serials, (size_t)(dash - o.serials));
	first[dash - o.serials] = '\0';
	if (cmd_parse_u64(first, &ord.first) != 0 || cmd_parse_u64(dash + 1, &ord.last) != 0 ||
	    ord.first > ord.last)
		return cmd_usage(usage, "--serials must be FIRST-LAST with FIRST <= LAST");
	if (cmd_parse_u64(o.quantity, &ord.quantity) != 0 || ord.quantity == 0 ||
	    ord.quantity > CS_MAX_QUANTITY || ord.quantity - 1 > ord.last - ord.first)
		return cmd_usage(usage, "--quantity must be 1..%llu and fit the serial range",
		    CS_MAX_QUANTITY);
	for (i = 0; i < o.nstation; i++) {
		if ((rc = cmd_load_pubkey(o.station[i], &k)) != CS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (memcmp(ord.station[j], k.pk, CS_PK_LEN) == 0)
				return cmd_usage(usage, "station key %s given twice", o.station[i]);
		memcpy(ord.station[i], k.pk, CS_PK_LEN);
	}
	ord.nstation = o.nstation;
	if ((ev = evidence_of(o.evidence)) < 0)
		return cmd_usage(usage, "--evidence must be none, secure-element, firmware or "
				      "both");
	ord.evidence = (unsigned)ev;
	if ((ord.evidence & CS_EV_FIRMWARE) != 0 && o.reference == NULL)
		return cmd_usage(usage, "--evidence %s needs --firmware-reference FILE",
		    o.evidence);
	if ((ord.evidence & CS_EV_FIRMWARE) == 0 && o.reference != NULL)
		return cmd_usage(usage, "--firmware-reference applies when --evidence is "
				      "firmware or both");
	if (o.reference != NULL && (rc = load_refs(o.reference, &ord, &refs)) != CS_OK)
		return rc;
	if ((rc = cmd_load_pinned_policy(o.policy, &ps, &p)) != CS_OK)
		return rc;
	if (ord.evidence != 0 && p.nroot == 0)
		cmd_warn("%s pins no attestation roots: no device's evidence can be checked, and "
			 "none of this order's devices will be accepted",
		    cs_escapez(esc, sizeof esc, o.policy));
	memcpy(ord.deployment, p.deployment, CS_DEPLOY_LEN);
	memcpy(ord.policy, ps.digest, CS_DIGEST_LEN);
	cs_order_fresh(&ord);
	cs_buf_init(&payload, CS_PAYLOAD_MAX);
	if (cs_order_encode(&payload, &ord) != CS_OK) {
		rc = cmd_fail(CS_MALFORMED, "internal", o.out, "cannot encode the order");
		goto done;
	}
	if ((rc = cmd_write_draft(o.out, CS_KIND_ORDER, &payload, fp)) != CS_OK)
		goto done;
	printf("%s: order draft for batch %s (%s), %llu devices, serials %llu-%llu, digest %s; "
	       "needs %llu custodian signatures\n",
	    o.out, ord.batch, cs_escapez(esc, sizeof esc, ord.product),
	    (unsigned long long)ord.quantity, (unsigned long long)ord.first,
	    (unsigned long long)ord.last, fp, (unsigned long long)p.threshold);
	if (ord.nref > 0)
		printf("  evidence required: %s, %zu firmware reference value%s\n",
		    cs_evidence_name(ord.evidence), ord.nref, ord.nref == 1 ? "" : "s");
	else if (ord.evidence != 0)
		printf("  evidence required: %s\n", cs_evidence_name(ord.evidence));
done:
	cs_buf_free(&payload);
	return rc;
}

int
cmd_order(int argc, char **argv)
{
	static const struct cmd_sub subs[] = {{"create", create}, {NULL, NULL}};

	return cmd_subcommand(argc, argv, subs, usage, "order: expected a subcommand (create)");
}
