/* consign order create: draft a batch order for the factory. */
#include "cmd.h"

#include <string.h>

#include <sodium.h>

#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign order create --policy P --batch ID --product NAME\n"
    "                            --serials FIRST-LAST --quantity N\n"
    "                            --station S.pub [--station S2.pub ...] -o order.cbor\n"
    "                            [--force]\n"
    "\n"
    "Writes an unsigned order draft under policy P (which must carry M valid\n"
    "signatures): batch ID, product, the serial range, how many devices, a new random\n"
    "batch nonce, and the station keys allowed to seal the batch. M custodians then\n"
    "sign it (consign sign --policy P).\n";

struct opts {
	const char *policy, *batch, *product, *serials, *quantity, *out;
	const char *station[CS_MAX_STATIONS + 1];
	size_t nstation;
};

static int
create(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("policy", 'P', struct opts, policy),
	    CMD_ARG("batch", 'b', struct opts, batch),
	    CMD_ARG("product", 'd', struct opts, product),
	    CMD_ARG("serials", 'r', struct opts, serials),
	    CMD_ARG("quantity", 'q', struct opts, quantity),
	    CMD_LIST("station", 's', struct opts, station, nstation, CS_MAX_STATIONS, "stations"),
	    CMD_ARG("output", 'o', struct opts, out), CMD_FORCE_OPT, CMD_OPT_END};
	struct opts o = {0};
	char first[32], *dash, fp[CMD_FP_LEN], esc[200];
	cs_order ord;
	cs_policy p;
	cs_signed ps;
	cs_pubkey k;
	size_t i, j;
	cs_buf payload;
	int rc;

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
	if ((rc = cmd_load_pinned_policy(o.policy, &ps, &p)) != CS_OK)
		return rc;
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
