/* What the firmware needs from its board: the one header a real board
 * implements (examples/firmware/hal_mps2.c is the emulated board's). Each
 * function marked EMULATOR STAND-IN is, on QEMU's mps2-an385, answered by
 * the host through semihosting, because that board has no such hardware:
 * a real board reads it from its own silicon instead. Functions returning
 * int return 0 on success. */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "device/agent.h"

/* Clocks, the millisecond tick and the UART (8N1, FW_BAUD); interrupts on. */
void board_init(void);

/* Milliseconds since board_init, never going back. */
uint64_t board_ms(void);

/* Up to cap bytes received on the UART since the last call (never waits). */
size_t board_uart_read(uint8_t *p, size_t cap);
/* Sends p[0..n), returning once the UART has taken every byte. */
void board_uart_write(const uint8_t *p, size_t n);
/* Sleeps until the next interrupt (a byte, the tick). */
void board_idle(void);

/* n bytes from the hardware random source (a TRNG; never a seeded PRNG).
 * EMULATOR STAND-IN: the host's /dev/urandom. */
int board_random(uint8_t *out, size_t n);

/* Secure storage: one blob, read whole (*len 0 when empty), replaced whole
 * and atomically (after a power cut a read gives the old blob or the new).
 * EMULATOR STAND-IN: a host file, written under a temporary name and
 * renamed over the old one (semihosting has no fsync: atomic against the
 * device stopping, not against the host losing power). */
int board_storage_read(uint8_t *buf, size_t cap, size_t *len);
int board_storage_write(const uint8_t *buf, size_t len);

/* The chip's unique id (1..CS_HWID_MAX bytes) and the serial number the
 * factory programmed. EMULATOR STAND-IN: hwid= and serial= on QEMU's
 * command line (-append). */
int board_hwid(uint8_t out[CS_HWID_MAX], size_t *len);
int board_serial(uint64_t *serial);

/* Whether debug access is closed for good (fuses, option bytes) and whether
 * only signed firmware boots. EMULATOR STAND-IN: debug=locked and
 * boot=secure on the command line (QEMU's own debugger stays open whatever
 * they say); without them the board reports debug open, and no key is made. */
int board_security(cs_dev_security *st);

/* Measurement and diagnostics, not needed by the agent: a fine clock (a
 * Cortex-M3/M4 board counts cycles with DWT CYCCNT; the emulator counts
 * virtual nanoseconds, which under QEMU's -icount shift=0 are instructions),
 * the deepest the stack has been, and one line of text for a debug console
 * (emulator: the semihosting console; a production board may drop it). */
uint64_t board_cycles(void);
size_t board_stack_peak(void);
void board_log(const char *line);

#endif
