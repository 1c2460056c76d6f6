/* Reset and the vector table for a Cortex-M3: copy .data, zero .bss, paint
 * the stack (for board_stack_peak), then main. No C library start-up and no
 * constructors (the image is linked with -nostartfiles). */
#include <stdint.h>

#include "board.h"

#define STACK_PAINT 0xc5c5c5c5u

extern uint32_t fw_data_start[], fw_data_end[], fw_data_load[], fw_bss_start[], fw_bss_end[];
extern uint32_t fw_stack_bottom[], fw_stack_top[];

int main(void);
void reset_handler(void);
void fault_handler(void);
void systick_handler(void);
void uart0_rx_handler(void);

void
reset_handler(void)
{
	uint32_t *p, *src, *sp;

	for (p = fw_data_start, src = fw_data_load; p < fw_data_end;)
		*p++ = *src++;
	for (p = fw_bss_start; p < fw_bss_end;)
		*p++ = 0;
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	for (p = fw_stack_bottom; p < sp - 16;)
		*p++ = STACK_PAINT;
	main();
	for (;;)
		__asm__ volatile("wfi");
}

size_t
board_stack_peak(void)
{
	const uint32_t *p = fw_stack_bottom;

	while (p < fw_stack_top && *p == STACK_PAINT)
		p++;
	return (size_t)((const uint8_t *)fw_stack_top - (const uint8_t *)p);
}

/* A fault stops the device where a debugger can see it; nothing is retried. */
void
fault_handler(void)
{
	board_log("fault: stopped");
	for (;;)
		__asm__ volatile("wfi");
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 32])(void) = {
	[0] = (void (*)(void))fw_stack_top,
	[1] = reset_handler,
	[2] = fault_handler, /* NMI */
	[3] = fault_handler, /* HardFault */
	[4] = fault_handler, /* MemManage */
	[5] = fault_handler, /* BusFault */
	[6] = fault_handler, /* UsageFault */
	[11] = fault_handler, /* SVCall */
	[14] = fault_handler, /* PendSV */
	[15] = systick_handler,
	[16 + 0] = uart0_rx_handler, /* AN385: UART0 receive is IRQ 0 */
};
