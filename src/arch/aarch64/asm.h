/* Constants shared by aarch64 assembly and C. */
#ifndef AARCH64_ASM_H
#define AARCH64_ASM_H

#define AX_MAX_CPUS 8 /* same token as ax/types.h */
#define BOOT_STACK_SIZE 0x4000

/* SCTLR_EL2 (non-VHE): RES1 bits 4,5,11,16,18,22,23,28,29 */
#define SCTLR_EL2_RES1 0x30C50830
#define SCTLR_M (1 << 0)
#define SCTLR_C (1 << 2)
#define SCTLR_SA (1 << 3)
#define SCTLR_I (1 << 12)

/* HCR_EL2 while no guest runs: RW | AMO | IMO | FMO */
#define HCR_EL2_HOST ((1 << 31) | (1 << 5) | (1 << 4) | (1 << 3))

/* MAIR: idx0 device nGnRE, idx1 normal WB RA/WA, idx2 normal non-cacheable */
#define MAIR_EL2_VALUE 0x44FF04
/* TCR_EL2: T0SZ=16 (48-bit), IRGN0/ORGN0 WBWA, SH0 inner, TG0 4K, RES1 23 and 31 */
#define TCR_EL2_BASE ((16) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (1 << 31))

/* struct guest_regs (arch/vcpu.h) and struct percpu_arch (platform.h) */
#define GR_PC (31 * 8)
#define PERCPU_GUEST_REGS 16

/* trap frame layout (struct trap_frame in trap.h) */
#define TF_SIZE 272
#define TF_X30 240
#define TF_ELR 248
#define TF_SPSR 256
#define TF_SP 264

#endif
