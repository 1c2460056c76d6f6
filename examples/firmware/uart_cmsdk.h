/* The CMSDK APB UART (ARM DDI 0479), as on the MPS2 boards: receive by
 * interrupt into a ring, send by polling. */
#ifndef FW_UART_CMSDK_H
#define FW_UART_CMSDK_H

#include <stddef.h>
#include <stdint.h>

void uart_init(uintptr_t base, uint32_t pclk_hz, uint32_t baud);
size_t uart_read(uint8_t *p, size_t cap);
void uart_write(const uint8_t *p, size_t n);
/* bytes lost because the ring was full (for diagnostics) */
uint32_t uart_overruns(void);

#endif
