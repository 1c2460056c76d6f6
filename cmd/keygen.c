/* consign keygen: a new Ed25519 key pair, the secret encrypted with a
 * passphrase, or made inside a PKCS#11 token and never out of it. */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign keygen --id ID [--name NAME] -o PREFIX\n"
    "                      [--kdf interactive|moderate|sensitive] [--passphrase-file FILE]\n"
    "       consign keygen --pkcs11 URI [--export] --id ID [--name NAME] -o PREFIX\n"
    "                      [--module PATH] [--pin-file FILE]\n"
    "\n"
    "Writes PREFIX.pub (public, share it) and PREFIX.key (secret, encrypted with a\n"
    "passphrase read from the terminal without echo, or from FILE). Neither file is\n"
    "ever overwritten. --kdf sets the Argon2id cost (default sensitive: 1 GiB, ~5 s).\n"
    "With --pkcs11 the key pair is made inside the token the URI names (labelled\n"
    "ID, never extractable) and only PREFIX.pub is written; --export writes the\n"
    "PREFIX.pub of a key already in the token instead (refused when the token would\n"
    "let its secret out). The token's PIN is read from the terminal or --pin-file.\n";

struct opts {
	const char *id, *name, *out, *passfile;
	struct cmd_keyarg ka;   /* a token's key: --pkcs11 URI (ka.key), --module, --pin-file */
	enum cs_kdf_level kdf;
	int kdf_set, export;
};

enum { O_PKCS11 = 256, O_EXPORT };

static int
opt(int key, const char *arg, void *ctx)
{
	struct opts *o = ctx;

	(void)key; /* --kdf, the one option not kept */
	o->kdf_set = 1;
	if (strcmp(arg, "interactive") == 0)
		o->kdf = CS_KDF_INTERACTIVE;
	else if (strcmp(arg, "moderate") == 0)
		o->kdf = CS_KDF_MODERATE;
	else if (strcmp(arg, "sensitive") == 0)
		o->kdf = CS_KDF_SENSITIVE;
	else
		return cmd_usage(usage, "--kdf must be interactive, moderate or sensitive");
	return 0;
}

/* Writes a key file that did not exist; on any failure nothing of it is
 * left (even when only its directory's sync failed, after the rename). */
static int
write_new(const char *path, const cs_buf *b, int mode)
{
	char msg[CS_MSG_MAX];
	const char *why;
	cs_err e;

	cs_err_clear(&e);
	if (cs_write_atomic(path, b->p, b->len, mode, 1, &e) == CS_OK)
		return CS_OK;
	if (strcmp(e.reason, "exists") != 0 && unlink(path) == 0) {
		why = strstr(e.msg, "cannot sync directory");
		snprintf(msg, sizeof msg, "not kept: %s", why != NULL ? why : e.msg);
		snprintf(e.msg, sizeof e.msg, "%s", msg);
	}
	return cmd_report(path, &e);
}

/* The key pair stays in the token: made there (or found there with
 * --export), checked by one signature libsodium verifies, and only its
 * public half written. A pair made here is destroyed again when the .pub
 * cannot be written, so a re-run starts clean. */
