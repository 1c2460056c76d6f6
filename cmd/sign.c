/* consign sign: show what is being signed, check it, add one signature in place. */
#include "cmd.h"

#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "attest/chain.h"
#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign sign --key K.key [--passphrase-file FILE] [--policy P] [--yes]\n"
    "                    [--released DIR] FILE\n"
    "       consign sign --key pkcs11:URI [--module PATH] [--pin-file FILE] [--policy P]\n"
    "                    [--yes] [--released DIR] FILE\n"
    "\n"
    "Shows what FILE says (every text escaped), checks it, asks for confirmation\n"
    "(unless --yes), asks for the key's passphrase (or the token's PIN), adds one\n"
    "signature, verifies it, and rewrites FILE atomically.\n"
    "  policy   the key must be one of its custodians; a rotation needs the\n"
    "           previous policy with --policy, whose custodians may sign too\n"
    "  order    --policy P is required: made under P, and the key is P's\n"
    "  withdrawal  --policy P is required: made under P, and the key is P's\n"
    "  release  (a registry zip) --policy P is required: the whole batch is verified\n"
    "           again before the summary is shown, and every exclusion is listed;\n"
    "           --released DIR (the earlier release zips) checks each \"released\n"
    "           before\" exclusion against the release it names\n";

/* The makers' certificates device evidence must chain to: each one's name,
 * subject and SHA-256 in full, to compare with what the maker publishes. */
static void
show_roots(const cs_policy *p)
{
	uint8_t fp[CS_ATTEST_FP_LEN];
	char hex[2 * CS_ATTEST_FP_LEN + 1], subject[CS_ATTEST_NAME_MAX], name[4 * CS_NAME_MAX + 8];
	cs_err e;
	size_t i;

	if (p->nroot == 0)
		printf("  attest root: none (no device evidence can be checked)\n");
	for (i = 0; i < p->nroot; i++) {
		crypto_hash_sha256(fp, p->root[i].der, p->root[i].len);
		cs_hex(hex, fp, sizeof fp);
		cs_err_clear(&e);
		printf("  attest root: %s\n", cs_escapez(name, sizeof name, p->root[i].name));
		if (cs_attest_cert_subject(subject, p->root[i].der, p->root[i].len, &e) == CS_OK) {
			printf("               subject %s\n", subject);
		} else {
			printf("               NOT A CERTIFICATE\n");
			cmd_warn("attestation root %s is not a certificate: no evidence can "
				 "chain to it", name);
		}
		printf("               SHA-256 %s\n", hex);
	}
}

/* What every device record of an order must carry, and the firmware whose
 * tokens it accepts, in full hex. */
static void
show_evidence(const cs_order *o)
{
	char hex[2 * CS_REF_HASH_MAX + 1], type[4 * CS_REF_TYPE_MAX + 8];
	size_t i;

	printf("  evidence:    %s\n",
	    o->evidence == 0 ? "none required" : cs_evidence_name(o->evidence));
	for (i = 0; i < o->nref; i++) {
		if (o->ref[i].type[0] != '\0')
			printf("  firmware %zu:  type %s\n", i + 1,
			    cs_escapez(type, sizeof type, o->ref[i].type));
		else
			printf("  firmware %zu:  any type\n", i + 1);
		cs_hex(hex, o->ref[i].value, o->ref[i].value_len);
		printf("               measurement %s\n", hex);
		cs_hex(hex, o->ref[i].signer, o->ref[i].signer_len);
		printf("               signer id   %s\n", hex);
	}
}

/* A rotation's retired roots: those of the pinned policy old that the new
 * one p no longer lists. */
static void
show_retired(const cs_policy *p, const cs_policy *old)
{
	uint8_t fp[CS_ATTEST_FP_LEN];
	char hex[2 * CS_ATTEST_FP_LEN + 1], name[4 * CS_NAME_MAX + 8];
	size_t i, j;

	for (i = 0; i < old->nroot; i++) {
		for (j = 0; j < p->nroot; j++)
			if (p->root[j].len == old->root[i].len &&
			    memcmp(p->root[j].der, old->root[i].der, old->root[i].len) == 0)
				break;
		if (j < p->nroot)
			continue;
		crypto_hash_sha256(fp, old->root[i].der, old->root[i].len);
		cs_hex(hex, fp, sizeof fp);
		printf("  retires:     attest root %s\n               SHA-256 %s\n",
		    cs_escapez(name, sizeof name, old->root[i].name), hex);
	}
}

