/* consign keygen: a new Ed25519 key pair, the secret encrypted with a passphrase. */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign keygen --id ID [--name NAME] -o PREFIX\n"
    "                      [--kdf interactive|moderate|sensitive] [--passphrase-file FILE]\n"
    "\n"
    "Writes PREFIX.pub (public, share it) and PREFIX.key (secret, encrypted with a\n"
    "passphrase read from the terminal without echo, or from FILE). Neither file is\n"
    "ever overwritten. --kdf sets the Argon2id cost (default sensitive: 1 GiB, ~5 s).\n";

struct opts {
	const char *id, *name, *out, *passfile;
	enum cs_kdf_level kdf;
};

static int
opt(int key, const char *arg, void *ctx)
{
	struct opts *o = ctx;

	switch (key) {
	case 'i': o->id = arg; break;
	case 'n': o->name = arg; break;
	case 'o': o->out = arg; break;
	case 'p': o->passfile = arg; break;
	case 'k':
		if (strcmp(arg, "interactive") == 0)
			o->kdf = CS_KDF_INTERACTIVE;
		else if (strcmp(arg, "moderate") == 0)
			o->kdf = CS_KDF_MODERATE;
		else if (strcmp(arg, "sensitive") == 0)
			o->kdf = CS_KDF_SENSITIVE;
		else
			return cmd_usage(usage, "--kdf must be interactive, moderate or sensitive");
		break;
	}
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

int
cmd_keygen(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {
		{"id", 1, 0, 'i'}, {"name", 1, 0, 'n'}, {"output", 1, 0, 'o'},
		{"kdf", 1, 0, 'k'}, {"passphrase-file", 1, 0, 'p'}, {NULL, 0, 0, 0}};
	struct opts o = {.kdf = CS_KDF_SENSITIVE};
	char *pubpath = NULL, *keypath = NULL, *pass = NULL, kid[2 * CS_KID_LEN + 1];
	cs_seckey k = {0};
	cs_buf pub, sec;
	size_t plen;
	cs_err e;
	int i, rc;

	if ((i = cmd_getopt(argc, argv, opts, usage, opt, &o)) < 0)
		return i == -2 ? CS_OK : CS_USAGE;
	if (i != argc)
		return cmd_usage(usage, "unexpected argument '%s'", argv[i]);
	if (o.id == NULL || o.out == NULL)
		return cmd_usage(usage, "--id and -o are required");
	cs_err_clear(&e);
	cmd_no_core();
	cs_buf_init(&pub, CS_KEYFILE_MAX);
	cs_buf_init(&sec, CS_KEYFILE_MAX);
	if ((pubpath = malloc(strlen(o.out) + 5)) == NULL ||
	    (keypath = malloc(strlen(o.out) + 5)) == NULL) {
		rc = cmd_fail(CS_MALFORMED, "out of memory");
		goto done;
	}
	sprintf(pubpath, "%s.pub", o.out);
	sprintf(keypath, "%s.key", o.out);
	/* refuse before asking for a passphrase; the writes below refuse again */
	if (access(keypath, F_OK) == 0 || access(pubpath, F_OK) == 0) {
		rc = cmd_fail(CS_USAGE, "%s.pub or %s.key already exists; refusing to overwrite",
		    o.out, o.out);
		goto done;
	}
	if ((rc = cs_seckey_generate(&k, o.id, o.name, &e)) != CS_OK) {
		rc = cmd_report(NULL, &e);
		goto done;
	}
	if ((rc = cmd_passphrase(o.passfile, "New passphrase: ", 1, &pass, &plen)) != CS_OK)
		goto done;
	if ((rc = cs_seckey_format(&sec, &k, pass, plen, o.kdf, &e)) != CS_OK) {
		rc = cmd_report(keypath, &e);
		goto done;
	}
	cmd_pass_free(pass);
	pass = NULL;
	cs_seckey_free(&k); /* the file holds it now, encrypted */
	if ((rc = cs_pubkey_format(&pub, &k.pub)) != CS_OK) {
		rc = cmd_fail(CS_MALFORMED, "cannot encode the public key");
		goto done;
	}
	if ((rc = write_new(keypath, &sec, 0600)) != CS_OK)
		goto done;
	if ((rc = write_new(pubpath, &pub, 0644)) != CS_OK) {
		unlink(keypath); /* no half pair: a re-run would refuse to overwrite it */
		goto done;
	}
	cs_hex(kid, k.pub.kid, CS_KID_LEN);
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
