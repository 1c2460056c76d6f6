/* A compromised or buggy firmware, for the station's tests: records with a
 * wrong nonce, another serial, a broken signature, or another device's key.
 * A genuine agent never produces these; the station must refuse them. */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "format/cose.h"

int
rogue_seed(const char *path, uint8_t seed[CS_DEV_SEED_LEN])
{
	uint8_t blob[CS_DEV_STORE_MAX];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, blob, sizeof blob);
	close(fd);
	if (n < (ssize_t)CS_DEV_STORE_HEAD ||
	    memcmp(blob, CS_DEV_STORE_MAGIC, CS_DEV_STORE_MAGIC_LEN) != 0)
		return -1;
	memcpy(seed, blob + CS_DEV_STORE_MAGIC_LEN, CS_DEV_SEED_LEN);
	sodium_memzero(blob, sizeof blob);
	return 0;
}

int
rogue_record(const uint8_t *rec, size_t n, const struct faults *f,
    const uint8_t seed[CS_DEV_SEED_LEN], uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t pk[CS_PK_LEN], sk[CS_SK_LEN], paym[CS_RECORD_MAX];
	cs_cose c;
	cs_record r;
	cs_buf pay, env;
	cs_err e;
	int rc = -1;

	cs_err_clear(&e);
	if (cs_cose_decode(&c, rec, n, &e) != CS_OK ||
	    cs_record_decode(&r, c.payload, c.payload_len, &e) != CS_OK)
		return -1;
	crypto_sign_seed_keypair(pk, sk, seed);
	memcpy(r.pk, pk, CS_PK_LEN);
	r.pk_len = CS_ED25519_KEY_LEN;
	if (f->wrong_nonce)
		randombytes_buf(r.nonce, CS_NONCE_LEN);
	if (f->record_serial)
		r.serial = f->record_serial_value;
	cs_buf_fixed(&pay, paym, sizeof paym);
	cs_buf_fixed(&env, out, cap);
	if (cs_record_encode(&pay, &r) != CS_OK ||
	    cs_cose_sign1_create(&env, CS_KIND_RECORD, pay.p, pay.len, sk, &e) != CS_OK)
		goto done;
	if (f->forge_signature)
		out[env.len - 1] ^= 0x01; /* the last byte of the envelope is the signature's */
	*outlen = env.len;
	rc = 0;
done:
	sodium_memzero(sk, sizeof sk);
	return rc;
}
