/* Certificate chains to pinned roots (lib/attest/chain.h), on a TEST maker's
 * PKI made here (tests/tools/testpki.h): the framing and its limits, the
 * pinned set, each refusal with its reason, no clock, and the per-
 * intermediate cache, which must refuse everything a full validation
 * refuses (a bad leaf signature, an unknown critical extension, a root's
 * name constraints). */
#include "t.h"

#include <pthread.h>

#include <openssl/pem.h>

#include "../tools/testpki.h"
#include "attest/chain.h"
#include "crypto/sig.h"

#define SEED "attest_chain unit test"

static tp_maker mk, other;

typedef struct dev {
	uint8_t pt[65];
	uint8_t der[TP_DER_MAX];
	size_t len;
} dev;

/* a new device key and its leaf under m with options o (NULL: plain) */
static int
make_dev(dev *d, const tp_maker *m, const tp_opts *o)
{
	cs_p256_secret *sk;

	if (cs_p256_secret_generate(&sk, NULL) != CS_OK)
		return -1;
	memcpy(d->pt, cs_p256_secret_point(sk), 65);
	cs_p256_secret_free(sk);
	d->len = tp_leaf(d->der, sizeof d->der, m, d->pt, o);
	return d->len ? 0 : -1;
}

static cs_attest_chain
chain2(const dev *d, const uint8_t *up, size_t uplen)
{
	cs_attest_chain c = {2, {d->der, up}, {d->len, uplen}};

	return c;
}

static cs_attest_roots *
pinned(size_t cache, const uint8_t *der, size_t len)
{
	cs_attest_roots *r = NULL;
	cs_err e;

	cs_err_clear(&e);
	if (cs_attest_roots_new(&r, cache, &e) != CS_OK ||
	    (der != NULL && cs_attest_roots_add(r, der, len, NULL, &e) != CS_OK)) {
		printf("# pinned: %s\n", e.msg);
		cs_attest_roots_free(r);
		return NULL;
	}
	return r;
}

/* CS_OK, or the reason refused (printed) */
static const char *
verify(cs_attest_roots *r, const cs_attest_chain *c, cs_attest_leaf *l)
{
	static char reason[CS_REASON_MAX];
	cs_attest_leaf tmp;
	cs_err e;

	cs_err_clear(&e);
	if (cs_attest_chain_verify(r, c, l != NULL ? l : &tmp, &e) == CS_OK)
		return "ok";
	printf("# refused: %s: %s\n", e.reason, e.msg);
	snprintf(reason, sizeof reason, "%s", e.reason);
	return reason;
}

static void
framing(void)
{
	static uint8_t big[CS_ATTEST_CERT_MAX + 1], buf[16384];
	cs_attest_chain c = {0}, d;
	cs_buf b;
	cs_err e;
	size_t i;

	c.n = 2;
	c.der[0] = mk.inter_der;
	c.len[0] = mk.inter_len;
	c.der[1] = mk.root_der;
	c.len[1] = mk.root_len;
	cs_buf_fixed(&b, buf, sizeof buf);
	cs_err_clear(&e);
	T_OK(cs_attest_chain_encode(&b, &c) == CS_OK &&
		cs_attest_chain_decode(&d, b.p, b.len, &e) == CS_OK && d.n == 2 &&
		d.len[1] == mk.root_len && memcmp(d.der[1], mk.root_der, mk.root_len) == 0,
	    "chain: framing round trip (array of DER byte strings)");
	cs_err_clear(&e);
	T_OK(cs_attest_chain_decode(&d, b.p, b.len - 1, &e) == CS_MALFORMED &&
		strcmp(e.reason, "attest-malformed") == 0,
	    "chain: a truncated framing is attest-malformed");
	c.n = 5;
	for (i = 0; i < 5; i++) {
		c.der[i % 4] = mk.inter_der;
		c.len[i % 4] = mk.inter_len;
	}
	/* five entries: written by hand, the encoder's struct holds four */
	{
		cs_cw w;

		cs_buf_fixed(&b, buf, sizeof buf);
		cs_cw_init(&w, &b);
		cs_cw_array_begin(&w);
		for (i = 0; i < 5; i++)
			cs_cw_bytes(&w, mk.inter_der, mk.inter_len);
		cs_cw_array_end(&w);
		cs_err_clear(&e);
		T_OK(cs_cw_finish(&w) == 0 && cs_attest_chain_decode(&d, b.p, b.len, &e) == CS_MALFORMED,
		    "chain: five certificates are over the limit of %d (%s)", CS_ATTEST_CHAIN_MAX,
		    e.msg);
		cs_buf_fixed(&b, buf, sizeof buf);
		cs_cw_init(&w, &b);
		cs_cw_array_begin(&w);
		cs_cw_bytes(&w, big, sizeof big);
		cs_cw_array_end(&w);
		cs_err_clear(&e);
		T_OK(cs_cw_finish(&w) == 0 && cs_attest_chain_decode(&d, b.p, b.len, &e) == CS_MALFORMED,
		    "chain: a certificate of %d bytes is over the limit (%s)", CS_ATTEST_CERT_MAX + 1,
		    e.msg);
		cs_buf_fixed(&b, buf, sizeof buf);
		cs_cw_init(&w, &b);
		cs_cw_array_begin(&w);
		cs_cw_array_end(&w);
		cs_err_clear(&e);
		T_OK(cs_cw_finish(&w) == 0 && cs_attest_chain_decode(&d, b.p, b.len, &e) == CS_MALFORMED,
		    "chain: an empty chain is refused");
	}
	cs_err_clear(&e);
	T_OK(cs_attest_chain_decode(&d, (const uint8_t *)"\x41\x00", 2, &e) == CS_MALFORMED,
	    "chain: a lone byte string (x5chain's short form) is refused: one form only");
}

