/* The office ledger on SQLite. Commit order everywhere: the signed file is
 * renamed into place first (the commit point), the index transaction second;
 * opening the ledger rolls the index forward over files it does not know. */
#include "ledger/ledger.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "bundle/reader.h"
#include "util/file.h"

struct pol {
	uint8_t *buf;
	size_t n;
	cs_signed s;
	cs_policy p;
};

struct cs_ledger {
	char *dir;
	sqlite3 *db;
	int in_tx;
	sqlite3_stmt *q_serial, *q_key, *q_hwid, *q_inst, *q_order, *q_batch, *i_device, *i_inst;
	struct pol *pol;          /* every policy version known, oldest first */
	size_t npol;
	uint64_t adding_seq;      /* devices entered by the release being added */
	int insert_failed;
	cs_err *ins_err;
	uint64_t next_seq;        /* set by begin */
};

static const char schema[] =
    "PRAGMA journal_mode=DELETE;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS policy(version INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS release(seq INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE,"
    " policy BLOB NOT NULL, order_digest BLOB NOT NULL, batch TEXT NOT NULL,"
    " header BLOB NOT NULL UNIQUE, count INTEGER NOT NULL, accepted INTEGER NOT NULL,"
    " signatures INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS orders(digest BLOB PRIMARY KEY, batch TEXT NOT NULL,"
    " quantity INTEGER NOT NULL, released INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS device(serial INTEGER PRIMARY KEY, pk BLOB NOT NULL UNIQUE,"
    " hwid BLOB NOT NULL UNIQUE, seq INTEGER NOT NULL);"
    /* the chips (PSA instance ids) of devices released under orders that
     * require firmware evidence; added after the others (see old_index) */
    "CREATE TABLE IF NOT EXISTS instance(id BLOB PRIMARY KEY, seq INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS draft(seq INTEGER PRIMARY KEY, digest BLOB NOT NULL UNIQUE,"
    " batch TEXT NOT NULL, header BLOB NOT NULL, count INTEGER NOT NULL,"
    " accepted INTEGER NOT NULL);";

/* ---- small helpers ------------------------------------------------------ */

static int
dberr(cs_ledger *l, cs_err *e, const char *what)
{
	return cs_fail(e, CS_MALFORMED, "io", "ledger index: %s: %s", what, sqlite3_errmsg(l->db));
}

static int
exec(cs_ledger *l, const char *sql, cs_err *e)
{
	if (sqlite3_exec(l->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(l, e, sql);
	return CS_OK;
}

static int
tx_begin(cs_ledger *l, cs_err *e)
{
	int rc;

	if (l->in_tx)
		return CS_OK;
	if ((rc = exec(l, "BEGIN IMMEDIATE", e)) == CS_OK)
		l->in_tx = 1;
	return rc;
}

static int
tx_commit(cs_ledger *l, cs_err *e)
{
	int rc = exec(l, "COMMIT", e);

	/* a COMMIT that failed on a full or failing disk may leave the
	 * transaction open: end it, so the index is as before */
	if (rc != CS_OK && !sqlite3_get_autocommit(l->db))
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->in_tx = 0;
	return rc;
}

/* Takes back a file this run put in place when what should follow it (the
 * index, the directory's sync) failed: a clean error leaves the ledger as
 * before. If this fails too, the next open rolls the file forward, as after
 * a kill. */
static void
undo_file(const char *path)
{
	/* a failed sync is the kill case the comment above describes */
	if (unlink(path) == 0 && cs_fsync_dir_of(path, NULL) != CS_OK)
		return;
}

void
cs_ledger_rollback(cs_ledger *l)
{
	if (l->in_tx)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->in_tx = 0;
}

/* Ends the transaction as rc says: committed after CS_OK, else rolled back. */
static int
tx_end(cs_ledger *l, int rc, cs_err *e)
{
	if (rc == CS_OK)
		return tx_commit(l, e);
	cs_ledger_rollback(l);
	return rc;
}

static sqlite3_int64
s64(uint64_t v)
{
	sqlite3_int64 s;

	memcpy(&s, &v, sizeof s);
	return s;
}

static uint64_t
u64(sqlite3_int64 s)
{
	uint64_t v;

	memcpy(&v, &s, sizeof v);
	return v;
}

/* One statement with blob/int/text arguments described by fmt:
 * 'b' (pointer, 32 bytes), 'B' (pointer, length), 'i' (uint64), 't' (text).
 * Returns the first column of the first row as an integer in *out (when
 * out != NULL; *found says whether there was a row). */
static int
run1(cs_ledger *l, cs_err *e, const char *sql, int64_t *out, int *found, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i, rc;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(l, e, sql);
	va_start(ap, fmt);
	for (i = 0; fmt[i] != '\0'; i++) {
		const void *p;
		size_t n;

		switch (fmt[i]) {
		case 'b':
			p = va_arg(ap, const void *);
			sqlite3_bind_blob(st, i + 1, p, CS_DIGEST_LEN, SQLITE_TRANSIENT);
			break;
		case 'B':
			p = va_arg(ap, const void *);
			n = va_arg(ap, size_t);
			sqlite3_bind_blob(st, i + 1, p, (int)n, SQLITE_TRANSIENT);
			break;
		case 'i':
			sqlite3_bind_int64(st, i + 1, s64(va_arg(ap, uint64_t)));
			break;
		case 't':
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
			break;
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	if (found != NULL)
		*found = rc == SQLITE_ROW;
	if (out != NULL)
		*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(l, e, sql);
	return CS_OK;
}

static int
path_of(char *out, const cs_ledger *l, const char *sub, uint64_t seq, const uint8_t d[32],
    const char *ext)
{
	char hex[2 * CS_DIGEST_LEN + 1];
	int n;

	cs_hex(hex, d, CS_DIGEST_LEN);
	n = snprintf(out, CS_LEDGER_PATH_MAX, "%s/%s/%06llu-%s.%s", l->dir, sub,
	    (unsigned long long)seq, hex, ext);
	return n > 0 && n < CS_LEDGER_PATH_MAX ? 0 : -1;
}

static int
policy_path(char *out, const char *dir, uint64_t version)
{
	int n = snprintf(out, CS_LEDGER_PATH_MAX, "%s/policy-%06llu.cbor", dir,
	    (unsigned long long)version);

	return n > 0 && n < CS_LEDGER_PATH_MAX ? 0 : -1;
}

/* "NNNNNN-<64 hex>.EXT": the sequence and digest, or -1. */
static int
parse_name(const char *name, const char *ext, uint64_t *seq, uint8_t d[32])
{
	const char *dash = strchr(name, '-');
	char num[24], hex[65];
	size_t n, el = strlen(ext);

	if (dash == NULL || (n = (size_t)(dash - name)) == 0 || n >= sizeof num)
		return -1;
	if (strlen(dash + 1) != 64 + 1 + el || dash[65] != '.' || strcmp(dash + 66, ext) != 0)
		return -1;
	memcpy(num, name, n);
	num[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (num[i] < '0' || num[i] > '9')
			return -1;
	*seq = strtoull(num, NULL, 10);
	memcpy(hex, dash + 1, 64);
	hex[64] = '\0';
	return *seq > 0 && cs_unhex(d, CS_DIGEST_LEN, hex) == 0 ? 0 : -1;
}

struct fent {
	uint64_t seq;
	uint8_t d[32];
	char name[96];
};

static int
fent_cmp(const void *a, const void *b)
{
	const struct fent *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Lists sub/ files named by sequence and digest, sorted; removes the
 * temporary files a killed writer left there. */
static int
list_dir(cs_ledger *l, const char *sub, const char *ext, struct fent **out, size_t *n, cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];
	struct dirent *de;
	struct fent *v = NULL, *nv;
	size_t cap = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof path, "%s/%s", l->dir, sub);
	if ((d = opendir(path)) == NULL)
		return cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "cannot list %s: %s", path,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct fent f;

		if (de->d_name[0] == '.') {
			/* ".NAME.tmp-XXXXXXXX" of cs_atomic: a write that never committed */
			if (strstr(de->d_name, ".tmp-") != NULL) {
				snprintf(path, sizeof path, "%s/%s/%s", l->dir, sub, de->d_name);
				unlink(path);
			}
			continue;
		}
		if (parse_name(de->d_name, ext, &f.seq, f.d) != 0)
			continue;
		snprintf(f.name, sizeof f.name, "%s", de->d_name);
		if (*n == cap) {
			if (cap >= CS_LEDGER_MAX_FILES) {
				closedir(d);
				free(v);
				return cs_fail(e, CS_MALFORMED, "too-large", "more than %d files in %s",
				    CS_LEDGER_MAX_FILES, sub);
			}
			cap = cap ? 2 * cap : 64;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
				closedir(d);
				free(v);
				return cs_fail(e, CS_MALFORMED, "system", "out of memory");
			}
			v = nv;
		}
		v[(*n)++] = f;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof *v, fent_cmp);
	*out = v;
	return CS_OK;
}

/* ---- policies ----------------------------------------------------------- */

static void
free_policies(cs_ledger *l)
{
	size_t i;

	for (i = 0; i < l->npol; i++)
		cs_file_free(l->pol[i].buf, l->pol[i].n);
	free(l->pol);
	l->pol = NULL;
	l->npol = 0;
}

/* Loads policy-NNNNNN.cbor files from the first one on: each version must be
 * a verified rotation of the one before; the index learns any it lacks. */
static int
load_policies(cs_ledger *l, cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];
	cs_quorum q1, q2;
	struct pol *np;
	uint64_t ver;
	int64_t have;
	int found, rc;

	free_policies(l);
	if ((rc = run1(l, e, "SELECT min(version) FROM policy", &have, &found, "")) != CS_OK)
		return rc;
	ver = have > 0 ? (uint64_t)have : 1;
	for (;; ver++) {
		struct pol *p;
		struct stat st;

		if (policy_path(path, l->dir, ver) != 0)
			return cs_fail(e, CS_USAGE, "io", "ledger path too long");
		if (stat(path, &st) != 0)
			break;
		if (l->npol == CS_LEDGER_MAX_POLICIES)
			return cs_fail(e, CS_MALFORMED, "too-large", "more than %d policies",
			    CS_LEDGER_MAX_POLICIES);
		if ((np = realloc(l->pol, (l->npol + 1) * sizeof *np)) == NULL)
			return cs_fail(e, CS_MALFORMED, "system", "out of memory");
		l->pol = np;
		p = &l->pol[l->npol];
		memset(p, 0, sizeof *p);
		if ((rc = cs_read_file(path, CS_PAYLOAD_MAX * 4, &p->buf, &p->n, e)) != CS_OK)
			return rc;
		l->npol++;
		if ((rc = cs_policy_load(&p->s, &p->p, p->buf, p->n, e)) != CS_OK)
			return cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "%s is not a policy", path);
		if (p->p.version != ver)
			return cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "%s holds version %llu",
			    path, (unsigned long long)p->p.version);
		if (l->npol == 1)
			rc = cs_policy_verify_self(&p->s, &p->p, &q1, e);
		else
			rc = cs_policy_verify_rotation(&l->pol[l->npol - 2].s, &l->pol[l->npol - 2].p,
			    &p->s, &p->p, &q1, &q2, e);
		if (rc != CS_OK)
			return cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "%s: not a valid policy "
			    "in the chain", path);
		if ((rc = run1(l, e, "INSERT OR IGNORE INTO policy(version, digest) VALUES(?, ?)", NULL,
			 NULL, "ib", p->p.version, p->s.digest)) != CS_OK)
			return rc;
		if ((rc = run1(l, e, "SELECT 1 FROM policy WHERE version = ? AND digest = ?", NULL,
			 &found, "ib", p->p.version, p->s.digest)) != CS_OK)
			return rc;
		if (!found)
			return cs_fail(e, CS_MALFORMED, "ledger-inconsistent",
			    "the index has another policy version %llu than %s",
			    (unsigned long long)ver, path);
	}
	if (l->npol == 0)
		return cs_fail(e, CS_MALFORMED, "ledger-missing", "no policy file in %s", l->dir);
	return run1(l, e, "INSERT OR REPLACE INTO meta(k, v) VALUES('deployment', ?)", NULL, NULL,
	    "B", l->pol[0].p.deployment, (size_t)CS_DEPLOY_LEN);
}

