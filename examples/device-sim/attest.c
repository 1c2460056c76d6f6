/* The simulator's evidence ports (cs_dev_ports): a secure element whose P-256
 * key is a scalar in a file, and an attesting firmware whose attestation key
 * (IAK) is one too, making a PSA token for each nonce it is asked about. The
 * certificate chains are files a maker made; tests/tools/mkattest makes the
 * TEST maker's. A real element or attestation service keeps its key inside;
 * this one reads it from the file each time it is used and wipes it after. */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "attest/cose_es256.h"
#include "attest/p256.h"
#include "attest/psa.h"
#include "util/file.h"
#include "crypto/sig.h"

#define COMP_FILE_MAX 65536
#define LIFECYCLE_SECURED 0x3000u
#define LIFECYCLE_DEBUG 0x4000u /* non-PSA-RoT debug: debug access open */
#define IMPL_TEXT "consign-devsim simulated PSA implementation"

static struct comp {
	char type[CS_PSA_TEXT_MAX + 1]; /* "": none */
	uint8_t value[64], signer[64];
	size_t value_len, signer_len;
} comps[CS_PSA_COMPONENTS_MAX];
static size_t ncomp;

/* path with each "{serial}" replaced by the device's serial, into out */
static int
device_path(char *out, size_t cap, const char *tmpl, uint64_t serial)
{
	const char *at;
	size_t n = 0;
	int w;

	while ((at = strstr(tmpl, "{serial}")) != NULL) {
		w = snprintf(out + n, cap - n, "%.*s%llu", (int)(at - tmpl), tmpl,
		    (unsigned long long)serial);
		if (w < 0 || (size_t)w >= cap - n)
			return -1;
		n += (size_t)w;
		tmpl = at + strlen("{serial}");
	}
	w = snprintf(out + n, cap - n, "%s", tmpl);
	return w < 0 || (size_t)w >= cap - n ? -1 : 0;
}

/* A whole small file into buf[0..cap): 0 and *len, or -1 (with a message). */
static int
read_into(const char *what, const char *tmpl, uint64_t serial, uint8_t *buf, size_t cap,
    size_t *len)
{
	char path[4096];
	uint8_t *p;
	size_t n;
	cs_err e;

	cs_err_clear(&e);
	if (device_path(path, sizeof path, tmpl, serial) != 0)
		return -1;
	if (cs_read_file(path, cap, &p, &n, &e) != CS_OK) {
		fprintf(stderr, "consign-devsim: serial %llu: %s %s: %s\n", (unsigned long long)serial,
		    what, path, e.msg);
		return -1;
	}
	memcpy(buf, p, n);
	*len = n;
	cs_file_free(p, n);
	return 0;
}

/* The P-256 secret in the 32-byte scalar file tmpl names for this device. */
static cs_p256_secret *
load_secret(const char *what, const char *tmpl, uint64_t serial)
{
	cs_p256_secret *sk = NULL;
	char path[4096];
	struct stat st;
	uint8_t *d;
	ssize_t r;
	cs_err e;
	int fd;

	if (device_path(path, sizeof path, tmpl, serial) != 0 ||
	    (d = sodium_malloc(CS_P256_SCALAR_LEN)) == NULL)
		return NULL;
	cs_err_clear(&e);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != CS_P256_SCALAR_LEN ||
	    (r = read(fd, d, CS_P256_SCALAR_LEN)) != CS_P256_SCALAR_LEN ||
	    cs_p256_secret_from_scalar(&sk, d, &e) != CS_OK) {
		fprintf(stderr, "consign-devsim: serial %llu: %s %s is not a 32-byte P-256 scalar%s%s\n",
		    (unsigned long long)serial, what, path, e.msg[0] ? ": " : "", e.msg);
		sk = NULL;
	}
	if (fd >= 0)
		close(fd);
	sodium_free(d);
	return sk;
}

/* ---- the secure element --------------------------------------------------- */