static void
roots(void)
{
	cs_attest_roots *r = pinned(4, NULL, 0);
	uint8_t fp[32], want[32];
	size_t idx = 9, i;
	cs_err e;

	if (r == NULL)
		return;
	cs_err_clear(&e);
	T_OK(cs_attest_roots_add(r, other.root_der, other.root_len, &idx, &e) == CS_OK && idx == 0,
	    "roots: first root pinned at 0");
	T_OK(cs_attest_roots_add(r, mk.root_der, mk.root_len, &idx, &e) == CS_OK && idx == 1,
	    "roots: second root pinned at 1");
	cs_attest_roots_fingerprint(fp, r, 1);
	crypto_hash_sha256(want, mk.root_der, mk.root_len);
	T_OK(memcmp(fp, want, 32) == 0, "roots: fingerprint is SHA-256 of the DER");
	cs_err_clear(&e);
	T_OK(cs_attest_roots_add(r, mk.root_der, mk.root_len, NULL, &e) == CS_USAGE &&
		strcmp(e.reason, "attest-root-repeated") == 0,
	    "roots: the same root twice is refused");
	cs_err_clear(&e);
	T_OK(cs_attest_roots_add(r, mk.root_der, mk.root_len - 1, NULL, &e) == CS_MALFORMED &&
		strcmp(e.reason, "attest-malformed") == 0,
	    "roots: truncated DER is refused");
	{
		uint8_t plus[TP_DER_MAX + 1];

		memcpy(plus, mk.root_der, mk.root_len);
		plus[mk.root_len] = 0;
		cs_err_clear(&e);
		T_OK(cs_attest_roots_add(r, plus, mk.root_len + 1, NULL, &e) == CS_MALFORMED,
		    "roots: a byte after the DER is refused");
	}
	{
		dev d;
		cs_attest_chain c;
		cs_attest_leaf l;

		if (make_dev(&d, &mk, NULL) == 0) {
			c = chain2(&d, mk.inter_der, mk.inter_len);
			T_OK(strcmp(verify(r, &c, &l), "ok") == 0 && l.root == 1,
			    "roots: the chain reports the root it ends at (1 of 0..1)");
		}
	}
	cs_err_clear(&e);
	T_OK(cs_attest_roots_add(r, mk.inter_der, mk.inter_len, NULL, &e) == CS_USAGE,
	    "roots: the set is frozen by the first verification");
	cs_attest_roots_free(r);

	r = pinned(0, NULL, 0);
	for (i = 0; r != NULL && i < CS_ATTEST_ROOTS_MAX + 1; i++) {
		tp_maker m;
		char name[32];

		snprintf(name, sizeof name, "many-%zu", i);
		if (tp_maker_make(&m, SEED, name) != 0)
			break;
		cs_err_clear(&e);
		if (cs_attest_roots_add(r, m.root_der, m.root_len, NULL, &e) != CS_OK) {
			tp_maker_free(&m);
			break;
		}
		tp_maker_free(&m);
	}
	T_OK(i == CS_ATTEST_ROOTS_MAX && strcmp(e.reason, "too-large") == 0,
	    "roots: at most %d pinned roots (%zu taken)", CS_ATTEST_ROOTS_MAX, i);
	cs_attest_roots_free(r);
}

