/* Arm semihosting calls: BKPT 0xAB with the operation in r0 and a pointer
 * to its arguments in r1 (Arm's "Semihosting for AArch32 and AArch64"). */
#include "semihost.h"

#include <string.h>

enum {
	SYS_OPEN = 0x01,
	SYS_CLOSE = 0x02,
	SYS_WRITE0 = 0x04,
	SYS_WRITE = 0x05,
	SYS_READ = 0x06,
	SYS_FLEN = 0x0c,
	SYS_REMOVE = 0x0e,
	SYS_RENAME = 0x0f,
	SYS_ERRNO = 0x13,
	SYS_GET_CMDLINE = 0x15,
	SYS_EXIT = 0x18,
	ADP_STOPPED_APPLICATION_EXIT = 0x20026,
};

static long
call(int op, const void *arg)
{
	register long r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;

	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

int
sh_open(const char *path, int mode)
{
	uintptr_t a[3] = {(uintptr_t)path, (uintptr_t)mode, strlen(path)};

	return (int)call(SYS_OPEN, a);
}

int
sh_close(int fd)
{
	uintptr_t a[1] = {(uintptr_t)fd};

	return (int)call(SYS_CLOSE, a);
}

int
sh_write(int fd, const void *p, size_t n)
{
	uintptr_t a[3] = {(uintptr_t)fd, (uintptr_t)p, n};

	return call(SYS_WRITE, a) == 0 ? 0 : -1; /* the bytes not written */
}

long
sh_read(int fd, void *p, size_t n)
{
	uintptr_t a[3] = {(uintptr_t)fd, (uintptr_t)p, n};
	long left = call(SYS_READ, a);

	return left < 0 || (size_t)left > n ? -1 : (long)(n - (size_t)left);
}

long
sh_flen(int fd)
{
	uintptr_t a[1] = {(uintptr_t)fd};

	return call(SYS_FLEN, a);
}

int
sh_rename(const char *from, const char *to)
{
	uintptr_t a[4] = {(uintptr_t)from, strlen(from), (uintptr_t)to, strlen(to)};

	return call(SYS_RENAME, a) == 0 ? 0 : -1;
}

int
sh_remove(const char *path)
{
	uintptr_t a[2] = {(uintptr_t)path, strlen(path)};

	return call(SYS_REMOVE, a) == 0 ? 0 : -1;
}

int
sh_errno(void)
{
	return (int)call(SYS_ERRNO, NULL);
}

int
sh_cmdline(char *buf, size_t cap)
{
	uintptr_t a[2] = {(uintptr_t)buf, cap};

	if (cap == 0)
		return -1;
	buf[0] = '\0';
	if (call(SYS_GET_CMDLINE, a) != 0)
		return -1;
	buf[cap - 1] = '\0';
	return 0;
}

void
sh_write0(const char *s)
{
	call(SYS_WRITE0, s);
}

void
sh_exit(void)
{
	call(SYS_EXIT, (const void *)(uintptr_t)ADP_STOPPED_APPLICATION_EXIT);
}
