/* consign policy create: draft a policy (the custodians, M, the office key). */
#include "cmd.h"

#include <string.h>

#include <sodium.h>

#include "util/file.h"

static const char usage[] =
    "usage: consign policy create --threshold M --custodian A.pub --custodian B.pub ...\n"
    "                             --office O.pub [--previous P] -o policy.cbor\n"
    "                             [--force]\n"
    "\n"
    "Writes an unsigned policy draft: M of the listed custodians must sign it\n"
    "(consign sign). With --previous P it is a rotation: version P+1, naming P's\n"
    "digest, and it also needs M signatures of P's custodians. A first policy gets a\n"
    "new random deployment id; a rotation keeps P's.\n"
    "\n"
    "       consign policy anchor --policy P -o anchor.h [--force]\n"
    "writes the trust anchor of a signed policy P as a C header for device firmware.\n";

struct opts {
	const char *threshold, *office, *previous, *out;
	const char *cust[CS_MAX_CUSTODIANS + 1];
	size_t ncust;
};

static int
create(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("threshold", 't', struct opts, threshold),
	    CMD_LIST("custodian", 'c', struct opts, cust, ncust, CS_MAX_CUSTODIANS, "custodians"),
	    CMD_ARG("office", 'f', struct opts, office),
	    CMD_ARG("previous", 'P', struct opts, previous),
	    CMD_ARG("output", 'o', struct opts, out), CMD_FORCE_OPT, CMD_OPT_END};
	struct opts o = {0};
	cs_policy p, prev;
	cs_signed ps;
	cs_pubkey k;
	uint8_t *pbuf = NULL;
	size_t pn = 0, i;
	cs_buf payload;
	char fp[CMD_FP_LEN];
	int rc;

	if ((rc = cmd_getopt_only(argc, argv, opts, usage, NULL, &o)) >= 0)
		return rc;
	if (o.threshold == NULL || o.ncust == 0 || o.office == NULL || o.out == NULL)
		return cmd_usage(usage, "--threshold, --custodian, --office and -o are required");
	memset(&p, 0, sizeof p);
	if (cmd_parse_u64(o.threshold, &p.threshold) != 0 || p.threshold == 0 ||
	    p.threshold > o.ncust)
		return cmd_usage(usage, "--threshold must be 1..%zu (the number of custodians)",
		    o.ncust);
	for (i = 0; i < o.ncust; i++) {
		if ((rc = cmd_load_pubkey(o.cust[i], &k)) != CS_OK)
			return rc;
		strcpy(p.cust[i].id, k.id);
		strcpy(p.cust[i].name, k.name);
		memcpy(p.cust[i].pk, k.pk, CS_PK_LEN);
	}
	p.ncust = o.ncust;
	if ((rc = cmd_load_pubkey(o.office, &k)) != CS_OK)
		return rc;
	memcpy(p.office_pk, k.pk, CS_PK_LEN);
	if (o.previous != NULL) {
		if ((rc = cmd_load_policy(o.previous, &pbuf, &pn, &ps, &prev)) != CS_OK)
			return rc;
		cs_file_free(pbuf, pn);
		memcpy(p.deployment, prev.deployment, CS_DEPLOY_LEN);
		p.version = prev.version + 1;
		p.has_prev = 1;
		memcpy(p.prev, ps.digest, CS_DIGEST_LEN);
	} else {
		cs_policy_fresh(&p);
	}
	cs_buf_init(&payload, CS_PAYLOAD_MAX);
	if (cs_policy_encode(&payload, &p) != CS_OK) {
		rc = cmd_fail(CS_USAGE, "usage", NULL, "custodians must have distinct keys and distinct ids");
		goto done;
	}
	if ((rc = cmd_write_draft(o.out, CS_KIND_POLICY, &payload, fp)) != CS_OK)
		goto done;
	if (cs_policy_split_risk(&p))
		cmd_warn("threshold %llu of %zu is not a majority: two disjoint groups could sign two "
			 "different successor policies",
		    (unsigned long long)p.threshold, p.ncust);
	printf("%s: policy version %llu draft, %llu of %zu custodians, digest %s; needs %llu "
	       "signature%s%s\n",
	    o.out, (unsigned long long)p.version, (unsigned long long)p.threshold, p.ncust, fp,
	    (unsigned long long)p.threshold, p.threshold == 1 ? "" : "s",
	    o.previous ? " from each of the old and the new custodians" : "");
done:
	cs_buf_free(&payload);
	return rc;
}

int
cmd_policy(int argc, char **argv)
{
	static const struct cmd_sub subs[] = {{"create", create}, {"anchor", cmd_policy_anchor},
	    {NULL, NULL}};

	return cmd_subcommand(argc, argv, subs, usage, "policy: expected a subcommand (create)");
}