static void
refusals(void)
{
	cs_attest_roots *r = pinned(8, mk.root_der, mk.root_len), *ro;
	uint8_t other_key[65], buf[TP_DER_MAX + 1];
	cs_attest_chain c;
	cs_attest_leaf l;
	cs_err e;
	dev d, d2;

	if (r == NULL || make_dev(&d, &mk, NULL) != 0 || make_dev(&d2, &mk, NULL) != 0) {
		T_OK(0, "chain: fixtures");
		cs_attest_roots_free(r);
		return;
	}
	memcpy(other_key, d2.pt, 65);
	c = chain2(&d, mk.inter_der, mk.inter_len);
	T_OK(strcmp(verify(r, &c, &l), "ok") == 0 && l.root == 0 && memcmp(l.key, d.pt, 65) == 0 &&
		!l.cached,
	    "chain: leaf, intermediate -> pinned root: valid, the leaf's key returned");
	cs_err_clear(&e);
	T_OK(cs_attest_leaf_is(&l, d.pt, &e) == CS_OK, "chain: the leaf is the record's key");
	cs_err_clear(&e);
	T_OK(cs_attest_leaf_is(&l, other_key, &e) == CS_REJECT &&
		strcmp(e.reason, "attest-leaf-key") == 0,
	    "chain: a leaf for another key than the record's is attest-leaf-key");
	{
		cs_attest_chain c3 = {3, {d.der, mk.inter_der, mk.root_der},
		    {d.len, mk.inter_len, mk.root_len}};

		T_OK(strcmp(verify(r, &c3, &l), "ok") == 0 && l.root == 0,
		    "chain: with the pinned root carried too: valid");
	}

	/* unknown roots */
	{
		dev o;
		cs_attest_chain c3;

		if (make_dev(&o, &other, NULL) == 0) {
			c = chain2(&o, other.inter_der, other.inter_len);
			T_OK(strcmp(verify(r, &c, NULL), "attest-chain-root") == 0,
			    "chain: another maker's chain is attest-chain-root");
			c3 = (cs_attest_chain){3, {o.der, other.inter_der, other.root_der},
			    {o.len, other.inter_len, other.root_len}};
			T_OK(strcmp(verify(r, &c3, NULL), "attest-chain-root") == 0,
			    "chain: ... also with its self-signed root carried");
			c3 = (cs_attest_chain){3, {d.der, mk.inter_der, other.root_der},
			    {d.len, mk.inter_len, other.root_len}};
			T_OK(strcmp(verify(r, &c3, NULL), "attest-chain-invalid") == 0,
			    "chain: a valid chain carrying a certificate not on its path is refused");
		}
		ro = pinned(8, other.root_der, other.root_len);
		c = chain2(&d, mk.inter_der, mk.inter_len);
		T_OK(ro != NULL && strcmp(verify(ro, &c, NULL), "attest-chain-root") == 0,
		    "chain: a genuine chain under roots that do not pin its maker: attest-chain-root");
		cs_attest_roots_free(ro);
		c = (cs_attest_chain){1, {d.der}, {d.len}};
		T_OK(strcmp(verify(r, &c, NULL), "attest-chain-root") == 0,
		    "chain: a leaf without its intermediate: attest-chain-root");
	}

	/* malformed certificates */
	c = chain2(&d, mk.inter_der, mk.inter_len);
	c.len[0] = d.len - 1;
	T_OK(strcmp(verify(r, &c, NULL), "attest-malformed") == 0,
	    "chain: truncated leaf DER is attest-malformed");
	memcpy(buf, mk.inter_der, mk.inter_len);
	buf[mk.inter_len] = 0;
	c = chain2(&d, buf, mk.inter_len + 1);
	T_OK(strcmp(verify(r, &c, NULL), "attest-malformed") == 0,
	    "chain: a byte after the intermediate's DER is attest-malformed");
	c = chain2(&d, (const uint8_t *)"\x30\x03\x02\x01\x01", 5);
	T_OK(strcmp(verify(r, &c, NULL), "attest-malformed") == 0,
	    "chain: DER that is no certificate is attest-malformed");
	c = (cs_attest_chain){5, {d.der, mk.inter_der, mk.inter_der, mk.inter_der},
	    {d.len, mk.inter_len, mk.inter_len, mk.inter_len}};
	T_OK(strcmp(verify(r, &c, NULL), "attest-malformed") == 0,
	    "chain: a chain struct claiming 5 certificates is refused");
	{
		static uint8_t big[CS_ATTEST_CERT_MAX + 1];

		c = chain2(&d, big, sizeof big);
		T_OK(strcmp(verify(r, &c, NULL), "attest-malformed") == 0,
		    "chain: a certificate above %d bytes is refused", CS_ATTEST_CERT_MAX);
	}
	c = (cs_attest_chain){2, {mk.inter_der, d.der}, {mk.inter_len, d.len}};
	T_OK(strcmp(verify(r, &c, NULL), "attest-chain-invalid") == 0 ||
		strcmp(verify(r, &c, NULL), "attest-chain-root") == 0,
	    "chain: the same certificates in the wrong order are refused");
	cs_attest_roots_free(r);
}

/* Leaves and intermediates that break a rule, each tried first in full and
 * then again after a good chain has put the intermediate in the cache. */