static const struct pol *
policy_by_digest(const cs_ledger *l, const uint8_t d[32])
{
	size_t i;

	for (i = 0; i < l->npol; i++)
		if (memcmp(l->pol[i].s.digest, d, CS_DIGEST_LEN) == 0)
			return &l->pol[i];
	return NULL;
}

int
cs_ledger_policy(cs_ledger *l, const cs_signed **s, const cs_policy **p, cs_err *e)
{
	if (l->npol == 0)
		return cs_fail(e, CS_MALFORMED, "ledger-missing", "the ledger has no policy");
	*s = &l->pol[l->npol - 1].s;
	*p = &l->pol[l->npol - 1].p;
	return CS_OK;
}

/* ---- lookups --------------------------------------------------------------- */

/* Runs st, its arguments bound: *seq is the first column of its row (a
 * device's release), 0 when there is none; "what" names it in an error. */
static int
found_seq(cs_ledger *l, sqlite3_stmt *st, uint64_t *seq, const char *what, cs_err *e)
{
	int rc = sqlite3_step(st);

	*seq = rc == SQLITE_ROW ? u64(sqlite3_column_int64(st, 0)) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? CS_OK : dberr(l, e, what);
}

static int
lk_record(void *ctx, const cs_record *r, const uint8_t *inst, const char **reason, uint64_t *seq,
    cs_err *e)
{
	cs_ledger *l = ctx;
	int rc;

	*reason = NULL;
	sqlite3_bind_int64(l->q_serial, 1, s64(r->serial));
	if ((rc = found_seq(l, l->q_serial, seq, "serial lookup", e)) != CS_OK)
		return rc;
	if (*seq != 0) {
		*reason = "record-released-serial";
		return CS_OK;
	}
	sqlite3_bind_blob(l->q_key, 1, r->pk, (int)r->pk_len, SQLITE_STATIC);
	if ((rc = found_seq(l, l->q_key, seq, "key lookup", e)) != CS_OK)
		return rc;
	if (*seq != 0) {
		*reason = "record-released-key";
		return CS_OK;
	}
	sqlite3_bind_blob(l->q_hwid, 1, r->hwid, (int)r->hwid_len, SQLITE_STATIC);
	if ((rc = found_seq(l, l->q_hwid, seq, "hardware id lookup", e)) != CS_OK)
		return rc;
	if (*seq != 0) {
		*reason = "record-released-hwid";
		return CS_OK;
	}
	if (inst == NULL)
		return CS_OK;
	sqlite3_bind_blob(l->q_inst, 1, inst, CS_PSA_INSTANCE_ID_LEN, SQLITE_STATIC);
	if ((rc = found_seq(l, l->q_inst, seq, "instance id lookup", e)) != CS_OK)
		return rc;
	if (*seq != 0)
		*reason = "record-released-instance";
	return CS_OK;
}

