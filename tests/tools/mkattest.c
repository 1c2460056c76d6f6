/* mkattest: a TEST maker and TEST attesting firmware for consign's tests and
 * simulators, never for production: certificates and PSA tokens whose keys
 * come from a SEED string (tests/tools/testpki.h), with switches for each
 * misbehaviour the checks must catch, and the checks themselves (the library's
 * own) to look at what it made.
 *
 *   mkattest pki SEED DIR        DIR/root.der, DIR/inter.der (the TEST maker)
 *                                DIR/other-root.der, DIR/other-inter.der (a
 *                                maker no policy pins); the same bytes every
 *                                run, and the ones mkbatch --maker SEED uses
 *   mkattest key SEED NAME       prints test key NAME's public key (130 hex)
 *   mkattest scalar SEED NAME OUT
 *                                writes its 32-byte secret (mode 0600): the
 *                                inside of a simulated element or firmware
 *   mkattest sign SEED NAME FILE OUT
 *                                ES256 signature (r || s) of FILE by NAME,
 *                                deterministic: the same FILE, the same bytes
 *   mkattest chain SEED DIR KEY OUT [--maker other] [--with-root] [--other-key]
 *                                the device certificate chain for KEY (130
 *                                hex digits, or @NAME) as consign carries it,
 *                                under DIR's intermediate (made by pki);
 *                                --maker other: a chain to an unknown root,
 *                                --other-key: a leaf for a fresh key, not KEY
 *   mkattest nonce ORDER_DIGEST DEVICE_KEY
 *                                prints the binding nonce (hex in, hex out)
 *   mkattest reference           prints the TEST firmware's reference values
 *                                (TYPE MEASUREMENT SIGNER, hex)
 *   mkattest token SEED IAK OUT --nonce HEX [--lifecycle N] [--debug]
 *                  [--wrong-nonce] [--other-firmware] [--instance-of NAME]
 *                  [--profile 1|2|tfm] [--component TYPE:MEAS:SIGNER]...
 *                                a PSA token by test key IAK for the nonce;
 *                                default: lifecycle 0x3000, the TEST firmware's
 *                                components. --debug: lifecycle 0x4000;
 *                                --other-firmware: another measurement;
 *                                --instance-of: another chip's instance id.
 *                                A replayed token is one made for another
 *                                record's nonce or by another IAK. The boot
 *                                seed comes from SEED and IAK, the signature
 *                                is deterministic: the same arguments give
 *                                the same token (mkbatch's record INDEX
 *                                carries the one for IAK iak-INDEX).
 *   mkattest check-chain DIR CHAIN [--key HEX]
 *   mkattest check-token DIR CHAIN TOKEN NONCE [--ref TYPE:MEAS:SIGNER]...
 *                                validate to DIR/root.der with lib/attest;
 *                                print "ok ..." or "refused REASON: MESSAGE"
 *                                (exit 1). check-token takes the TEST
 *                                firmware's references when none are given.
 *   mkattest leaf CHAIN          writes the chain's first certificate (DER) to
 *                                standard output: a device's own certificate
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "attest/chain.h"
#include "attest/psa.h"
#include "crypto/sig.h"
#include "testpki.h"
#include "util/file.h"

#define MAX_COMP 8

static const char usage[] =
    "usage: mkattest pki SEED DIR | key SEED NAME | scalar SEED NAME OUT |\n"
    "       sign SEED NAME FILE OUT | chain SEED DIR KEY OUT [--maker other] [--with-root]\n"
    "       [--other-key] | nonce ORDER_DIGEST DEVICE_KEY | reference |\n"
    "       token SEED IAK OUT --nonce HEX [--lifecycle N] [--debug] [--wrong-nonce]\n"
    "       [--other-firmware] [--instance-of NAME] [--profile 1|2|tfm]\n"
    "       [--component TYPE:MEAS:SIGNER]... | check-chain DIR CHAIN [--key HEX] |\n"
    "       check-token DIR CHAIN TOKEN NONCE [--ref TYPE:MEAS:SIGNER]... | leaf CHAIN\n"
    "(a TEST maker for consign's tests: never for production)\n";

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mkattest: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void
put(const char *path, const void *p, size_t n, int mode)
{
	cs_err e;

	cs_err_clear(&e);
	if (cs_write_atomic(path, p, n, mode, 0, &e) != CS_OK)
		die("%s: %s", path, e.msg);
}

static size_t
get(const char *path, uint8_t *out, size_t cap)
{
	uint8_t *p;
	size_t n;
	cs_err e;

	cs_err_clear(&e);
	if (cs_read_file(path, cap, &p, &n, &e) != CS_OK)
		die("%s: %s", path, e.msg);
	memcpy(out, p, n);
	cs_file_free(p, n);
	return n;
}

static void
hex_in(uint8_t *out, size_t n, const char *hex, const char *what)
{
	size_t got;

	if (strlen(hex) != 2 * n ||
	    sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL) != 0 || got != n)
		die("%s: %zu bytes of hex expected", what, n);
}

static cs_p256_secret *
key_named(const char *seed, const char *name)
{
	cs_p256_secret *k = tp_key(seed, name);

	if (k == NULL)
		die("cannot derive key %s", name);
	return k;
}

/* KEY argument: 130 hex digits or @NAME */
static void
point_arg(uint8_t pt[65], const char *seed, const char *arg)
{
	cs_p256_secret *k;

	if (arg[0] == '@') {
		k = key_named(seed, arg + 1);
		memcpy(pt, cs_p256_secret_point(k), 65);
		cs_p256_secret_free(k);
	} else {
		hex_in(pt, 65, arg, "KEY");
	}
}

