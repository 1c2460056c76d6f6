/* consign station collect / seal: the factory side. collect provisions
 * devices on serial ports into a crash-safe journal; seal turns the journal
 * into the signed batch zip. */
#include "cmd.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "device/wire.h"
#include "station/collect.h"
#include "station/seal.h"
#include "util/file.h"
#include "util/text.h"

static const char usage[] =
    "usage: consign station collect --order O --port TTY [--port TTY ...] --journal DIR\n"
    "                               [--policy P ...] [--baud N] [--timeout MS]\n"
    "                               [--retries N] [--wait-confirm SECONDS] [--quiet]\n"
    "       consign station seal --key S.key [--passphrase-file F] --order O\n"
    "                            --journal DIR -o batch.zip [--quiet] [--force]\n"
    "       consign station seal --key pkcs11:URI [--module PATH] [--pin-file F]\n"
    "                            --order O --journal DIR -o batch.zip [--quiet] [--force]\n"
    "\n"
    "collect provisions the devices on each serial port (raw mode, --baud, default\n"
    "115200) with order O: each device checks the order and makes its own key; its\n"
    "record is checked here and written to the journal in DIR with fsync before the\n"
    "device is told it is done. Killed and restarted with the same arguments, it\n"
    "resumes. It stops when the order's quantity is journaled and confirmed (exit 0;\n"
    "records journaled before a crash whose devices do not come back to confirm\n"
    "within --wait-confirm, default 10 s, are reported and kept); interrupted before\n"
    "the quantity it exits 1. --policy gives the order's policy (its\n"
    "signatures are then checked here first) and the policies a device with an\n"
    "older anchor needs to follow the rotation. Refused devices are reported one\n"
    "line each and the line carries on.\n"
    "\n"
    "seal signs a batch header with the station key (one the order allows) and\n"
    "writes the batch zip atomically: header.cose, order.cose, records.cborseq. It\n"
    "reads the zip back and checks it before it reports success.\n";

/* ---- collect ----------------------------------------------------------------- */

