/* CSR access and the RISC-V constants this folder uses. */
#ifndef RISCV64_CSR_H
#define RISCV64_CSR_H

#include <stdint.h>

#define csr_read(csr)                                                     \
    ({                                                                    \
        unsigned long __v;                                                \
        __asm__ volatile("csrr %0, " #csr : "=r"(__v) : : "memory");       \
        __v;                                                              \
    })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" : : "rK"((unsigned long)(v)) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" : : "rK"((unsigned long)(v)) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" : : "rK"((unsigned long)(v)) : "memory")
#define csr_swap(csr, v)                                                                   \
    ({                                                                                     \
        unsigned long __v = (unsigned long)(v);                                            \
        __asm__ volatile("csrrw %0, " #csr ", %0" : "+r"(__v) : : "memory");               \
        __v;                                                                               \
    })

#define H_INSN(s) ".option push\n.option arch, +h\n" s "\n.option pop\n"
static inline void hfence_gvma_all(void) { __asm__ volatile(H_INSN("hfence.gvma zero, zero") ::: "memory"); }
static inline void hfence_vvma_all(void) { __asm__ volatile(H_INSN("hfence.vvma zero, zero") ::: "memory"); }
static inline void sfence_vma_all(void) { __asm__ volatile("sfence.vma zero, zero" ::: "memory"); }

/* sstatus */
#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_SUM (1UL << 18)

/* sie / sip (HS view) and hvip / hip / hie / hideleg (VS bits) */
#define IRQ_S_SOFT 1
#define IRQ_VS_SOFT 2
#define IRQ_S_TIMER 5
#define IRQ_VS_TIMER 6
#define IRQ_S_EXT 9
#define IRQ_VS_EXT 10
#define IRQ_S_GEXT 12
#define SIP_SSIP (1UL << IRQ_S_SOFT)
#define SIP_STIP (1UL << IRQ_S_TIMER)
#define SIP_SEIP (1UL << IRQ_S_EXT)
#define HVIP_VSSIP (1UL << IRQ_VS_SOFT)
#define HVIP_VSTIP (1UL << IRQ_VS_TIMER)
#define HVIP_VSEIP (1UL << IRQ_VS_EXT)
#define HVIP_VS_ALL (HVIP_VSSIP | HVIP_VSTIP | HVIP_VSEIP)

/* scause */
#define SCAUSE_INTR (1UL << 63)
#define EXC_INSN_MISALIGNED 0
#define EXC_INSN_ACCESS 1
#define EXC_ILLEGAL_INSN 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_ECALL_S 9
#define EXC_ECALL_VS 10
#define EXC_INSN_PAGE 12
#define EXC_LOAD_PAGE 13
#define EXC_STORE_PAGE 15
#define EXC_INSN_GUEST_PAGE 20
#define EXC_LOAD_GUEST_PAGE 21
#define EXC_VIRTUAL_INSN 22
#define EXC_STORE_GUEST_PAGE 23

/* hstatus */
#define HSTATUS_VSBE (1UL << 5)
#define HSTATUS_GVA (1UL << 6)
#define HSTATUS_SPV (1UL << 7)
#define HSTATUS_SPVP (1UL << 8)
#define HSTATUS_HU (1UL << 9)
#define HSTATUS_VTVM (1UL << 20)
#define HSTATUS_VTW (1UL << 21)
#define HSTATUS_VTSR (1UL << 22)
#define HSTATUS_VSXL_64 (2UL << 32)

/* henvcfg / menvcfg */
#define ENVCFG_STCE (1UL << 63)

/* hcounteren: CY, TM, IR */
#define COUNTEREN_CY_TM_IR 0x7UL

#endif
