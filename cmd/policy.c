/* consign policy create: draft a policy (the custodians, M, the office key,
 * the makers' certificates evidence must chain to). */
#include "cmd.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "attest/chain.h"
#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign policy create --threshold M --custodian A.pub --custodian B.pub ...\n"
    "                             --office O.pub [--previous P] -o policy.cbor\n"
    "                             [--attestation-root NAME=FILE ...] [--force]\n"
    "\n"
    "Writes an unsigned policy draft: M of the listed custodians must sign it\n"
    "(consign sign). With --previous P it is a rotation: version P+1, naming P's\n"
    "digest, and it also needs M signatures of P's custodians. A first policy gets a\n"
    "new random deployment id; a rotation keeps P's.\n"
    "\n"
    "--attestation-root pins a maker's certificate (FILE: one X.509 certificate,\n"
    "DER or PEM) that devices' evidence must chain to, named NAME (1-64 printable\n"
    "characters); at most 4, distinct names and certificates, the policy within\n"
    "4096 bytes. A rotation lists its roots anew: P's roots it does not list are\n"
    "retired.\n"
    "\n"
    "       consign policy anchor --policy P -o anchor.h [--force]\n"
    "writes the trust anchor of a signed policy P as a C header for device firmware.\n";

/* room for the encoder to measure a policy above CS_PAYLOAD_MAX itself */
#define POLICY_DRAFT_MAX \
	(CS_PAYLOAD_MAX + CS_POLICY_ROOTS_MAX * (CS_EV_CERT_MAX + CS_NAME_MAX + 16))
/* a root's file: a PEM certificate of CS_EV_CERT_MAX bytes and text around it */
#define ROOT_FILE_MAX 16384

enum { OPT_ROOT = 0x400 };

struct opts {
	const char *threshold, *office, *previous, *out;
	const char *cust[CS_MAX_CUSTODIANS + 1];
	size_t ncust;
	const char *root[CS_POLICY_ROOTS_MAX + 1];
	size_t nroot;
};

/* The DER inside a PEM file: exactly one CERTIFICATE block (text around it,
 * as openssl x509 -text writes, is allowed). 0, or -1 with why. */
