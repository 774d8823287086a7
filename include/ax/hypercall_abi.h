/* The guest <-> hypervisor hypercall ABI, shared by the hypervisor and the
 * guest kit (guest/). Plain constants only: guests include this file too.
 *
 * Calling convention (DESIGN.md, "Guest ABI"):
 *   aarch64  hvc #0    nr in x0, args x1..x6, result in x0
 *   riscv64  ecall     a7 = HC_SBI_EXT ("HVC"), nr in a6, args a0..a5, result a0
 *   x86_64   vmmcall   nr in rax, args rdi, rsi, rdx, rcx, r8, r9, result rax
 * Results are >= 0 on success or a negative HC_E* code. On aarch64 every
 * register but x0 is preserved; guests should still assume x0-x17 may change
 * (SMCCC's rule) so that future calls may return more values. */
#ifndef AX_HYPERCALL_ABI_H
#define AX_HYPERCALL_ABI_H

#define HC_ABI_VERSION 1
#define HC_SBI_EXT 0x485643 /* "HVC" */

/* hypercall numbers */
#define HC_VERSION 0x00       /* () -> HC_ABI_VERSION */
#define HC_CONSOLE_PUTC 0x01  /* (char) -> 0 */
#define HC_CONSOLE_WRITE 0x02 /* (gpa, len) -> bytes written; HC_EFAULT when the buffer is not guest RAM
                               * (or wraps around), HC_EINVAL when len > 4096 */
#define HC_GUEST_INFO 0x03    /* (HC_INFO_*) -> value */
#define HC_TEST_SUM6 0x04     /* (a1..a6) -> a1 + 2*a2 + 3*a3 + 4*a4 + 5*a5 + 6*a6 (ABI self-test) */
#define HC_TIME_NS 0x05       /* () -> host monotonic time in ns */
#define HC_VM_SHUTDOWN 0x06   /* () -> does not return: the VM stops */
#define HC_VM_RESET 0x07      /* () -> does not return: the VM restarts from its image */
#define HC_NOP 0x08           /* () -> 0; the cheapest round trip, for benchmarks */

/* HC_GUEST_INFO keys */
#define HC_INFO_RAM_BASE 0  /* guest-physical base of the first RAM region */
#define HC_INFO_RAM_SIZE 1  /* its size in bytes */
#define HC_INFO_VCPUS 2     /* number of vCPUs of this VM */
#define HC_INFO_VM_ID 3
#define HC_INFO_VCPU_ID 4   /* the calling vCPU's index */
#define HC_INFO_RESETS 5    /* how many times this VM was reset (0 on first boot) */

/* error results (as signed 64-bit) */
#define HC_EINVAL (-1)
#define HC_EFAULT (-8)
#define HC_ENOSYS (-7)

/* The "dummy" emulated device (type 0x0) is a test register file: every
 * byte offset reads back what was last written there; bytes never written
 * read as 0x80 | (offset & 0x7f), so every byte has its top bit set and a
 * sign-extending load of any width yields a negative number. Accesses of
 * 1, 2, 4 and 8 bytes are supported at any offset inside the window. */
#define DUMMY_RESET_BYTE(off) (0x80u | ((off) & 0x7fu))

#endif
