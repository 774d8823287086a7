/* The services the VM layer offers its emulated devices and the console
 * multiplexer: guest console output, host input to a VM's console UART,
 * console focus, and device interrupt lines. Split from vm.h so device
 * models can include it on the host (unit tests) without the VM structure.
 * Implemented in src/axvm/console.c, except vm_irq_set_level, which each
 * arch's interrupt controller model provides (vGIC, vPLIC; x86 has none yet). */
#ifndef AX_VM_CONSOLE_H
#define AX_VM_CONSOLE_H

#include "ax/types.h"

struct vm;

/* Guest console output.
 *
 * Bytes from hypercalls (vm_console_putc) are shown a line at a time as
 * "[vmID name] text", with control characters masked. Bytes from the VM's
 * emulated console UART (vm_console_uart_putc) are shown the same way,
 * except while the VM has the console focus: then they go out at once and
 * unchanged (escape sequences included), so an interactive guest's prompt
 * and line editing work. */
void vm_console_putc(struct vm *vm, char c);
void vm_console_uart_putc(struct vm *vm, char c);
void vm_console_flush(struct vm *vm);

/* Host input for the VM's console UART (its first emulated device of type
 * 0x2). False when the VM has none (or it is being rebuilt) or its receive
 * FIFO is full; the caller may retry later. */
bool vm_console_input(struct vm *vm, char c);
bool vm_console_has_uart(struct vm *vm);

/* The console focus: the VM whose UART output is raw and which receives
 * host input; NULL means the hypervisor. Until someone sets it, the first VM
 * built with an emulated console UART takes it. */
void vm_console_set_focus(struct vm *vm);
struct vm *vm_console_focus(void);
/* True (once) if the focused VM's raw output left the terminal cursor in
 * mid-line: whoever prints a line of its own next starts with a newline. */
bool vm_console_end_raw_line(void);

/* The level of a device's interrupt line (an SPI INTID on aarch64). Called
 * with the device's lock held: it must not call back into the device. */
void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level);

#endif
