/* Serial ports held by one station: an flock on the device node, the UUCP
 * lock file, TIOCEXCL, raw mode.
 *
 * Why two locks: the flock is the real one. It is taken atomically, binds
 * root as much as anyone, and the kernel drops it when the process dies, so
 * it can never go stale; but only programs that flock the same node see it.
 * The lock file in /var/lock is the convention terminal programs, modem
 * managers and other serial tools look at (FHS; HDB UUCP format), and it
 * names the holder, which the flock cannot. TIOCEXCL alone keeps neither
 * root nor a process that already has the line open off it. */
#include "station/port.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/text.h"

#define PID_LINE 11 /* HDB UUCP: the PID right-aligned in ten ASCII columns, a newline */

void
cs_port_init(cs_port *p, const char *path)
{
	memset(p, 0, sizeof *p);
	p->path = path;
	p->fd = -1;
}

/* The lock file of the device node path resolves to, so that a symlink
 * (/dev/serial/by-path/...) and the node itself share one lock. FHS names it
 * LCK.. and the device's base name; below /dev/ the whole rest is used with
 * '/' as '_' (pts/3 becomes pts_3), or /dev/pts/3 and /dev/foo/3 would share
 * a lock. */
static int
lock_name(const char *path, char *out, size_t n)
{
	char *real, *name, *s;
	int k;

	if ((real = realpath(path, NULL)) == NULL)
		return -1;
	if (strncmp(real, "/dev/", 5) == 0)
		name = real + 5;
	else
		name = (s = strrchr(real, '/')) != NULL ? s + 1 : real;
	for (s = name; *s != '\0'; s++)
		if (*s == '/')
			*s = '_';
	k = *name != '\0' ? snprintf(out, n, "%s/LCK..%s", CS_PORT_LOCK_DIR, name) : -1;
	free(real);
	return k > 0 && (size_t)k < n ? 0 : -1;
}

/* The PID a lock file names; 0 when there is no such file, -1 when it names
 * none: unreadable, empty (which a writer that creates before it writes
 * leaves for a moment), or not a number. */