static void
print_hex(const uint8_t *p, size_t n)
{
	char h[2 * 128 + 1];

	sodium_bin2hex(h, sizeof h, p, n);
	printf("%s\n", h);
}

static void
maker(tp_maker *m, const char *seed, const char *name)
{
	if (tp_maker_make(m, seed, name) != 0)
		die("cannot make the TEST maker %s", name);
}

static void
cmd_pki(const char *seed, const char *dir)
{
	char path[4096];
	tp_maker m, o;

	maker(&m, seed, "maker");
	maker(&o, seed, "other");
	snprintf(path, sizeof path, "%s/root.der", dir);
	put(path, m.root_der, m.root_len, 0644);
	snprintf(path, sizeof path, "%s/inter.der", dir);
	put(path, m.inter_der, m.inter_len, 0644);
	snprintf(path, sizeof path, "%s/other-root.der", dir);
	put(path, o.root_der, o.root_len, 0644);
	snprintf(path, sizeof path, "%s/other-inter.der", dir);
	put(path, o.inter_der, o.inter_len, 0644);
	tp_maker_free(&m);
	tp_maker_free(&o);
}

/* the maker made by "pki" into dir */
static void
load_maker(tp_maker *m, const char *seed, const char *dir, const char *name)
{
	static uint8_t root[TP_DER_MAX], inter[TP_DER_MAX];
	const char *prefix = strcmp(name, "maker") == 0 ? "" : "other-";
	char path[4096];
	size_t rn, in;

	if (strcmp(name, "maker") != 0 && strcmp(name, "other") != 0)
		die("--maker: maker or other");
	snprintf(path, sizeof path, "%s/%sroot.der", dir, prefix);
	rn = get(path, root, sizeof root);
	snprintf(path, sizeof path, "%s/%sinter.der", dir, prefix);
	in = get(path, inter, sizeof inter);
	if (tp_maker_load(m, seed, name, root, rn, inter, in) != 0)
		die("%s: not the certificates of seed %s", dir, seed);
}

static void
cmd_chain(const char *seed, const char *dir, const char *keyarg, const char *out, int argc,
    char **argv)
{
	uint8_t pt[65], leaf[TP_DER_MAX], buf[4 * TP_DER_MAX];
	const char *mname = "maker";
	int with_root = 0, other_key = 0, i;
	cs_attest_chain c;
	tp_maker m;
	cs_buf b;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--maker") == 0 && i + 1 < argc)
			mname = argv[++i];
		else if (strcmp(argv[i], "--with-root") == 0)
			with_root = 1;
		else if (strcmp(argv[i], "--other-key") == 0)
			other_key = 1;
		else
			die("chain: unknown option %s", argv[i]);
	}
	point_arg(pt, seed, keyarg);
	if (other_key) {
		cs_p256_secret *k;

		if (cs_p256_secret_generate(&k, NULL) != CS_OK)
			die("cannot make a key");
		memcpy(pt, cs_p256_secret_point(k), 65);
		cs_p256_secret_free(k);
	}
	load_maker(&m, seed, dir, mname);
	c.n = with_root ? 3 : 2;
	c.der[0] = leaf;
	if ((c.len[0] = tp_leaf(leaf, sizeof leaf, &m, pt, NULL)) == 0)
		die("cannot make the leaf (is KEY a P-256 point?)");
	c.der[1] = m.inter_der;
	c.len[1] = m.inter_len;
	c.der[2] = m.root_der;
	c.len[2] = m.root_len;
	cs_buf_fixed(&b, buf, sizeof buf);
	if (cs_attest_chain_encode(&b, &c) != CS_OK)
		die("chain does not encode");
	put(out, b.p, b.len, 0644);
	tp_maker_free(&m);
}