static int
lk_order(void *ctx, const uint8_t d[CS_DIGEST_LEN], uint64_t *released, cs_err *e)
{
	cs_ledger *l = ctx;

	sqlite3_bind_blob(l->q_order, 1, d, CS_DIGEST_LEN, SQLITE_STATIC);
	return found_seq(l, l->q_order, released, "order lookup", e);
}

static int
lk_batch(void *ctx, const uint8_t d[CS_DIGEST_LEN], uint64_t *seq, cs_err *e)
{
	cs_ledger *l = ctx;

	sqlite3_bind_blob(l->q_batch, 1, d, CS_DIGEST_LEN, SQLITE_STATIC);
	return found_seq(l, l->q_batch, seq, "batch lookup", e);
}

void
cs_ledger_lookup(cs_ledger *l, cs_vlookup *lk)
{
	lk->ctx = l;
	lk->record = lk_record;
	lk->order = lk_order;
	lk->batch = lk_batch;
}

/* Release seq's signed file, by the digest the index gives it, under the
 * policy it names; a file that is not there is not found (the caller says
 * what that means). */
static int
ea_open(void *ctx, uint64_t seq, cs_zipr **z, const cs_policy **pol, const uint8_t **pol_digest,
    uint8_t digest[CS_DIGEST_LEN], int *found, cs_err *e)
{
	cs_ledger *l = ctx;
	char path[CS_LEDGER_PATH_MAX];
	const struct pol *p;
	sqlite3_stmt *st;
	uint8_t pd[CS_DIGEST_LEN];
	struct stat sb;
	cs_err ze;
	int rc;

	*found = 0;
	if (sqlite3_prepare_v2(l->db, "SELECT digest, policy FROM release WHERE seq = ?", -1, &st,
		NULL) != SQLITE_OK)
		return dberr(l, e, "release lookup");
	sqlite3_bind_int64(st, 1, s64(seq));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CS_DIGEST_LEN &&
	    sqlite3_column_bytes(st, 1) == CS_DIGEST_LEN) {
		memcpy(digest, sqlite3_column_blob(st, 0), CS_DIGEST_LEN);
		memcpy(pd, sqlite3_column_blob(st, 1), CS_DIGEST_LEN);
		*found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(l, e, "release lookup");
	if (!*found)
		return CS_OK;
	*found = 0;
	if ((p = policy_by_digest(l, pd)) == NULL ||
	    path_of(path, l, CS_LEDGER_RELEASES, seq, digest, "zip") != 0 || stat(path, &sb) != 0)
		return CS_OK;
	/* a layout the reader refuses is the ledger's file, not the input:
	 * said as such (cs_fail keeps the first error, so the reader's goes to
	 * its own cs_err) */
	cs_err_clear(&ze);
	if ((rc = cs_zipr_open(z, path, &ze)) != CS_OK)
		return rc == CS_REJECT ? cs_fail(e, CS_MALFORMED, "ledger-inconsistent",
					     "%s: %s", path, ze.msg)
				       : cs_err_take(e, &ze);
	*pol = &p->p;
	*pol_digest = p->s.digest;
	*found = 1;
	return CS_OK;
}

void
cs_ledger_earlier(cs_ledger *l, cs_vearlier *ea)
{
	ea->ctx = l;
	ea->open = ea_open;
	ea->where = "the ledger";
}

/* ---- entering a release ------------------------------------------------------ */

static int
on_device(void *ctx, const cs_vrec *r)
{
	cs_ledger *l = ctx;
	int rc;

	if (r->excluded || r->reason != NULL || !r->decoded || l->insert_failed)
		return 0;
	sqlite3_bind_int64(l->i_device, 1, s64(r->rec->serial));
	sqlite3_bind_blob(l->i_device, 2, r->rec->pk, (int)r->rec->pk_len, SQLITE_STATIC);
	sqlite3_bind_blob(l->i_device, 3, r->rec->hwid, (int)r->rec->hwid_len, SQLITE_STATIC);
	sqlite3_bind_int64(l->i_device, 4, s64(l->adding_seq));
	rc = sqlite3_step(l->i_device);
	sqlite3_reset(l->i_device);
	if (rc == SQLITE_DONE && r->instance != NULL) {
		sqlite3_bind_blob(l->i_inst, 1, r->instance, CS_PSA_INSTANCE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(l->i_inst, 2, s64(l->adding_seq));
		rc = sqlite3_step(l->i_inst);
		sqlite3_reset(l->i_inst);
	}
	if (rc != SQLITE_DONE) {
		/* a value released before that the checks did not catch: refuse */
		l->insert_failed = 1;
		cs_fail(l->ins_err, CS_MALFORMED, "io", "ledger index: record %llu: %s",
		    (unsigned long long)r->index, sqlite3_errmsg(l->db));
		return 1;
	}
	return 0;
}

/* Verifies the release zip at path as the next in the chain and enters it
 * into the index (inside the caller's transaction). */
static int
enter_release(cs_ledger *l, const char *path, unsigned threads, int deep, int newest_only,
    cs_verify *v, cs_err *e)
{
	cs_ledger_info info;
	const struct pol *pol;
	cs_vopts vo;
	cs_vlookup lk;
	cs_vearlier ea;
	cs_zipr *z = NULL;
	int rc;

	if ((rc = cs_ledger_info_get(l, &info, e)) != CS_OK)
		return rc;
	if ((rc = cs_zipr_open(&z, path, e)) != CS_OK)
		return rc;
	if (cs_zipr_entries(z) != CS_V_RELEASE) {
		cs_zipr_close(z);
		return cs_fail(e, CS_USAGE, "usage", "a batch, not a release");
	}
	if ((rc = cs_verify_load(v, z, e)) != CS_OK) {
		cs_verify_free(v);
		cs_zipr_close(z);
		return rc;
	}
	pol = newest_only ? &l->pol[l->npol - 1] : policy_by_digest(l, v->release.policy);
	if (pol == NULL)
		pol = &l->pol[l->npol - 1];
	cs_verify_free(v);
	memset(&vo, 0, sizeof vo);
	vo.policy = &pol->p;
	vo.policy_digest = pol->s.digest;
	vo.deep = deep;
	vo.threads = threads;
	vo.expect = CS_V_RELEASE;
	vo.chain = info.tip == 0 ? CS_CHAIN_FIRST : CS_CHAIN_AFTER;
	vo.after_seq = info.tip;
	memcpy(vo.after_digest, info.tip_digest, CS_DIGEST_LEN);
	cs_ledger_lookup(l, &lk);
	cs_ledger_earlier(l, &ea);
	vo.lookup = &lk;
	vo.earlier = &ea;
	vo.on_record = on_device;
	vo.ctx = l;
	l->insert_failed = 0;
	l->ins_err = e;
	/* the sequence is read again from the copy being verified */
	l->adding_seq = info.tip + 1;
	rc = cs_verify_zip(v, z, &vo, e);
	cs_zipr_close(z);
	if (rc == CS_OK && l->insert_failed)
		rc = CS_MALFORMED;
	if (rc != CS_OK)
		return rc;
	if ((rc = run1(l, e,
		 "INSERT INTO release(seq, digest, policy, order_digest, batch, header, count, accepted,"
		 " signatures) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
		 NULL, NULL, "ibbbtbiii", v->release.seq, v->release_s.digest, v->release.policy,
		 v->release.order, v->release.batch, v->release.header, v->release.count,
		 v->release.accepted, (uint64_t)v->release_q.valid)) != CS_OK)
		return rc;
	if ((rc = run1(l, e,
		 "INSERT INTO orders(digest, batch, quantity, released) VALUES(?, ?, ?, ?)"
		 " ON CONFLICT(digest) DO UPDATE SET released = released + excluded.released",
		 NULL, NULL, "btii", v->order_s.digest, v->order.batch, v->order.quantity,
		 v->release.accepted)) != CS_OK)
		return rc;
	return run1(l, e, "DELETE FROM draft WHERE seq = ?", NULL, NULL, "i", v->release.seq);
}

/* ---- bringing the index up to date ------------------------------------------- */

static int
sync_drafts(cs_ledger *l, uint64_t tip, cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];
	struct fent *f = NULL;
	size_t n, i;
	uint8_t *buf;
	size_t bn;
	cs_signed s;
	cs_release r;
	int found, rc;

	if ((rc = list_dir(l, CS_LEDGER_DRAFTS, "cose", &f, &n, e)) != CS_OK)
		return rc;
	if ((rc = run1(l, e, "DELETE FROM draft WHERE seq <= ?", NULL, NULL, "i", tip)) != CS_OK)
		goto done;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s/%s", l->dir, CS_LEDGER_DRAFTS, f[i].name);
		if (f[i].seq <= tip) {
			unlink(path); /* released (or superseded) before a kill removed it */
			continue;
		}
		if ((rc = run1(l, e, "SELECT 1 FROM draft WHERE seq = ? AND digest = ?", NULL, &found,
			 "ib", f[i].seq, f[i].d)) != CS_OK)
			goto done;
		if (found)
			continue;
		if (cs_read_file(path, CS_RELEASE_ENTRY_MAX, &buf, &bn, e) != CS_OK) {
			rc = CS_MALFORMED;
			goto done;
		}
		rc = cs_cose_decode(&s.cose, buf, bn, e);
		if (rc == CS_OK)
			rc = cs_release_decode(&r, s.cose.payload, s.cose.payload_len, e);
		if (rc == CS_OK) {
			cs_digest(s.digest, CS_KIND_RELEASE, s.cose.payload, s.cose.payload_len);
			if (r.seq != f[i].seq || memcmp(s.digest, f[i].d, CS_DIGEST_LEN) != 0)
				rc = CS_MALFORMED;
		}
		if (rc == CS_OK)
			rc = run1(l, e, "INSERT OR REPLACE INTO draft(seq, digest, batch, header, count,"
			    " accepted) VALUES(?, ?, ?, ?, ?, ?)", NULL, NULL, "ibtbii", r.seq, s.digest,
			    r.batch, r.header, r.count, r.accepted);
		cs_file_free(buf, bn);
		if (rc != CS_OK) {
			rc = cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "draft %s is not what its "
			    "name says", f[i].name);
			goto done;
		}
	}
	/* rows whose file is gone: an abandon killed after its unlink */
	{
		sqlite3_stmt *st;
		uint64_t *gone = NULL, seq;
		size_t ng = 0, j;

		if (sqlite3_prepare_v2(l->db, "SELECT seq FROM draft", -1, &st, NULL) != SQLITE_OK) {
			rc = dberr(l, e, "drafts");
			goto done;
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			seq = u64(sqlite3_column_int64(st, 0));
			for (j = 0; j < n && f[j].seq != seq; j++)
				;
			if (j == n) {
				uint64_t *ng2 = realloc(gone, (ng + 1) * sizeof *gone);

				if (ng2 == NULL)
					break;
				gone = ng2;
				gone[ng++] = seq;
			}
		}
		sqlite3_finalize(st);
		for (j = 0; j < ng && rc == CS_OK; j++)
			rc = run1(l, e, "DELETE FROM draft WHERE seq = ?", NULL, NULL, "i", gone[j]);
		free(gone);
	}
