/* attest: what attestation evidence costs per record (issue 18), CPU time of
 * one thread, against the raw ES256 verification it is made of. Devices of
 * one TEST maker (tests/tools/testpki.h), each with its own P-256 key, leaf
 * certificate, signed record payload and PSA token; all made before timing.
 *
 *   attest [--records N] [--repeat N]
 *
 * Prints "name value" lines, each the median of the repeats (ratios are
 * taken within each run first):
 *   raw_es256_ns        OpenSSL alone: EVP_DigestVerifyInit + EVP_DigestVerify
 *                       with keys parsed and signatures DER-encoded up front
 *   es256_ns            cs_es256_verify, keys parsed up front
 *   es256_parse_ns      cs_p256_key_parse + cs_es256_verify (a record's key)
 *   chain_full_ns       cs_attest_chain_verify without a cache (leaf and
 *                       intermediate signatures, path building)
 *   chain_cached_ns     with the cache, the intermediate validated once
 *   psa_appraise_ns     cs_psa_appraise (decode, IAK signature, checks)
 *   se_record_vs_limit  (2 x raw_es256_ns) / (es256_parse_ns + chain_cached_ns):
 *                       a secure-element record's cryptography (its key, its
 *                       signature, its leaf's) as a share of the speed of
 *                       the same two signatures done raw (1 = no overhead;
 *                       the form of make bench's verify_vs_limit)
 *   es256_vs_raw, chain_full_vs_raw, chain_cached_vs_raw, psa_vs_raw: each
 *                       part's time over one raw verification
 * Measured and printed, never asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#define TOOL_NAME "attest"
#include "../tools/testpki.h"
#include "bench.h"
#include "attest/chain.h"
#include "attest/psa.h"
#include "crypto/sig.h"

#define MSG_LEN 160 /* about a record's Sig_structure */

struct dev {
	uint8_t pt[65], sig[64], der_sig[80], msg[MSG_LEN];
	size_t der_sig_len;
	uint8_t leaf[TP_DER_MAX];
	size_t leaf_len;
	uint8_t iak[65], token[1024];
	size_t token_len;
	uint8_t nonce[32];
	cs_p256_key *key, *iak_key;
};

static struct dev *D;
static size_t N = 2000;
static tp_maker M;
static uint8_t bl[32], signer[32];

static size_t
der_of(uint8_t out[80], const uint8_t sig[64])
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	uint8_t *p = out;
	int n;

	if (es == NULL || ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) != 1)
		die("ECDSA_SIG");
	n = i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	return n > 0 ? (size_t)n : 0;
}

static void
make(void)
{
	uint8_t pm[8], pay[2048], inst[33], impl[32], order[32];
	cs_buf prot, payload, out;
	cs_psa_claims c;
	cs_p256_secret *sk, *iak;
	char name[32];
	size_t i;

	if (tp_maker_make(&M, "consign bench", "maker") != 0)
		die("cannot make the TEST maker");
	crypto_hash_sha256(bl, (const uint8_t *)"bench firmware", 14);
	crypto_hash_sha256(signer, (const uint8_t *)"bench signer", 12);
	crypto_hash_sha256(impl, (const uint8_t *)"bench implementation", 20);
	randombytes_buf(order, sizeof order);
	for (i = 0; i < N; i++) {
		struct dev *d = &D[i];

		snprintf(name, sizeof name, "iak-%zu", i);
		if (cs_p256_secret_generate(&sk, NULL) != CS_OK || (iak = tp_key("consign bench", name)) == NULL)
			die("keys");
		memcpy(d->pt, cs_p256_secret_point(sk), 65);
		memcpy(d->iak, cs_p256_secret_point(iak), 65);
		randombytes_buf(d->msg, MSG_LEN);
		if (cs_es256_sign(d->sig, sk, d->msg, MSG_LEN, NULL) != CS_OK)
			die("sign");
		d->der_sig_len = der_of(d->der_sig, d->sig);
		if ((d->leaf_len = tp_leaf(d->leaf, sizeof d->leaf, &M, d->pt, NULL)) == 0)
			die("leaf");
		if (cs_p256_key_parse(&d->key, d->pt, 65, NULL) != CS_OK ||
		    cs_p256_key_parse(&d->iak_key, d->iak, 65, NULL) != CS_OK)
			die("parse");
		cs_psa_binding_nonce(d->nonce, order, d->pt, 65);
		memset(&c, 0, sizeof c);
		inst[0] = 1;
		crypto_hash_sha256(inst + 1, d->iak, 65);
		c.profile = CS_PSA_PROFILE_2;
		c.client_id = -1;
		c.lifecycle = 0x3000;
		c.impl_id = (cs_psa_bytes){impl, 32};
		c.ncomp = 1;
		c.comp[0] = (cs_psa_component){{"BL", 2}, {bl, 32}, {"1.0", 3}, {signer, 32}, {NULL, 0}};
		c.nonce = (cs_psa_bytes){d->nonce, 32};
		c.instance_id = (cs_psa_bytes){inst, 33};
		cs_buf_fixed(&prot, pm, sizeof pm);
		cs_buf_fixed(&payload, pay, sizeof pay);
		cs_buf_fixed(&out, d->token, sizeof d->token);
		if (cs_es256_prot(&prot) != CS_OK || cs_psa_encode(&payload, &c, NULL) != CS_OK ||
		    cs_es256_sign1_create(&out, prot.p, prot.len, (const uint8_t *)"\xa0", 1, payload.p,
			payload.len, iak, NULL) != CS_OK)
			die("token");
		d->token_len = out.len;
		cs_p256_secret_free(sk);
		cs_p256_secret_free(iak);
	}
}

