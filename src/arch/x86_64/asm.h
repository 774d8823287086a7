/* Constants shared by x86_64 assembly and C. */
#ifndef X86_64_ASM_H
#define X86_64_ASM_H

#define AX_MAX_CPUS 8 /* same token as ax/types.h */
#define BOOT_STACK_SIZE 0x4000
#define IST_STACK_SIZE 0x1000

/* Selectors of the hypervisor's GDT (gdt.c builds the same layout). */
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_CODE32 0x18
#define SEL_TSS0 0x28 /* one 16-byte TSS descriptor per CPU from here */

/* Where the host AP start-up trampoline is copied (below 1 MiB, page
 * aligned): SIPI vector = AP_TRAMPOLINE >> 12. */
#define AP_TRAMPOLINE 0x8000

#define MSR_EFER 0xC0000080
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_LMA (1 << 10)
#define EFER_NXE (1 << 11)
#define EFER_SVME (1 << 12)
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1U << 31)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)

/* struct trap_frame (platform.h): 15 GPRs, vector, error code, then the
 * hardware frame (rip, cs, rflags, rsp, ss). */
#define TF_VECTOR (15 * 8)
#define TF_SIZE (22 * 8)

#endif
