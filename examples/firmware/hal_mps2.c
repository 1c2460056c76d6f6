/* board.h for the emulated board, QEMU's mps2-an385 (Cortex-M3, 25 MHz):
 * SysTick for the clock, UART0 for the station, and semihosting to the host
 * for what the emulator lacks (random source, writable flash, unique id,
 * fuses): those are the EMULATOR STAND-INs of board.h. */
#include "board.h"

#include <string.h>

#include "semihost.h"
#include "uart_cmsdk.h"
#include "util/fmt.h"

#define SYSCLK_HZ 25000000u
#define UART0_BASE 0x40004000u
#define SYST_CSR (*(volatile uint32_t *)0xe000e010u)
#define SYST_RVR (*(volatile uint32_t *)0xe000e014u)
#define SYST_CVR (*(volatile uint32_t *)0xe000e018u)
#define NVIC_ISER0 (*(volatile uint32_t *)0xe000e100u)
#define CMDLINE_MAX 512

static volatile uint32_t ticks_lo, ticks_hi;
static char cmdline[CMDLINE_MAX];
static char store_path[128] = "device.store";
static char store_tmp[140];

void systick_handler(void);

void
systick_handler(void)
{
	if (++ticks_lo == 0)
		ticks_hi++;
}

/* The value of key=... on the command line into out[cap]; 0 when found. */
static int
arg(const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key), n;
	const char *p = cmdline, *end;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		for (end = p; *end != '\0' && *end != ' '; end++)
			;
		if ((size_t)(end - p) > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
			n = (size_t)(end - p) - kl - 1;
			if (n >= cap)
				return -1;
			memcpy(out, p + kl + 1, n);
			out[n] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

void
board_init(void)
{
	char v[sizeof store_path];

	sh_cmdline(cmdline, sizeof cmdline);
	if (arg("store", v, sizeof v) == 0 && v[0] != '\0')
		memcpy(store_path, v, strlen(v) + 1);
	cs_fmt(store_tmp, sizeof store_tmp, "%s.tmp", store_path);
	SYST_RVR = SYSCLK_HZ / 1000 - 1;
	SYST_CVR = 0;
	SYST_CSR = 0x7; /* processor clock, interrupt, enabled */
	uart_init(UART0_BASE, SYSCLK_HZ, FW_BAUD);
	NVIC_ISER0 = 1u << 0; /* UART0 receive */
}

uint64_t
board_ms(void)
{
	uint32_t hi, lo;

	do {
		hi = ticks_hi;
		lo = ticks_lo;
	} while (hi != ticks_hi);
	return (uint64_t)hi << 32 | lo;
}

size_t
board_uart_read(uint8_t *p, size_t cap)
{
	return uart_read(p, cap);
}

void
board_uart_write(const uint8_t *p, size_t n)
{
	uart_write(p, n);
}

void
board_idle(void)
{
	__asm__ volatile("wfi");
}

/* EMULATOR STAND-IN: a TRNG register on a real chip */
int
board_random(uint8_t *out, size_t n)
{
	int fd = sh_open("/dev/urandom", SH_MODE_RB), rc = -1;

	if (fd < 0)
		return -1;
	if (sh_read(fd, out, n) == (long)n)
		rc = 0;
	sh_close(fd);
	return rc;
}

/* EMULATOR STAND-IN: a flash sector (or a secure element's slot) */
int
board_storage_read(uint8_t *buf, size_t cap, size_t *len)
{
	long n;
	int fd;

	*len = 0;
	if ((fd = sh_open(store_path, SH_MODE_RB)) < 0)
		return sh_errno() == 2 ? 0 : -1; /* ENOENT: blank storage */
	n = sh_flen(fd);
	if (n < 0 || (size_t)n > cap || sh_read(fd, buf, (size_t)n) != n) {
		sh_close(fd);
		return -1;
	}
	sh_close(fd);
	*len = (size_t)n;
	return 0;
}

int
board_storage_write(const uint8_t *buf, size_t len)
{
	int fd;

	if ((fd = sh_open(store_tmp, SH_MODE_WB)) < 0)
		return -1;
	if (sh_write(fd, buf, len) != 0) {
		sh_close(fd);
		sh_remove(store_tmp);
		return -1;
	}
	if (sh_close(fd) != 0 || sh_rename(store_tmp, store_path) != 0) {
		sh_remove(store_tmp);
		return -1;
	}
	return 0;
}

/* EMULATOR STAND-IN: the chip's unique-id registers */
int
board_hwid(uint8_t out[CS_HWID_MAX], size_t *len)
{
	char v[CS_HWID_MAX + 1];

	if (arg("hwid", v, sizeof v) != 0 || v[0] == '\0')
		return -1;
	*len = strlen(v);
	memcpy(out, v, *len);
	return 0;
}

/* EMULATOR STAND-IN: the serial number in one-time-programmable memory */
int
board_serial(uint64_t *serial)
{
	char v[24], *p;
	uint64_t s = 0;

	if (arg("serial", v, sizeof v) != 0 || v[0] == '\0')
		return -1;
	for (p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || s > (UINT64_MAX - 9) / 10)
			return -1;
		s = s * 10 + (uint64_t)(*p - '0');
	}
	*serial = s;
	return 0;
}

/* EMULATOR STAND-IN: the debug-lock fuse and the secure-boot state */
int
board_security(cs_dev_security *st)
{
	char v[16];

	st->debug_locked = arg("debug", v, sizeof v) == 0 && strcmp(v, "locked") == 0;
	st->secure_boot = arg("boot", v, sizeof v) == 0 && strcmp(v, "secure") == 0;
	return 0;
}

/* Virtual nanoseconds from SysTick (40 ns a tick at 25 MHz): under QEMU's
 * -icount shift=0 the emulator runs one instruction a virtual nanosecond,
 * so this counts instructions, to within 40. */
uint64_t
board_cycles(void)
{
	uint32_t hi, lo, cvr;

	do {
		hi = ticks_hi;
		lo = ticks_lo;
		cvr = SYST_CVR;
	} while (hi != ticks_hi || lo != ticks_lo);
	return ((uint64_t)hi << 32 | lo) * 1000000u +
	       (uint64_t)(SYSCLK_HZ / 1000 - 1 - cvr) * (1000000000u / SYSCLK_HZ);
}

void
board_log(const char *line)
{
	sh_write0(line);
	sh_write0("\n");
}
