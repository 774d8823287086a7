/* Constants shared by riscv64 assembly and C. */
#ifndef RISCV64_ASM_H
#define RISCV64_ASM_H

#define AX_MAX_CPUS 8 /* same token as ax/types.h */
#define BOOT_STACK_SIZE 0x4000

/* struct percpu_arch (platform.h): tp and sscratch point at it in HS-mode */
#define PERCPU_SIZE 128
#define PC_T0 0          /* trap entry's scratch for t0 */
#define PC_GUEST_REGS 8  /* struct guest_regs of the guest running here */
#define PC_HOST_SP 16    /* stack pointer guest_enter left */
#define PC_ID 24         /* logical CPU number */

/* struct guest_regs (arch/vcpu.h) */
#define GR_X(n) ((n) * 8)
#define GR_PC 256
#define GR_SSTATUS 264
#define GR_HSTATUS 272

/* struct trap_frame (platform.h) */
#define TF_SIZE 288
#define TF_X(n) ((n) * 8)
#define TF_SEPC 256
#define TF_SSTATUS 264

#ifdef __ASSEMBLY__ /* C gets these from csr.h */
#define SSTATUS_SIE (1 << 1)
#define SSTATUS_SPIE (1 << 5)
#define SSTATUS_SPP (1 << 8)
#define HSTATUS_SPV (1 << 7)
#endif

#endif
