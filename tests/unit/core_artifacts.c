/* Payload formats, threshold counting and policy rotation: round trips, and
 * refusals of anything non-canonical even when validly signed. */
#include "t.h"

#include <sodium.h>

#include "format/artifact.h"
#include "format/cose.h"
#include "verify/trust.h"

struct key {
	uint8_t pk[32], sk[64];
};

static struct key k[6];

static void
make_policy(cs_policy *p, int first, int n, uint64_t m)
{
	int i;

	memset(p, 0, sizeof *p);
	memset(p->deployment, 0x42, sizeof p->deployment);
	p->version = 1;
	p->threshold = m;
	p->ncust = (size_t)n;
	for (i = 0; i < n; i++) {
		snprintf(p->cust[i].id, sizeof p->cust[i].id, "c%d", first + i);
		snprintf(p->cust[i].name, sizeof p->cust[i].name, "Custodian %d", first + i);
		memcpy(p->cust[i].pk, k[first + i].pk, 32);
	}
	memcpy(p->office_pk, k[5].pk, 32);
}

/* A COSE_Sign of kind over payload, signed by the keys listed. */
static void
envelope(cs_buf *out, const char *kind, const uint8_t *pl, size_t n, const int *signers, int ns)
{
	uint8_t m[8192];
	cs_buf cur;
	cs_cose c;
	cs_err e;
	int i, added;

	cs_buf_fixed(&cur, m, sizeof m);
	T_MUST(cs_cose_sign_draft(&cur, kind, pl, n));
	for (i = 0; i < ns; i++) {
		cs_err_clear(&e);
		if (cs_cose_decode(&c, cur.p, cur.len, &e) != CS_OK)
			abort();
		out->len = 0;
		if (cs_cose_sign_add(out, &c, k[signers[i]].sk, &added, &e) != CS_OK)
			abort();
		memcpy(m, out->p, out->len);
		cur.len = out->len;
	}
	out->len = 0;
	cs_buf_add(out, cur.p, cur.len);
}

/* The policy payload pl signed by the keys listed into out, then loaded
 * back into s and d: the load's status. */
static int
load_signed(cs_buf *out, const uint8_t *pl, size_t n, const int *signers, int ns, cs_signed *s,
    cs_policy *d, cs_err *e)
{
	envelope(out, "policy", pl, n, signers, ns);
	cs_err_clear(e);
	return cs_policy_load(s, d, out->p, out->len, e);
}

/* 1 when x, encoded by enc into the fixed buffer b over mem and decoded back
 * by dec into y, comes back the same, byte for byte */
#define ROUND_TRIP(b, mem, enc, dec, x, y, e)                                          \
	(cs_buf_fixed(&(b), (mem), sizeof(mem)), enc(&(b), &(x)) == CS_OK &&           \
	    dec(&(y), (b).p, (b).len, (e)) == CS_OK && memcmp(&(x), &(y), sizeof(x)) == 0)

/* Attestation roots in a policy and required evidence in an order: they
 * come back as spans of the payload, equal to what was encoded; what breaks
 * their rules is refused on both sides. */