static void
bad_certs(void)
{
	cs_attest_roots *r = pinned(8, mk.root_der, mk.root_len);
	struct {
		const char *what;
		tp_opts o;
		const char *want;
	} leaves[] = {
		{"a leaf that is a CA", {.ca = 1, .pathlen = -1, .ku = "digitalSignature"},
		    "attest-chain-invalid"},
		{"a leaf whose key usage lacks digitalSignature",
		    {.pathlen = -1, .ku = "keyAgreement"}, "attest-chain-invalid"},
		{"a leaf with an unknown critical extension",
		    {.pathlen = -1, .ku = "digitalSignature", .unknown_critical = 1},
		    "attest-chain-invalid"},
		{"a leaf without basicConstraints or key usage (accepted)", {.pathlen = -1, .no_bc = 1},
		    "ok"},
		{"a leaf that expired in 2001 (accepted: no clock)",
		    {.pathlen = -1, .ku = "digitalSignature", .not_before = "20000101000000Z",
			.not_after = "20010101000000Z"},
		    "ok"},
		{"a leaf valid from 2090 (accepted: no clock)",
		    {.pathlen = -1, .ku = "digitalSignature", .not_before = "20900101000000Z"}, "ok"},
		{"a leaf signed with SHA-1", {.pathlen = -1, .ku = "digitalSignature", .md = "SHA1"},
		    "attest-chain-invalid"},
		{"a leaf with its key as a compressed point (accepted)",
		    {.pathlen = -1, .ku = "digitalSignature", .compressed = 1}, "ok"},
		{"a leaf signed with ECDSA-SHA384 (accepted)",
		    {.pathlen = -1, .ku = "digitalSignature", .md = "SHA384"}, "ok"},
	};
	cs_attest_chain c;
	size_t i, pass, hits, misses;
	dev d, good;

	if (r == NULL || make_dev(&good, &mk, NULL) != 0)
		return;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
			if (make_dev(&d, &mk, &leaves[i].o) != 0) {
				T_OK(0, "chain: made %s", leaves[i].what);
				continue;
			}
			c = chain2(&d, mk.inter_der, mk.inter_len);
			T_OK(strcmp(verify(r, &c, NULL), leaves[i].want) == 0, "chain: %s%s: %s",
			    leaves[i].what, pass ? " (intermediate cached)" : "", leaves[i].want);
		}
		if (pass == 0) {
			c = chain2(&good, mk.inter_der, mk.inter_len);
			T_OK(strcmp(verify(r, &c, NULL), "ok") == 0, "chain: a good chain fills the cache");
		}
	}
	cs_attest_roots_stats(r, &hits, &misses);
	T_OK(hits >= 9, "chain: the second round went through the cache (%zu hits, %zu misses)",
	    hits, misses);
	{
		tp_opts o = {.pathlen = -1, .ku = "digitalSignature", .compressed = 1};
		cs_attest_leaf l;

		uint8_t cp[33];

		T_OK(make_dev(&d, &mk, &o) == 0, "chain: a leaf with a compressed key is made");
		cp[0] = (uint8_t)(2 | (d.pt[64] & 1));
		memcpy(cp + 1, d.pt + 1, 32);
		T_OK(memmem(d.der, d.len, cp, 33) != NULL && memmem(d.der, d.len, d.pt, 65) == NULL,
		    "chain: ... and its DER holds the compressed point only");
		T_OK(
			strcmp(verify(r, &(cs_attest_chain){2, {d.der, mk.inter_der},
					     {d.len, mk.inter_len}},
				   &l),
			    "ok") == 0 &&
			memcmp(l.key, d.pt, 65) == 0 && l.cached,
		    "chain: a compressed leaf key comes back in the one (uncompressed) encoding");
	}
	/* a leaf naming another maker's intermediate as issuer, signed by ours */
	{
		tp_opts o = {.pathlen = -1, .ku = "digitalSignature"};
		EVP_PKEY *pub = tp_pub(good.pt);
		X509 *x = tp_cert("consign TEST device misnamed", pub, other.inter,
		    cs_p256_secret_evp(mk.inter_key), &o);

		d.len = tp_der(x, d.der, sizeof d.der);
		c = chain2(&d, mk.inter_der, mk.inter_len);
		T_OK(d.len > 0 && strcmp(verify(r, &c, NULL), "attest-chain-root") == 0,
		    "chain: a leaf whose issuer is not the intermediate carried (cached path)");
		X509_free(x);
		EVP_PKEY_free(pub);
	}

	/* a leaf naming the intermediate as issuer but signed by another key:
	 * through the cache too, the leaf's own signature is checked */
	{
		tp_maker forged = mk;
		cs_p256_secret *k = tp_key(SEED, "forger");
		cs_attest_leaf l;

		forged.inter_key = k;
		d.len = tp_leaf(d.der, sizeof d.der, &forged, good.pt, NULL);
		c = chain2(&d, mk.inter_der, mk.inter_len);
		T_OK(d.len > 0 && strcmp(verify(r, &c, &l), "attest-chain-invalid") == 0,
		    "chain: a leaf signed by another key than its issuer's is refused (cached path)");
		cs_attest_roots_free(r);
		r = pinned(0, mk.root_der, mk.root_len);
		T_OK(r != NULL && strcmp(verify(r, &c, &l), "attest-chain-invalid") == 0 && !l.cached,
		    "chain: ... and without a cache");
		cs_p256_secret_free(k);
	}
	cs_attest_roots_free(r);
}

/* A new device's leaf under m (options o, NULL: plain), verified with m's
 * intermediate carried: "ok" or the reason refused. */
static const char *
leaf_verdict(cs_attest_roots *r, dev *d, const tp_maker *m, const tp_opts *o, cs_attest_leaf *l)
{
	cs_attest_chain c;

	if (r == NULL || make_dev(d, m, o) != 0)
		return "no leaf made";
	c = chain2(d, m->inter_der, m->inter_len);
	return verify(r, &c, l);
}

/* m's root made again with options ro (NULL: kept), then its intermediate
 * with options io, signed by signer */
static void
remake(tp_maker *m, const tp_opts *ro, const tp_opts *io, const cs_p256_secret *signer)
{
	if (ro != NULL) {
		X509_free(m->root);
		m->root = tp_cert(TP_ROOT_CN, cs_p256_secret_evp(m->root_key), NULL,
		    cs_p256_secret_evp(m->root_key), ro);
		m->root_len = tp_der(m->root, m->root_der, sizeof m->root_der);
	}
	X509_free(m->inter);
	m->inter = tp_cert(TP_INTER_CN, cs_p256_secret_evp(m->inter_key), m->root,
	    cs_p256_secret_evp(signer), io);
	m->inter_len = tp_der(m->inter, m->inter_der, sizeof m->inter_der);
}