static int
token_keygen(const struct opts *o, const char *pubpath)
{
	static const char probe[] = "consign keygen: the token's key signs";
	uint8_t sig[CS_SIG_LEN];
	char kid[CMD_FP_LEN], id[80];
	cs_p11_where w;
	cmd_key k;
	cs_buf pub;
	cs_err e;
	int rc;

	memset(&k, 0, sizeof k);
	cs_buf_init(&pub, CS_KEYFILE_MAX);
	cs_err_clear(&e);
	cmd_no_core();
	if (o->export) {
		if ((rc = cmd_key_open(&k, &o->ka)) != CS_OK || (rc = cmd_key_unlock(&k)) != CS_OK)
			goto done;
	} else {
		k.a = o->ka;
		if ((rc = cs_p11_open_token(&k.tok, o->ka.key, o->ka.module, &e)) != CS_OK) {
			rc = cmd_report(NULL, &e);
			goto done;
		}
		cs_p11_where_is(k.tok, &w);
		printf("token: \"%s\" (%s slot %lu): making key %s\n", w.token,
		    w.maker[0] ? w.maker : "PKCS#11", w.slot, cs_escapez(id, sizeof id, o->id));
		fflush(stdout);
		k.a.quiet = 1;
		if ((rc = cmd_key_unlock(&k)) != CS_OK)
			goto done;
		if ((rc = cs_p11_generate(k.tok, o->id, k.pub.pk, &e)) != CS_OK) {
			rc = cmd_report(NULL, &e);
			goto cleanup;
		}
		cs_p11_signer(k.tok, &k.signer);
	}
	if ((rc = cs_signer_sign(&k.signer, sig, (const uint8_t *)probe, sizeof probe - 1, &e)) !=
	    CS_OK) {
		rc = cmd_report(NULL, &e);
		goto cleanup;
	}
	snprintf(k.pub.id, sizeof k.pub.id, "%s", o->id);
	snprintf(k.pub.name, sizeof k.pub.name, "%s", o->name != NULL ? o->name : o->id);
	cs_keyid(k.pub.kid, k.pub.pk);
	if (cs_pubkey_format(&pub, &k.pub) != CS_OK) {
		rc = cmd_fail(CS_MALFORMED, "internal", pubpath, "cannot encode the public key");
		goto cleanup;
	}
	if ((rc = write_new(pubpath, &pub, 0644)) != CS_OK)
		goto cleanup;
	cs_p11_where_is(k.tok, &w);
	cmd_fingerprint(kid, k.pub.kid);
	printf("%s: public key of %s (key id %s)\nthe secret stays in token \"%s\" (%s slot %lu), "
	       "key \"%s\"; no secret file was written\n", pubpath, k.pub.id, kid, w.token,
	    w.maker[0] ? w.maker : "PKCS#11", w.slot, w.label);
	goto done;
cleanup:
	if (!o->export && cs_p11_destroy_new(k.tok, &e) != CS_OK)
		cmd_report(NULL, &e);
done:
	cmd_key_close(&k);
	cs_buf_free(&pub);
	return rc;
}

