/* System register and barrier helpers. */
#ifndef AARCH64_SYSREG_H
#define AARCH64_SYSREG_H

#include <stdint.h>

#define read_sysreg(r) ({ uint64_t __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" ::"r"((uint64_t)(v)) : "memory")
/* GICv3 registers by encoding, so older assemblers need not know the names */
#define read_sysreg_s(enc) ({ uint64_t __v; __asm__ volatile("mrs %0, " enc : "=r"(__v)); __v; })
#define write_sysreg_s(enc, v) __asm__ volatile("msr " enc ", %0" ::"r"((uint64_t)(v)) : "memory")

#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define dmb(opt) __asm__ volatile("dmb " #opt ::: "memory")

static inline uint32_t mmio_read32(uintptr_t a) { uint32_t v = *(volatile uint32_t *)a; dmb(oshld); return v; }
static inline void mmio_write32(uintptr_t a, uint32_t v) { dmb(oshst); *(volatile uint32_t *)a = v; }
static inline uint64_t mmio_read64(uintptr_t a) { uint64_t v = *(volatile uint64_t *)a; dmb(oshld); return v; }
static inline void mmio_write64(uintptr_t a, uint64_t v) { dmb(oshst); *(volatile uint64_t *)a = v; }
static inline uint8_t mmio_read8(uintptr_t a) { uint8_t v = *(volatile uint8_t *)a; dmb(oshld); return v; }
static inline void mmio_write8(uintptr_t a, uint8_t v) { dmb(oshst); *(volatile uint8_t *)a = v; }

/* ICC_* (GICv3 CPU interface) encodings */
#define ICC_PMR_EL1 "s3_0_c4_c6_0"
#define ICC_IAR1_EL1 "s3_0_c12_c12_0"
#define ICC_EOIR1_EL1 "s3_0_c12_c12_1"
#define ICC_BPR1_EL1 "s3_0_c12_c12_3"
#define ICC_CTLR_EL1 "s3_0_c12_c12_4"
#define ICC_SGI1R_EL1 "s3_0_c12_c11_5"
#define ICC_IGRPEN1_EL1 "s3_0_c12_c12_7"
#define ICC_SRE_EL2 "s3_4_c12_c9_5"
#define ICC_DIR_EL1 "s3_0_c12_c11_1"

#endif