/* A new maker (label) whose root (ro NULL: kept) and intermediate are made
 * again as remake() does, and a cached pinned set of its root in *r; -1,
 * a failed check naming the maker (what), when it cannot be made. */
static int
maker_with(tp_maker *m, const char *label, const char *what, const tp_opts *ro, const tp_opts *io,
    cs_attest_roots **r)
{
	if (tp_maker_make(m, SEED, label) != 0) {
		T_OK(0, "chain: the %s maker is made", what);
		return -1;
	}
	remake(m, ro, io, m->root_key);
	*r = pinned(8, m->root_der, m->root_len);
	return 0;
}

/* Intermediates and roots that break a rule. */
static void
bad_uppers(void)
{
	tp_opts ro = {.ca = 1, .pathlen = -1, .ku = "keyCertSign"};
	tp_opts io = {.ca = 1, .pathlen = 0, .ku = "keyCertSign", .serial = 2};
	tp_maker m;
	cs_attest_roots *r;
	cs_attest_chain c;
	cs_attest_leaf l;
	size_t hits, misses;
	int refused;
	dev d;

	/* intermediate without CA:TRUE */
	io.ca = 0;
	if (maker_with(&m, "bad-inter", "bad-inter", NULL, &io, &r) != 0)
		return;
	T_OK(strcmp(leaf_verdict(r, &d, &m, NULL, NULL), "attest-chain-invalid") == 0,
	    "chain: an intermediate that is not a CA is refused");
	cs_attest_roots_free(r);

	/* intermediate signed with SHA-1 */
	io.ca = 1;
	io.md = "SHA1";
	remake(&m, NULL, &io, m.root_key);
	r = pinned(8, m.root_der, m.root_len);
	T_OK(strcmp(leaf_verdict(r, &d, &m, NULL, NULL), "attest-chain-invalid") == 0,
	    "chain: an intermediate signed with SHA-1 is refused (security level 2)");
	cs_attest_roots_free(r);

	/* intermediate signed by a key that is not the root's */
	io.md = NULL;
	remake(&m, NULL, &io, m.inter_key);
	r = pinned(8, m.root_der, m.root_len);
	T_OK(strcmp(leaf_verdict(r, &d, &m, NULL, NULL), "attest-chain-invalid") == 0,
	    "chain: an intermediate naming the root but not signed by it is refused");
	cs_attest_roots_free(r);
	tp_maker_free(&m);

	/* a root with pathlen 0 cannot have an intermediate under it */
	ro.pathlen = 0;
	io.ca = 1;
	if (maker_with(&m, "pathlen", "pathlen", &ro, &io, &r) != 0)
		return;
	refused = strcmp(leaf_verdict(r, &d, &m, NULL, NULL), "attest-chain-invalid") == 0;
	c = chain2(&d, m.inter_der, m.inter_len);
	T_OK(refused && strcmp(verify(r, &c, NULL), "attest-chain-invalid") == 0,
	    "chain: a root with pathlen 0 over an intermediate is refused, twice (no cache "
	    "entry from a failure)");
	cs_attest_roots_free(r);
	tp_maker_free(&m);

	/* name constraints on the root: the cache must not skip them */
	ro.pathlen = -1;
	ro.nc = "critical,permitted;DNS:devices.example.com";
	io.md = NULL;
	if (maker_with(&m, "nc", "constrained", &ro, &io, &r) != 0)
		return;
	{
		tp_opts in = {.pathlen = -1, .ku = "digitalSignature", .san = "DNS:a.devices.example.com"};
		tp_opts out = {.pathlen = -1, .ku = "digitalSignature", .san = "DNS:evil.example.org"};

		T_OK(strcmp(leaf_verdict(r, &d, &m, &in, &l), "ok") == 0,
		    "chain: a leaf inside the root's name constraints is valid");
		T_OK(strcmp(leaf_verdict(r, &d, &m, &out, &l), "attest-chain-invalid") == 0,
		    "chain: the next leaf, outside them, is refused: the root's constraints are not "
		    "skipped by the cache");
		cs_attest_roots_stats(r, &hits, &misses);
		T_OK(hits == 0 && misses == 2, "chain: a constrained root is never short-cut (%zu hits)",
		    hits);
	}
	cs_attest_roots_free(r);
	tp_maker_free(&m);

	/* name constraints on the intermediate: cached, but not the fast path */
	io = (tp_opts){.ca = 1, .pathlen = 0, .ku = "keyCertSign", .serial = 2,
	    .nc = "critical,permitted;DNS:devices.example.com"};
	if (maker_with(&m, "nci", "nci", NULL, &io, &r) != 0)
		return;
	{
		tp_opts in = {.pathlen = -1, .ku = "digitalSignature", .san = "DNS:b.devices.example.com"};
		tp_opts out = {.pathlen = -1, .ku = "digitalSignature", .san = "DNS:evil.example.org"};
		int ok = 1, i;

		for (i = 0; i < 2; i++) {
			ok &= strcmp(leaf_verdict(r, &d, &m, &in, &l), "ok") == 0 && l.cached == i;
			ok &= strcmp(leaf_verdict(r, &d, &m, &out, &l), "attest-chain-invalid") ==
			    0;
		}
		cs_attest_roots_stats(r, &hits, &misses);
		T_OK(r != NULL && ok && hits == 3,
		    "chain: an intermediate's own name constraints hold on its cached leaves (%zu hits)",
		    hits);
	}
	cs_attest_roots_free(r);
	tp_maker_free(&m);

	/* a pinned intermediate is an anchor of its own */
	r = pinned(8, mk.inter_der, mk.inter_len);
	T_OK(r != NULL && make_dev(&d, &mk, NULL) == 0 &&
		strcmp(verify(r, &(cs_attest_chain){1, {d.der}, {d.len}}, &l), "ok") == 0 &&
		l.root == 0,
	    "chain: pinning the intermediate: its leaf alone is valid");
	T_OK(strcmp(verify(r, &(cs_attest_chain){2, {d.der, mk.inter_der}, {d.len, mk.inter_len}},
			 &l),
		 "ok") == 0,
	    "chain: ... and with the intermediate carried");
	cs_attest_roots_free(r);
}

