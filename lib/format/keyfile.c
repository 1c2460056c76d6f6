/* Public and passphrase-encrypted secret key files. */
#include "format/keyfile.h"

#include <string.h>

#include <sodium.h>

#define PUB_COMMENT "consign public key: "
#define SEC_COMMENT "consign secret key: "
#define KDF_ALG "argon2id13"

int
cs_seckey_generate(cs_seckey *k, const char *id, const char *name, cs_err *e)
{
	memset(k, 0, sizeof *k);
	if (!cs_id_valid(id))
		return cs_fail(e, CS_USAGE, "usage", "key id must be 1-%d characters of [A-Za-z0-9._-]",
		    CS_ID_MAX);
	if (name == NULL)
		name = id;
	if (!cs_text_valid(name, CS_NAME_MAX))
		return cs_fail(e, CS_USAGE, "usage", "name must be 1-%d printable ASCII characters",
		    CS_NAME_MAX);
	if ((k->sk = sodium_malloc(CS_SK_LEN)) == NULL)
		return cs_fail(e, CS_MALFORMED, "system", "cannot allocate secure memory");
	crypto_sign_keypair(k->pub.pk, k->sk);
	cs_keyid(k->pub.kid, k->pub.pk);
	strcpy(k->pub.id, id);
	strcpy(k->pub.name, name);
	return CS_OK;
}

void
cs_seckey_free(cs_seckey *k)
{
	if (k->sk != NULL)
		sodium_free(k->sk); /* wipes before unmapping */
	k->sk = NULL;
}

static int
put_text(cs_buf *out, const char *comment, const char *id, const uint8_t *bin, size_t n)
{
	size_t b64len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64;

	if (cs_buf_add(out, comment, strlen(comment)) != 0 || cs_buf_add(out, id, strlen(id)) != 0 ||
	    cs_buf_add(out, "\n", 1) != 0 || (b64 = (char *)cs_buf_room(out, b64len)) == NULL)
		return CS_MALFORMED;
	sodium_bin2base64(b64, b64len, bin, n, sodium_base64_VARIANT_ORIGINAL);
	out->len += b64len - 1;
	return cs_buf_add(out, "\n", 1) == 0 ? CS_OK : CS_MALFORMED;
}

static void
put_pub_fields(cs_cw *w, const char *kind, const cs_pubkey *k)
{
	cs_cw_uint(w, 0);
	cs_cw_uint(w, CS_FORMAT_VERSION);
	cs_cw_uint(w, 2);
	cs_cw_textz(w, kind);
	cs_cw_uint(w, 3);
	cs_cw_textz(w, k->id);
	cs_cw_uint(w, 4);
	cs_cw_textz(w, k->name);
	cs_cw_uint(w, 5);
	cs_cw_bytes(w, k->pk, CS_PK_LEN);
}

int
cs_pubkey_format(cs_buf *out, const cs_pubkey *k)
{
	uint8_t m[512];
	cs_buf b;
	cs_cw w;

	cs_buf_fixed(&b, m, sizeof m);
	cs_cw_init(&w, &b);
	cs_cw_map_begin(&w);
	put_pub_fields(&w, "public-key", k);
	cs_cw_map_end(&w);
	if (cs_cw_finish(&w) != 0)
		return CS_MALFORMED;
	return put_text(out, PUB_COMMENT, k->id, b.p, b.len);
}

static void
level_params(enum cs_kdf_level level, uint64_t *ops, uint64_t *mem)
{
	switch (level) {
	case CS_KDF_INTERACTIVE:
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		break;
	case CS_KDF_MODERATE:
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
		break;
	default:
		*ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
	}
}

static int
make_header(cs_buf *b, const cs_pubkey *k, uint64_t ops, uint64_t mem,
    const uint8_t salt[CS_SALT_LEN], const uint8_t nonce[CS_XNONCE_LEN])
{
	cs_cw w;

	cs_cw_init(&w, b);
	cs_cw_map_begin(&w);
	put_pub_fields(&w, "secret-key", k);
	cs_cw_uint(&w, 6);
	cs_cw_textz(&w, KDF_ALG);
	cs_cw_uint(&w, 7);
	cs_cw_uint(&w, ops);
	cs_cw_uint(&w, 8);
	cs_cw_uint(&w, mem);
	cs_cw_uint(&w, 9);
	cs_cw_bytes(&w, salt, CS_SALT_LEN);
	cs_cw_uint(&w, 10);
	cs_cw_bytes(&w, nonce, CS_XNONCE_LEN);
	cs_cw_map_end(&w);
	return cs_cw_finish(&w) == 0 ? CS_OK : CS_MALFORMED;
}