static double
raw_es256(void)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	size_t i, bad = 0;
	double t = cpu();

	for (i = 0; i < N; i++) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, cs_p256_key_evp(D[i].key)) != 1 ||
		    EVP_DigestVerify(ctx, D[i].der_sig, D[i].der_sig_len, D[i].msg, MSG_LEN) != 1)
			bad++;
		EVP_MD_CTX_free(ctx);
	}
	t = ns_per_op(t, N, bad, "raw verification failed");
	EVP_MD_free(md);
	return t;
}

static double
es256(int parse)
{
	cs_p256_key *k;
	size_t i, bad = 0;
	double t = cpu();

	for (i = 0; i < N; i++) {
		if (parse) {
			if (cs_p256_key_parse(&k, D[i].pt, 65, NULL) != CS_OK)
				bad++;
			else
				bad += cs_es256_verify(k, D[i].sig, D[i].msg, MSG_LEN) != 0;
			cs_p256_key_free(k);
		} else {
			bad += cs_es256_verify(D[i].key, D[i].sig, D[i].msg, MSG_LEN) != 0;
		}
	}
	return ns_per_op(t, N, bad, "verification failed");
}

static double
chain(size_t cache)
{
	cs_attest_roots *r;
	cs_attest_chain c;
	cs_attest_leaf l;
	size_t i, bad = 0, hits, misses;
	double t;

	if (cs_attest_roots_new(&r, cache, NULL) != CS_OK ||
	    cs_attest_roots_add(r, M.root_der, M.root_len, NULL, NULL) != CS_OK)
		die("roots");
	t = cpu();
	for (i = 0; i < N; i++) {
		c = (cs_attest_chain){2, {D[i].leaf, M.inter_der}, {D[i].leaf_len, M.inter_len}};
		if (cs_attest_chain_verify(r, &c, &l, NULL) != CS_OK || memcmp(l.key, D[i].pt, 65) != 0)
			bad++;
	}
	t = cpu() - t;
	cs_attest_roots_stats(r, &hits, &misses);
	cs_attest_roots_free(r);
	if (bad)
		die("chain validation failed");
	if (cache && (hits != N - 1 || misses != 1))
		die("the cache did not serve all but the first chain");
	return t * 1e9 / (double)N;
}

static double
psa(void)
{
	cs_psa_refval ref = {bl, 32, signer, 32, "BL"};
	size_t i, bad = 0;
	double t = cpu();

	for (i = 0; i < N; i++)
		bad += cs_psa_appraise(NULL, D[i].token, D[i].token_len, D[i].iak_key, D[i].nonce, &ref,
		    1, NULL) != CS_OK;
	return ns_per_op(t, N, bad, "token appraisal failed");
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define MAXREP 15

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmpd);
	return v[n / 2];
}

int
main(int argc, char **argv)
{
	double raw[MAXREP], es[MAXREP], esp[MAXREP], full[MAXREP], cached[MAXREP], ps[MAXREP];
	double q[5][MAXREP];
	int i, repeat = 3;
	size_t k;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
			N = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else
			die("usage: attest [--records N] [--repeat N]");
	}
	if (cs_crypto_init() != 0 || N < 2 || repeat < 1 || repeat > MAXREP)
		die("bad arguments");
	if ((D = calloc(N, sizeof *D)) == NULL)
		die("out of memory");
	make();
	/* each part right beside the raw figure it is divided by */
	for (i = 0; i < repeat; i++) {
		raw[i] = raw_es256();
		es[i] = es256(0);
		esp[i] = es256(1);
		full[i] = chain(0);
		cached[i] = chain(CS_ATTEST_CACHE_MAX);
		ps[i] = psa();
		printf("# run %d: raw %.0f es256 %.0f parse+es256 %.0f chain %.0f cached %.0f psa %.0f ns\n",
		    i + 1, raw[i], es[i], esp[i], full[i], cached[i], ps[i]);
	}
	/* ratios within each run, then their median: the machine's speed
	 * drifts between runs, and a ratio of medians from different runs
	 * would carry the drift */
	for (i = 0; i < repeat; i++) {
		q[0][i] = es[i] / raw[i];
		q[1][i] = full[i] / raw[i];
		q[2][i] = cached[i] / raw[i];
		q[3][i] = ps[i] / raw[i];
		q[4][i] = 2 * raw[i] / (esp[i] + cached[i]);
	}
	printf("attest_records %zu\n", N);
	printf("raw_es256_ns %.0f\nes256_ns %.0f\nes256_parse_ns %.0f\n", median(raw, repeat),
	    median(es, repeat), median(esp, repeat));
	printf("chain_full_ns %.0f\nchain_cached_ns %.0f\npsa_appraise_ns %.0f\n",
	    median(full, repeat), median(cached, repeat), median(ps, repeat));
	printf("es256_vs_raw %.3f\nchain_full_vs_raw %.3f\nchain_cached_vs_raw %.3f\n",
	    median(q[0], repeat), median(q[1], repeat), median(q[2], repeat));
	printf("psa_vs_raw %.3f\nse_record_vs_limit %.3f\n", median(q[3], repeat),
	    median(q[4], repeat));
	for (k = 0; k < N; k++) {
		cs_p256_key_free(D[k].key);
		cs_p256_key_free(D[k].iak_key);
	}
	free(D);
	tp_maker_free(&M);
	return 0;
}