/* "TYPE:MEAS:SIGNER" into a component/reference, bytes in store */
static void
comp_arg(const char *arg, char type[32], uint8_t store[64], size_t *mlen, size_t *slen)
{
	char copy[512], *m, *s;

	snprintf(copy, sizeof copy, "%s", arg);
	if ((m = strchr(copy, ':')) == NULL || (s = strchr(m + 1, ':')) == NULL)
		die("component %s: TYPE:MEASUREMENT:SIGNER expected", arg);
	*m++ = '\0';
	*s++ = '\0';
	if (strlen(copy) >= 32)
		die("component type too long");
	snprintf(type, 32, "%s", copy);
	*mlen = strlen(m) / 2;
	*slen = strlen(s) / 2;
	if (*mlen != 32 || *slen != 32)
		die("component %s: 32-byte measurement and signer expected", arg);
	hex_in(store, 32, m, "measurement");
	hex_in(store + 32, 32, s, "signer");
}

static void
cmd_token(const char *seed, const char *iakname, const char *out, int argc, char **argv)
{
	static uint8_t tok[CS_PSA_TOKEN_MAX];
	uint8_t nonce[32], bootseed[32], store[MAX_COMP][64];
	char types[MAX_COMP][32];
	const char *instance_of = NULL;
	enum cs_psa_profile profile = CS_PSA_PROFILE_2;
	uint32_t lifecycle = 0x3000;
	cs_p256_secret *iak, *other;
	cs_psa_component comp[MAX_COMP];
	tp_token t;
	cs_buf b;
	cs_err e;
	int i, have_nonce = 0, wrong_nonce = 0, other_fw = 0;
	size_t ncomp = 0, ml, sl;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--nonce") == 0 && i + 1 < argc) {
			hex_in(nonce, 32, argv[++i], "--nonce");
			have_nonce = 1;
		} else if (strcmp(argv[i], "--lifecycle") == 0 && i + 1 < argc) {
			lifecycle = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--debug") == 0) {
			lifecycle = 0x4000;
		} else if (strcmp(argv[i], "--wrong-nonce") == 0) {
			wrong_nonce = 1;
		} else if (strcmp(argv[i], "--other-firmware") == 0) {
			other_fw = 1;
		} else if (strcmp(argv[i], "--instance-of") == 0 && i + 1 < argc) {
			instance_of = argv[++i];
		} else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
			i++;
			profile = strcmp(argv[i], "1") == 0 ? CS_PSA_PROFILE_1
			    : strcmp(argv[i], "tfm") == 0   ? CS_PSA_PROFILE_TFM
							    : CS_PSA_PROFILE_2;
		} else if (strcmp(argv[i], "--component") == 0 && i + 1 < argc && ncomp < MAX_COMP) {
			comp_arg(argv[++i], types[ncomp], store[ncomp], &ml, &sl);
			comp[ncomp] = (cs_psa_component){{types[ncomp], strlen(types[ncomp])},
			    {store[ncomp], 32}, {NULL, 0}, {store[ncomp] + 32, 32}, {NULL, 0}};
			ncomp++;
		} else {
			die("token: unknown option %s", argv[i]);
		}
	}
	if (!have_nonce)
		die("token: --nonce is required");
	if (wrong_nonce)
		nonce[0] ^= 0x01;
	iak = key_named(seed, iakname);
	other = key_named(seed, instance_of != NULL ? instance_of : iakname);
	tp_boot_seed(bootseed, seed, iakname);
	/* signed by iak; the instance id is other's chip's (iak's unless
	 * --instance-of) */
	tp_token_init(&t, cs_p256_secret_point(other), nonce, bootseed, other_fw);
	t.c.profile = profile;
	t.c.lifecycle = lifecycle;
	if (ncomp > 0) {
		memcpy(t.c.comp, comp, ncomp * sizeof comp[0]);
		t.c.ncomp = ncomp;
	}
	cs_buf_fixed(&b, tok, sizeof tok);
	cs_err_clear(&e);
	if (tp_token_sign(&b, &t, iak, &e) != CS_OK)
		die("token: %s", e.msg);
	put(out, b.p, b.len, 0644);
	cs_p256_secret_free(iak);
	cs_p256_secret_free(other);
}