static void
show_policy(const cs_policy *p, const uint8_t digest[CS_DIGEST_LEN])
{
	char fp[CMD_FP_LEN], dep[2 * CS_DEPLOY_LEN + 1], kid[CMD_FP_LEN], n1[80], n2[200];
	uint8_t k[CS_KID_LEN];
	size_t i;

	cmd_fingerprint(fp, digest);
	cs_hex(dep, p->deployment, CS_DEPLOY_LEN);
	printf("Policy version %llu\n  deployment:  %s\n  threshold:   %llu of %zu custodians\n",
	    (unsigned long long)p->version, dep, (unsigned long long)p->threshold, p->ncust);
	for (i = 0; i < p->ncust; i++) {
		cs_keyid(k, p->cust[i].pk);
		cmd_fingerprint(kid, k);
		printf("  custodian:   %s (%s), key id %s\n", cs_escapez(n1, sizeof n1, p->cust[i].id),
		    cs_escapez(n2, sizeof n2, p->cust[i].name), kid);
	}
	cs_keyid(k, p->office_pk);
	cmd_fingerprint(kid, k);
	printf("  office key:  key id %s\n", kid);
	show_roots(p);
	if (p->has_prev) {
		cmd_fingerprint(n1, p->prev);
		printf("  replaces:    policy version %llu, digest %s\n",
		    (unsigned long long)p->version - 1, n1);
	}
	printf("  digest:      %s\n", fp);
}

static void
show_order(const cs_order *o, const uint8_t digest[CS_DIGEST_LEN])
{
	char fp[CMD_FP_LEN], pfp[CMD_FP_LEN], kid[CMD_FP_LEN], dep[2 * CS_DEPLOY_LEN + 1], prod[200];
	uint8_t k[CS_KID_LEN];
	size_t i;

	cmd_fingerprint(fp, digest);
	cmd_fingerprint(pfp, o->policy);
	cs_hex(dep, o->deployment, CS_DEPLOY_LEN);
	printf("Order for batch %s\n  deployment:  %s\n  product:     %s\n  serials:     %llu-%llu\n"
	       "  quantity:    %llu devices\n  policy:      digest %s\n",
	    o->batch, dep, cs_escapez(prod, sizeof prod, o->product), (unsigned long long)o->first,
	    (unsigned long long)o->last, (unsigned long long)o->quantity, pfp);
	for (i = 0; i < o->nstation; i++) {
		cs_keyid(k, o->station[i]);
		cmd_fingerprint(kid, k);
		printf("  station:     key id %s\n", kid);
	}
	show_evidence(o);
	printf("  digest:      %s\n", fp);
}

/* What the checks of one kind found: whether the key may sign, how many
 * valid signatures count towards how many needed, and who of them already
 * signed with this key. */
struct sign_check {
	cs_quorum q;
	int member, counted;
	unsigned long long need;
	char who[CS_ID_MAX + 1];
};

/* An order or a withdrawal: counted against the pinned policy it was made
 * under, whose custodians alone may sign it. */
static void
counted_under(struct sign_check *c, const struct sign_opts *o, const cs_signed *ps,
    const cs_policy *pol, const cmd_key *k)
{
	char fp[CMD_FP_LEN];
	int i = cmd_custodian_of(pol, k->pub.pk);

	cmd_fingerprint(fp, ps->digest);
	printf("  made under:  %s (policy version %llu, digest %s), checked\n", o->policy,
	    (unsigned long long)pol->version, fp);
	c->member = i >= 0;
	c->counted = 1;
	c->need = pol->threshold;
	if (i >= 0 && c->q.counted[i])
		snprintf(c->who, sizeof c->who, "%s", k->pub.id);
}