static void
evidence_fields(cs_policy *p, cs_order *o)
{
	static const uint8_t meas[2][32] = {{1}, {2}}, signer[32] = {3};
	uint8_t m[8192], big[2000];
	cs_buf b;
	cs_err e;
	cs_policy p2;
	cs_order o2;

	p->threshold = 2;
	p->nroot = 2;
	strcpy(p->root[0].name, "maker-a");
	p->root[0].der = (const uint8_t *)"certificate-a", p->root[0].len = 13;
	strcpy(p->root[1].name, "maker-b");
	p->root[1].der = (const uint8_t *)"certificate-b", p->root[1].len = 13;
	cs_buf_fixed(&b, m, sizeof m);
	cs_err_clear(&e);
	T_OK(cs_policy_encode(&b, p) == CS_OK && cs_policy_decode(&p2, b.p, b.len, &e) == CS_OK &&
		 p2.nroot == 2 && strcmp(p2.root[1].name, "maker-b") == 0 && p2.root[1].len == 13 &&
		 memcmp(p2.root[1].der, "certificate-b", 13) == 0,
	    "policy round trip with two attestation roots (%s)", e.msg);
	p->root[1].der = p->root[0].der;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_policy_encode(&b, p) == CS_USAGE, "policy encoder refuses a root pinned twice");
	p->nroot = 3;
	memset(big, 0x30, sizeof big);
	p->root[1].der = (const uint8_t *)"certificate-b";
	strcpy(p->root[2].name, "maker-c");
	p->root[2].der = big, p->root[2].len = sizeof big;
	p->root[0].der = big, p->root[0].len = sizeof big - 1;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_policy_encode(&b, p) == CS_USAGE,
	    "policy encoder refuses a policy above 4 KiB (two 2,000-byte roots)");
	p->nroot = 0;

	o->evidence = CS_EV_ALL;
	o->nref = 2;
	strcpy(o->ref[0].type, "BL");
	o->ref[0].value = meas[0], o->ref[0].value_len = 32;
	o->ref[0].signer = signer, o->ref[0].signer_len = 32;
	o->ref[1].value = meas[1], o->ref[1].value_len = 32;
	o->ref[1].signer = signer, o->ref[1].signer_len = 32;
	cs_buf_fixed(&b, m, sizeof m);
	cs_err_clear(&e);
	T_OK(cs_order_encode(&b, o) == CS_OK && cs_order_decode(&o2, b.p, b.len, &e) == CS_OK &&
		 o2.evidence == CS_EV_ALL && o2.nref == 2 && strcmp(o2.ref[0].type, "BL") == 0 &&
		 o2.ref[1].type[0] == '\0' && memcmp(o2.ref[1].value, meas[1], 32) == 0 &&
		 memcmp(o2.ref[0].signer, signer, 32) == 0,
	    "order round trip with required evidence and reference values (%s)", e.msg);
	o->evidence = CS_EV_SE;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_order_encode(&b, o) == CS_USAGE,
	    "order encoder refuses reference values without firmware evidence");
	o->evidence = CS_EV_FIRMWARE;
	o->ref[1].value = meas[0];
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_order_encode(&b, o) == CS_OK, "a reference value of any type beside one of type BL");
	strcpy(o->ref[1].type, "BL");
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_order_encode(&b, o) == CS_USAGE, "order encoder refuses a reference value twice");
	o->ref[1].value_len = 31;
	strcpy(o->ref[1].type, "");
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_order_encode(&b, o) == CS_USAGE, "order encoder refuses a 31-byte measurement");
	o->evidence = 0;
	o->nref = 0;
}

