/* The seam between the arch-neutral runtime (guest/lib) and an arch runtime
 * (guest/arch/<arch>). Tests do not include this. */
#ifndef KIT_RT_H
#define KIT_RT_H

#include "kit.h"

/* ---- provided by the arch runtime ---- */

uint64_t kit_arch_counter(void);       /* free-running counter */
uint64_t kit_arch_counter_freq(void);  /* its ticks per second, > 0 */
/* Idles until the counter reaches deadline; returns the WFIs it took. */
uint64_t kit_arch_wait_until(uint64_t deadline);
void kit_arch_wfi(void);
/* Starts vCPU cpu at the arch's secondary entry, which passes context on
 * to kit_boot_secondary(). Returns a KIT_CPU_* code. */
int kit_arch_cpu_on(unsigned cpu, uint64_t context);
void kit_arch_cpu_off(void);           /* returns only if the call failed */
int kit_arch_cpu_state(unsigned cpu);
int64_t kit_arch_firmware_version(void);
void kit_arch_system_off(void);        /* return only if the call failed */
void kit_arch_system_reset(void);
/* Puts one character to the platform UART; false if it stayed busy. */
bool kit_arch_uart_putc(char c);

/* Interrupts (see kit.h). An arch without them returns false from
 * kit_arch_irq_init and "none" from kit_arch_irq_controller; the rest are
 * then never called for real (guest/lib checks the vCPU is set up). */
bool kit_arch_irq_init(void);
const char *kit_arch_irq_controller(void);
bool kit_arch_irq_enable(unsigned irq, bool on);
bool kit_arch_irq_set_priority(unsigned irq, uint8_t prio);
void kit_arch_irq_local_enable(void);
void kit_arch_irq_local_disable(void);
bool kit_arch_irq_local_enabled(void);
void kit_arch_irq_wait(void);
unsigned kit_arch_timer_irq(void);
void kit_arch_timer_irq_arm(uint64_t deadline);   /* in counter ticks */
void kit_arch_timer_irq_cancel(void);
unsigned kit_arch_ipi_count(void);
unsigned kit_arch_ipi_irq_nth(unsigned k);
bool kit_arch_ipi_send(unsigned cpu, unsigned irq);
uint64_t kit_arch_ipi_sent(void);   /* counter before this vCPU's last send */

/* ---- provided by guest/lib for the arch runtime ---- */

/* Calls the test's interrupt handler for irq, taken on this vCPU at
 * counter value entry (read at the vector); the arch acknowledged irq and
 * ends it after this returns. With no handler the test fails. */
void kit_irq_dispatch(unsigned irq, uint64_t entry);

/* Counter ticks <-> ns with this platform's counter frequency. */
uint64_t kit_ticks_to_ns(uint64_t ticks);
uint64_t kit_ns_to_ticks(uint64_t ns);   /* rounds up */

/* One 32-bit load from addr with faults caught: false (and *val = 0) if
 * the load faulted, i.e. nothing is there. */
bool kit_probe_read32(uintptr_t addr, uint32_t *val);

NORETURN void kit_boot_primary(void);
NORETURN void kit_boot_secondary(uint64_t context);

/* Runs the test's fault handler, if any, for a fault of this vCPU. */
enum kit_fault_action kit_fault_dispatch(const struct kit_fault *f);
/* After the arch printed its register dump: FAIL line and power off. */
NORETURN void kit_fault_fail(const struct kit_fault *f);

/* Stops this vCPU for good: nothing else to do on it. */
NORETURN void kit_park(void);

/* Enters "panic" console mode on this vCPU: its line buffer is flushed and
 * the console lock is taken with a bounded wait, since the fault may have
 * hit while this vCPU held it. */
void kit_console_panic(void);

#endif