static cs_attest_roots *
roots_of(const char *dir)
{
	static uint8_t der[CS_ATTEST_CERT_MAX];
	cs_attest_roots *r;
	char path[4096];
	size_t n;
	cs_err e;

	snprintf(path, sizeof path, "%s/root.der", dir);
	n = get(path, der, sizeof der);
	cs_err_clear(&e);
	if (cs_attest_roots_new(&r, CS_ATTEST_CACHE_MAX, &e) != CS_OK ||
	    cs_attest_roots_add(r, der, n, NULL, &e) != CS_OK)
		die("%s: %s", path, e.msg);
	return r;
}

static int
refused(const cs_err *e)
{
	printf("refused %s: %s\n", e->reason, e->msg);
	return 1;
}

static int
check_chain(const char *dir, const char *chainpath, cs_attest_leaf *l, const char *keyhex)
{
	static uint8_t buf[4 * CS_ATTEST_CERT_MAX + 64];
	cs_attest_roots *r = roots_of(dir);
	cs_attest_chain c;
	uint8_t want[65];
	size_t n = get(chainpath, buf, sizeof buf);
	cs_err e;
	int rc;

	cs_err_clear(&e);
	rc = cs_attest_chain_decode(&c, buf, n, &e);
	if (rc == CS_OK)
		rc = cs_attest_chain_verify(r, &c, l, &e);
	if (rc == CS_OK && keyhex != NULL) {
		hex_in(want, 65, keyhex, "--key");
		rc = cs_attest_leaf_is(l, want, &e);
	}
	cs_attest_roots_free(r);
	return rc == CS_OK ? 0 : refused(&e);
}