static void
roundtrips(void)
{
	uint8_t m[4096];
	cs_buf b;
	cs_err e;
	cs_policy p, p2;
	cs_order o, o2;
	cs_record r, r2;
	cs_header h, h2;
	cs_release rl, rl2;
	cs_receipt rc, rc2;
	cs_exclusion x[2] = {{3, 1, 1003, "record-signature", 0}, {7, 0, 0, "record-malformed", 0}}, y;
	size_t pos = 0, i = 0;

	make_policy(&p, 0, 3, 2);
	cs_err_clear(&e);
	T_OK(ROUND_TRIP(b, m, cs_policy_encode, cs_policy_decode, p, p2, &e), "policy round trip");
	p.threshold = 4;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_policy_encode(&b, &p) == CS_USAGE, "policy encoder refuses M > N");

	memset(&o, 0, sizeof o);
	memset(o.deployment, 0x42, 16);
	strcpy(o.batch, "B42");
	strcpy(o.product, "Sensor v2");
	o.first = 1000;
	o.last = 1999;
	o.quantity = 1000;
	o.nstation = 1;
	memcpy(o.station[0], k[4].pk, 32);
	T_OK(ROUND_TRIP(b, m, cs_order_encode, cs_order_decode, o, o2, &e), "order round trip");
	o.quantity = 1001;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_order_encode(&b, &o) == CS_USAGE, "order encoder refuses a quantity above the range");
	o.quantity = 1000;
	evidence_fields(&p, &o);

	memset(&r, 0, sizeof r);
	r.serial = 1234;
	memcpy(r.pk, k[0].pk, 32);
	r.pk_len = 32;
	r.hwid_len = 8;
	memset(r.hwid, 0xab, 8);
	strcpy(r.firmware, "1.0.3");
	strcpy(r.batch, "B42");
	T_OK(ROUND_TRIP(b, m, cs_record_encode, cs_record_decode, r, r2, &e),
	    "record round trip (no attestation)");
	/* evidence is carried as bytes here; lib/attest parses it */
	r.ev.kinds = CS_EV_ALL;
	r.ev.nse = 2;
	r.ev.se[0] = (const uint8_t *)"leaf", r.ev.se_len[0] = 4;
	r.ev.se[1] = (const uint8_t *)"intermediate", r.ev.se_len[1] = 12;
	r.ev.token = (const uint8_t *)"token", r.ev.token_len = 5;
	r.ev.niak = 1;
	r.ev.iak[0] = (const uint8_t *)"iak", r.ev.iak_len[0] = 3;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_record_encode(&b, &r) == CS_OK && cs_record_decode(&r2, b.p, b.len, &e) == CS_OK &&
		 r2.ev.kinds == CS_EV_ALL && r2.ev.nse == 2 && r2.ev.se_len[1] == 12 &&
		 memcmp(r2.ev.se[1], "intermediate", 12) == 0 && r2.ev.token_len == 5 &&
		 memcmp(r2.ev.token, "token", 5) == 0 && r2.ev.niak == 1 &&
		 memcmp(r2.ev.iak[0], "iak", 3) == 0,
	    "record round trip with both kinds of evidence");
	r.ev.niak = 0;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_record_encode(&b, &r) == CS_USAGE,
	    "record encoder refuses a token without its attestation key's chain");
	r.ev.kinds = CS_EV_SE;
	r.ev.nse = 5;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_record_encode(&b, &r) == CS_USAGE, "record encoder refuses a chain of five");
	r.ev.nse = 1;

	/* with the optional attestation present, a missing field is named */
	{
		uint8_t mm[512], dep[16] = {0}, nonce[32] = {0};
		cs_buf mb;
		cs_cw w;

		cs_buf_fixed(&mb, mm, sizeof mm);
		cs_cw_init(&w, &mb);
		cs_cw_map_begin(&w);
		cs_cw_uint(&w, 0), cs_cw_uint(&w, 1);
		cs_cw_uint(&w, 1), cs_cw_bytes(&w, dep, 16);
		cs_cw_uint(&w, 2), cs_cw_textz(&w, "record");
		cs_cw_uint(&w, 3), cs_cw_uint(&w, 1);
		cs_cw_uint(&w, 4), cs_cw_bytes(&w, k[0].pk, 32);
		cs_cw_uint(&w, 6), cs_cw_textz(&w, "1.0");
		cs_cw_uint(&w, 7), cs_cw_textz(&w, "B42");
		cs_cw_uint(&w, 8), cs_cw_bytes(&w, nonce, 32);
		cs_cw_uint(&w, 9), cs_cw_map_begin(&w), cs_cw_uint(&w, 1), cs_cw_array_begin(&w),
		    cs_cw_bytes(&w, "x", 1), cs_cw_array_end(&w), cs_cw_map_end(&w);
		cs_cw_map_end(&w);
		cs_err_clear(&e);
		T_OK(cs_cw_finish(&w) == 0 && cs_record_decode(&r2, mb.p, mb.len, &e) == CS_MALFORMED &&
			 strstr(e.msg, "missing field 5") != NULL,
		    "a record with attestation but no hardware id names field 5 (%s)", e.msg);
	}

	memset(&h, 0, sizeof h);
	strcpy(h.batch, "B42");
	h.count = 1000;
	h.created = 1764000000;
	memcpy(h.station_pk, k[4].pk, 32);
	T_OK(ROUND_TRIP(b, m, cs_header_encode, cs_header_decode, h, h2, &e),
	    "batch header round trip");

	memset(&rl, 0, sizeof rl);
	rl.seq = 2;
	rl.has_prev = 1;
	strcpy(rl.batch, "B42");
	rl.count = 10;
	rl.accepted = 8;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_release_encode(&b, &rl, x, 2) == CS_OK &&
		 cs_release_decode(&rl2, b.p, b.len, &e) == CS_OK && rl2.seq == 2 &&
		 rl2.accepted == 8 && rl2.excluded.n == 2,
	    "release round trip");
	T_OK(cs_excl_next(&rl2.excluded, &pos, &i, &y) && y.index == 3 && y.has_serial &&
		 y.serial == 1003 && strcmp(y.reason, "record-signature") == 0 &&
		 cs_excl_next(&rl2.excluded, &pos, &i, &y) && y.index == 7 && !y.has_serial &&
		 !cs_excl_next(&rl2.excluded, &pos, &i, &y),
	    "release exclusions walk back in order");
	rl.accepted = 9;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_release_encode(&b, &rl, x, 2) == CS_USAGE,
	    "release encoder refuses accepted + excluded != count");

	memset(&rc, 0, sizeof rc);
	strcpy(rc.batch, "B42");
	rc.count = 10;
	rc.accepted = 8;
	cs_buf_fixed(&b, m, sizeof m);
	T_OK(cs_receipt_encode(&b, &rc, x, 2) == CS_OK &&
		 cs_receipt_decode(&rc2, b.p, b.len, &e) == CS_OK && rc2.refused.n == 2,
	    "receipt round trip");
}

