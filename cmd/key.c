/* --key for every command that signs: a passphrase-protected key file, or a
 * key in a PKCS#11 token named by a pkcs11: URI. Both end in one cs_signer. */
#include "cmd.h"

#include <string.h>

#include "util/file.h"
#include "util/text.h"

int
cmd_key_open(cmd_key *k, const struct cmd_keyarg *a)
{
	cs_p11_where w;
	uint8_t *buf;
	size_t n;
	cs_err e;
	int rc;

	memset(k, 0, sizeof *k);
	k->a = *a;
	cs_err_clear(&e);
	if (!cs_p11_is_uri(a->key)) {
		if (a->module != NULL || a->pinfile != NULL)
			return cmd_fail(CS_USAGE, "usage", a->key,
			    "--module and --pin-file are for a key in a token (--key pkcs11:...)");
		if ((rc = cmd_read(a->key, CS_KEYFILE_MAX, &buf, &n)) != CS_OK)
			return rc;
		rc = cs_seckey_parse_public(&k->file, buf, n, &e);
		cs_file_free(buf, n);
		if (rc != CS_OK)
			return cmd_report(a->key, &e);
		k->pub = k->file.pub;
		return CS_OK;
	}
	if (a->passfile != NULL)
		return cmd_fail(CS_USAGE, "usage", a->key,
		    "--passphrase-file is for key files; a token's PIN comes from --pin-file or the "
		    "terminal");
	if ((rc = cs_p11_open_key(&k->tok, a->key, a->module, k->pub.pk, &e)) != CS_OK)
		return cmd_report(NULL, &e);
	cs_p11_where_is(k->tok, &w);
	/* the label names the key for people; an odd one is shown, never used as an id */
	snprintf(k->pub.id, sizeof k->pub.id, "%s", cs_id_valid(w.label) ? w.label : "token-key");
	snprintf(k->pub.name, sizeof k->pub.name, "%s", w.label);
	cs_keyid(k->pub.kid, k->pub.pk);
	return CS_OK;
}

int
cmd_key_unlock(cmd_key *k)
{
	const char *pinfile;
	char prompt[200], *pin = NULL;
	cs_p11_where w;
	size_t plen;
	cs_err e;
	int rc;

	if (k->tok == NULL) {
		cs_seckey_free(&k->file);
		if ((rc = cmd_load_seckey(k->a.key, k->a.passfile, &k->file)) != CS_OK)
			return rc;
		/* the file may have been swapped since it was shown */
		if (memcmp(k->file.pub.pk, k->pub.pk, CS_PK_LEN) != 0) {
			cs_seckey_free(&k->file);
			return cmd_fail(CS_MALFORMED, "io", k->a.key, "changed while it was in use");
		}
		cs_signer_sk(&k->signer, k->file.sk);
		return CS_OK;
	}
	cmd_no_core();
	cs_p11_where_is(k->tok, &w);
	if (!k->a.quiet) {
		printf("key: %s (token \"%s\", %s slot %lu)\n", w.label, w.token,
		    w.maker[0] ? w.maker : "PKCS#11", w.slot);
		fflush(stdout);
	}
	if (w.final_try)
		cmd_warn("token \"%s\" says one more wrong PIN locks it", w.token);
	cs_err_clear(&e);
	pinfile = k->a.pinfile != NULL ? k->a.pinfile : cs_p11_pin_source(k->tok);
	if (w.pinpad && pinfile == NULL) {
		fprintf(stderr, "%s: enter the PIN of token \"%s\" on its PIN pad\n", cmd_name, w.token);
		rc = cs_p11_login(k->tok, NULL, 0, &e);
	} else {
		snprintf(prompt, sizeof prompt, "PIN for token \"%s\": ", w.token);
		if ((rc = cmd_pin(pinfile, prompt, &pin, &plen)) != CS_OK)
			return rc;
		rc = cs_p11_login(k->tok, pin, plen, &e);
		cmd_pass_free(pin);
	}
	if (rc != CS_OK)
		return cmd_report(NULL, &e);
	cs_p11_signer(k->tok, &k->signer);
	return CS_OK;
}

void
cmd_key_close(cmd_key *k)
{
	cs_seckey_free(&k->file);
	cs_p11_close(k->tok);
	k->tok = NULL;
	memset(&k->signer, 0, sizeof k->signer);
}