done:
	free(f);
	return rc;
}

static int
sync_files(cs_ledger *l, cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];
	struct fent *f = NULL;
	cs_ledger_info info;
	static cs_verify v;
	size_t n, i;
	int found, rc;

	if ((rc = tx_begin(l, e)) != CS_OK)
		return rc;
	if ((rc = load_policies(l, e)) != CS_OK)
		goto done;
	if ((rc = list_dir(l, CS_LEDGER_RELEASES, "zip", &f, &n, e)) != CS_OK)
		goto done;
	if ((rc = cs_ledger_info_get(l, &info, e)) != CS_OK)
		goto done;
	for (i = 0; i < n; i++) {
		if (i > 0 && f[i].seq == f[i - 1].seq) {
			rc = cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "two files for release %llu",
			    (unsigned long long)f[i].seq);
			goto done;
		}
		if (f[i].seq <= info.tip) {
			if ((rc = run1(l, e, "SELECT 1 FROM release WHERE seq = ? AND digest = ?", NULL,
				 &found, "ib", f[i].seq, f[i].d)) != CS_OK)
				goto done;
			if (!found) {
				rc = cs_fail(e, CS_MALFORMED, "ledger-inconsistent",
				    "%s is not the release %llu of the index", f[i].name,
				    (unsigned long long)f[i].seq);
				goto done;
			}
			continue;
		}
		/* a release renamed into place whose index commit never happened */
		snprintf(path, sizeof path, "%s/%s/%s", l->dir, CS_LEDGER_RELEASES, f[i].name);
		rc = enter_release(l, path, 0, 0, 0, &v, e);
		if (rc == CS_OK && (v.release.seq != f[i].seq ||
				       memcmp(v.release_s.digest, f[i].d, CS_DIGEST_LEN) != 0))
			rc = cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "%s holds another release",
			    f[i].name);
		if (rc != CS_OK && e->status != CS_OK && strcmp(e->reason, "ledger-inconsistent") != 0) {
			/* the index follows the files: one that does not verify stops it */
			char why[CS_REASON_MAX + CS_MSG_MAX + 4];

			snprintf(why, sizeof why, "%s: %s", e->reason, e->msg);
			cs_err_clear(e);
			rc = cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "%s does not verify as "
			    "release %llu (%s)", f[i].name, (unsigned long long)f[i].seq, why);
		} else if (rc == CS_REJECT) {
			rc = cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "%s does not verify as "
			    "release %llu (%s: %s)", f[i].name, (unsigned long long)f[i].seq,
			    v.nproblem ? v.problem[0].reason : "rejected",
			    v.nproblem ? v.problem[0].msg : "");
		}
		cs_verify_free(&v);
		if (rc != CS_OK)
			goto done;
		info.tip = f[i].seq;
	}
	if ((rc = cs_ledger_info_get(l, &info, e)) != CS_OK)
		goto done;
	if (info.releases != info.tip) {
		rc = cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "the index lists %llu releases "
		    "up to %llu", (unsigned long long)info.releases, (unsigned long long)info.tip);
		goto done;
	}
	{
		int64_t c;

		if ((rc = run1(l, e, "SELECT count(*) FROM release", &c, NULL, "")) != CS_OK)
			goto done;
		for (i = 0; i < n && f[i].seq <= info.tip; i++)
			;
		if ((uint64_t)c != i) {
			rc = cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "%llu releases in the index "
			    "but %zu files", (unsigned long long)c, i);
			goto done;
		}
	}
	rc = sync_drafts(l, info.tip, e);
done:
	free(f);
	return tx_end(l, rc, e);
}

/* ---- open, init, rebuild ------------------------------------------------------- */

static int
prepare(cs_ledger *l, cs_err *e)
{
	if (sqlite3_prepare_v2(l->db, "SELECT seq FROM device WHERE serial = ?", -1, &l->q_serial,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "SELECT seq FROM device WHERE pk = ?", -1, &l->q_key, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "SELECT seq FROM device WHERE hwid = ?", -1, &l->q_hwid, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "SELECT seq FROM instance WHERE id = ?", -1, &l->q_inst, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "INSERT INTO instance(id, seq) VALUES(?, ?)", -1, &l->i_inst,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "SELECT released FROM orders WHERE digest = ?", -1,
		&l->q_order, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "SELECT seq FROM release WHERE header = ?", -1, &l->q_batch,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "INSERT INTO device(serial, pk, hwid, seq) VALUES(?, ?, ?, ?)",
		-1, &l->i_device, NULL) != SQLITE_OK)
		return dberr(l, e, "prepare");
	return CS_OK;
}