/* The payload bytes of a valid policy, then byte-level edits of them. */
static void
noncanonical(void)
{
	uint8_t m[4096], ev[8192], v[4200];
	cs_buf b, out;
	cs_policy p, dp;
	cs_signed s;
	cs_quorum q;
	cs_err e;
	size_t n, i;
	const int two[] = {0, 1};
	struct {
		const char *what;
		size_t len;
	} cases[6];
	uint8_t variant[6][4200];
	size_t at;

	make_policy(&p, 0, 3, 2);
	cs_buf_fixed(&b, m, sizeof m);
	if (cs_policy_encode(&b, &p) != CS_OK)
		abort();
	n = b.len;
	cs_buf_fixed(&out, ev, sizeof ev);
	T_OK(load_signed(&out, m, n, two, 2, &s, &dp, &e) == CS_OK &&
		 cs_policy_verify_self(&s, &dp, &q, &e) == CS_OK && q.valid == 2,
	    "the canonical policy signed by 2 of 3 is accepted");

	/* field 5 (threshold) is "05 02"; find it after field 4 (null: "04 f6") */
	for (at = 0; at + 3 < n; at++)
		if (m[at] == 0x04 && m[at + 1] == 0xf6 && m[at + 2] == 0x05 && m[at + 3] == 0x02)
			break;
	T_OK(at + 3 < n, "found the threshold field");
	/* 1: non-shortest integer 05 18 02 */
	memcpy(variant[0], m, at + 3);
	variant[0][at + 3] = 0x18;
	variant[0][at + 4] = 0x02;
	memcpy(variant[0] + at + 5, m + at + 4, n - at - 4);
	cases[0].what = "a non-shortest integer";
	cases[0].len = n + 1;
	/* 2: unsorted keys: swap fields 4 and 5 ("04 f6 05 02" -> "05 02 04 f6") */
	memcpy(variant[1], m, n);
	variant[1][at] = 0x05;
	variant[1][at + 1] = 0x02;
	variant[1][at + 2] = 0x04;
	variant[1][at + 3] = 0xf6;
	cases[1].what = "unsorted map keys";
	cases[1].len = n;
	/* 3: duplicate key: field 5 appears twice, map count + 1 */
	memcpy(variant[2], m, at + 4);
	variant[2][at + 4] = 0x05;
	variant[2][at + 5] = 0x02;
	memcpy(variant[2] + at + 6, m + at + 4, n - at - 4);
	variant[2][0] = (uint8_t)(m[0] + 1);
	cases[2].what = "a duplicate map key";
	cases[2].len = n + 2;
	/* 4: trailing bytes */
	memcpy(variant[3], m, n);
	variant[3][n] = 0x00;
	cases[3].what = "trailing bytes";
	cases[3].len = n + 1;
	/* 5: an unknown field 8 at the end, map count + 1 */
	memcpy(variant[4], m, n);
	variant[4][0] = (uint8_t)(m[0] + 1);
	variant[4][n] = 0x08;
	variant[4][n + 1] = 0x00;
	cases[4].what = "an unknown field";
	cases[4].len = n + 2;
	/* 6: indefinite-length custodian array: 83 -> 9f ... ff */
	for (i = 0; i < n && m[i] != 0x83; i++)
		;
	memcpy(variant[5], m, n);
	variant[5][i] = 0x9f;
	memmove(variant[5] + n + 1, variant[5] + n, 0);
	{
		/* the array ends where field 7 starts: "07 58 20" */
		size_t j;

		for (j = i; j + 2 < n; j++)
			if (m[j] == 0x07 && m[j + 1] == 0x58 && m[j + 2] == 0x20)
				break;
		memcpy(variant[5], m, j);
		variant[5][i] = 0x9f;
		variant[5][j] = 0xff;
		memcpy(variant[5] + j + 1, m + j, n - j);
	}
	cases[5].what = "an indefinite-length array";
	cases[5].len = n + 1;

	for (i = 0; i < 6; i++) {
		memcpy(v, variant[i], cases[i].len);
		cs_buf_fixed(&out, ev, sizeof ev);
		envelope(&out, "policy", v, cases[i].len, two, 2);
		cs_err_clear(&e);
		/* the signatures are valid over these exact bytes ... */
		{
			cs_cose c;
			uint8_t sm[8192];
			cs_buf sb;

			cs_buf_fixed(&sb, sm, sizeof sm);
			/* signatures are sorted by kid: try both keys on each */
			T_OK(cs_cose_decode(&c, out.p, out.len, &e) == CS_OK && c.nsig == 2 &&
				 (cs_cose_verify(&c, 0, k[0].pk, &sb) == 0 ||
				     cs_cose_verify(&c, 0, k[1].pk, &sb) == 0) &&
				 (cs_cose_verify(&c, 1, k[0].pk, &sb) == 0 ||
				     cs_cose_verify(&c, 1, k[1].pk, &sb) == 0),
			    "policy with %s: both signatures are valid", cases[i].what);
		}
		/* ... and still the policy is refused */
		cs_err_clear(&e);
		T_OK(cs_policy_load(&s, &dp, out.p, out.len, &e) == CS_MALFORMED,
		    "policy with %s is refused although validly signed (%s: %s)", cases[i].what,
		    e.reason, e.msg);
	}
}