static int
cmd_check_token(const char *dir, const char *chainpath, const char *tokpath, const char *noncehex,
    int argc, char **argv)
{
	static uint8_t tok[CS_PSA_TOKEN_MAX + 1];
	uint8_t nonce[32], bl[32], app[32], signer[32], store[MAX_COMP][64];
	char types[MAX_COMP][32];
	cs_psa_refval refs[MAX_COMP];
	size_t nrefs = 0, n, ml, sl;
	cs_p256_key *iak = NULL;
	cs_attest_leaf l;
	cs_psa_token t;
	cs_err e;
	int i, rc;

	hex_in(nonce, 32, noncehex, "NONCE");
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--ref") == 0 && i + 1 < argc && nrefs < MAX_COMP) {
			comp_arg(argv[++i], types[nrefs], store[nrefs], &ml, &sl);
			refs[nrefs] = (cs_psa_refval){store[nrefs], 32, store[nrefs] + 32, 32,
			    types[nrefs]};
			nrefs++;
		} else {
			die("check-token: unknown option %s", argv[i]);
		}
	}
	if (nrefs == 0) {
		tp_firmware(bl, app, signer, 0);
		refs[0] = (cs_psa_refval){bl, 32, signer, 32, "BL"};
		refs[1] = (cs_psa_refval){app, 32, signer, 32, "App"};
		nrefs = 2;
	}
	if (check_chain(dir, chainpath, &l, NULL) != 0)
		return 1;
	n = get(tokpath, tok, sizeof tok);
	cs_err_clear(&e);
	if (cs_p256_key_parse(&iak, l.key, 65, &e) != CS_OK)
		return refused(&e);
	rc = cs_psa_appraise(&t, tok, n, iak, nonce, refs, nrefs, &e);
	cs_p256_key_free(iak);
	if (rc != CS_OK)
		return refused(&e);
	printf("ok token profile %d lifecycle 0x%04x components %zu instance ", (int)t.claims.profile,
	    (unsigned)t.claims.lifecycle, t.claims.ncomp);
	print_hex(t.claims.instance_id.p, t.claims.instance_id.n);
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t msg[1 << 20];
	uint8_t pt[65], sig[64], d32[32], bl[32], app[32], signer[32];
	cs_p256_secret *k;
	cs_attest_leaf l;
	size_t n;
	cs_err e;

	if (cs_crypto_init() != 0)
		die("cannot initialise libsodium");
	if (argc < 2)
		die("%s", usage);
	cs_err_clear(&e);
	if (strcmp(argv[1], "pki") == 0 && argc == 4) {
		cmd_pki(argv[2], argv[3]);
	} else if (strcmp(argv[1], "key") == 0 && argc == 4) {
		k = key_named(argv[2], argv[3]);
		print_hex(cs_p256_secret_point(k), 65);
		cs_p256_secret_free(k);
	} else if (strcmp(argv[1], "scalar") == 0 && argc == 5) {
		uint8_t *s = sodium_malloc(CS_P256_SCALAR_LEN);

		if (s == NULL || tp_scalar(s, argv[2], argv[3]) != 0)
			die("cannot derive key %s", argv[3]);
		put(argv[4], s, CS_P256_SCALAR_LEN, 0600);
		sodium_free(s);
	} else if (strcmp(argv[1], "sign") == 0 && argc == 6) {
		k = key_named(argv[2], argv[3]);
		n = get(argv[4], msg, sizeof msg);
		/* deterministic (tp_ecdsa), so what it signs repeats byte for
		 * byte: the conformance corpus's secure-element records */
		if (tp_ecdsa(sig, cs_p256_secret_evp(k), EVP_sha256(), msg, n) != 0)
			die("sign: the signature failed");
		put(argv[5], sig, sizeof sig, 0644);
		cs_p256_secret_free(k);
	} else if (strcmp(argv[1], "chain") == 0 && argc >= 6) {
		cmd_chain(argv[2], argv[3], argv[4], argv[5], argc - 6, argv + 6);
	} else if (strcmp(argv[1], "nonce") == 0 && argc == 4) {
		hex_in(d32, 32, argv[2], "ORDER_DIGEST");
		n = strlen(argv[3]) / 2;
		if (n != 32 && n != 65)
			die("DEVICE_KEY: 32 (Ed25519) or 65 (P-256) bytes of hex expected");
		hex_in(pt, n, argv[3], "DEVICE_KEY");
		cs_psa_binding_nonce(sig, d32, pt, n);
		print_hex(sig, 32);
	} else if (strcmp(argv[1], "reference") == 0 && argc == 2) {
		char h1[65], h2[65], h3[65];

		tp_firmware(bl, app, signer, 0);
		sodium_bin2hex(h1, sizeof h1, bl, 32);
		sodium_bin2hex(h2, sizeof h2, app, 32);
		sodium_bin2hex(h3, sizeof h3, signer, 32);
		printf("BL %s %s\nApp %s %s\n", h1, h3, h2, h3);
	} else if (strcmp(argv[1], "token") == 0 && argc >= 5) {
		cmd_token(argv[2], argv[3], argv[4], argc - 5, argv + 5);
	} else if (strcmp(argv[1], "check-chain") == 0 && (argc == 4 || argc == 6)) {
		if (argc == 6 && strcmp(argv[4], "--key") != 0)
			die("%s", usage);
		if (check_chain(argv[2], argv[3], &l, argc == 6 ? argv[5] : NULL) != 0)
			return 1;
		printf("ok root %zu key ", l.root);
		print_hex(l.key, 65);
	} else if (strcmp(argv[1], "leaf") == 0 && argc == 3) {
		static uint8_t buf[CS_ATTEST_CHAIN_MAX * (CS_ATTEST_CERT_MAX + 8)];
		cs_attest_chain c;
		cs_err ce;
		size_t cn = get(argv[2], buf, sizeof buf);

		cs_err_clear(&ce);
		if (cs_attest_chain_decode(&c, buf, cn, &ce) != CS_OK)
			die("%s: %s", argv[2], ce.msg);
		if (fwrite(c.der[0], 1, c.len[0], stdout) != c.len[0] || fflush(stdout) != 0)
			die("cannot write the leaf");
	} else if (strcmp(argv[1], "check-token") == 0 && argc >= 6) {
		return cmd_check_token(argv[2], argv[3], argv[4], argv[5], argc - 6, argv + 6);
	} else {
		die("%s", usage);
	}
	return 0;
}