static int
check_policy(struct sign_check *c, const struct sign_opts *o, cs_signed *s, const uint8_t *buf,
    size_t n, const cs_signed *ps, const cs_policy *pol, const cmd_key *k)
{
	cs_policy p;
	cs_err e;
	char fp[CMD_FP_LEN];
	int i;

	cs_err_clear(&e);
	if (cs_policy_load(s, &p, buf, n, &e) != CS_OK)
		return cmd_report(o->file, &e);
	show_policy(&p, s->digest);
	if (cs_policy_split_risk(&p))
		cmd_warn("threshold %llu of %zu is not a majority: two disjoint groups of "
			 "custodians could sign two different successors",
		    (unsigned long long)p.threshold, p.ncust);
	/* one rule: whatever is checked against a policy is signed only with it */
	if (o->policy == NULL && p.has_prev)
		return cmd_usage(usage, "policy version %llu replaces another: give that one with "
				      "--policy", (unsigned long long)p.version);
	if (o->policy != NULL && memcmp(ps->digest, s->digest, CS_DIGEST_LEN) != 0) {
		if (memcmp(pol->deployment, p.deployment, CS_DEPLOY_LEN) != 0 ||
		    p.version != pol->version + 1 || !p.has_prev ||
		    memcmp(p.prev, ps->digest, CS_DIGEST_LEN) != 0)
			return cmd_fail(CS_REJECT, "policy-predecessor", o->file, "not a rotation "
			    "of %s (version %llu naming its digest)", o->policy,
			    (unsigned long long)pol->version + 1);
		cmd_fingerprint(fp, ps->digest);
		printf("  rotation of: %s (version %llu, digest %s), checked\n", o->policy,
		    (unsigned long long)pol->version, fp);
		show_retired(&p, pol);
	}
	i = cmd_custodian_of(&p, k->pub.pk);
	c->member = i >= 0 || (o->policy != NULL && cmd_custodian_of(pol, k->pub.pk) >= 0);
	cs_quorum_count(&c->q, &s->cose, &p);
	c->counted = 1;
	c->need = p.threshold;
	if (i >= 0 && c->q.counted[i])
		snprintf(c->who, sizeof c->who, "%s", k->pub.id);
	return CS_OK;
}

static int
check_order(struct sign_check *c, const struct sign_opts *o, cs_signed *s, const uint8_t *buf,
    size_t n, const cs_signed *ps, const cs_policy *pol, const cmd_key *k)
{
	cs_order ord;
	cs_err e;

	cs_err_clear(&e);
	if (cs_order_load(s, &ord, buf, n, &e) != CS_OK)
		return cmd_report(o->file, &e);
	show_order(&ord, s->digest);
	if (o->policy == NULL)
		return cmd_usage(usage, "an order is signed against its policy: give --policy");
	if (cs_order_verify(s, &ord, pol, ps->digest, &c->q, &e) != CS_OK &&
	    strcmp(e.reason, "order-threshold") != 0)
		return cmd_report(o->file, &e);
	counted_under(c, o, ps, pol, k);
	if (ord.evidence != 0 && pol->nroot == 0)
		cmd_warn("the order requires evidence, but its policy pins no attestation roots: "
			 "none of its devices will be accepted");
	return CS_OK;
}

static int
check_withdrawal(struct sign_check *c, const struct sign_opts *o, cs_signed *s,
    const uint8_t *buf, size_t n, const cs_signed *ps, const cs_policy *pol, const cmd_key *k)
{
	cs_withdrawal w;
	cs_err e;
	char hex[2 * CS_DIGEST_LEN + 1];

	cs_err_clear(&e);
	if (o->policy == NULL)
		return cmd_usage(usage, "a withdrawal is signed against the policy: give --policy");
	if (cs_withdrawal_load(s, &w, buf, n, &e) != CS_OK)
		return cmd_report(o->file, &e);
	cs_hex(hex, w.release, CS_DIGEST_LEN);
	printf("Withdrawal of release %llu (digest %s)\n", (unsigned long long)w.seq, hex);
	printf("  what it does: the ledger frees sequence %llu only with it, and a cloud\n"
	       "                given it refuses that release, whoever signed copies of it\n",
	    (unsigned long long)w.seq);
	if (cs_withdrawal_verify(s, &w, pol, ps->digest, &c->q, &e) != CS_OK &&
	    strcmp(e.reason, "withdrawal-threshold") != 0)
		return cmd_report(o->file, &e);
	counted_under(c, o, ps, pol, k);
	return CS_OK;
}

