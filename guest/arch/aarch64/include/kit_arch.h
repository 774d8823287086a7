/* aarch64 half of the kit API: included by kit.h, never by tests directly.
 * The guest runs at EL1 with its MMU off, so every data access is to
 * Device-nGnRnE memory: accesses must be aligned (-mstrict-align). */
#ifndef KIT_ARCH_H
#define KIT_ARCH_H

#include <stdint.h>

/* QEMU virt layout, as the kit VM configs give it to the guest. */
#define KIT_RAM_BASE 0x40000000UL
#define KIT_UART_BASE 0x09000000UL   /* emulated PL011 ("uart", type 0x2) */
#define KIT_DUMMY_BASE 0x0b000000UL  /* "dummy" test device (type 0x0) */
#define KIT_DUMMY_SIZE 0x1000UL
/* A host device the ptirq test gets passed through: QEMU virt's PL031 RTC
 * and its interrupt (SPI 2). */
#define KIT_PT_RTC_BASE 0x09010000UL
#define KIT_PT_RTC_IRQ 34u

/* hvc #0: nr in x0, args x1..x6, result x0. The ABI does not say which
 * other registers survive, so assume SMCCC's rule: x0..x17 may change. */
static inline int64_t kit_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                                    uint64_t a4, uint64_t a5, uint64_t a6)
{
    register uint64_t x0 __asm__("x0") = nr;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    register uint64_t x4 __asm__("x4") = a4;
    register uint64_t x5 __asm__("x5") = a5;
    register uint64_t x6 __asm__("x6") = a6;
    __asm__ volatile("hvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
                     :
                     : "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",
                       "x17", "memory");
    return (int64_t)x0;
}

static inline uint64_t kit_cpu_hw_id(void)
{
    uint64_t mpidr;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    return mpidr;
}

static inline unsigned kit_cpu_id(void)
{
    return (unsigned)(kit_cpu_hw_id() & 0xff);
}

/* One exact instruction per access, so the hypervisor sees the access the
 * test meant (the compiler may not merge, split or reorder them). */
static inline uint8_t kit_mmio_read8(uintptr_t a)
{
    uint32_t v;
    __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return (uint8_t)v;
}

static inline uint16_t kit_mmio_read16(uintptr_t a)
{
    uint32_t v;
    __asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return (uint16_t)v;
}

static inline uint32_t kit_mmio_read32(uintptr_t a)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint64_t kit_mmio_read64(uintptr_t a)
{
    uint64_t v;
    __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline void kit_mmio_write8(uintptr_t a, uint8_t v)
{
    __asm__ volatile("strb %w0, [%1]" : : "r"((uint32_t)v), "r"(a) : "memory");
}

static inline void kit_mmio_write16(uintptr_t a, uint16_t v)
{
    __asm__ volatile("strh %w0, [%1]" : : "r"((uint32_t)v), "r"(a) : "memory");
}

static inline void kit_mmio_write32(uintptr_t a, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline void kit_mmio_write64(uintptr_t a, uint64_t v)
{
    __asm__ volatile("str %0, [%1]" : : "r"(v), "r"(a) : "memory");
}

#endif
