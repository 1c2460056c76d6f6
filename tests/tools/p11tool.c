/* p11tool: test helper for the token tests, doing what consign refuses to:
 *   p11tool import MODULE TOKEN PINFILE LABEL SEEDHEX [extractable]
 *       puts a known Ed25519 seed into TOKEN as a private key (C_CreateObject
 *       with CKA_VALUE) labelled LABEL, with its public key object beside it;
 *       "extractable" marks the secret CKA_EXTRACTABLE true, CKA_SENSITIVE false
 *   p11tool seckey SEEDHEX ID PASSFILE PREFIX
 *       writes PREFIX.key and PREFIX.pub, a consign key file of the same seed
 * so that a token key and a file key of one seed can be compared, and a key
 * the token would let out can be offered to consign. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>
#include <sodium.h>

#include "format/keyfile.h"
#include "util/file.h"

static void
die(const char *m)
{
	fprintf(stderr, "p11tool: %s\n", m);
	exit(2);
}

static void
read_pin(const char *path, char *pin, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "r");

	if (f == NULL || fgets(pin, (int)cap, f) == NULL)
		die("cannot read the PIN file");
	fclose(f);
	*len = strcspn(pin, "\r\n");
}

static void
seed_of(const char *hex, uint8_t seed[32], uint8_t pk[32], uint8_t sk[64])
{
	if (cs_unhex(seed, 32, hex) != 0)
		die("the seed must be 64 hex digits");
	crypto_sign_seed_keypair(pk, sk, seed);
}

static int
import(int argc, char **argv)
{
	static const CK_BYTE oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
	CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY, privc = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC_EDWARDS;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE, ext;
	CK_SLOT_ID slots[16];
	CK_ULONG ns = 16, i, ll;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h;
	CK_FUNCTION_LIST *m;
	uint8_t seed[32], pk[32], sk[64], point[34];
	char pin[256];
	size_t pl, tl;
	CK_RV rv;

	if (argc < 7)
		die("usage: p11tool import MODULE TOKEN PINFILE LABEL SEEDHEX [extractable]");
	ext = argc > 7 && strcmp(argv[7], "extractable") == 0;
	seed_of(argv[6], seed, pk, sk);
	read_pin(argv[4], pin, sizeof pin, &pl);
	if ((m = p11_kit_module_load(argv[2], 0)) == NULL || p11_kit_module_initialize(m) != CKR_OK)
		die("cannot load the module");
	if (m->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK)
		die("C_GetSlotList");
	tl = strlen(argv[3]);
	for (i = 0; i < ns; i++)
		if (m->C_GetTokenInfo(slots[i], &ti) == CKR_OK && tl <= 32 &&
		    memcmp(ti.label, argv[3], tl) == 0 && (tl == 32 || ti.label[tl] == ' '))
			break;
	if (i == ns)
		die("no such token");
	if (m->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK ||
	    m->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, pl) != CKR_OK)
		die("cannot log in");
	ll = strlen(argv[5]);
	point[0] = 0x04; /* DER OCTET STRING, as PKCS#11 2.40 stores CKA_EC_POINT */
	point[1] = 32;
	memcpy(point + 2, pk, 32);
	{
		CK_ATTRIBUTE priv[] = {{CKA_CLASS, &privc, sizeof privc}, {CKA_KEY_TYPE, &kt, sizeof kt},
		    {CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &yes, 1}, {CKA_SIGN, &yes, 1},
		    {CKA_SENSITIVE, ext ? &no : &yes, 1}, {CKA_EXTRACTABLE, ext ? &yes : &no, 1},
		    {CKA_EC_PARAMS, (void *)oid, sizeof oid}, {CKA_VALUE, seed, 32},
		    {CKA_LABEL, argv[5], ll}, {CKA_ID, argv[5], ll}};
		CK_ATTRIBUTE pub[] = {{CKA_CLASS, &pubc, sizeof pubc}, {CKA_KEY_TYPE, &kt, sizeof kt},
		    {CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &no, 1}, {CKA_VERIFY, &yes, 1},
		    {CKA_EC_PARAMS, (void *)oid, sizeof oid}, {CKA_EC_POINT, point, sizeof point},
		    {CKA_LABEL, argv[5], ll}, {CKA_ID, argv[5], ll}};

		if ((rv = m->C_CreateObject(s, priv, sizeof priv / sizeof priv[0], &h)) != CKR_OK) {
			fprintf(stderr, "p11tool: C_CreateObject (private): %s\n", p11_kit_strerror(rv));
			exit(2);
		}
		if ((rv = m->C_CreateObject(s, pub, sizeof pub / sizeof pub[0], &h)) != CKR_OK) {
			fprintf(stderr, "p11tool: C_CreateObject (public): %s\n", p11_kit_strerror(rv));
			exit(2);
		}
	}
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	m->C_Logout(s);
	m->C_CloseSession(s);
	p11_kit_module_finalize(m);
	p11_kit_module_release(m);
	return 0;
}

static int
seckey(int argc, char **argv)
{
	uint8_t seed[32], pk[32];
	char pass[256], *path;
	size_t pl;
	cs_seckey k;
	cs_buf pub, sec;
	cs_err e;

	if (argc != 6)
		die("usage: p11tool seckey SEEDHEX ID PASSFILE PREFIX");
	memset(&k, 0, sizeof k);
	if ((k.sk = sodium_malloc(64)) == NULL)
		die("sodium_malloc");
	seed_of(argv[2], seed, pk, k.sk);
	memcpy(k.pub.pk, pk, 32);
	cs_keyid(k.pub.kid, pk);
	snprintf(k.pub.id, sizeof k.pub.id, "%s", argv[3]);
	snprintf(k.pub.name, sizeof k.pub.name, "%s", argv[3]);
	read_pin(argv[4], pass, sizeof pass, &pl);
	cs_err_clear(&e);
	cs_buf_init(&pub, CS_KEYFILE_MAX);
	cs_buf_init(&sec, CS_KEYFILE_MAX);
	if (cs_seckey_format(&sec, &k, pass, pl, CS_KDF_INTERACTIVE, &e) != CS_OK ||
	    cs_pubkey_format(&pub, &k.pub) != CS_OK)
		die("cannot format the key");
	if ((path = malloc(strlen(argv[5]) + 5)) == NULL)
		die("malloc");
	sprintf(path, "%s.key", argv[5]);
	if (cs_write_atomic(path, sec.p, sec.len, 0600, 1, &e) != CS_OK)
		die(e.msg);
	sprintf(path, "%s.pub", argv[5]);
	if (cs_write_atomic(path, pub.p, pub.len, 0644, 1, &e) != CS_OK)
		die(e.msg);
	free(path);
	cs_seckey_free(&k);
	cs_buf_free(&pub);
	cs_buf_free(&sec);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0 || argc < 2)
		die("usage: p11tool import|seckey ...");
	if (strcmp(argv[1], "import") == 0)
		return import(argc, argv);
	if (strcmp(argv[1], "seckey") == 0)
		return seckey(argc, argv);
	die("usage: p11tool import|seckey ...");
	return 2;
}