int
cs_seckey_format(cs_buf *out, const cs_seckey *k, const char *pass, size_t passlen,
    enum cs_kdf_level level, cs_err *e)
{
	uint8_t hm[512], fm[1024], salt[CS_SALT_LEN], nonce[CS_XNONCE_LEN];
	uint8_t ct[CS_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES];
	uint8_t *key = NULL;
	uint64_t ops, mem;
	cs_buf hdr, file;
	cs_cw w;
	int rc = CS_MALFORMED;

	cs_buf_fixed(&hdr, hm, sizeof hm);
	cs_buf_fixed(&file, fm, sizeof fm);
	level_params(level, &ops, &mem);
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	if (make_header(&hdr, &k->pub, ops, mem, salt, nonce) != CS_OK) {
		rc = cs_fail(e, CS_MALFORMED, "internal", "key header too large");
		goto done;
	}
	if ((key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)) == NULL) {
		rc = cs_fail(e, CS_MALFORMED, "system", "cannot allocate secure memory");
		goto done;
	}
	if (crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pass, passlen, salt,
		ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "system", "Argon2id needs %llu MiB and could not get it",
		    (unsigned long long)(mem >> 20));
		goto done;
	}
	/* the seed (first half of libsodium's secret key) is all that is stored */
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, k->sk, CS_SEED_LEN, hdr.p, hdr.len,
	    NULL, nonce, key);
	cs_cw_init(&w, &file);
	cs_cw_array_begin(&w);
	cs_cw_bytes(&w, hdr.p, hdr.len);
	cs_cw_bytes(&w, ct, sizeof ct);
	cs_cw_array_end(&w);
	if (cs_cw_finish(&w) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "internal", "key file too large");
		goto done;
	}
	rc = put_text(out, SEC_COMMENT, k->pub.id, file.p, file.len);
done:
	if (key != NULL)
		sodium_free(key);
	return rc;
}

/* Splits "comment\nbase64\n" and decodes the base64 into bin. */
static int
get_text(const uint8_t *text, size_t n, const char *comment, const char *what, uint8_t *bin,
    size_t cap, size_t *binlen, cs_err *e)
{
	const uint8_t *nl, *b64, *end;
	size_t cl = strlen(comment), b64n;

	if (n > CS_KEYFILE_MAX)
		return cs_fail(e, CS_MALFORMED, "keyfile", "larger than %d bytes", CS_KEYFILE_MAX);
	if (n < cl || memcmp(text, comment, cl) != 0)
		return cs_fail(e, CS_MALFORMED, "keyfile", "not a consign %s file", what);
	if ((nl = memchr(text, '\n', n)) == NULL)
		return cs_fail(e, CS_MALFORMED, "keyfile", "no key line after the comment");
	b64 = nl + 1;
	end = text + n;
	if (end > b64 && end[-1] == '\n')
		end--;
	if (end > b64 && end[-1] == '\r')
		end--;
	b64n = (size_t)(end - b64);
	if (b64n == 0 || memchr(b64, '\n', b64n) != NULL)
		return cs_fail(e, CS_MALFORMED, "keyfile", "expected exactly one line of base64");
	if (sodium_base642bin(bin, cap, (const char *)b64, b64n, NULL, binlen, NULL,
		sodium_base64_VARIANT_ORIGINAL) != 0)
		return cs_fail(e, CS_MALFORMED, "keyfile", "key line is not valid base64");
	return CS_OK;
}