struct copts {
	const char *order, *journal, *baud, *timeout, *retries, *wait;
	const char *port[CS_COLLECT_PORTS_MAX];
	size_t nport;
	const char *policy[CS_COLLECT_POLICIES_MAX];
	size_t npolicy;
	int quiet;
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct view {
	int progress;      /* a status line on the terminal */
	int log;           /* a line per device on stdout */
	int shown;         /* the status line is on screen */
	const char *batch;
	struct timespec start, last;
};

static double
since(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

static void
clear_line(struct view *v)
{
	if (v->shown) {
		fputs("\r\033[K", stderr);
		v->shown = 0;
	}
}

static void
draw(struct view *v, const cs_collect_stats *st)
{
	double t = since(&v->start);

	fprintf(stderr, "\r\033[K%s: %llu of %llu done, %.1f/s, %llu refused, %zu port%s up", v->batch,
	    (unsigned long long)st->journaled, (unsigned long long)st->quantity,
	    t > 0 ? (double)st->added / t : 0.0, (unsigned long long)st->refused, st->ports_up,
	    st->ports_up == 1 ? "" : "s");
	if (st->journaled >= st->quantity && st->unconfirmed > 0)
		fprintf(stderr, ", waiting for %llu device%s to confirm",
		    (unsigned long long)st->unconfirmed, st->unconfirmed == 1 ? "" : "s");
	v->shown = 1;
	clock_gettime(CLOCK_MONOTONIC, &v->last);
}

static void
tick(void *ctx, const cs_collect_stats *st)
{
	struct view *v = ctx;

	if (v->progress && since(&v->last) >= 0.1)
		draw(v, st);
}

static void
event(void *ctx, const cs_collect_event *ev, const cs_collect_stats *st)
{
	struct view *v = ctx;
	char port[256], ser[32] = "";

	if (ev->port != NULL)
		cs_escapez(port, sizeof port, ev->port);
	if (ev->has_serial)
		snprintf(ser, sizeof ser, "serial %llu ", (unsigned long long)ev->serial);
	clear_line(v);
	switch (ev->kind) {
	case CS_EV_JOURNAL:
		if (st->torn > 0)
			cmd_warn("journal: discarded a torn last write of %llu bytes (never acknowledged)",
			    (unsigned long long)st->torn);
		if (v->log && st->journaled > 0)
			printf("%s: resuming with %llu of %llu journaled\n", v->batch,
			    (unsigned long long)st->journaled, (unsigned long long)st->quantity);
		break;
	case CS_EV_DONE:
		if (v->log)
			printf("%s: %sdone (%llu of %llu)\n", port, ser, (unsigned long long)st->journaled,
			    (unsigned long long)st->quantity);
		break;
	case CS_EV_CONFIRMED:
		if (v->log)
			printf("%s: %sconfirmed (journaled earlier)\n", port, ser);
		break;
	case CS_EV_UNCONFIRMED:
		cmd_warn("%s: %snot confirmed by the device: %s (%s); its record stays journaled", port,
		    ser, ev->err->msg, ev->err->reason);
		break;
	case CS_EV_REFUSED:
		fprintf(stderr, "%s: %s: %srefused: %s (%s)\n", cmd_name, port, ser, ev->err->msg,
		    ev->err->reason);
		break;
	case CS_EV_PORT_LOST:
		fprintf(stderr, "%s: %s: %s (%s); trying again\n", cmd_name, port, ev->err->msg,
		    ev->err->reason);
		break;
	case CS_EV_PORT_BACK:
		if (v->log)
			printf("%s: port open\n", port);
		break;
	case CS_EV_PORT_WARNING: cmd_warn("%s: %s", port, ev->err->msg); break;
	}
	if (v->log)
		fflush(stdout);
	if (v->progress)
		draw(v, st);
}

/* A --policy file, loaded. */
struct lpol {
	const char *path;
	uint8_t *buf;
	size_t len;
	cs_signed s;
	cs_policy p;
};

static int
cmp_version(const void *a, const void *b)
{
	const struct lpol *x = a, *y = b;

	return x->p.version < y->p.version ? -1 : x->p.version > y->p.version;
}

/* Loads the policies, checks their chain and the order under its own policy. */
static int
load_policies(const struct copts *o, struct lpol *lp, const cs_signed *os, const cs_order *ord,
    cs_collect_policy *cp, uint64_t *order_version, const struct lpol **order_policy)
{
	cs_quorum q1, q2;
	cs_err e;
	size_t i;
	int rc, found = -1;

	for (i = 0; i < o->npolicy; i++) {
		lp[i].path = o->policy[i];
		if ((rc = cmd_load_policy(lp[i].path, &lp[i].buf, &lp[i].len, &lp[i].s, &lp[i].p)) !=
		    CS_OK)
			return rc;
	}
	/* the decoded envelopes point into their own buffers: sorting moves both */
	qsort(lp, o->npolicy, sizeof *lp, cmp_version);
	for (i = 0; i < o->npolicy; i++) {
		cs_err_clear(&e);
		if (i > 0 && lp[i].p.version == lp[i - 1].p.version)
			return cmd_usage(usage, "two --policy files with version %llu",
			    (unsigned long long)lp[i].p.version);
		if (i > 0 && lp[i].p.version != lp[i - 1].p.version + 1)
			return cmd_usage(usage, "the --policy files skip from version %llu to %llu",
			    (unsigned long long)lp[i - 1].p.version, (unsigned long long)lp[i].p.version);
		if (i == 0)
			rc = cs_policy_verify_self(&lp[0].s, &lp[0].p, &q1, &e);
		else
			rc = cs_policy_verify_rotation(&lp[i - 1].s, &lp[i - 1].p, &lp[i].s, &lp[i].p,
			    &q1, &q2, &e);
		if (rc != CS_OK)
			return cmd_report(lp[i].path, &e);
		if (memcmp(lp[i].s.digest, ord->policy, CS_DIGEST_LEN) == 0)
			found = (int)i;
		cp[i] = (cs_collect_policy){lp[i].buf, lp[i].len, lp[i].p.version, {0}};
		memcpy(cp[i].digest, lp[i].s.digest, CS_DIGEST_LEN);
	}
	if (found < 0)
		return cmd_usage(usage, "none of the --policy files is the policy the order was made "
					"under");
	cs_err_clear(&e);
	if ((rc = cs_order_verify(os, ord, &lp[found].p, lp[found].s.digest, &q1, &e)) != CS_OK)
		return cmd_report(o->order, &e);
	*order_version = lp[found].p.version;
	*order_policy = &lp[found];
	return CS_OK;
}

static int
collect(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("order", 'O', struct copts, order),
	    CMD_LIST("port", 'p', struct copts, port, nport, CS_COLLECT_PORTS_MAX, "ports"),
	    CMD_ARG("journal", 'j', struct copts, journal),
	    CMD_LIST("policy", 'P', struct copts, policy, npolicy, CS_COLLECT_POLICIES_MAX,
		"policies"), CMD_ARG("baud", 'b', struct copts, baud),
	    CMD_ARG("timeout", 't', struct copts, timeout),
	    CMD_ARG("retries", 'r', struct copts, retries),
	    CMD_ARG("wait-confirm", 'w', struct copts, wait),
	    CMD_FLAG("quiet", 'q', struct copts, quiet), CMD_OPT_END};
	static cs_collect_policy cp[CS_COLLECT_POLICIES_MAX];
	static struct lpol lp[CS_COLLECT_POLICIES_MAX];
	static cs_appraiser appr;
	const struct lpol *opol = NULL;
	struct copts o = {0};
	struct view v = {0};
	struct sigaction sa;
	cs_collect c;
	cs_collect_stats st;
	cs_signed os;
	cs_order ord;
	uint8_t *obuf = NULL;
	size_t on = 0, i;
	uint64_t n;
	double t;
	cs_err e;
	int rc;

	if ((rc = cmd_getopt_only(argc, argv, opts, usage, NULL, &o)) >= 0)
		return rc;
	if (o.order == NULL || o.nport == 0 || o.journal == NULL)
		return cmd_usage(usage, "--order, --port and --journal are required");
	memset(&c, 0, sizeof c);
	c.baud = CS_COLLECT_BAUD_DEFAULT;
	c.timeout_ms = CS_WIRE_REPLY_MS;
	c.retries = CS_WIRE_RETRIES;
	c.confirm_wait_ms = CS_COLLECT_CONFIRM_WAIT_MS;
	if (o.baud != NULL && (cmd_parse_u64(o.baud, &n) != 0 || n > UINT32_MAX ||
				  !cs_collect_baud_ok((unsigned)n)))
		return cmd_usage(usage, "--baud %s is not a rate the station can set", o.baud);
	if (o.baud != NULL)
		c.baud = (unsigned)n;
	if (o.timeout != NULL) {
		if (cmd_parse_u64(o.timeout, &n) != 0 || n < 10 || n > 600000)
			return cmd_usage(usage, "--timeout must be 10-600000 milliseconds");
		c.timeout_ms = (unsigned)n;
	}
	if (o.retries != NULL) {
		if (cmd_parse_u64(o.retries, &n) != 0 || n > 100)
			return cmd_usage(usage, "--retries must be 0-100");
		c.retries = (unsigned)n;
	}
	if (o.wait != NULL) {
		if (cmd_parse_u64(o.wait, &n) != 0 || n > 86400)
			return cmd_usage(usage, "--wait-confirm must be 0-86400 seconds");
		c.confirm_wait_ms = (unsigned)n * 1000;
	}
	for (i = 0; i < o.nport; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(o.port[i], o.port[k]) == 0)
				return cmd_usage(usage, "port %s given twice", o.port[i]);
	if ((rc = cmd_load_order(o.order, &obuf, &on, &os, &ord)) != CS_OK)
		return rc;
	if (o.npolicy > 0 && (rc = load_policies(&o, lp, &os, &ord, cp, &c.order_policy_version,
				  &opol)) != CS_OK)
		goto done;
	if (ord.evidence != 0) {
		/* the evidence is judged against the roots the order's policy pins */
		if (opol == NULL) {
			rc = cmd_usage(usage, "the order requires %s evidence: give the policy it "
					      "was made under with --policy", cs_evidence_name(ord.evidence));
			goto done;
		}
		cs_err_clear(&e);
		if ((rc = cs_appraiser_init(&appr, &opol->p, &ord, os.digest, &e)) != CS_OK) {
			cmd_report(opol->path, &e);
			goto done;
		}
		c.appraiser = &appr;
	}
	if (o.npolicy == 0 && !o.quiet)
		cmd_warn("no --policy: the order's custodian signatures are checked by each device only");
	c.order = &ord;
	c.order_env = obuf;
	c.order_len = on;
	memcpy(c.order_digest, os.digest, CS_DIGEST_LEN);
	c.pol = cp;
	c.npol = o.npolicy;
	c.ports = o.port;
	c.nports = o.nport;
	c.journal_dir = o.journal;
	c.event = event;
	c.tick = tick;
	c.ctx = &v;
	c.stop = &stop_flag;
	v.progress = !o.quiet && isatty(STDERR_FILENO);
	v.log = !o.quiet && !v.progress;
	v.batch = ord.batch;
	clock_gettime(CLOCK_MONOTONIC, &v.start);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	cs_err_clear(&e);
	rc = cs_collect_run(&c, &st, &e);
	clear_line(&v);
	if (rc != CS_OK) {
		cmd_report(o.journal, &e);
		goto done;
	}
	t = since(&v.start);
	if (!o.quiet)
		printf("%s: %llu of %llu journaled (%llu by this run, %.1f devices/s), %llu refused%s\n",
		    ord.batch, (unsigned long long)st.journaled, (unsigned long long)st.quantity,
		    (unsigned long long)st.added, t > 0 ? (double)st.added / t : 0.0,
		    (unsigned long long)st.refused,
		    st.journaled < st.quantity ? "; stopped before the quantity, run again to resume"
					       : "");
	if (st.journaled >= st.quantity && st.unconfirmed > 0)
		cmd_warn("%llu record%s journaled by an earlier run never confirmed by the device "
			 "(it may have been told and left); kept in the journal",
		    (unsigned long long)st.unconfirmed, st.unconfirmed == 1 ? "" : "s");
	rc = st.journaled >= st.quantity ? CS_OK : CS_REJECT;
done:
	cs_appraiser_free(&appr);
	for (i = 0; i < o.npolicy; i++)
		cs_file_free(lp[i].buf, lp[i].len);
	cs_file_free(obuf, on);
	return rc;
}

/* ---- seal -------------------------------------------------------------------- */

struct sopts {
	struct cmd_keyarg ka;   /* --key, --passphrase-file, --module, --pin-file, --quiet */
	const char *order, *journal, *out;
};

static int
seal(int argc, char **argv)
{
	static const struct cmd_opt opts[] = {CMD_ARG("key", 'k', struct sopts, ka.key),
	    CMD_ARG("passphrase-file", 'f', struct sopts, ka.passfile),
	    CMD_ARG("order", 'O', struct sopts, order),
	    CMD_ARG("journal", 'j', struct sopts, journal),
	    CMD_ARG("output", 'o', struct sopts, out),
	    CMD_FLAG("quiet", 'q', struct sopts, ka.quiet), CMD_KEY_OPTS(struct sopts, ka),
	    CMD_FORCE_OPT, CMD_OPT_END};
	struct sopts o = {0};
	cs_seal_result res;
	cs_seal_args sa;
	cs_seal *sl = NULL;
	cmd_key k;
	cs_signed os;
	cs_order ord;
	uint8_t *obuf = NULL;
	size_t on = 0;
	char fr[CMD_FP_LEN], fh[CMD_FP_LEN];
	cs_err e;
	int rc;

	memset(&k, 0, sizeof k);
	if ((rc = cmd_getopt_only(argc, argv, opts, usage, NULL, &o)) >= 0)
		return rc;
	if (!o.ka.key || !o.order || !o.journal || !o.out)
		return cmd_usage(usage, "--key, --order, --journal and -o are required");
	if ((rc = cmd_load_order(o.order, &obuf, &on, &os, &ord)) != CS_OK)
		return rc;
	if ((rc = cmd_key_open(&k, &o.ka)) != CS_OK)
		goto done;
	/* the key, the journal and the order first: a passphrase is asked for
	 * only when there is something to seal */
	sa = (cs_seal_args){o.journal, &ord, os.digest, obuf, on, o.out, time(NULL)};
	cs_err_clear(&e);
	if ((rc = cs_seal_open(&sl, &sa, k.pub.pk, &e)) != CS_OK) {
		cmd_report(o.ka.key, &e);
		goto done;
	}
	if ((rc = cmd_key_unlock(&k)) != CS_OK)
		goto done;
	if ((rc = cs_seal_finish(sl, &k.signer, &res, &e)) != CS_OK) {
		cmd_report(o.out, &e);
		goto done;
	}
	if (res.torn > 0)
		cmd_warn("journal: discarded a torn last write of %llu bytes (never acknowledged)",
		    (unsigned long long)res.torn);
	if (res.unconfirmed > 0)
		cmd_warn("%llu record%s journaled but never confirmed by the device (sealed anyway: "
			 "each device holds its key)",
		    (unsigned long long)res.unconfirmed, res.unconfirmed == 1 ? "" : "s");
	if (res.count < ord.quantity)
		cmd_warn("a partial batch: %llu of the %llu ordered devices",
		    (unsigned long long)res.count, (unsigned long long)ord.quantity);
	cmd_fingerprint(fr, res.records);
	cmd_fingerprint(fh, res.header);
	if (!o.ka.quiet)
		printf("%s: sealed batch %s, %llu records, records digest %s, header digest %s; "
		       "read back and checked\n",
		    o.out, ord.batch, (unsigned long long)res.count, fr, fh);
done:
	cs_seal_close(sl);
	cmd_key_close(&k);
	cs_file_free(obuf, on);
	return rc;
}

int
cmd_station(int argc, char **argv)
{
	static const struct cmd_sub subs[] = {{"collect", collect}, {"seal", seal}, {NULL, NULL}};

	return cmd_subcommand(argc, argv, subs, usage,
	    "station: expected a subcommand (collect, seal)");
}