/* Three intermediates: four certificates carried, five on the path. */
static void
too_deep(void)
{
	tp_opts ca = {.ca = 1, .pathlen = -1, .ku = "keyCertSign", .serial = 7};
	cs_p256_secret *k[3] = {tp_key(SEED, "deep-1"), tp_key(SEED, "deep-2"),
	    tp_key(SEED, "deep-3")};
	uint8_t der[3][TP_DER_MAX];
	size_t len[3] = {0}, i;
	X509 *x[3] = {NULL};
	cs_attest_roots *r = pinned(0, mk.root_der, mk.root_len);
	tp_maker m = mk;
	dev d;

	for (i = 0; i < 3 && k[i] != NULL; i++) {
		char cn[32];

		snprintf(cn, sizeof cn, "consign TEST deep %zu", i + 1);
		x[i] = tp_cert(cn, cs_p256_secret_evp(k[i]), i == 0 ? mk.root : x[i - 1],
		    cs_p256_secret_evp(i == 0 ? mk.root_key : k[i - 1]), &ca);
		len[i] = tp_der(x[i], der[i], sizeof der[i]);
	}
	m.inter = x[1];
	m.inter_key = k[1];
	T_OK(r != NULL && len[1] > 0 && make_dev(&d, &m, NULL) == 0 &&
		strcmp(verify(r, &(cs_attest_chain){3, {d.der, der[1], der[0]},
				     {d.len, len[1], len[0]}},
			   NULL),
		    "ok") == 0,
	    "chain: two intermediates (a path of 4) are within the limit");
	m.inter = x[2];
	m.inter_key = k[2];
	T_OK(r != NULL && len[2] > 0 && make_dev(&d, &m, NULL) == 0 &&
		strcmp(verify(r, &(cs_attest_chain){4, {d.der, der[2], der[1], der[0]},
				     {d.len, len[2], len[1], len[0]}},
			   NULL),
		    "attest-chain-invalid") == 0,
	    "chain: three intermediates (a path of 5) are over the depth of %d",
	    CS_ATTEST_CHAIN_MAX - 2);
	for (i = 0; i < 3; i++) {
		X509_free(x[i]);
		cs_p256_secret_free(k[i]);
	}
	cs_attest_roots_free(r);
}

static void
leaf_not_p256(void)
{
	cs_attest_roots *r = pinned(8, mk.root_der, mk.root_len);
	tp_opts o = {.pathlen = -1, .ku = "digitalSignature"};
	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	uint8_t der[TP_DER_MAX];
	X509 *x;
	size_t n;

	x = p384 != NULL ? tp_cert("consign TEST device p384", p384, mk.inter,
			       cs_p256_secret_evp(mk.inter_key), &o)
			 : NULL;
	n = tp_der(x, der, sizeof der);
	T_OK(r != NULL && n > 0 &&
		strcmp(verify(r, &(cs_attest_chain){2, {der, mk.inter_der}, {n, mk.inter_len}}, NULL),
		    "attest-leaf-key") == 0,
	    "chain: a valid chain to a P-384 leaf is attest-leaf-key");
	X509_free(x);
	EVP_PKEY_free(p384);
	cs_attest_roots_free(r);
}