int
cmd_keygen(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("id", 'i', struct opts, id),
	    CMD_ARG("name", 'n', struct opts, name), CMD_ARG("output", 'o', struct opts, out),
	    CMD_OPT("kdf", 1, 0, 'k'), CMD_ARG("passphrase-file", 'p', struct opts, passfile),
	    CMD_ARG("pkcs11", O_PKCS11, struct opts, ka.key),
	    CMD_FLAG("export", O_EXPORT, struct opts, export), CMD_KEY_OPTS(struct opts, ka),
	    CMD_OPT_END};
	struct opts o = {.kdf = CS_KDF_SENSITIVE};
	char *pubpath = NULL, *keypath = NULL, *pass = NULL, kid[CMD_FP_LEN];
	cs_seckey k = {0};
	cs_buf pub, sec;
	size_t plen;
	cs_err e;
	int rc;

	if ((rc = cmd_getopt_only(argc, argv, opts, usage, opt, &o)) >= 0)
		return rc;
	if (o.id == NULL || o.out == NULL)
		return cmd_usage(usage, "--id and -o are required");
	{
		struct stat st;
		size_t l = strlen(o.out);

		/* -o keys/ would write keys/.pub and keys/.key: a prefix is wanted */
		if (l == 0 || o.out[l - 1] == '/' || (stat(o.out, &st) == 0 && S_ISDIR(st.st_mode)))
			return cmd_usage(usage, "-o takes a path prefix (keys/alice writes keys/alice.pub "
						"and keys/alice.key), not a directory");
	}
	if (o.ka.key == NULL && (o.export || o.ka.module != NULL || o.ka.pinfile != NULL))
		return cmd_usage(usage, "--export, --module and --pin-file go with --pkcs11 URI");
	if (o.ka.key != NULL && (o.kdf_set || o.passfile != NULL))
		return cmd_usage(usage, "--kdf and --passphrase-file are for key files, not tokens");
	if (o.ka.key != NULL && !cs_p11_is_uri(o.ka.key))
		return cmd_usage(usage, "--pkcs11 takes a pkcs11: URI");
	/* a token key's id and name are checked before the token is touched */
	if (o.ka.key != NULL && !cs_id_valid(o.id))
		return cmd_usage(usage, "key id must be 1-%d characters of [A-Za-z0-9._-]", CS_ID_MAX);
	if (o.ka.key != NULL && o.name != NULL && !cs_text_valid(o.name, CS_NAME_MAX))
		return cmd_usage(usage, "name must be 1-%d printable ASCII characters", CS_NAME_MAX);
	cs_err_clear(&e);
	cmd_no_core();
	cs_buf_init(&pub, CS_KEYFILE_MAX);
	cs_buf_init(&sec, CS_KEYFILE_MAX);
	if ((pubpath = malloc(strlen(o.out) + 5)) == NULL ||
	    (keypath = malloc(strlen(o.out) + 5)) == NULL) {
		rc = cmd_fail(CS_MALFORMED, "system", NULL, "out of memory");
		goto done;
	}
	sprintf(pubpath, "%s.pub", o.out);
	sprintf(keypath, "%s.key", o.out);
	if (o.ka.key != NULL) {
		/* refuse before the token is touched; the write refuses again */
		if (access(pubpath, F_OK) == 0)
			rc = cmd_fail(CS_USAGE, "exists", pubpath, "already exists; refusing to overwrite");
		else
			rc = token_keygen(&o, pubpath);
		goto done;
	}
	/* refuse before asking for a passphrase; the writes below refuse again */
	if (access(keypath, F_OK) == 0 || access(pubpath, F_OK) == 0) {
		rc = cmd_fail(CS_USAGE, "exists", access(pubpath, F_OK) == 0 ? pubpath : keypath,
		    "already exists; refusing to overwrite");
		goto done;
	}
	if ((rc = cs_seckey_generate(&k, o.id, o.name, &e)) != CS_OK) {
		rc = cmd_report(NULL, &e);
		goto done;
	}
	if ((rc = cmd_passphrase(o.passfile, "New passphrase: ", 1, &pass, &plen)) != CS_OK)
		goto done;
	cmd_status("deriving the key that encrypts the secret (Argon2id, %s)...",
	    o.kdf == CS_KDF_SENSITIVE ? "1 GiB" : o.kdf == CS_KDF_MODERATE ? "256 MiB" : "64 MiB");
	rc = cs_seckey_format(&sec, &k, pass, plen, o.kdf, &e);
	cmd_status_end();
	if (rc != CS_OK) {
		rc = cmd_report(keypath, &e);
		goto done;
	}
	cmd_pass_free(pass);
	pass = NULL;
	cs_seckey_free(&k); /* the file holds it now, encrypted */
	if ((rc = cs_pubkey_format(&pub, &k.pub)) != CS_OK) {
		rc = cmd_fail(CS_MALFORMED, "internal", pubpath, "cannot encode the public key");
		goto done;
	}
	if ((rc = write_new(keypath, &sec, 0600)) != CS_OK)
		goto done;
	if ((rc = write_new(pubpath, &pub, 0644)) != CS_OK) {
		unlink(keypath); /* no half pair: a re-run would refuse to overwrite it */
		goto done;
	}
	cmd_fingerprint(kid, k.pub.kid);
	printf("%s: public key of %s (key id %s)\n%s: secret key, passphrase-protected; keep it "
	       "private\n", pubpath, k.pub.id, kid, keypath);
done:
	cmd_pass_free(pass);
	cs_seckey_free(&k);
	cs_buf_free(&pub);
	cs_buf_free(&sec);
	free(pubpath);
	free(keypath);
	return rc;
}