static int
pem_cert(const uint8_t *buf, size_t n, uint8_t der[CS_EV_CERT_MAX], size_t *len, char *why,
    size_t cap)
{
	char *name = NULL, *hdr = NULL, *name2 = NULL, *hdr2 = NULL, esc[64];
	unsigned char *data = NULL, *data2 = NULL;
	long dlen = 0, dlen2 = 0;
	BIO *b;
	int rc = -1;

	if (n == 0) {
		snprintf(why, cap, "an empty file");
		return -1;
	}
	if ((b = BIO_new_mem_buf(buf, (int)n)) == NULL) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	if (PEM_read_bio(b, &name, &hdr, &data, &dlen) != 1)
		snprintf(why, cap, "neither a DER certificate nor a PEM one");
	else if (strcmp(name, PEM_STRING_X509) != 0)
		snprintf(why, cap, "a PEM %s, not a CERTIFICATE",
		    cs_escapez(esc, sizeof esc, name));
	else if (hdr[0] != '\0')
		snprintf(why, cap, "a PEM certificate with headers");
	else if (PEM_read_bio(b, &name2, &hdr2, &data2, &dlen2) == 1)
		snprintf(why, cap, "more than one PEM block: one certificate per "
				   "--attestation-root");
	else if (dlen <= 0 || (size_t)dlen > CS_EV_CERT_MAX)
		snprintf(why, cap, "a certificate of %ld bytes (1 to %d)", dlen, CS_EV_CERT_MAX);
	else {
		memcpy(der, data, (size_t)dlen);
		*len = (size_t)dlen;
		rc = 0;
	}
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(data);
	OPENSSL_free(name2);
	OPENSSL_free(hdr2);
	OPENSSL_free(data2);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/* One --attestation-root NAME=FILE into p->root[i], its certificate copied
 * into der (which the root borrows): refused unless FILE is exactly one
 * certificate (DER, or PEM) and NAME and the certificate are new. */
static int
load_root(const char *arg, cs_policy *p, size_t i, uint8_t der[CS_EV_CERT_MAX])
{
	const char *eq = strchr(arg, '='), *file;
	char why[160], esc[CS_NAME_MAX * 4 + 8], subject[CS_ATTEST_NAME_MAX];
	cs_policy_root *r = &p->root[i];
	uint8_t *buf = NULL;
	size_t n = 0, j;
	cs_err e;
	int rc;

	if (eq == NULL || eq == arg || eq[1] == '\0')
		return cmd_usage(usage, "--attestation-root wants NAME=FILE, not '%s'",
		    cs_escapez(esc, sizeof esc, arg));
	file = eq + 1;
	if ((size_t)(eq - arg) > CS_NAME_MAX)
		return cmd_usage(usage, "attestation root name '%s': at most %d characters",
		    cs_escape(esc, sizeof esc, arg, (size_t)(eq - arg)), CS_NAME_MAX);
	memcpy(r->name, arg, (size_t)(eq - arg));
	r->name[eq - arg] = '\0';
	if (!cs_text_valid(r->name, CS_NAME_MAX))
		return cmd_usage(usage, "attestation root name '%s': 1-%d printable ASCII "
				      "characters",
		    cs_escapez(esc, sizeof esc, r->name), CS_NAME_MAX);
	for (j = 0; j < i; j++)
		if (strcmp(p->root[j].name, r->name) == 0)
			return cmd_usage(usage, "attestation root name '%s' given twice",
			    cs_escapez(esc, sizeof esc, r->name));
	if ((rc = cmd_read(file, ROOT_FILE_MAX, &buf, &n)) != CS_OK)
		return rc;
	/* DER is one SEQUENCE; anything else can only be PEM */
	if (n > 0 && buf[0] == 0x30) {
		if (n > CS_EV_CERT_MAX) {
			snprintf(why, sizeof why, "a certificate of %zu bytes (at most %d)", n,
			    CS_EV_CERT_MAX);
			rc = -1;
		} else {
			memcpy(der, buf, n);
			r->len = n;
			rc = 0;
		}
	} else {
		rc = pem_cert(buf, n, der, &r->len, why, sizeof why);
	}
	cs_file_free(buf, n);
	if (rc != 0)
		return cmd_fail(CS_USAGE, "usage", file, "attestation root %s: %s", r->name, why);
	cs_err_clear(&e);
	if (cs_attest_cert_subject(subject, der, r->len, &e) != CS_OK)
		return cmd_fail(CS_USAGE, "usage", file, "attestation root %s: %s", r->name, e.msg);
	r->der = der;
	for (j = 0; j < i; j++)
		if (p->root[j].len == r->len && memcmp(p->root[j].der, der, r->len) == 0)
			return cmd_fail(CS_USAGE, "usage", file, "attestation root %s: the same "
			    "certificate as root %s", r->name, p->root[j].name);
	return CS_OK;
}

/* Whether the encoder refused p for its size alone: the one refusal left
 * once the options are checked that the roots can cause (the same policy
 * without them encodes). */
static int
too_large(const cs_policy *p)
{
	cs_policy q = *p;
	cs_buf b;
	int rc;

	q.nroot = 0;
	cs_buf_init(&b, CS_PAYLOAD_MAX);
	rc = cs_policy_encode(&b, &q);
	cs_buf_free(&b);
	return p->nroot > 0 && rc == CS_OK;
}

/* A root as custodians compare it with the one its maker publishes. */
static void
print_root(const char *what, const cs_policy_root *r)
{
	uint8_t fp[CS_ATTEST_FP_LEN];
	char hex[2 * CS_ATTEST_FP_LEN + 1], subject[CS_ATTEST_NAME_MAX], name[CS_NAME_MAX * 4 + 8];
	cs_err e;

	crypto_hash_sha256(fp, r->der, r->len);
	cs_hex(hex, fp, sizeof fp);
	cs_err_clear(&e);
	if (cs_attest_cert_subject(subject, r->der, r->len, &e) != CS_OK)
		snprintf(subject, sizeof subject, "(not a certificate)");
	printf("  %s %s: sha256 %s\n    subject %s\n", what, cs_escapez(name, sizeof name, r->name),
	    hex, subject);
}

static int
create(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("threshold", 't', struct opts, threshold),
	    CMD_LIST("custodian", 'c', struct opts, cust, ncust, CS_MAX_CUSTODIANS, "custodians"),
	    CMD_ARG("office", 'f', struct opts, office),
	    CMD_ARG("previous", 'P', struct opts, previous),
	    CMD_ARG("output", 'o', struct opts, out),
	    CMD_LIST("attestation-root", OPT_ROOT, struct opts, root, nroot, CS_POLICY_ROOTS_MAX,
		"attestation roots"),
	    CMD_FORCE_OPT, CMD_OPT_END};
	struct opts o = {0};
	cs_policy p, prev;
	cs_signed ps;
	cs_pubkey k;
	uint8_t *pbuf = NULL, der[CS_POLICY_ROOTS_MAX][CS_EV_CERT_MAX];
	size_t pn = 0, i, j;
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
	for (i = 0; i < o.nroot; i++)
		if ((rc = load_root(o.root[i], &p, i, der[i])) != CS_OK)
			return rc;
	p.nroot = o.nroot;
	if (o.previous != NULL) {
		/* kept until the end: its roots, which the retired ones are
		 * shown from, borrow from it */
		if ((rc = cmd_load_policy(o.previous, &pbuf, &pn, &ps, &prev)) != CS_OK)
			return rc;
		memcpy(p.deployment, prev.deployment, CS_DEPLOY_LEN);
		p.version = prev.version + 1;
		p.has_prev = 1;
		memcpy(p.prev, ps.digest, CS_DIGEST_LEN);
	} else {
		cs_policy_fresh(&p);
	}
	cs_buf_init(&payload, POLICY_DRAFT_MAX);
	if (cs_policy_encode(&payload, &p) != CS_OK) {
		if (too_large(&p))
			rc = cmd_usage(usage, "the policy would be above %d bytes: fewer or "
					      "smaller roots", CS_PAYLOAD_MAX);
		else
			rc = cmd_fail(CS_USAGE, "usage", NULL, "custodians must have distinct keys "
			    "and distinct ids");
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
	for (i = 0; i < p.nroot; i++)
		print_root("attestation root", &p.root[i]);
	for (i = 0; o.previous != NULL && i < prev.nroot; i++) {
		for (j = 0; j < p.nroot; j++)
			if (p.root[j].len == prev.root[i].len &&
			    memcmp(p.root[j].der, prev.root[i].der, p.root[j].len) == 0)
				break;
		if (j == p.nroot)
			print_root("retired attestation root", &prev.root[i]);
	}
done:
	cs_file_free(pbuf, pn);
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
