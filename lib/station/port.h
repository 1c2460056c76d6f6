/* A station's serial port: opened in raw mode and held by this process alone
 * for as long as the station runs, so that no second station (or terminal
 * program) reads the devices' answers meant for this one. */
#ifndef CS_PORT_H
#define CS_PORT_H

#include <termios.h>

#include "util/err.h"

/* Where the UUCP convention (FHS, /var/lock) keeps lock files of serial
 * devices: LCK..NAME holding the holder's PID. */
#define CS_PORT_LOCK_DIR "/var/lock"
#define CS_PORT_LOCK_PATH_MAX 512

typedef struct cs_port {
	const char *path; /* as given [borrowed] */
	int fd;           /* the open line, or -1 */
	int excl;         /* TIOCEXCL took effect at the last open */
	int uucp;         /* the system keeps UUCP lock files (known at the first open) */
	char lockfile[CS_PORT_LOCK_PATH_MAX]; /* the UUCP lock file this process made, or "" */
} cs_port;

/* A closed port for path (borrowed: it must outlive p). */
void cs_port_init(cs_port *p, const char *path);

/* Opens the line and takes it: an exclusive flock on the device node
 * (binding every process, root included), and the UUCP lock file of the node
 * (where CS_PORT_LOCK_DIR exists and is writable, as seen at the first open;
 * nothing otherwise), kept until cs_port_release. Then TIOCEXCL, raw mode at
 * sp, and a flush of what was on the line before. first is set for the open
 * at start.
 * Failures (p stays closed; e's subject is the path): CS_USAGE "port-busy"
 * when another process holds the port (the message names its PID when its
 * lock file does); with first, CS_USAGE "usage" for a path that does not
 * exist or is not a terminal, and CS_MALFORMED "io" for the rest (without
 * first, all but port-busy are "io": a port that goes away later is an I/O
 * matter, not the caller's mistake).
 * CS_OK with p->excl 0 when TIOCEXCL failed: other programs can open the
 * line, but no cooperating one (flock, lock file) takes it. */
CS_MUST int cs_port_open(cs_port *p, speed_t sp, int first, cs_err *e);

/* Closes the line (its flock goes with it); the lock file stays, so the port
 * remains this station's while a lost line is tried again. Safe when closed. */
void cs_port_close(cs_port *p);

/* Closes the line and removes the lock file if it still names this process. */
void cs_port_release(cs_port *p);

#endif