static int
se_keygen(void *ctx, uint8_t pt[CS_DEV_P256_LEN])
{
	struct device *d = ctx;
	cs_p256_secret *sk = load_secret("--se-key", A.se_key, d->serial);

	if (sk == NULL)
		return -1;
	memcpy(pt, cs_p256_secret_point(sk), CS_P256_PT_LEN);
	cs_p256_secret_free(sk);
	return 0;
}

static int
se_sign(void *ctx, const uint8_t *msg, size_t n, uint8_t sig[CS_DEV_ES256_SIG_LEN])
{
	struct device *d = ctx;
	cs_p256_secret *sk = load_secret("--se-key", A.se_key, d->serial);
	cs_err e;
	int rc;

	if (sk == NULL)
		return -1;
	cs_err_clear(&e);
	rc = cs_es256_sign(sig, sk, msg, n, &e) == CS_OK ? 0 : -1;
	cs_p256_secret_free(sk);
	return rc;
}

static int
se_chain(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
	return read_into("--se-chain", A.se_chain, ((struct device *)ctx)->serial, buf, cap, len);
}

/* ---- the attesting firmware ----------------------------------------------- */

static int
attest_chain(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
	return read_into("--iak-chain", A.iak_chain, ((struct device *)ctx)->serial, buf, cap, len);
}

/* The token this firmware's attestation service makes for nonce: profile
 * http://arm.com/psa/2.0.0 as TF-M makes it, its components as measured
 * (--components), SECURED, instance id 0x01 || SHA-256(IAK) as TF-M derives
 * it; or, misbehaving, another nonce, firmware or lifecycle, or a token
 * recorded earlier whatever the nonce. */
static int
attest_token(void *ctx, const uint8_t nonce[CS_DEV_NONCE_LEN], uint8_t *buf, size_t cap,
    size_t *len)
{
	static uint8_t pay[CS_PSA_TOKEN_MAX];
	struct device *d = ctx;
	uint8_t n[CS_PSA_NONCE_LEN], impl[32], seed[32], inst[CS_PSA_INSTANCE_ID_LEN], pm[8];
	uint8_t other[64];
	char hex[2 * CS_PSA_NONCE_LEN + 1];
	cs_p256_secret *iak;
	cs_psa_claims c;
	cs_buf prot, payload, out;
	cs_err e;
	size_t i;
	int rc;

	cs_hex(hex, nonce, CS_PSA_NONCE_LEN);
	fprintf(stderr, "consign-devsim: serial %llu: attestation token asked for nonce %s\n",
	    (unsigned long long)d->serial, hex);
	if (d->faulty && F.token_replay != NULL)
		return read_into("--token-replay", F.token_replay, d->serial, buf, cap, len);
	if ((iak = load_secret("--iak-key", A.iak_key, d->serial)) == NULL)
		return -1;
	memset(&c, 0, sizeof c);
	memcpy(n, nonce, sizeof n);
	if (d->faulty && F.token_wrong_nonce)
		n[0] ^= 0x01;
	c.profile = CS_PSA_PROFILE_2;
	c.client_id = -1; /* a secure partition's caller, as TF-M numbers them */
	c.lifecycle = d->faulty && F.token_debug ? LIFECYCLE_DEBUG : LIFECYCLE_SECURED;
	crypto_hash_sha256(impl, (const uint8_t *)IMPL_TEXT, strlen(IMPL_TEXT));
	c.impl_id = (cs_psa_bytes){impl, sizeof impl};
	randombytes_buf(seed, sizeof seed);
	c.boot_seed = (cs_psa_bytes){seed, sizeof seed};
	for (i = 0; i < ncomp; i++) {
		const struct comp *k = &comps[i];

		c.comp[i].type = k->type[0] ? (cs_psa_text){k->type, strlen(k->type)}
					    : (cs_psa_text){NULL, 0};
		c.comp[i].value = (cs_psa_bytes){k->value, k->value_len};
		c.comp[i].signer = (cs_psa_bytes){k->signer, k->signer_len};
	}
	c.ncomp = ncomp;
	if (d->faulty && F.token_other_firmware) {
		/* another build of the last component: its measurement differs */
		memcpy(other, comps[ncomp - 1].value, comps[ncomp - 1].value_len);
		other[0] ^= 0xff;
		c.comp[ncomp - 1].value.p = other;
	}
	c.nonce = (cs_psa_bytes){n, sizeof n};
	inst[0] = 0x01;
	crypto_hash_sha256(inst + 1, cs_p256_secret_point(iak), CS_P256_PT_LEN);
	c.instance_id = (cs_psa_bytes){inst, sizeof inst};
	cs_err_clear(&e);
	cs_buf_fixed(&prot, pm, sizeof pm);
	cs_buf_fixed(&payload, pay, sizeof pay);
	cs_buf_fixed(&out, buf, cap);
	rc = cs_es256_prot(&prot) == CS_OK && cs_psa_encode(&payload, &c, &e) == CS_OK &&
		     cs_es256_sign1_create(&out, prot.p, prot.len, (const uint8_t *)"\xa0", 1,
			 payload.p, payload.len, iak, &e) == CS_OK
		 ? 0
		 : -1;
	cs_p256_secret_free(iak);
	if (rc != 0) {
		fprintf(stderr, "consign-devsim: serial %llu: cannot make a token: %s\n",
		    (unsigned long long)d->serial, e.msg);
		return -1;
	}
	*len = out.len;
	return 0;
}

