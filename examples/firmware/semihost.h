/* Arm semihosting (the emulator's channel to its host): only what the
 * emulated board's stand-ins use. */
#ifndef FW_SEMIHOST_H
#define FW_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

enum {
	SH_MODE_RB = 1, /* fopen modes, as numbered by the semihosting spec */
	SH_MODE_WB = 5,
};

int sh_open(const char *path, int mode);
int sh_close(int fd);
/* 0 when all n bytes were moved, -1 otherwise */
int sh_write(int fd, const void *p, size_t n);
/* bytes read (short at the end of the file), -1 on error */
long sh_read(int fd, void *p, size_t n);
long sh_flen(int fd);
int sh_rename(const char *from, const char *to);
int sh_remove(const char *path);
/* the host's errno after the last failed call */
int sh_errno(void);
/* the emulator's command line into buf[cap] (NUL-terminated) */
int sh_cmdline(char *buf, size_t cap);
void sh_write0(const char *s);
/* stops the emulator: an application exit, status 0 */
void sh_exit(void);

#endif
