/* CMSDK APB UART driver: one UART, its receive interrupt filling a ring the
 * main loop drains (the UART holds a single byte: at 115200 baud an
 * interrupt must take it within 87 us, whatever the main loop is doing). */
#include "uart_cmsdk.h"

#define STATE_TXFULL 0x1u
#define STATE_RXFULL 0x2u
#define CTRL_TX_EN 0x1u
#define CTRL_RX_EN 0x2u
#define CTRL_RX_INTEN 0x8u
#define INT_RX 0x2u
#define RING 1024u /* a power of two */

struct regs {
	volatile uint32_t data;
	volatile uint32_t state;
	volatile uint32_t ctrl;
	volatile uint32_t intstatus; /* write 1 to clear */
	volatile uint32_t bauddiv;
};

static struct regs *uart;
static uint8_t ring[RING];
static volatile uint32_t head, tail; /* head: written by the interrupt; tail: by uart_read */
static volatile uint32_t overruns;

void uart0_rx_handler(void);

void
uart_init(uintptr_t base, uint32_t pclk_hz, uint32_t baud)
{
	uart = (struct regs *)base;
	uart->ctrl = 0;
	uart->bauddiv = pclk_hz / baud;
	uart->intstatus = INT_RX;
	uart->ctrl = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INTEN;
}

void
uart0_rx_handler(void)
{
	uint32_t h;

	/* clear first: a byte that lands after the last look raises it again */
	uart->intstatus = INT_RX;
	while (uart->state & STATE_RXFULL) {
		h = head;
		if (h - tail < RING) {
			ring[h % RING] = (uint8_t)uart->data;
			head = h + 1;
		} else {
			(void)uart->data;
			overruns++;
		}
	}
}

size_t
uart_read(uint8_t *p, size_t cap)
{
	size_t n = 0;
	uint32_t t = tail;

	while (n < cap && t != head)
		p[n++] = ring[t++ % RING];
	tail = t;
	return n;
}

void
uart_write(const uint8_t *p, size_t n)
{
	while (n-- > 0) {
		while (uart->state & STATE_TXFULL)
			;
		uart->data = *p++;
	}
}

uint32_t
uart_overruns(void)
{
	return overruns;
}