/* ---- set-up --------------------------------------------------------------- */

/* hex of 32, 48 or 64 bytes */
static int
hash_hex(uint8_t out[64], size_t *n, const char *hex)
{
	*n = strlen(hex) / 2;
	if ((*n != 32 && *n != 48 && *n != 64) || strlen(hex) != 2 * *n)
		return -1;
	return cs_unhex(out, *n, hex);
}

int
sim_components(const char *path, char *why, size_t whylen)
{
	uint8_t *p;
	size_t n, lineno = 0;
	char *text, *line, *save = NULL, *type, *meas, *signer, *extra;
	cs_err e;

	cs_err_clear(&e);
	if (cs_read_file(path, COMP_FILE_MAX, &p, &n, &e) != CS_OK) {
		snprintf(why, whylen, "%s: %s", path, e.msg);
		return -1;
	}
	if ((text = malloc(n + 1)) == NULL) {
		cs_file_free(p, n);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memcpy(text, p, n);
	text[n] = '\0';
	cs_file_free(p, n);
	for (line = text; line != NULL; line = save) {
		if ((save = strchr(line, '\n')) != NULL)
			*save++ = '\0';
		lineno++;
		type = strtok(line, " \t\r");
		if (type == NULL || type[0] == '#')
			continue;
		meas = strtok(NULL, " \t\r");
		signer = strtok(NULL, " \t\r");
		extra = strtok(NULL, " \t\r");
		if (ncomp == CS_PSA_COMPONENTS_MAX || meas == NULL || signer == NULL ||
		    extra != NULL || strlen(type) > CS_PSA_TEXT_MAX ||
		    hash_hex(comps[ncomp].value, &comps[ncomp].value_len, meas) != 0 ||
		    hash_hex(comps[ncomp].signer, &comps[ncomp].signer_len, signer) != 0) {
			snprintf(why, whylen,
			    "%s:%zu: not 'TYPE MEASUREMENT SIGNER' (hex of 32, 48 or 64 bytes), "
			    "or more than %d components",
			    path, lineno, CS_PSA_COMPONENTS_MAX);
			free(text);
			return -1;
		}
		snprintf(comps[ncomp].type, sizeof comps[ncomp].type, "%s",
		    strcmp(type, "*") == 0 ? "" : type);
		ncomp++;
	}
	free(text);
	if (ncomp == 0) {
		snprintf(why, whylen, "%s: no components", path);
		return -1;
	}
	return 0;
}

void
sim_ports(cs_dev_ports *p, void *ctx)
{
	memset(p, 0, sizeof *p);
	p->ctx = ctx;
	if (A.se_key != NULL) {
		p->se_keygen = se_keygen;
		p->se_sign = se_sign;
		p->se_chain = se_chain;
	}
	if (A.iak_key != NULL) {
		p->attest_token = attest_token;
		p->attest_chain = attest_chain;
	}
}