static void
cache(void)
{
	cs_attest_roots *r = pinned(8, mk.root_der, mk.root_len), *nc;
	size_t hits, misses, i;
	cs_attest_chain c;
	cs_attest_leaf l;
	int ok = 1;
	dev d;

	if (r == NULL)
		return;
	for (i = 0; i < 5; i++) {
		if (make_dev(&d, &mk, NULL) != 0)
			return;
		c = chain2(&d, mk.inter_der, mk.inter_len);
		ok &= strcmp(verify(r, &c, &l), "ok") == 0 && memcmp(l.key, d.pt, 65) == 0 &&
		    l.root == 0 && l.cached == (i > 0);
	}
	cs_attest_roots_stats(r, &hits, &misses);
	T_OK(ok && hits == 4 && misses == 1,
	    "cache: 5 devices of one maker: the intermediate validated once, then 4 hits");
	c = (cs_attest_chain){3, {d.der, mk.inter_der, mk.root_der}, {d.len, mk.inter_len, mk.root_len}};
	T_OK(strcmp(verify(r, &c, &l), "ok") == 0 && !l.cached,
	    "cache: the same intermediate with the root carried is another entry (a miss)");
	T_OK(strcmp(verify(r, &c, &l), "ok") == 0 && l.cached, "cache: ... then a hit");
	cs_attest_roots_free(r);

	nc = pinned(0, mk.root_der, mk.root_len);
	for (i = 0, ok = 1; nc != NULL && i < 3; i++) {
		c = chain2(&d, mk.inter_der, mk.inter_len);
		ok &= strcmp(verify(nc, &c, &l), "ok") == 0 && !l.cached;
	}
	cs_attest_roots_stats(nc, &hits, &misses);
	T_OK(nc != NULL && ok && hits == 0 && misses == 3, "cache: a set made without a cache never hits");
	cs_attest_roots_free(nc);
}

typedef struct worker {
	cs_attest_roots *r;
	dev d[20];
	int fails;
} worker;

static void *
work(void *arg)
{
	worker *w = arg;
	cs_attest_leaf l;
	cs_err e;
	size_t i;

	for (i = 0; i < 20; i++) {
		cs_attest_chain c = chain2(&w->d[i], mk.inter_der, mk.inter_len);

		cs_err_clear(&e);
		if (cs_attest_chain_verify(w->r, &c, &l, &e) != CS_OK ||
		    memcmp(l.key, w->d[i].pt, 65) != 0)
			w->fails++;
	}
	return NULL;
}

static void
threads(void)
{
	static worker w[2];
	pthread_t t[2];
	size_t i, j, hits, misses;
	cs_attest_roots *r = pinned(8, mk.root_der, mk.root_len);

	for (i = 0; i < 2; i++) {
		w[i].r = r;
		for (j = 0; j < 20; j++)
			if (make_dev(&w[i].d[j], &mk, NULL) != 0)
				return;
	}
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, work, &w[i]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cs_attest_roots_stats(r, &hits, &misses);
	T_OK(r != NULL && w[0].fails == 0 && w[1].fails == 0 && hits + misses == 40 && hits >= 38,
	    "cache: two threads, 40 chains of one maker (%zu hits, %zu misses)", hits, misses);
	cs_attest_roots_free(r);
}

static void
leaf_key_of(void)
{
	tp_opts comp = {.pathlen = -1, .ku = "digitalSignature", .compressed = 1};
	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	uint8_t key[65], der[TP_DER_MAX];
	X509 *x;
	size_t n;
	cs_err e;
	dev d;

	cs_err_clear(&e);
	T_OK(make_dev(&d, &mk, NULL) == 0 && cs_attest_leaf_key_of(key, d.der, d.len, &e) == CS_OK &&
		memcmp(key, d.pt, 65) == 0,
	    "leaf key: read from a leaf without validation");
	cs_err_clear(&e);
	T_OK(make_dev(&d, &mk, &comp) == 0 && cs_attest_leaf_key_of(key, d.der, d.len, &e) == CS_OK &&
		memcmp(key, d.pt, 65) == 0,
	    "leaf key: a compressed point comes back uncompressed");
	cs_err_clear(&e);
	T_OK(cs_attest_leaf_key_of(key, d.der, d.len - 1, &e) == CS_MALFORMED &&
		strcmp(e.reason, "attest-malformed") == 0,
	    "leaf key: truncated DER is attest-malformed");
	x = p384 != NULL ? tp_cert("consign TEST device p384", p384, mk.inter,
			       cs_p256_secret_evp(mk.inter_key), NULL)
			 : NULL;
	n = tp_der(x, der, sizeof der);
	cs_err_clear(&e);
	T_OK(n > 0 && cs_attest_leaf_key_of(key, der, n, &e) == CS_REJECT &&
		strcmp(e.reason, "attest-leaf-key") == 0,
	    "leaf key: a P-384 key is attest-leaf-key");
	X509_free(x);
	EVP_PKEY_free(p384);
}

/* The leaf parsed once for the binding and the deep checks: the parse is
 * taken only for the same bytes, and the cache matches the upper
 * certificates by their bytes, not by where they are. */
