/* consign-devsim: one or a sequence of simulated devices on one line. Each
 * device is the real agent (lib/device) with a file as its secure storage,
 * and may have a simulated secure element or attesting firmware (attest.c);
 * when the station confirms or refuses it, the next device is "plugged in". */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "util/file.h"
#include "util/text.h"
#include "verify/trust.h"

#define POLL_MS 20

static const char usage[] =
    "usage: consign-devsim --policy P [--pty LINK | --port TTY] --storage DIR\n"
    "                      [--serial N] [--count N] [--hwid HEX] [--firmware V]\n"
    "                      [--log FILE] [--linger MS] [--faulty I] [FAULT...]\n"
    "                      [--se-key FILE --se-chain FILE]\n"
    "                      [--iak-key FILE --iak-chain FILE --components FILE]\n"
    "\n"
    "Simulates devices on one line: the device agent with its trust anchor taken\n"
    "from policy P, secure storage in DIR/SERIAL.store. --pty makes a pseudo-terminal\n"
    "and points LINK at its slave side (give LINK to consign station collect --port);\n"
    "--port uses an existing terminal; default stdin/stdout. Devices SERIAL,\n"
    "SERIAL+1, ... (--count, default 1; hardware id \"devsim-SERIAL\" unless --hwid\n"
    "gives one for all) follow each other when the station confirms\n"
    "or refuses one; after the last, the line stays open --linger MS (default 1000).\n"
    "A secure element (--se-key: its P-256 key, a 32-byte scalar file; --se-chain:\n"
    "its certificate chain, a CBOR array of DER certificates, leaf first) makes the\n"
    "device key when the order requires secure-element evidence. An attesting\n"
    "firmware (--iak-key, --iak-chain: its attestation key and that key's chain;\n"
    "--components: what it measures, 'TYPE MEASUREMENT SIGNER' lines, the format\n"
    "of an order's firmware reference file) makes a PSA token for each record\n"
    "when the order requires firmware evidence. In each of these paths {serial}\n"
    "stands for the device's serial. These are simulations: a real element never\n"
    "lets its key out, and the certificates must come from a maker.\n"
    "--log appends 'done SERIAL DIGEST', 'refused SERIAL REASON' or\n"
    "'device-refused SERIAL REASON' lines. The faults apply to every device, or with\n"
    "--faulty I only to the I-th (from 1):\n"
    "  --debug-unlocked    report debug access open     --rng-stuck   constant randomness\n"
    "  --wrong-nonce       record with another nonce    --record-serial N\n"
    "  --forge-signature   record with a broken signature\n"
    "  --dup-key-of FILE   record signed with the key in another device's storage file\n"
    "  --replay            answer with the previous device's record\n"
    "  --corrupt N         flip a byte in the first N replies  --drop N  drop a byte\n"
    "  --noise N           N random bytes before every reply   --stall MS (provision)\n"
    "  --stall-done MS     wait before confirming \"done\"\n"
    "  --die-mid-reply     exit halfway through the record     --wrong-session\n"
    "  --token-replay FILE the attesting firmware sends this token whatever the nonce\n"
    "  --token-wrong-nonce a token for another nonce   --token-other-firmware\n"
    "  --token-debug       a token with a debug lifecycle, not secured\n";

struct faults F;
struct sim_attest A;
static struct device cur;
static int in_fd = 0, out_fd = 1, log_fd = -1;
static char *link_path;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "consign-devsim: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(3);
}

/* ---- HAL: files and the host's random source ---------------------------- */

static int
hal_random(void *ctx, uint8_t *out, size_t n)
{
	struct device *d = ctx;

	if (d->faulty && F.rng_stuck)
		memset(out, 0x42, n);
	else
		randombytes_buf(out, n);
	return 0;
}