static void
quorum(void)
{
	uint8_t m[4096], ev[8192], dup[8192];
	cs_buf b, out;
	cs_policy p, dp;
	cs_signed s;
	cs_quorum q;
	cs_err e;
	const int one[] = {0}, two[] = {0, 1}, outsider[] = {0, 4};

	make_policy(&p, 0, 3, 2);
	cs_buf_fixed(&b, m, sizeof m);
	T_MUST(cs_policy_encode(&b, &p));

	cs_buf_fixed(&out, ev, sizeof ev);
	T_OK(load_signed(&out, m, b.len, one, 1, &s, &dp, &e) == CS_OK &&
		 cs_policy_verify_self(&s, &dp, &q, &e) == CS_REJECT &&
		 strcmp(e.reason, "policy-threshold") == 0 && q.valid == 1 && !q.counted[1] &&
		 !q.counted[2],
	    "2-of-3 policy signed by one custodian is rejected, naming the missing ones");

	/* the same signature entry twice: counted once */
	{
		cs_cose c = s.cose;
		cs_cose_raw_signer rs[2];
		cs_buf d;

		rs[0] = (cs_cose_raw_signer){c.s[0].prot, c.s[0].prot_len,
		    (const uint8_t *)"\xa0", 1, c.s[0].sig};
		rs[1] = rs[0];
		cs_buf_fixed(&d, dup, sizeof dup);
		T_MUST(cs_cose_encode_sign_raw(&d, c.prot, c.prot_len, (const uint8_t *)"\xa0", 1, c.payload,
		    c.payload_len, rs, 2));
		cs_err_clear(&e);
		T_OK(cs_policy_load(&s, &dp, d.p, d.len, &e) == CS_OK && s.cose.nsig == 2 &&
			 cs_policy_verify_self(&s, &dp, &q, &e) == CS_REJECT && q.valid == 1 &&
			 q.state[1] == CS_SIGN_REPEAT,
		    "the same custodian signing twice counts once");
	}

	cs_buf_fixed(&out, ev, sizeof ev);
	T_OK(load_signed(&out, m, b.len, outsider, 2, &s, &dp, &e) == CS_OK &&
		 cs_policy_verify_self(&s, &dp, &q, &e) == CS_REJECT && q.valid == 1 &&
		 q.state[0] + q.state[1] == CS_SIGN_VALID + CS_SIGN_UNKNOWN,
	    "a signature by a key outside the policy is reported and not counted");

	cs_buf_fixed(&out, ev, sizeof ev);
	envelope(&out, "policy", m, b.len, two, 2);
	memcpy(dup, out.p, out.len);
	dup[out.len - 5] ^= 0x01; /* inside the last signature */
	cs_err_clear(&e);
	T_OK(cs_policy_load(&s, &dp, dup, out.len, &e) == CS_OK &&
		 cs_policy_verify_self(&s, &dp, &q, &e) == CS_REJECT && q.valid == 1,
	    "a bad signature is reported and not counted");
	cs_err_clear(&e);
	T_OK(cs_policy_load(&s, &dp, out.p, out.len, &e) == CS_OK &&
		 cs_policy_verify_self(&s, &dp, &q, &e) == CS_OK && q.valid == 2,
	    "2-of-3 policy signed by two custodians is accepted");
}