static void
parsed_leaf(void)
{
	cs_attest_roots *r = pinned(8, mk.root_der, mk.root_len);
	tp_opts comp = {.pathlen = -1, .ku = "digitalSignature", .compressed = 1};
	uint8_t inter[TP_DER_MAX], copy[TP_DER_MAX], key[65];
	size_t hits, misses, h0, m0;
	cs_attest_cert p1, p2, pc;
	cs_attest_chain c;
	cs_attest_leaf l;
	dev d1, d2, dc;
	cs_err e;

	if (r == NULL || make_dev(&d1, &mk, NULL) != 0 || make_dev(&d2, &mk, NULL) != 0 ||
	    make_dev(&dc, &mk, &comp) != 0)
		return;
	c = chain2(&d1, mk.inter_der, mk.inter_len);
	T_OK(strcmp(verify(r, &c, &l), "ok") == 0 && !l.cached, "parsed leaf: the first chain fills the cache");
	cs_err_clear(&e);
	T_OK(cs_attest_cert_parse(&p1, d1.der, d1.len, &e) == CS_OK &&
		cs_attest_cert_parse(&p2, d2.der, d2.len, &e) == CS_OK,
	    "parsed leaf: two leaves parsed");
	memset(&l, 0, sizeof l);
	T_OK(cs_attest_chain_verify_leaf(r, &c, &p1, &l, &e) == CS_OK && l.cached &&
		memcmp(l.key, d1.pt, 65) == 0,
	    "parsed leaf: the chain's own leaf, parsed once, verifies from the cache");
	memset(&l, 0, sizeof l);
	T_OK(cs_attest_chain_verify_leaf(r, &c, &p2, &l, &e) == CS_OK &&
		memcmp(l.key, d1.pt, 65) == 0,
	    "parsed leaf: another leaf's parse is not taken for the chain's (its key is d1's)");
	memcpy(copy, d1.der, d1.len);
	c.der[0] = copy;
	memset(&l, 0, sizeof l);
	T_OK(cs_attest_chain_verify_leaf(r, &c, &p1, &l, &e) == CS_OK &&
		memcmp(l.key, d1.pt, 65) == 0,
	    "parsed leaf: the same bytes elsewhere are parsed again, same verdict");
	copy[d1.len - 1] ^= 1; /* the signature's last byte */
	cs_err_clear(&e);
	T_OK(cs_attest_chain_verify_leaf(r, &c, &p1, &l, &e) == CS_REJECT &&
		strcmp(e.reason, "attest-chain-invalid") == 0,
	    "parsed leaf: a parse of the good leaf does not vouch for a changed copy (%s)", e.reason);

	cs_attest_roots_stats(r, &h0, &m0);
	memcpy(inter, mk.inter_der, mk.inter_len);
	c = chain2(&d2, inter, mk.inter_len);
	T_OK(strcmp(verify(r, &c, &l), "ok") == 0 && l.cached,
	    "cache: the intermediate's bytes at another address are a hit");
	inter[mk.inter_len - 1] ^= 1;
	T_OK(strcmp(verify(r, &c, &l), "ok") != 0, "cache: an intermediate one byte off is not taken from the cache");
	cs_attest_roots_stats(r, &hits, &misses);
	T_OK(hits == h0 + 1 && misses == m0 + 1, "cache: ... it was a miss (%zu hits, %zu misses)",
	    hits - h0, misses - m0);

	cs_err_clear(&e);
	T_OK(cs_attest_cert_parse(&pc, dc.der, dc.len, &e) == CS_OK &&
		cs_attest_cert_key(key, &pc, &e) == CS_OK && memcmp(key, dc.pt, 65) == 0,
	    "parsed leaf: a compressed key comes back uncompressed");
	cs_attest_cert_free(&pc);
	cs_err_clear(&e);
	T_OK(cs_attest_cert_parse(&pc, dc.der, dc.len - 1, &e) == CS_MALFORMED &&
		strcmp(e.reason, "attest-malformed") == 0 && pc.x == NULL,
	    "parsed leaf: truncated DER is attest-malformed and holds nothing");
	cs_attest_cert_free(&p1);
	cs_attest_cert_free(&p2);
	cs_attest_cert_free(&pc);
	cs_attest_roots_free(r);
}

static void
display(void)
{
	char name[CS_ATTEST_NAME_MAX];
	uint8_t pm[8192];
	const unsigned char *p;
	cs_buf b;
	cs_err e;
	BIO *bio;
	X509 *x;

	cs_err_clear(&e);
	T_OK(cs_attest_cert_subject(name, mk.root_der, mk.root_len, &e) == CS_OK &&
		strstr(name, "CN=consign TEST maker root - not for production") != NULL,
	    "display: the root's subject: %s", name);
	cs_buf_fixed(&b, pm, sizeof pm);
	T_OK(cs_attest_cert_pem(&b, mk.inter_der, mk.inter_len, &e) == CS_OK &&
		b.len > 27 && memcmp(b.p, "-----BEGIN CERTIFICATE-----", 27) == 0,
	    "display: PEM of a certificate");
	bio = BIO_new_mem_buf(b.p, (int)b.len);
	x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	{
		uint8_t der[TP_DER_MAX];
		size_t n = tp_der(x, der, sizeof der);

		T_OK(n == mk.inter_len && memcmp(der, mk.inter_der, n) == 0,
		    "display: the PEM reads back to the same DER");
	}
	X509_free(x);
	BIO_free(bio);
	p = (const unsigned char *)"junk";
	cs_err_clear(&e);
	T_OK(cs_attest_cert_subject(name, p, 4, &e) == CS_MALFORMED, "display: junk is no certificate");
}

int
main(void)
{
	if (cs_crypto_init() != 0)
		return 2;
	if (tp_maker_make(&mk, SEED, "maker") != 0 || tp_maker_make(&other, SEED, "other") != 0) {
		T_OK(0, "the TEST makers are made");
		return t_done();
	}
	framing();
	roots();
	refusals();
	bad_certs();
	bad_uppers();
	too_deep();
	leaf_not_p256();
	cache();
	threads();
	leaf_key_of();
	parsed_leaf();
	display();
	tp_maker_free(&mk);
	tp_maker_free(&other);
	return t_done();
}