/* Reads fields 0 and 2..5 of a key map, leaving the cursor at the next key. */
static int
get_pub_fields(cs_cr *r, const char *kind, cs_pubkey *k, size_t *entries, size_t min, size_t max,
    int64_t *prev)
{
	uint64_t v;
	const char *s;
	size_t sn;
	int rc;

	*prev = -1;
	if ((rc = cs_cr_map(r, entries, min, max)) != CS_OK ||
	    (rc = cs_cr_field(r, 0, prev, "format version")) != CS_OK ||
	    (rc = cs_cr_uint(r, &v)) != CS_OK)
		return rc;
	if (v != CS_FORMAT_VERSION)
		return cs_cr_schema(r, "format version %llu is not supported", (unsigned long long)v);
	if ((rc = cs_cr_field(r, 2, prev, "kind")) != CS_OK ||
	    (rc = cs_cr_text(r, &s, &sn, 1, 16)) != CS_OK)
		return rc;
	if (sn != strlen(kind) || memcmp(s, kind, sn) != 0)
		return cs_cr_schema(r, "kind is \"%.*s\", expected \"%s\"", (int)sn, s, kind);
	if ((rc = cs_cr_field(r, 3, prev, "id")) != CS_OK ||
	    (rc = cs_cr_textz(r, k->id, sizeof k->id, 1)) != CS_OK)
		return rc;
	if (!cs_id_valid(k->id))
		return cs_cr_schema(r, "key id has characters outside [A-Za-z0-9._-]");
	if ((rc = cs_cr_field(r, 4, prev, "name")) != CS_OK ||
	    (rc = cs_cr_textz(r, k->name, sizeof k->name, 1)) != CS_OK ||
	    (rc = cs_cr_field(r, 5, prev, "public key")) != CS_OK)
		return rc;
	if ((rc = cs_cr_bytes_fixed(r, k->pk, CS_PK_LEN)) != CS_OK)
		return rc;
	if (!cs_pk_valid(k->pk))
		return cs_cr_schema(r, "public key is not a valid prime-order point");
	cs_keyid(k->kid, k->pk);
	return CS_OK;
}

int
cs_pubkey_parse(cs_pubkey *k, const uint8_t *text, size_t n, cs_err *e)
{
	uint8_t bin[CS_KEYFILE_MAX];
	size_t binlen, entries;
	int64_t prev;
	cs_cr r;
	int rc;

	memset(k, 0, sizeof *k);
	if ((rc = get_text(text, n, PUB_COMMENT, "public key", bin, sizeof bin, &binlen, e)) != CS_OK)
		return rc;
	cs_cr_init(&r, bin, binlen, e);
	if ((rc = get_pub_fields(&r, "public-key", k, &entries, 5, 5, &prev)) != CS_OK)
		return rc;
	return cs_cr_done(&r);
}

/* The secret file: [header bstr, ciphertext bstr]; *hdr borrows from bin. */
static int
parse_secret(cs_seckey *k, const uint8_t *bin, size_t binlen, const uint8_t **hdr,
    size_t *hdrlen, uint8_t salt[CS_SALT_LEN], uint8_t nonce[CS_XNONCE_LEN], const uint8_t **ct,
    cs_err *e)
{
	cs_cr r, h;
	size_t n, entries, ctn, i;
	int64_t prev;
	uint64_t key;
	const char *alg;
	size_t algn;
	int rc;

	cs_cr_init(&r, bin, binlen, e);
	if ((rc = cs_cr_array(&r, &n, 2, 2)) != CS_OK ||
	    (rc = cs_cr_bytes(&r, hdr, hdrlen, 1, 512)) != CS_OK ||
	    (rc = cs_cr_bytes(&r, ct, &ctn, CS_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES,
		 CS_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)) != CS_OK ||
	    (rc = cs_cr_done(&r)) != CS_OK)
		return rc;
	cs_cr_init(&h, *hdr, *hdrlen, e);
	if ((rc = get_pub_fields(&h, "secret-key", &k->pub, &entries, 10, 10, &prev)) != CS_OK)
		return rc;
	for (i = 0; i < 5; i++) {
		if ((rc = cs_cr_key(&h, &key, &prev)) != CS_OK)
			return rc;
		switch (key) {
		case 6:
			if ((rc = cs_cr_text(&h, &alg, &algn, 1, 16)) != CS_OK)
				return rc;
			if (algn != strlen(KDF_ALG) || memcmp(alg, KDF_ALG, algn) != 0)
				return cs_cr_schema(&h, "KDF is not %s", KDF_ALG);
			break;
		case 7:
			if ((rc = cs_cr_uint(&h, &k->opslimit)) != CS_OK)
				return rc;
			if (k->opslimit < CS_KDF_OPS_MIN || k->opslimit > CS_KDF_OPS_MAX)
				return cs_cr_schema(&h, "KDF passes %llu outside %d..%d",
				    (unsigned long long)k->opslimit, CS_KDF_OPS_MIN, CS_KDF_OPS_MAX);
			break;
		case 8:
			if ((rc = cs_cr_uint(&h, &k->memlimit)) != CS_OK)
				return rc;
			if (k->memlimit < CS_KDF_MEM_MIN || k->memlimit > CS_KDF_MEM_MAX)
				return cs_cr_schema(&h, "KDF memory %llu bytes outside %llu..%llu",
				    (unsigned long long)k->memlimit, CS_KDF_MEM_MIN, CS_KDF_MEM_MAX);
			break;
		case 9:
			if ((rc = cs_cr_bytes_fixed(&h, salt, CS_SALT_LEN)) != CS_OK)
				return rc;
			break;
		case 10:
			if ((rc = cs_cr_bytes_fixed(&h, nonce, CS_XNONCE_LEN)) != CS_OK)
				return rc;
			break;
		default:
			return cs_cr_schema(&h, "unknown field %llu", (unsigned long long)key);
		}
	}
	return cs_cr_done(&h);
}