static int
hal_read(void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
	struct device *d = ctx;
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd;

	*len = 0;
	if ((fd = open(d->store, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > cap) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return 0;
}

static int
hal_write(void *ctx, const uint8_t *buf, size_t len)
{
	struct device *d = ctx;
	cs_err e;

	cs_err_clear(&e);
	/* temporary file, fsync, rename, fsync of the directory: a power cut
	 * leaves the old blob or the new one */
	return cs_write_atomic(d->store, buf, len, 0600, 0, &e) == CS_OK ? 0 : -1;
}

static int
hal_hwid(void *ctx, uint8_t out[CS_HWID_MAX], size_t *len)
{
	struct device *d = ctx;

	memcpy(out, d->hwid, d->hwid_len);
	*len = d->hwid_len;
	return 0;
}

static int
hal_serial(void *ctx, uint64_t *serial)
{
	*serial = ((struct device *)ctx)->serial;
	return 0;
}

static int
hal_security(void *ctx, cs_dev_security *st)
{
	struct device *d = ctx;

	st->debug_locked = !(d->faulty && F.debug_unlocked);
	st->secure_boot = 1;
	return 0;
}

/* ---- the line ------------------------------------------------------------ */

static void
write_all(const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(out_fd, p, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
			struct pollfd pf = {out_fd, POLLOUT, 0};

			poll(&pf, 1, 100);
			continue;
		}
		if (w <= 0)
			die("write to the line failed: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void
log_line(const char *what, const char *detail)
{
	char line[256];
	int n;

	if (log_fd < 0)
		return;
	n = snprintf(line, sizeof line, "%s %llu %s\n", what, (unsigned long long)cur.serial, detail);
	if (n > 0 && write(log_fd, line, (size_t)n) != n)
		die("cannot write the log: %s", strerror(errno));
}

static void
raw_mode(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &t);
	}
}

/* A pseudo-terminal whose slave side LINK points at, for the station. The
 * slave is not kept open here: when a station dies the line closes for good
 * (as a USB serial port would), so its exclusive-open flag goes with it and
 * a restarted station can open it again. Until then reads say EIO. */
static void
make_pty(const char *link)
{
	char tmp[4096];
	const char *name;
	int m, s;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || grantpt(m) != 0 ||
	    unlockpt(m) != 0 || (name = ptsname(m)) == NULL)
		die("cannot make a pseudo-terminal: %s", strerror(errno));
	if ((s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		die("cannot open the pseudo-terminal: %s", strerror(errno));
	raw_mode(s);
	close(s);
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", link, (long)getpid());
	unlink(tmp);
	if (symlink(name, tmp) != 0 || rename(tmp, link) != 0)
		die("cannot link %s to the pseudo-terminal", link);
	link_path = strdup(link);
	in_fd = out_fd = m;
}

/* Sends one reply, misbehaving as told. */
static void
send_reply(const uint8_t *payload, size_t n, int is_record)
{
	static uint8_t frame[CS_WIRE_FRAME_MAX];
	uint8_t noise[256];
	size_t len, k;

	if ((len = cs_wire_frame(frame, sizeof frame, payload, n)) == 0)
		die("%s", "reply does not fit a frame");
	if (cur.faulty) {
		for (k = (size_t)F.noise; k > 0;) {
			size_t c = k < sizeof noise ? k : sizeof noise;

			randombytes_buf(noise, c);
			write_all(noise, c);
			k -= c;
		}
		if (F.corrupt > 0) {
			F.corrupt--;
			frame[CS_WIRE_HEAD_LEN + randombytes_uniform((uint32_t)n)] ^= 0x20;
		}
		if (F.drop > 0) {
			F.drop--;
			k = CS_WIRE_HEAD_LEN + randombytes_uniform((uint32_t)n);
			memmove(frame + k, frame + k + 1, len - k - 1);
			len--;
		}
		if (is_record && F.die_mid_reply) {
			write_all(frame, len / 2);
			_exit(3);
		}
	}
	write_all(frame, len);
}

/* The record reply, rewritten when this device misbehaves. */
static void
record_reply(const uint8_t *payload, size_t n, const uint8_t *prev, size_t prev_len)
{
	static uint8_t rec[CS_RECORD_MAX], buf[CS_DEV_REPLY_MAX + CS_RECORD_MAX];
	uint8_t seed[CS_DEV_SEED_LEN];
	cs_wire_msg m;
	cs_buf b;
	cs_err e;
	size_t rlen = 0;

	cs_err_clear(&e);
	if (!cur.faulty || cs_wire_msg_decode(&m, payload, n, &e) != CS_OK) {
		send_reply(payload, n, 1);
		return;
	}
	if (F.wrong_nonce || F.record_serial || F.forge_signature || F.dup_key_of) {
		if (rogue_seed(F.dup_key_of ? F.dup_key_of : cur.store, seed) != 0)
			die("cannot read a seed from %s", F.dup_key_of ? F.dup_key_of : cur.store);
		if (rogue_record(m.record, m.record_len, &F, seed, rec, sizeof rec, &rlen) != 0)
			die("%s", "cannot forge a record");
		sodium_memzero(seed, sizeof seed);
		m.record = rec;
		m.record_len = rlen;
	}
	if (F.replay && prev_len > 0) {
		m.record = prev;
		m.record_len = prev_len;
	}
	if (F.wrong_session)
		m.session[0] ^= 0xff;
	cs_buf_fixed(&b, buf, sizeof buf);
	if (cs_wire_msg_encode(&b, &m) != CS_OK)
		die("%s", "cannot encode the record reply");
	send_reply(b.p, b.len, 1);
}

/* Handles every complete frame buffered; 1 when this device is finished
 * (confirmed or refused by the station) and the next one takes the line. */
static int
handle_frames(cs_wire_rx *rx, cs_dev *dev, uint8_t *prev, size_t *prev_len)
{
	const uint8_t *payload, *reply;
	char hex[2 * CS_DIGEST_LEN + 1];
	size_t plen, rlen;
	cs_wire_msg peek;
	cs_err e;

	while (cs_wire_rx_next(rx, &payload, &plen, now_ms())) {
		cs_err_clear(&e);
		if (cs_wire_msg_decode(&peek, payload, plen, &e) != CS_OK)
			peek.type = 0;
		if (peek.type == CS_WIRE_PROVISION && cur.faulty && F.stall_ms > 0)
			usleep((useconds_t)F.stall_ms * 1000);
		if (peek.type == CS_WIRE_DONE && cur.faulty && F.stall_done_ms > 0)
			usleep((useconds_t)F.stall_done_ms * 1000);
		if (cs_dev_handle(dev, payload, plen, &reply, &rlen) != CS_OK)
			die("%s", "the agent cannot encode a reply");
		if (dev->event == CS_DEV_PROVISIONED)
			record_reply(reply, rlen, prev, *prev_len);
		else if (rlen > 0)
			send_reply(reply, rlen, 0);
		if (dev->event == CS_DEV_REFUSED && peek.type == CS_WIRE_PROVISION)
			log_line("device-refused", dev->last_err.reason);
		if (dev->event == CS_DEV_FINISHED) {
			cs_hex(hex, peek.digest, CS_DIGEST_LEN);
			log_line("done", hex);
			memcpy(prev, dev->record, dev->record_len);
			*prev_len = dev->record_len;
			return 1;
		}
		if (dev->event == CS_DEV_STATION_ERROR) {
			log_line("refused", dev->last_err.reason);
			return 1;
		}
	}
	return 0;
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* optarg as a number from min to max, or the end with msg (its %s: optarg) */
static uint64_t
num_arg(const char *msg, uint64_t min, uint64_t max)
{
	uint64_t v = 0;

	if (parse_u64(optarg, &v) != 0 || v < min || v > max)
		die(msg, optarg);
	return v;
}

static void
on_term(int sig)
{
	if (link_path != NULL)
		unlink(link_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

int
main(int argc, char **argv)
{
	enum { O_POLICY = 256, O_PTY, O_PORT, O_STORAGE, O_SERIAL, O_COUNT, O_HWID, O_FW, O_LOG,
		O_FAULTY, O_LINGER, F_DEBUG, F_RNG, F_NONCE, F_RSERIAL, F_FORGE, F_DUP, F_REPLAY, F_CORRUPT,
		F_DROP, F_NOISE, F_STALL, F_STALL_DONE, F_DIE, F_SESSION, O_SE_KEY, O_SE_CHAIN, O_IAK_KEY,
		O_IAK_CHAIN, O_COMPONENTS, F_TOKEN_REPLAY, F_TOKEN_NONCE, F_TOKEN_FW, F_TOKEN_DEBUG };
	static const struct option lo[] = {{"policy", 1, NULL, O_POLICY}, {"pty", 1, NULL, O_PTY},
	    {"port", 1, NULL, O_PORT}, {"storage", 1, NULL, O_STORAGE},
	    {"serial", 1, NULL, O_SERIAL}, {"count", 1, NULL, O_COUNT}, {"hwid", 1, NULL, O_HWID},
	    {"firmware", 1, NULL, O_FW}, {"log", 1, NULL, O_LOG}, {"faulty", 1, NULL, O_FAULTY},
	    {"linger", 1, NULL, O_LINGER},
	    {"debug-unlocked", 0, NULL, F_DEBUG}, {"rng-stuck", 0, NULL, F_RNG},
	    {"wrong-nonce", 0, NULL, F_NONCE}, {"record-serial", 1, NULL, F_RSERIAL},
	    {"forge-signature", 0, NULL, F_FORGE}, {"dup-key-of", 1, NULL, F_DUP},
	    {"replay", 0, NULL, F_REPLAY}, {"corrupt", 1, NULL, F_CORRUPT},
	    {"drop", 1, NULL, F_DROP}, {"noise", 1, NULL, F_NOISE}, {"stall", 1, NULL, F_STALL},
	    {"stall-done", 1, NULL, F_STALL_DONE},
	    {"die-mid-reply", 0, NULL, F_DIE}, {"wrong-session", 0, NULL, F_SESSION},
	    {"se-key", 1, NULL, O_SE_KEY}, {"se-chain", 1, NULL, O_SE_CHAIN},
	    {"iak-key", 1, NULL, O_IAK_KEY}, {"iak-chain", 1, NULL, O_IAK_CHAIN},
	    {"components", 1, NULL, O_COMPONENTS}, {"token-replay", 1, NULL, F_TOKEN_REPLAY},
	    {"token-wrong-nonce", 0, NULL, F_TOKEN_NONCE},
	    {"token-other-firmware", 0, NULL, F_TOKEN_FW}, {"token-debug", 0, NULL, F_TOKEN_DEBUG},
	    {"help", 0, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *policy = NULL, *pty = NULL, *port = NULL, *storage = NULL, *hwid_hex = NULL;
	const char *firmware = "devsim-1.0", *logp = NULL, *components = NULL;
	uint64_t serial = 1000, count = 1, faulty = 0, linger = 1000, v, i;
	static uint8_t prev[CS_RECORD_MAX];
	size_t prev_len = 0;
	long corrupt0, drop0;
	static cs_wire_rx rx;
	static cs_dev dev;
	static cs_dev_anchor anchor;
	static cs_dev_ports ports;
	cs_dev_hal hal = {&cur, hal_random, hal_read, hal_write, hal_hwid, hal_serial, hal_security,
	    NULL};
	cs_signed ps;
	cs_policy p;
	cs_err e;
	uint8_t *pbuf, buf[4096];
	char why[512];
	size_t pn;
	int c;

	if (cs_crypto_init() != 0)
		die("%s", "cannot initialise libsodium");
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_POLICY: policy = optarg; break;
		case O_PTY: pty = optarg; break;
		case O_PORT: port = optarg; break;
		case O_STORAGE: storage = optarg; break;
		case O_SERIAL: serial = num_arg("--serial %s is not a number", 0, UINT64_MAX); break;
		case O_COUNT: count = num_arg("--count %s is not a positive number", 1, UINT64_MAX); break;
		case O_HWID: hwid_hex = optarg; break;
		case O_FW: firmware = optarg; break;
		case O_LOG: logp = optarg; break;
		case O_LINGER:
			linger = num_arg("--linger %s is not a number of milliseconds", 0, 3600000);
			break;
		case O_FAULTY:
			faulty = num_arg("--faulty %s is not a device number from 1", 1, UINT64_MAX);
			break;
		case F_DEBUG: F.debug_unlocked = 1; break;
		case F_RNG: F.rng_stuck = 1; break;
		case F_NONCE: F.wrong_nonce = 1; break;
		case F_RSERIAL:
			F.record_serial_value = num_arg("--record-serial %s is not a number", 0, UINT64_MAX);
			F.record_serial = 1;
			break;
		case F_FORGE: F.forge_signature = 1; break;
		case F_DUP: F.dup_key_of = optarg; break;
		case F_REPLAY: F.replay = 1; break;
		case F_CORRUPT:
		case F_DROP:
		case F_NOISE:
		case F_STALL:
		case F_STALL_DONE:
			v = num_arg("%s is not a number up to 1000000", 0, 1000000);
			*(c == F_CORRUPT ? &F.corrupt : c == F_DROP ? &F.drop : c == F_NOISE ? &F.noise :
			  c == F_STALL	 ? &F.stall_ms : &F.stall_done_ms) = (long)v;
			break;
		case F_DIE: F.die_mid_reply = 1; break;
		case F_SESSION: F.wrong_session = 1; break;
		case O_SE_KEY: A.se_key = optarg; break;
		case O_SE_CHAIN: A.se_chain = optarg; break;
		case O_IAK_KEY: A.iak_key = optarg; break;
		case O_IAK_CHAIN: A.iak_chain = optarg; break;
		case O_COMPONENTS: components = optarg; break;
		case F_TOKEN_REPLAY: F.token_replay = optarg; break;
		case F_TOKEN_NONCE: F.token_wrong_nonce = 1; break;
		case F_TOKEN_FW: F.token_other_firmware = 1; break;
		case F_TOKEN_DEBUG: F.token_debug = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (storage == NULL) {
		/* each simulated device keeps its secret key there: never the
		 * current directory by surprise */
		fputs("consign-devsim: --storage DIR is required (each simulated device's key is "
		      "kept there) (usage)\nTry 'consign-devsim --help'.\n", stderr);
		return 2;
	}
	if (optind != argc || policy == NULL || (pty && port)) {
		fputs(usage, stderr);
		return 2;
	}
	if ((A.se_key == NULL) != (A.se_chain == NULL) ||
	    (A.iak_key == NULL) != (A.iak_chain == NULL) ||
	    (A.iak_key == NULL) != (components == NULL)) {
		fputs("consign-devsim: a secure element takes --se-key and --se-chain, an attesting "
		      "firmware --iak-key, --iak-chain and --components (usage)\n"
		      "Try 'consign-devsim --help'.\n",
		    stderr);
		return 2;
	}
	if (components != NULL && sim_components(components, why, sizeof why) != 0)
		die("--components %s", why);
	sim_ports(&ports, &cur);
	if (!cs_text_valid(firmware, CS_FW_MAX))
		die("--firmware must be 1-32 printable characters: %s", firmware);
	/* the anchor, from a policy file at run time (firmware compiles it in) */
	cs_err_clear(&e);
	if (cs_read_file(policy, CS_WIRE_ENVELOPE_MAX, &pbuf, &pn, &e) != CS_OK ||
	    cs_policy_load(&ps, &p, pbuf, pn, &e) != CS_OK)
		die("cannot load the policy: %s", e.msg);
	cs_dev_anchor_from_policy(&anchor, &p, ps.digest);
	cs_file_free(pbuf, pn);
	hal.firmware = firmware;
	if (logp != NULL &&
	    (log_fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		die("cannot open the log %s", logp);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (pty != NULL)
		make_pty(pty);
	else if (port != NULL) {
		if ((in_fd = out_fd = open(port, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
			die("cannot open %s", port);
		raw_mode(in_fd);
	}
	corrupt0 = F.corrupt;
	drop0 = F.drop;
	cs_wire_rx_init(&rx, 2000);
	for (i = 0; i < count; i++) {
		memset(&cur, 0, sizeof cur);
		cur.serial = serial + i;
		cur.faulty = faulty == 0 || faulty == i + 1;
		F.corrupt = corrupt0;
		F.drop = drop0;
		if (hwid_hex != NULL) {
			cur.hwid_len = strlen(hwid_hex) / 2;
			if (cur.hwid_len == 0 || cur.hwid_len > CS_HWID_MAX ||
			    cs_unhex(cur.hwid, cur.hwid_len, hwid_hex) != 0)
				die("--hwid %s is not 1-64 bytes of hex", hwid_hex);
		} else
			cur.hwid_len = (size_t)snprintf((char *)cur.hwid, sizeof cur.hwid, "devsim-%llu",
			    (unsigned long long)cur.serial);
		snprintf(cur.store, sizeof cur.store, "%s/%llu.store", storage,
		    (unsigned long long)cur.serial);
		cs_dev_init(&dev, &hal, &anchor);
		cs_dev_set_ports(&dev, &ports);
		for (;;) {
			struct pollfd pf = {in_fd, POLLIN, 0};
			size_t off = 0;
			ssize_t r = 0;
			int finished = 0;

			if (poll(&pf, 1, POLL_MS) < 0 && errno != EINTR)
				die("poll: %s", strerror(errno));
			if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
				r = read(in_fd, buf, sizeof buf);
				if (r == 0 && pty == NULL)
					goto out; /* stdin closed */
				if (r < 0 && errno != EINTR && errno != EAGAIN && errno != EIO)
					die("read from the line failed: %s", strerror(errno));
				if (r <= 0) /* a pty with no station on it yet: wait */
					usleep(POLL_MS * 1000);
			}
			while (r > 0 && off < (size_t)r && !finished) {
				off += cs_wire_rx_feed(&rx, buf + off, (size_t)r - off, now_ms());
				finished = handle_frames(&rx, &dev, prev, &prev_len);
			}
			if (!finished)
				finished = handle_frames(&rx, &dev, prev, &prev_len);
			if (finished) {
				/* bytes read but not fed belong to the next device */
				while (off < (size_t)r) {
					size_t k = cs_wire_rx_feed(&rx, buf + off, (size_t)r - off,
					    now_ms());

					if (k == 0)
						break; /* full of frames for this device: drop */
					off += k;
				}
				break;
			}
		}
	}
	/* the last device is unplugged; keep the line open a moment so the
	 * station reads its last answer before it sees the hangup */
	for (uint64_t end = now_ms() + linger; now_ms() < end;) {
		struct pollfd pf = {in_fd, POLLIN, 0};

		if (poll(&pf, 1, POLL_MS) > 0 && read(in_fd, buf, sizeof buf) <= 0 && pty == NULL)
			break;
	}
out:
	if (link_path != NULL)
		unlink(link_path);
	return 0;
}