static void
rotation(void)
{
	uint8_t m1[4096], m2[4096], e1[8192], e2[8192];
	cs_buf b1, b2, o1, o2;
	cs_policy p1, p2, d1, d2;
	cs_signed s1, s2;
	cs_quorum qa, qb;
	cs_err e;
	const int old2[] = {0, 1}, new2_old1[] = {0, 3}, new2_old2[] = {0, 1, 2, 3};

	/* v1: c0 c1 c2, M=2. v2: c0 c2 c3, M=2 */
	make_policy(&p1, 0, 3, 2);
	cs_buf_fixed(&b1, m1, sizeof m1);
	T_MUST(cs_policy_encode(&b1, &p1));
	cs_buf_fixed(&o1, e1, sizeof e1);
	T_MUST(load_signed(&o1, m1, b1.len, old2, 2, &s1, &d1, &e));

	make_policy(&p2, 1, 3, 2);
	memcpy(p2.cust[0].pk, k[0].pk, 32);
	strcpy(p2.cust[0].id, "c0");
	p2.version = 2;
	p2.has_prev = 1;
	memcpy(p2.prev, s1.digest, 32);
	cs_buf_fixed(&b2, m2, sizeof m2);
	T_OK(cs_policy_encode(&b2, &p2) == CS_OK, "v2 encoded");

	cs_buf_fixed(&o2, e2, sizeof e2);
	T_OK(load_signed(&o2, m2, b2.len, new2_old1, 2, &s2, &d2, &e) == CS_OK &&
		 cs_policy_verify_rotation(&s1, &d1, &s2, &d2, &qa, &qb, &e) == CS_REJECT &&
		 strcmp(e.reason, "policy-threshold-previous") == 0,
	    "rotation signed by M new but fewer than M old custodians is refused");

	cs_buf_fixed(&o2, e2, sizeof e2);
	T_OK(load_signed(&o2, m2, b2.len, new2_old2, 4, &s2, &d2, &e) == CS_OK &&
		 cs_policy_verify_rotation(&s1, &d1, &s2, &d2, &qa, &qb, &e) == CS_OK &&
		 qa.valid == 3 && qb.valid == 3,
	    "rotation signed by M old and M new custodians is accepted");

	cs_err_clear(&e);
	T_OK(cs_policy_verify_rotation(&s2, &d2, &s1, &d1, &qa, &qb, &e) == CS_REJECT &&
		 strcmp(e.reason, "policy-rollback") == 0,
	    "a rollback to version 1 after version 2 is refused");

	/* a fork: another v2 (other threshold), and a v2 that names another
	 * predecessor */
	{
		static const struct {
			int fork;
			const char *reason, *what;
		} cases[] = {
			{1, "policy-fork", "a second, different version 2 is refused as a fork"},
			{0, "policy-predecessor",
			    "a version 2 naming another predecessor is refused"},
		};
		uint8_t m3[4096], e3[8192];
		cs_buf b3, o3;
		cs_policy p3, d3;
		cs_signed s3;
		size_t i;

		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			p3 = p2;
			if (cases[i].fork)
				p3.threshold = 3;
			else
				p3.prev[0] ^= 1;
			cs_buf_fixed(&b3, m3, sizeof m3);
			T_MUST(cs_policy_encode(&b3, &p3));
			cs_buf_fixed(&o3, e3, sizeof e3);
			int fork = cases[i].fork;

			T_OK(load_signed(&o3, m3, b3.len, new2_old2, 4, &s3, &d3, &e) == CS_OK &&
				 cs_policy_verify_rotation(fork ? &s2 : &s1, fork ? &d2 : &d1, &s3,
				     &d3, &qa, &qb, &e) == CS_REJECT &&
				 strcmp(e.reason, cases[i].reason) == 0,
			    "%s", cases[i].what);
		}
	}
	T_OK(cs_policy_split_risk(&d1) == 0, "2 of 3 is a majority");
	d1.ncust = 4;
	T_OK(cs_policy_split_risk(&d1) == 1, "2 of 4 is flagged: two groups could fork");
}

int
main(void)
{
	int i;

	if (cs_crypto_init() != 0)
		return 2;
	for (i = 0; i < 6; i++)
		crypto_sign_keypair(k[i].pk, k[i].sk);
	roundtrips();
	noncanonical();
	quorum();
	rotation();
	return t_done();
}