static long
lock_holder(const char *lf)
{
	char buf[32], *end;
	ssize_t n;
	long pid;
	int fd;

	if ((fd = open(lf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || pid <= 0 || pid > INT_MAX || (*end != '\n' && *end != '\0'))
		return -1;
	return pid;
}

static int
alive(long pid)
{
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* "process N (name)" into out; the name is the holder's own, so escaped. */
static void
describe(char *out, size_t n, long pid)
{
	char path[64], comm[64], esc[4 * sizeof comm + 8];
	ssize_t k = -1;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		k = read(fd, comm, sizeof comm - 1);
		close(fd);
	}
	if (k > 0 && comm[k - 1] == '\n')
		k--;
	if (k > 0)
		snprintf(out, n, "process %ld (%s)", pid,
		    cs_escape(esc, sizeof esc, comm, (size_t)k));
	else
		snprintf(out, n, "process %ld", pid);
}

/* port-busy: the holder named from the lock file when one names a live
 * process, else what the kernel said (how). */
static int
busy(const cs_port *p, const char *how, cs_err *e)
{
	char lf[CS_PORT_LOCK_PATH_MAX], who[128];
	long pid;

	if (lock_name(p->path, lf, sizeof lf) == 0 && (pid = lock_holder(lf)) > 0 &&
	    pid != (long)getpid() && alive(pid)) {
		describe(who, sizeof who, pid);
		return cs_fail(e, CS_USAGE, "port-busy", "in use by %s, lock file %s", who, lf);
	}
	return cs_fail(e, CS_USAGE, "port-busy", "in use by another process: %s", how);
}

/* The lock file's content, ready to be linked into place: an unnamed file
 * (O_TMPFILE) where the file system has them, so that a station killed
 * before the link leaves nothing behind, else LTMP.PID as UUCP itself does.
 * Returns its descriptor (-1 on failure, e says why); src is what link()
 * takes, and *named says src is a file to remove after. */
static int
lock_draft(char *src, size_t n, int *named, cs_err *e)
{
	const int excl = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	char line[PID_LINE + 1];
	int fd;

	snprintf(line, sizeof line, "%10ld\n", (long)getpid());
	*named = 0;
	if ((fd = open(CS_PORT_LOCK_DIR, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644)) >= 0)
		snprintf(src, n, "/proc/self/fd/%d", fd);
	else {
		snprintf(src, n, "%s/LTMP.%ld", CS_PORT_LOCK_DIR, (long)getpid());
		unlink(src);
		if ((fd = open(src, excl, 0644)) < 0) {
			cs_fail(e, CS_MALFORMED, "io", "cannot write a lock file in %s: %s",
			    CS_PORT_LOCK_DIR, strerror(errno));
			return -1;
		}
		*named = 1;
	}
	if (write(fd, line, PID_LINE) != PID_LINE) {
		cs_fail(e, CS_MALFORMED, "io", "cannot write a lock file in %s: %s",
		    CS_PORT_LOCK_DIR, strerror(errno));
		close(fd);
		if (*named)
			unlink(src);
		return -1;
	}
	return fd;
}

/* Makes lock file lf, or finds it held. Linked into place whole, so that it
 * never appears empty; a file naming a process that has ended is stale and
 * taken over. Two stations cannot both take over one stale file: the caller
 * holds the node's flock already. */
static int
lock_take(const char *lf, cs_err *e)
{
	char src[CS_PORT_LOCK_PATH_MAX], who[128];
	long pid;
	int fd, named, tries, rc = CS_OK;

	if ((fd = lock_draft(src, sizeof src, &named, e)) < 0)
		return CS_MALFORMED;
	for (tries = 0;; tries++) {
		if (linkat(AT_FDCWD, src, AT_FDCWD, lf, AT_SYMLINK_FOLLOW) == 0)
			break;
		if (errno != EEXIST || tries == 2) {
			rc = cs_fail(e, CS_MALFORMED, "io", "cannot make its lock file %s: %s", lf,
			    strerror(errno));
			break;
		}
		pid = lock_holder(lf);
		if (pid < 0) {
			rc = cs_fail(e, CS_USAGE, "port-busy",
			    "its lock file %s names no process (remove it if no program uses "
			    "the port)",
			    lf);
			break;
		}
		/* our own PID can only be left by an earlier process that had it */
		if (pid > 0 && pid != (long)getpid() && alive(pid)) {
			describe(who, sizeof who, pid);
			rc = cs_fail(e, CS_USAGE, "port-busy", "in use by %s, lock file %s", who,
			    lf);
			break;
		}
		if (unlink(lf) != 0 && errno != ENOENT) {
			rc = cs_fail(e, CS_USAGE, "port-busy",
			    "its lock file %s names process %ld, which has ended, but cannot be "
			    "removed: %s",
			    lf, pid, strerror(errno));
			break;
		}
	}
	close(fd);
	if (named)
		unlink(src);
	return rc;
}

static void
lock_drop(cs_port *p)
{
	if (p->lockfile[0] != '\0' && lock_holder(p->lockfile) == (long)getpid())
		unlink(p->lockfile);
	p->lockfile[0] = '\0';
}

/* Holds the lock file of the node the path names now: at start, and again
 * when a lost port comes back as another node (a USB adapter plugged in
 * again may get another name). Between the two, the old file kept the port
 * this station's. */
static int
lock_sync(cs_port *p, int first, cs_err *e)
{
	char lf[CS_PORT_LOCK_PATH_MAX];
	int rc;

	/* not a system that keeps the convention, or not for this user: the
	 * flock alone (nothing else here would honour the file either) */
	if (first)
		p->uucp = access(CS_PORT_LOCK_DIR, W_OK) == 0;
	if (!p->uucp)
		return CS_OK;
	if (lock_name(p->path, lf, sizeof lf) != 0)
		return cs_fail(e, CS_MALFORMED, "io", "cannot name its lock file in %s",
		    CS_PORT_LOCK_DIR);
	if (strcmp(lf, p->lockfile) == 0)
		return CS_OK;
	if ((rc = lock_take(lf, e)) != CS_OK)
		return rc;
	lock_drop(p);
	snprintf(p->lockfile, sizeof p->lockfile, "%s", lf);
	return CS_OK;
}

static const char *
kind_of(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISBLK(m))
		return "a block device";
	return "not a device";
}

static int
port_open(cs_port *p, speed_t sp, int first, cs_err *e)
{
	const int bad = first ? CS_USAGE : CS_MALFORMED;
	const char *badr = first ? "usage" : "io";
	struct termios t;
	struct stat st;
	int fd, rc;

	if (p->fd >= 0)
		return CS_OK;
	if (stat(p->path, &st) == 0 && !S_ISCHR(st.st_mode))
		return cs_fail(e, bad, badr, "not a serial port: %s", kind_of(st.st_mode));
	if ((fd = open(p->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == EBUSY)
			return busy(p, "it opened the port for exclusive use (TIOCEXCL)", e);
		if (errno == ENOENT && first)
			return cs_fail(e, bad, badr, "no such port");
		return cs_fail(e, CS_MALFORMED, "io", "cannot open: %s", strerror(errno));
	}
	if (!isatty(fd) || tcgetattr(fd, &t) != 0) {
		close(fd);
		return cs_fail(e, bad, badr, "not a serial port: a device that is not a terminal");
	}
	/* before anything touches the line: a held port's settings and the
	 * bytes waiting in it are its holder's */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK
			 ? busy(p, "it holds the port's flock", e)
			 : cs_fail(e, CS_MALFORMED, "io", "cannot lock: %s", strerror(errno));
		close(fd);
		return rc;
	}
	if ((rc = lock_sync(p, first, e)) != CS_OK) {
		close(fd);
		return rc;
	}
	/* keeps out a non-root program that opens the line without looking at
	 * either lock; not every driver takes it, and the locks do not need it */
	p->excl = ioctl(fd, TIOCEXCL) == 0;
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(tcflag_t)CRTSCTS;
	/* with O_NONBLOCK, VMIN 1 makes an empty line EAGAIN and a hangup 0 or EIO */
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	cfsetispeed(&t, sp);
	cfsetospeed(&t, sp);
	if (tcsetattr(fd, TCSANOW, &t) != 0) {
		rc = cs_fail(e, CS_MALFORMED, "io", "cannot set raw mode: %s", strerror(errno));
		close(fd);
		if (first)
			lock_drop(p);
		return rc;
	}
	/* what a device said to an earlier station is stale */
	tcflush(fd, TCIOFLUSH);
	p->fd = fd;
	return CS_OK;
}

int
cs_port_open(cs_port *p, speed_t sp, int first, cs_err *e)
{
	int rc;

	if ((rc = port_open(p, sp, first, e)) != CS_OK)
		cs_err_subject(e, "%s", p->path);
	return rc;
}

void
cs_port_close(cs_port *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

void
cs_port_release(cs_port *p)
{
	cs_port_close(p);
	lock_drop(p);
}