int
cmd_sign(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("key", 'k', struct sign_opts, ka.key),
	    CMD_ARG("policy", 'P', struct sign_opts, policy),
	    CMD_ARG("passphrase-file", 'p', struct sign_opts, ka.passfile),
	    CMD_FLAG("yes", 'y', struct sign_opts, yes),
	    CMD_ARG("released", 'r', struct sign_opts, released),
	    CMD_KEY_OPTS(struct sign_opts, ka), CMD_OPT_END};
	struct sign_opts o = {0};
	struct sign_check c = {0};
	uint8_t *buf = NULL;
	size_t n = 0;
	cs_signed s, ps;
	cs_policy pol;
	cmd_key k = {0};
	cs_buf out;
	cs_err e;
	char fp[CMD_FP_LEN];
	int a, rc, added;

	if ((a = cmd_getopt(argc, argv, opts, usage, NULL, &o)) < 0)
		return a == -2 ? CS_OK : CS_USAGE;
	if (a != argc - 1)
		return cmd_usage(usage, "expected exactly one FILE");
	if (o.ka.key == NULL)
		return cmd_usage(usage, "--key is required");
	o.file = argv[a];
	cs_err_clear(&e);
	cs_buf_init(&out, CMD_ARTIFACT_MAX);
	if (cmd_file_is_zip(o.file)) {
		rc = cmd_sign_zip(&o);
		goto done;
	}
	if (o.released != NULL) {
		rc = cmd_usage(usage, "--released applies to releases (zips)");
		goto done;
	}
	if ((rc = cmd_read(o.file, CMD_ARTIFACT_MAX, &buf, &n)) != CS_OK)
		goto done;
	/* the public half first: membership is checked before any passphrase or PIN */
	if ((rc = cmd_key_open(&k, &o.ka)) != CS_OK)
		goto done;
	if ((rc = cs_cose_decode(&s.cose, buf, n, &e)) != CS_OK) {
		rc = cmd_report(o.file, &e);
		goto done;
	}
	if (!s.cose.multi) {
		rc = cmd_fail(CS_USAGE, "kind", o.file, "a %s is signed by one key when made; it "
		    "takes no custodian signatures", s.cose.kind);
		goto done;
	}
	if (o.policy != NULL && (rc = cmd_load_pinned_policy(o.policy, &ps, &pol)) != CS_OK)
		goto done;
	if (strcmp(s.cose.kind, CS_KIND_POLICY) == 0)
		rc = check_policy(&c, &o, &s, buf, n, &ps, &pol, &k);
	else if (strcmp(s.cose.kind, CS_KIND_ORDER) == 0)
		rc = check_order(&c, &o, &s, buf, n, &ps, &pol, &k);
	else if (strcmp(s.cose.kind, CS_KIND_WITHDRAWAL) == 0)
		rc = check_withdrawal(&c, &o, &s, buf, n, &ps, &pol, &k);
	else
		rc = cmd_fail(CS_USAGE, "kind", o.file, "a %s is not signed by custodians", s.cose.kind);
	if (rc != CS_OK)
		goto done;
	if (c.counted)
		printf("  signatures:  %zu valid of the %llu needed so far (%zu in the file)\n",
		    c.q.valid, c.need, s.cose.nsig);
	else
		printf("  signatures:  %zu in the file, not checked\n", s.cose.nsig);
	if (!c.member) {
		rc = cmd_fail(CS_REJECT, "not-custodian", o.ka.key,
		    "key %s is not a custodian of this %s%s", k.pub.id, s.cose.kind,
		    strcmp(s.cose.kind, CS_KIND_POLICY) == 0 && o.policy == NULL
			? " (for a rotation, give the previous policy with --policy)" : "");
		goto done;
	}
	if (c.who[0] != '\0') {
		printf("%s: already signed by %s; nothing to do\n", o.file, c.who);
		goto done;
	}
	if ((rc = cmd_confirm_sign(o.file, o.yes, "Sign this as shown above?")) != CS_OK)
		goto done;
	if ((rc = cmd_key_unlock(&k)) != CS_OK)
		goto done;
	rc = cs_cose_sign_add_with(&out, &s.cose, &k.signer, &added, &e);
	cmd_key_close(&k);
	if (rc != CS_OK) {
		rc = cmd_report(o.file, &e);
		goto done;
	}
	if (!added) {
		printf("%s: already signed by %s; nothing to do\n", o.file, k.pub.id);
		goto done;
	}
	if ((rc = cmd_write(o.file, out.p, out.len, 0644, 0)) != CS_OK)
		goto done;
	cmd_fingerprint(fp, s.digest);
	printf("%s: signed by %s (%s %s, now %zu signature%s)\n", o.file, k.pub.id, s.cose.kind, fp,
	    s.cose.nsig + 1, s.cose.nsig + 1 == 1 ? "" : "s");
done:
	cmd_key_close(&k);
	cs_file_free(buf, n);
	cs_buf_free(&out);
	return rc;
}