int
cs_seckey_parse_public(cs_seckey *k, const uint8_t *text, size_t n, cs_err *e)
{
	uint8_t bin[CS_KEYFILE_MAX], salt[CS_SALT_LEN], nonce[CS_XNONCE_LEN];
	const uint8_t *hdr, *ct;
	size_t binlen, hdrlen;
	int rc;

	memset(k, 0, sizeof *k);
	if ((rc = get_text(text, n, SEC_COMMENT, "secret key", bin, sizeof bin, &binlen, e)) != CS_OK)
		return rc;
	return parse_secret(k, bin, binlen, &hdr, &hdrlen, salt, nonce, &ct, e);
}

int
cs_seckey_unlock(cs_seckey *k, const uint8_t *text, size_t n, const char *pass, size_t passlen,
    cs_err *e)
{
	uint8_t bin[CS_KEYFILE_MAX], salt[CS_SALT_LEN], nonce[CS_XNONCE_LEN], pk[CS_PK_LEN];
	const uint8_t *hdr, *ct;
	uint8_t *key = NULL, *seed = NULL;
	size_t binlen, hdrlen;
	int rc;

	memset(k, 0, sizeof *k);
	if ((rc = get_text(text, n, SEC_COMMENT, "secret key", bin, sizeof bin, &binlen, e)) != CS_OK)
		return rc;
	if ((rc = parse_secret(k, bin, binlen, &hdr, &hdrlen, salt, nonce, &ct, e)) != CS_OK)
		return rc;
	key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	seed = sodium_malloc(CS_SEED_LEN);
	k->sk = sodium_malloc(CS_SK_LEN);
	if (key == NULL || seed == NULL || k->sk == NULL) {
		rc = cs_fail(e, CS_MALFORMED, "system", "cannot allocate secure memory");
		goto fail;
	}
	if (crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pass, passlen, salt,
		k->opslimit, (size_t)k->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "system", "Argon2id needs %llu MiB and could not get it",
		    (unsigned long long)(k->memlimit >> 20));
		goto fail;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL, ct,
		CS_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES, hdr, hdrlen, nonce, key) != 0) {
		rc = cs_fail(e, CS_REJECT, "passphrase",
		    "wrong passphrase, or the key file was altered");
		goto fail;
	}
	crypto_sign_seed_keypair(pk, k->sk, seed);
	if (sodium_memcmp(pk, k->pub.pk, CS_PK_LEN) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "keyfile", "secret does not match the public key in the file");
		goto fail;
	}
	rc = CS_OK;
	goto done;
fail:
	cs_seckey_free(k);
done:
	if (key != NULL)
		sodium_free(key);
	if (seed != NULL)
		sodium_free(seed);
	return rc;
}
