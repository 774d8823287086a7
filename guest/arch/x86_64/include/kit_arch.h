/* x86_64 half of the kit API: included by kit.h, never by tests directly.
 * The guest runs in 64-bit long mode on the page tables and GDT the
 * hypervisor built (identity map of the first 4 GiB), ring 0, interrupts
 * masked (RFLAGS.IF = 0) throughout. */
#ifndef KIT_ARCH_H
#define KIT_ARCH_H

#include <stdint.h>

/* The kit VM configs' layout (same GPAs as on aarch64 where it makes sense). */
#define KIT_RAM_BASE 0x40000000UL
#define KIT_UART_BASE 0x3F8UL        /* emulated 16550 ("uart", type 0x2): an I/O port base */
#define KIT_DUMMY_BASE 0x0b000000UL  /* "dummy" test device (type 0x0), MMIO */
#define KIT_DUMMY_SIZE 0x1000UL
#define KIT_LAPIC_BASE 0xFEE00000UL  /* the virtual local APIC */
/* Secondary vCPUs start (SIPI) at vector << 12 in 64-bit mode: the runtime
 * puts a jump to kit_secondary_start there, so configs of SMP tests give
 * the VM a RAM page at this address. */
#define KIT_SIPI_PAGE 0x8000UL

/* vmmcall: nr in rax, args rdi, rsi, rdx, rcx, r8, r9, result rax. The
 * hypervisor preserves every other register; the asm still lets the
 * argument registers change, as a caller of the ABI should. */
static inline int64_t kit_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                                    uint64_t a4, uint64_t a5, uint64_t a6)
{
    register uint64_t r8 __asm__("r8") = a5;
    register uint64_t r9 __asm__("r9") = a6;
    __asm__ volatile("vmmcall"
                     : "+a"(nr), "+D"(a1), "+S"(a2), "+d"(a3), "+c"(a4), "+r"(r8), "+r"(r9)
                     :
                     : "memory");
    return (int64_t)nr;
}

/* Per-vCPU data at GS base (start.S sets it): the vCPU index first. */
static inline unsigned kit_cpu_id(void)
{
    unsigned id;
    __asm__ volatile("movl %%gs:0, %0" : "=r"(id));
    return id;
}

/* The local APIC id (CPUID 1 EBX[31:24]), which the hypervisor makes the
 * vCPU index. */
static inline uint64_t kit_cpu_hw_id(void)
{
    uint32_t id;
    __asm__ volatile("movl %%gs:4, %0" : "=r"(id));
    return id;
}

/* One exact instruction per access (a plain MOV), so the hypervisor sees
 * the access the test meant. */
static inline uint8_t kit_mmio_read8(uintptr_t a)
{
    uint8_t v;
    __asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
    return v;
}

static inline uint16_t kit_mmio_read16(uintptr_t a)
{
    uint16_t v;
    __asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint32_t kit_mmio_read32(uintptr_t a)
{
    uint32_t v;
    __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint64_t kit_mmio_read64(uintptr_t a)
{
    uint64_t v;
    __asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline void kit_mmio_write8(uintptr_t a, uint8_t v)
{
    __asm__ volatile("movb %0, (%1)" : : "q"(v), "r"(a) : "memory");
}

static inline void kit_mmio_write16(uintptr_t a, uint16_t v)
{
    __asm__ volatile("movw %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

static inline void kit_mmio_write32(uintptr_t a, uint32_t v)
{
    __asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

static inline void kit_mmio_write64(uintptr_t a, uint64_t v)
{
    __asm__ volatile("movq %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

static inline uint8_t kit_inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

static inline void kit_outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void kit_outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

#endif