/* An index made before the instance table holds releases whose chips it
 * never kept: it cannot say a chip was released until it is rebuilt from
 * the release files, which hold every token. */
static int
old_index(cs_ledger *l, cs_err *e)
{
	static const char q[] =
	    "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'release'),"
	    " (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'instance')";
	sqlite3_stmt *st = NULL;
	int rc, has_release = 0, has_inst = 0, any = 0;

	if (sqlite3_prepare_v2(l->db, q, -1, &st, NULL) != SQLITE_OK)
		return dberr(l, e, "schema");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		has_release = sqlite3_column_int(st, 0) > 0;
		has_inst = sqlite3_column_int(st, 1) > 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return dberr(l, e, "schema");
	if (!has_release || has_inst)
		return CS_OK;
	if (sqlite3_prepare_v2(l->db, "SELECT 1 FROM release LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return dberr(l, e, "schema");
	rc = sqlite3_step(st);
	any = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(l, e, "schema");
	if (any)
		return cs_fail(e, CS_MALFORMED, "ledger-inconsistent", "the index predates PSA "
		    "instance ids: rebuild it to know the chips released (consign ledger rebuild)");
	return CS_OK;
}

static int
open_db(cs_ledger **out, const char *dir, const char *dbname, int create, cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];
	struct stat st;
	cs_ledger *l;
	int rc;

	*out = NULL;
	if (snprintf(path, sizeof path, "%s/%s", dir, dbname) >= (int)sizeof path)
		return cs_fail(e, CS_USAGE, "io", "ledger path too long");
	if (!create && stat(path, &st) != 0)
		return cs_fail(e, CS_MALFORMED, "ledger-missing", "no ledger index at %s (consign "
		    "ledger init, or ledger rebuild when its files are there)", dir);
	if ((l = calloc(1, sizeof *l)) == NULL || (l->dir = strdup(dir)) == NULL) {
		free(l);
		return cs_fail(e, CS_MALFORMED, "system", "out of memory");
	}
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0),
		NULL) != SQLITE_OK) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot open %s: %s", path,
		    l->db ? sqlite3_errmsg(l->db) : "out of memory");
		cs_ledger_close(l);
		return rc;
	}
	sqlite3_busy_timeout(l->db, 30000);
	if ((rc = old_index(l, e)) != CS_OK || (rc = exec(l, schema, e)) != CS_OK ||
	    (rc = prepare(l, e)) != CS_OK) {
		cs_ledger_close(l);
		return rc;
	}
	*out = l;
	return CS_OK;
}

static int
ledger_open(cs_ledger **out, const char *dir, cs_err *e)
{
	int rc;

	if ((rc = open_db(out, dir, CS_LEDGER_DB, 0, e)) != CS_OK)
		return rc;
	if ((rc = sync_files(*out, e)) != CS_OK) {
		cs_ledger_close(*out);
		*out = NULL;
	}
	return rc;
}

void
cs_ledger_close(cs_ledger *l)
{
	if (l == NULL)
		return;
	cs_ledger_rollback(l);
	sqlite3_finalize(l->q_serial);
	sqlite3_finalize(l->q_key);
	sqlite3_finalize(l->q_hwid);
	sqlite3_finalize(l->q_inst);
	sqlite3_finalize(l->i_inst);
	sqlite3_finalize(l->q_order);
	sqlite3_finalize(l->q_batch);
	sqlite3_finalize(l->i_device);
	sqlite3_close(l->db);
	free_policies(l);
	free(l->dir);
	free(l);
}

static int
make_dirs(const char *dir, cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cs_fail(e, CS_MALFORMED, "io", "cannot create %s: %s", dir, strerror(errno));
	snprintf(path, sizeof path, "%s/%s", dir, CS_LEDGER_RELEASES);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return cs_fail(e, CS_MALFORMED, "io", "cannot create %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/%s", dir, CS_LEDGER_DRAFTS);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return cs_fail(e, CS_MALFORMED, "io", "cannot create %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/%s", dir, CS_LEDGER_WITHDRAWALS);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return cs_fail(e, CS_MALFORMED, "io", "cannot create %s: %s", path, strerror(errno));
	return cs_fsync_dir_of(path, e);
}

static int
ledger_init(const char *dir, const uint8_t *p, size_t n, cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];
	struct stat st;
	cs_signed s;
	cs_policy pol;
	cs_quorum q;
	cs_ledger *l;
	int rc;

	if (strlen(dir) > CS_LEDGER_PATH_MAX - 128)
		return cs_fail(e, CS_USAGE, "io", "ledger path too long");
	if ((rc = cs_policy_load(&s, &pol, p, n, e)) != CS_OK)
		return rc;
	if ((rc = cs_policy_verify_self(&s, &pol, &q, e)) != CS_OK)
		return rc;
	snprintf(path, sizeof path, "%s/%s", dir, CS_LEDGER_DB);
	if (stat(path, &st) == 0)
		return cs_fail(e, CS_USAGE, "exists", "already holds a ledger");
	if ((rc = make_dirs(dir, e)) != CS_OK)
		return rc;
	policy_path(path, dir, pol.version);
	if ((rc = cs_write_atomic(path, p, n, 0600, 0, e)) != CS_OK)
		return rc;
	if ((rc = open_db(&l, dir, CS_LEDGER_DB, 1, e)) != CS_OK)
		return rc;
	rc = sync_files(l, e);
	cs_ledger_close(l);
	return rc;
}

