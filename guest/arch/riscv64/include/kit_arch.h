/* riscv64 half of the kit API: included by kit.h, never by tests directly.
 * The guest runs in VS-mode with translation off (vsatp = 0). */
#ifndef KIT_ARCH_H
#define KIT_ARCH_H

#include <stdint.h>

/* QEMU virt layout, as the kit VM configs give it to the guest. */
#define KIT_RAM_BASE 0x80000000UL
#define KIT_UART_BASE 0x10000000UL   /* emulated 16550 ("uart", type 0x2) */
#define KIT_DUMMY_BASE 0x0b000000UL  /* "dummy" test device (type 0x0) */
#define KIT_DUMMY_SIZE 0x1000UL

/* ecall to the SBI extension "HVC": nr in a6, args a0..a5, result a0. Like
 * any SBI call it may change a0 and a1 only; a1 is declared clobbered. */
static inline int64_t kit_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                                    uint64_t a4, uint64_t a5, uint64_t a6)
{
    register uint64_t r0 __asm__("a0") = a1;
    register uint64_t r1 __asm__("a1") = a2;
    register uint64_t r2 __asm__("a2") = a3;
    register uint64_t r3 __asm__("a3") = a4;
    register uint64_t r4 __asm__("a4") = a5;
    register uint64_t r5 __asm__("a5") = a6;
    register uint64_t r6 __asm__("a6") = nr;
    register uint64_t r7 __asm__("a7") = HC_SBI_EXT;
    __asm__ volatile("ecall"
                     : "+r"(r0), "+r"(r1)
                     : "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6), "r"(r7)
                     : "memory");
    return (int64_t)r0;
}

/* The hart id the hypervisor started this vCPU with (a0 at entry); the
 * runtime keeps it in tp, which no kit code uses otherwise. */
static inline uint64_t kit_cpu_hw_id(void)
{
    uint64_t id;
    __asm__ volatile("mv %0, tp" : "=r"(id));
    return id;
}

static inline unsigned kit_cpu_id(void)
{
    return (unsigned)kit_cpu_hw_id();
}

/* One exact instruction per access, so the hypervisor sees the access the
 * test meant (the compiler may not merge, split or reorder them). */
static inline uint8_t kit_mmio_read8(uintptr_t a)
{
    uint64_t v;
    __asm__ volatile("lbu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return (uint8_t)v;
}

static inline uint16_t kit_mmio_read16(uintptr_t a)
{
    uint64_t v;
    __asm__ volatile("lhu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return (uint16_t)v;
}

static inline uint32_t kit_mmio_read32(uintptr_t a)
{
    uint64_t v;
    __asm__ volatile("lwu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return (uint32_t)v;
}

static inline uint64_t kit_mmio_read64(uintptr_t a)
{
    uint64_t v;
    __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline void kit_mmio_write8(uintptr_t a, uint8_t v)
{
    __asm__ volatile("sb %0, 0(%1)" : : "r"(v), "r"(a) : "memory");
}

static inline void kit_mmio_write16(uintptr_t a, uint16_t v)
{
    __asm__ volatile("sh %0, 0(%1)" : : "r"(v), "r"(a) : "memory");
}

static inline void kit_mmio_write32(uintptr_t a, uint32_t v)
{
    __asm__ volatile("sw %0, 0(%1)" : : "r"(v), "r"(a) : "memory");
}

static inline void kit_mmio_write64(uintptr_t a, uint64_t v)
{
    __asm__ volatile("sd %0, 0(%1)" : : "r"(v), "r"(a) : "memory");
}

#endif