/* The count of query q's one row, -1 when it cannot be run. */
static int64_t
count_of(cs_ledger *l, const char *q)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(l->db, q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The released chips of the two indexes, as diff_index compares devices:
 * an insider who deletes a chip's row lets it be released again. */
static void
diff_chips(cs_ledger *l, cs_ledger_diff *d)
{
	int64_t dropped, added;

	if (count_of(l, "SELECT count(*) FROM old.sqlite_master WHERE type = 'table' AND "
			"name = 'instance'") == 0) {
		d->chips_unrecorded = 1;
		added = count_of(l, "SELECT count(*) FROM main.instance");
		d->chips_added = added > 0 ? (uint64_t)added : 0;
		return;
	}
	dropped = count_of(l, "SELECT count(*) FROM old.instance o WHERE NOT EXISTS (SELECT 1 FROM "
			      "main.instance n WHERE n.id = o.id AND n.seq = o.seq)");
	added = count_of(l, "SELECT count(*) FROM main.instance n WHERE NOT EXISTS (SELECT 1 FROM "
			    "old.instance o WHERE n.id = o.id AND n.seq = o.seq)");
	d->chips_dropped = dropped > 0 ? (uint64_t)dropped : 0;
	d->chips_added = added > 0 ? (uint64_t)added : 0;
}

/* Compares the rebuilt index (main) with the old one, attached as old. */
static void
diff_index(cs_ledger *l, const char *olddb, cs_ledger_diff *d)
{
	static const char *const q[4] = {
	    "SELECT count(*), min(serial), min(seq) FROM old.device o WHERE NOT EXISTS (SELECT 1 "
	    "FROM main.device n WHERE n.serial = o.serial AND n.pk = o.pk AND n.hwid = o.hwid AND "
	    "n.seq = o.seq)",
	    "SELECT count(*), 0, 0 FROM main.device n WHERE NOT EXISTS (SELECT 1 FROM old.device o "
	    "WHERE n.serial = o.serial AND n.pk = o.pk AND n.hwid = o.hwid AND n.seq = o.seq)",
	    "SELECT count(*), 0, 0 FROM old.release o WHERE NOT EXISTS (SELECT 1 FROM main.release n "
	    "WHERE n.seq = o.seq AND n.digest = o.digest)",
	    "SELECT count(*), 0, 0 FROM main.release n WHERE NOT EXISTS (SELECT 1 FROM old.release o "
	    "WHERE n.seq = o.seq AND n.digest = o.digest)"};
	uint64_t *out[4] = {&d->devices_dropped, &d->devices_added, &d->releases_dropped,
	    &d->releases_added};
	sqlite3_stmt *st;
	struct stat sb;
	int i, ok = 1;

	memset(d, 0, sizeof *d);
	if (stat(olddb, &sb) != 0)
		return;
	st = NULL;
	if (sqlite3_prepare_v2(l->db, "ATTACH DATABASE ? AS old", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_bind_text(st, 1, olddb, -1, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (!ok)
		return;
	for (i = 0; i < 4 && ok; i++) {
		if (sqlite3_prepare_v2(l->db, q[i], -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW) {
			ok = 0;
		} else {
			*out[i] = u64(sqlite3_column_int64(st, 0));
			if (i == 0 && *out[i] > 0) {
				d->has_example = 1;
				d->example_serial = u64(sqlite3_column_int64(st, 1));
				d->example_seq = u64(sqlite3_column_int64(st, 2));
			}
		}
		sqlite3_finalize(st);
	}
	d->had_index = ok;
	if (ok)
		diff_chips(l, d);
	sqlite3_exec(l->db, "DETACH DATABASE old", NULL, NULL, NULL);
}

static int
ledger_rebuild(const char *dir, cs_ledger_diff *d, cs_err *e)
{
	cs_ledger_diff dd;
	char tmp[CS_LEDGER_PATH_MAX], db[CS_LEDGER_PATH_MAX];
	cs_ledger *l;
	int rc;

	if (snprintf(tmp, sizeof tmp, "%s/.%s.rebuild", dir, CS_LEDGER_DB) >= (int)sizeof tmp)
		return cs_fail(e, CS_USAGE, "io", "ledger path too long");
	snprintf(db, sizeof db, "%s/%s", dir, CS_LEDGER_DB);
	unlink(tmp);
	snprintf(tmp, sizeof tmp, "%s/.%s.rebuild-journal", dir, CS_LEDGER_DB);
	unlink(tmp);
	snprintf(tmp, sizeof tmp, ".%s.rebuild", CS_LEDGER_DB);
	if ((rc = make_dirs(dir, e)) != CS_OK)
		return rc;
	if ((rc = open_db(&l, dir, tmp, 1, e)) != CS_OK)
		return rc;
	rc = sync_files(l, e);
	if (rc == CS_OK)
		diff_index(l, db, d != NULL ? d : &dd);
	cs_ledger_close(l);
	snprintf(tmp, sizeof tmp, "%s/.%s.rebuild", dir, CS_LEDGER_DB);
	if (rc != CS_OK) {
		unlink(tmp);
		return rc;
	}
	/* an old hot journal must never be applied to the new index */
	snprintf(db, sizeof db, "%s/%s-journal", dir, CS_LEDGER_DB);
	unlink(db);
	snprintf(db, sizeof db, "%s/%s", dir, CS_LEDGER_DB);
	if (rename(tmp, db) != 0)
		return cs_fail(e, CS_MALFORMED, "io", "cannot rename the new index into place: %s",
		    strerror(errno));
	return cs_fsync_dir_of(db, e);
}

/* ---- queries ------------------------------------------------------------------- */

int
cs_ledger_info_get(cs_ledger *l, cs_ledger_info *i, cs_err *e)
{
	sqlite3_stmt *st;
	int64_t v;
	int rc, found;

	memset(i, 0, sizeof *i);
	if (l->npol > 0) {
		memcpy(i->deployment, l->pol[0].p.deployment, CS_DEPLOY_LEN);
		i->policy_version = l->pol[l->npol - 1].p.version;
		memcpy(i->policy_digest, l->pol[l->npol - 1].s.digest, CS_DIGEST_LEN);
	}
	if (sqlite3_prepare_v2(l->db, "SELECT seq, digest FROM release ORDER BY seq DESC LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		return dberr(l, e, "tip");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		i->tip = u64(sqlite3_column_int64(st, 0));
		if (sqlite3_column_bytes(st, 1) == CS_DIGEST_LEN)
			memcpy(i->tip_digest, sqlite3_column_blob(st, 1), CS_DIGEST_LEN);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(l, e, "tip");
	if ((rc = run1(l, e, "SELECT count(*) FROM release", &v, &found, "")) != CS_OK)
		return rc;
	i->releases = (uint64_t)v;
	if ((rc = run1(l, e, "SELECT count(*) FROM device", &v, &found, "")) != CS_OK)
		return rc;
	i->devices = (uint64_t)v;
	if ((rc = run1(l, e, "SELECT count(*) FROM draft", &v, &found, "")) != CS_OK)
		return rc;
	i->drafts = (uint64_t)v;
	return CS_OK;
}

int
cs_ledger_list(cs_ledger *l, int what, int (*fn)(void *ctx, const cs_ledger_row *r), void *ctx,
    cs_err *e)
{
	static const char *const sql[] = {
	    ("SELECT seq, digest, order_digest, batch, count, accepted, signatures FROM release"
		" ORDER BY seq"),
	    "SELECT seq, digest, header, batch, count, accepted, 0 FROM draft ORDER BY seq",
	    "SELECT 0, digest, digest, batch, quantity, released, 0 FROM orders ORDER BY batch, digest"};
	sqlite3_stmt *st;
	cs_ledger_row r;
	int rc;

	if (sqlite3_prepare_v2(l->db, sql[what], -1, &st, NULL) != SQLITE_OK)
		return dberr(l, e, "list");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof r);
		r.seq = u64(sqlite3_column_int64(st, 0));
		if (sqlite3_column_bytes(st, 1) == CS_DIGEST_LEN)
			memcpy(r.digest, sqlite3_column_blob(st, 1), CS_DIGEST_LEN);
		if (sqlite3_column_bytes(st, 2) == CS_DIGEST_LEN)
			memcpy(r.order, sqlite3_column_blob(st, 2), CS_DIGEST_LEN);
		snprintf(r.batch, sizeof r.batch, "%s", (const char *)sqlite3_column_text(st, 3));
		if (what == CS_LEDGER_LIST_ORDERS) {
			r.quantity = u64(sqlite3_column_int64(st, 4));
			r.released = u64(sqlite3_column_int64(st, 5));
		} else {
			r.count = u64(sqlite3_column_int64(st, 4));
			r.accepted = u64(sqlite3_column_int64(st, 5));
			r.signatures = u64(sqlite3_column_int64(st, 6));
		}
		if (fn(ctx, &r) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? CS_OK : dberr(l, e, "list");
}

/* ---- drafts --------------------------------------------------------------------- */

int
cs_ledger_begin(cs_ledger *l, uint64_t *seq, int *has_prev, uint8_t prev[CS_DIGEST_LEN],
    cs_err *e)
{
	cs_ledger_info info;
	sqlite3_stmt *st;
	int rc;

	if ((rc = tx_begin(l, e)) != CS_OK)
		return rc;
	if ((rc = cs_ledger_info_get(l, &info, e)) != CS_OK)
		goto fail;
	*seq = info.tip + 1;
	*has_prev = info.tip > 0;
	memcpy(prev, info.tip_digest, CS_DIGEST_LEN);
	if (sqlite3_prepare_v2(l->db, "SELECT seq, digest FROM draft ORDER BY seq DESC LIMIT 1", -1,
		&st, NULL) != SQLITE_OK) {
		rc = dberr(l, e, "drafts");
		goto fail;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		*seq = u64(sqlite3_column_int64(st, 0)) + 1;
		*has_prev = 1;
		if (sqlite3_column_bytes(st, 1) == CS_DIGEST_LEN)
			memcpy(prev, sqlite3_column_blob(st, 1), CS_DIGEST_LEN);
	}
	sqlite3_finalize(st);
	l->next_seq = *seq;
	return CS_OK;
fail:
	cs_ledger_rollback(l);
	return rc;
}

int
cs_ledger_reserve(cs_ledger *l, const uint8_t *draft, size_t n, cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];
	cs_signed s;
	cs_release r;
	int rc;

	if (!l->in_tx)
		return cs_fail(e, CS_USAGE, "internal", "reserve outside begin");
	if ((rc = cs_cose_decode(&s.cose, draft, n, e)) != CS_OK ||
	    (rc = cs_release_decode(&r, s.cose.payload, s.cose.payload_len, e)) != CS_OK)
		goto fail;
	cs_digest(s.digest, CS_KIND_RELEASE, s.cose.payload, s.cose.payload_len);
	if (r.seq != l->next_seq) {
		rc = cs_fail(e, CS_USAGE, "internal", "draft %llu, next is %llu",
		    (unsigned long long)r.seq, (unsigned long long)l->next_seq);
		goto fail;
	}
	if ((rc = run1(l, e, "INSERT INTO draft(seq, digest, batch, header, count, accepted)"
			     " VALUES(?, ?, ?, ?, ?, ?)", NULL, NULL, "ibtbii", r.seq, s.digest,
		 r.batch, r.header, r.count, r.accepted)) != CS_OK)
		goto fail;
	path_of(path, l, CS_LEDGER_DRAFTS, r.seq, s.digest, "cose");
	/* the file is the reservation; the index follows it */
	if ((rc = cs_write_atomic(path, draft, n, 0600, 0, e)) != CS_OK ||
	    (rc = tx_commit(l, e)) != CS_OK) {
		undo_file(path);
		goto fail;
	}
	return CS_OK;
fail:
	cs_ledger_rollback(l);
	return rc;
}

int
cs_ledger_draft_of(cs_ledger *l, const uint8_t header[CS_DIGEST_LEN], uint64_t *seq, cs_err *e)
{
	int64_t v;
	int found, rc;

	rc = run1(l, e, "SELECT seq FROM draft WHERE header = ? ORDER BY seq LIMIT 1", &v, &found, "b",
	    header);
	*seq = found ? (uint64_t)v : 0;
	return rc;
}

/* The digest of draft seq; *found 0 when none is reserved. */
static int
draft_digest(cs_ledger *l, uint64_t seq, uint8_t d[CS_DIGEST_LEN], int *found, cs_err *e)
{
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (sqlite3_prepare_v2(l->db, "SELECT digest FROM draft WHERE seq = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return dberr(l, e, "draft lookup");
	sqlite3_bind_int64(st, 1, s64(seq));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CS_DIGEST_LEN) {
		memcpy(d, sqlite3_column_blob(st, 0), CS_DIGEST_LEN);
		*found = 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? CS_OK : dberr(l, e, "draft lookup");
}

int
cs_ledger_withdrawal_draft(cs_ledger *l, uint64_t seq, cs_buf *out, cs_err *e)
{
	const struct pol *p = &l->pol[l->npol - 1];
	cs_withdrawal w;
	uint8_t pay[256];
	cs_buf pb;
	int found, rc;

	if ((rc = draft_digest(l, seq, w.release, &found, e)) != CS_OK)
		return rc;
	if (!found)
		return cs_fail(e, CS_USAGE, "usage", "no draft %llu is reserved",
		    (unsigned long long)seq);
	memcpy(w.deployment, p->p.deployment, CS_DEPLOY_LEN);
	memcpy(w.policy, p->s.digest, CS_DIGEST_LEN);
	w.seq = seq;
	cs_buf_fixed(&pb, pay, sizeof pay);
	if (cs_withdrawal_encode(&pb, &w) != CS_OK ||
	    cs_cose_sign_draft(out, CS_KIND_WITHDRAWAL, pb.p, pb.len) != CS_OK)
		return cs_fail(e, CS_MALFORMED, "system", "cannot encode the withdrawal");
	return CS_OK;
}

/* Checks that w[0..wn) withdraws draft seq (digest d) with M signatures of
 * the newest policy, and keeps it in the ledger (renamed into place). */
static int
keep_withdrawal(cs_ledger *l, uint64_t seq, const uint8_t d[CS_DIGEST_LEN], const uint8_t *w,
    size_t wn, cs_err *e)
{
	const struct pol *p = &l->pol[l->npol - 1];
	char path[CS_LEDGER_PATH_MAX], dir[CS_LEDGER_PATH_MAX];
	cs_signed s;
	cs_withdrawal wd;
	cs_quorum q;
	cs_atomic a;
	int rc;

	if ((rc = cs_withdrawal_load(&s, &wd, w, wn, e)) != CS_OK ||
	    (rc = cs_withdrawal_verify(&s, &wd, &p->p, p->s.digest, &q, e)) != CS_OK)
		return rc;
	if (wd.seq != seq)
		return cs_fail(e, CS_REJECT, "withdrawal-release", "the withdrawal names release "
		    "%llu, not draft %llu", (unsigned long long)wd.seq, (unsigned long long)seq);
	if (sodium_memcmp(wd.release, d, CS_DIGEST_LEN) != 0)
		return cs_fail(e, CS_REJECT, "withdrawal-release", "the withdrawal names release "
		    "%llu with another digest than draft %llu", (unsigned long long)wd.seq,
		    (unsigned long long)seq);
	snprintf(dir, sizeof dir, "%s/%s", l->dir, CS_LEDGER_WITHDRAWALS);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cs_fail(e, CS_MALFORMED, "io", "cannot create %s: %s", dir, strerror(errno));
	if (path_of(path, l, CS_LEDGER_WITHDRAWALS, seq, d, "cose") != 0)
		return cs_fail(e, CS_USAGE, "io", "ledger path too long");
	if ((rc = cs_atomic_open(&a, path, 0600, 0, e)) != CS_OK)
		return rc;
	if ((rc = cs_atomic_write(&a, w, wn, e)) != CS_OK ||
	    (rc = cs_atomic_commit(&a, e)) != CS_OK) {
		cs_atomic_abort(&a);
		return rc;
	}
	return CS_OK;
}

int
cs_ledger_abandon(cs_ledger *l, uint64_t seq, const uint8_t *w, size_t wn, uint64_t *dropped,
    cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];
	struct fent *f = NULL;
	uint8_t d[CS_DIGEST_LEN];
	size_t n, i;
	int found, rc;

	*dropped = 0;
	if ((rc = tx_begin(l, e)) != CS_OK)
		return rc;
	if ((rc = draft_digest(l, seq, d, &found, e)) != CS_OK)
		goto done;
	if (!found) {
		rc = cs_fail(e, CS_USAGE, "usage", "no draft %llu is reserved",
		    (unsigned long long)seq);
		goto done;
	}
	/* the withdrawal is kept first: a kill after it leaves the draft
	 * reserved, and abandoning it again finds the same file */
	if ((rc = keep_withdrawal(l, seq, d, w, wn, e)) != CS_OK)
		goto done;
	if ((rc = list_dir(l, CS_LEDGER_DRAFTS, "cose", &f, &n, e)) != CS_OK)
		goto done;
	/* later drafts name this one as their predecessor: they go too; the
	 * latest first, so a kill leaves a chain of drafts without a hole */
	snprintf(path, sizeof path, "%s/%s/.", l->dir, CS_LEDGER_DRAFTS);
	for (i = n; i-- > 0;) {
		if (f[i].seq < seq)
			break;
		snprintf(path, sizeof path, "%s/%s/%s", l->dir, CS_LEDGER_DRAFTS, f[i].name);
		if (unlink(path) != 0 && errno != ENOENT) {
			rc = cs_fail(e, CS_MALFORMED, "io", "cannot remove %s: %s", path, strerror(errno));
			goto done;
		}
		(*dropped)++;
	}
	snprintf(path, sizeof path, "%s/%s/.", l->dir, CS_LEDGER_DRAFTS);
	if ((rc = cs_fsync_dir_of(path, e)) != CS_OK)
		goto done;
	rc = run1(l, e, "DELETE FROM draft WHERE seq >= ?", NULL, NULL, "i", seq);
done:
	free(f);
	return tx_end(l, rc, e);
}

/* ---- policies ------------------------------------------------------------------- */

int
cs_ledger_rotate(cs_ledger *l, const uint8_t *p, size_t n, cs_err *e)
{
	char path[CS_LEDGER_PATH_MAX];
	const struct pol *cur = &l->pol[l->npol - 1];
	cs_signed s;
	cs_policy pol;
	cs_quorum q1, q2;
	int rc;

	if ((rc = cs_policy_load(&s, &pol, p, n, e)) != CS_OK)
		return rc;
	if (memcmp(s.digest, cur->s.digest, CS_DIGEST_LEN) == 0)
		return CS_OK;
	if ((rc = cs_policy_verify_rotation(&cur->s, &cur->p, &s, &pol, &q1, &q2, e)) != CS_OK)
		return rc;
	if ((rc = tx_begin(l, e)) != CS_OK)
		return rc;
	policy_path(path, l->dir, pol.version);
	if ((rc = cs_write_atomic(path, p, n, 0600, 0, e)) == CS_OK)
		rc = load_policies(l, e);
	return tx_end(l, rc, e);
}

/* ---- adding a signed release ------------------------------------------------------- */

static int
copy_file(const char *from, cs_atomic *a, cs_err *e)
{
	uint8_t buf[1 << 16];
	ssize_t r;
	int fd, rc = CS_OK;

	if ((fd = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return cs_fail(e, CS_MALFORMED, "io", "cannot open %s: %s", from, strerror(errno));
	for (;;) {
		r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cs_fail(e, CS_MALFORMED, "io", "cannot read %s: %s", from, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		if ((rc = cs_atomic_write(a, buf, (size_t)r, e)) != CS_OK)
			break;
	}
	close(fd);
	return rc;
}

int
cs_ledger_add(cs_ledger *l, const char *path, unsigned threads, int deep, cs_verify *v,
    int *already, cs_err *e)
{
	char dest[CS_LEDGER_PATH_MAX], draft[CS_LEDGER_PATH_MAX];
	cs_ledger_info info;
	cs_zipr *z = NULL;
	cs_atomic a;
	int found, rc, have_a = 0;
	uint64_t seq;
	uint8_t digest[CS_DIGEST_LEN];

	*already = 0;
	memset(v, 0, sizeof *v);
	/* name it from the source, verify the copy: what enters is what was checked */
	if ((rc = cs_zipr_open(&z, path, e)) != CS_OK)
		return rc;
	if (cs_zipr_entries(z) != CS_V_RELEASE) {
		cs_zipr_close(z);
		return cs_fail(e, CS_USAGE, "usage", "a batch: only a signed release enters the ledger");
	}
	rc = cs_verify_load(v, z, e);
	seq = v->release.seq;
	memcpy(digest, v->release_s.digest, CS_DIGEST_LEN);
	cs_verify_free(v);
	cs_zipr_close(z);
	if (rc != CS_OK)
		return rc;
	if ((rc = tx_begin(l, e)) != CS_OK)
		return rc;
	if ((rc = cs_ledger_info_get(l, &info, e)) != CS_OK)
		goto fail;
	if (seq <= info.tip) {
		if ((rc = run1(l, e, "SELECT 1 FROM release WHERE seq = ? AND digest = ?", NULL, &found,
			 "ib", seq, digest)) != CS_OK)
			goto fail;
		cs_ledger_rollback(l);
		if (found) {
			*already = 1;
			return CS_OK;
		}
		/* fall through to verification: it names the chain problem */
		if ((rc = tx_begin(l, e)) != CS_OK)
			return rc;
	}
	/* a release the custodians withdrew never enters */
	path_of(dest, l, CS_LEDGER_WITHDRAWALS, seq, digest, "cose");
	if (access(dest, F_OK) == 0) {
		rc = cs_fail(e, CS_REJECT, "release-withdrawn", "release %llu was withdrawn by the "
		    "custodians (%s)", (unsigned long long)seq, dest);
		goto fail;
	}
	path_of(dest, l, CS_LEDGER_RELEASES, seq, digest, "zip");
	if ((rc = cs_atomic_open(&a, dest, 0600, 1, e)) != CS_OK)
		goto fail;
	have_a = 1;
	if ((rc = copy_file(path, &a, e)) != CS_OK)
		goto fail;
	if (fsync(a.fd) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot sync: %s", strerror(errno));
		goto fail;
	}
	if ((rc = enter_release(l, a.tmp, threads, deep, 1, v, e)) != CS_OK)
		goto fail;
	if (v->release.seq != seq || memcmp(v->release_s.digest, digest, CS_DIGEST_LEN) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "%s changed while it was being copied", path);
		goto fail;
	}
	/* the commit point: the signed file under its real name */
	have_a = 0;
	if ((rc = cs_atomic_commit(&a, e)) != CS_OK || (rc = tx_commit(l, e)) != CS_OK) {
		undo_file(dest);
		goto fail;
	}
	/* the reservation is spent; a kill before this unlink is tidied on open */
	path_of(draft, l, CS_LEDGER_DRAFTS, seq, digest, "cose");
	unlink(draft);
	return CS_OK;
fail:
	if (have_a)
		cs_atomic_abort(&a);
	cs_ledger_rollback(l);
	/* the message names the file given; say where the failure was */
	if (e != NULL && strcmp(e->reason, "io") == 0)
		cs_err_prefix(e, "entering it into the ledger %s", l->dir);
	return rc;
}

int
cs_ledger_open(cs_ledger **out, const char *dir, cs_err *e)
{
	int rc = ledger_open(out, dir, e);

	/* what failed inside the ledger is the ledger, unless a file of it was named */
	if (rc != CS_OK)
		cs_err_subject(e, "%s", dir);
	return rc;
}

int
cs_ledger_init(const char *dir, const uint8_t *p, size_t n, cs_err *e)
{
	int rc = ledger_init(dir, p, n, e);

	/* what failed inside the ledger is the ledger, unless a file of it was named */
	if (rc != CS_OK)
		cs_err_subject(e, "%s", dir);
	return rc;
}

int
cs_ledger_rebuild(const char *dir, cs_ledger_diff *d, cs_err *e)
{
	int rc = ledger_rebuild(dir, d, e);

	/* what failed inside the ledger is the ledger, unless a file of it was named */
	if (rc != CS_OK)
		cs_err_subject(e, "%s", dir);
	return rc;
}
