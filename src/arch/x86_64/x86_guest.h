/* x86 guest conventions shared by every x86 virtualisation backend (SVM
 * today; a VMX backend would use the same): the boot page tables and GDT
 * the hypervisor builds, guest page-table walks for instruction fetch. */
#ifndef X86_64_X86_GUEST_H
#define X86_64_X86_GUEST_H

#include "ax/addrspace.h"
#include "ax/types.h"

struct vm;

/* Guests start in 64-bit mode on tables the hypervisor builds in a
 * hypervisor-provided 32 KiB region at X86_BOOT_GPA (below the I/O APIC
 * window, not part of the configured RAM, so HC_GUEST_INFO's RAM is all the
 * guest's): PML4 at +0, PDPT at +4 KiB, four page directories at +8..+24
 * KiB identity-mapping [0, 4 GiB) with 2 MiB pages (uncached where a
 * device window or emulated device is), and a GDT at +24 KiB with a 64-bit
 * code segment (selector 0x08) and a flat data segment (0x10). */
#define X86_BOOT_GPA 0xFEBF8000ULL
#define X86_BOOT_SIZE 0x8000ULL
#define X86_BOOT_PML4 (X86_BOOT_GPA)
#define X86_BOOT_GDT (X86_BOOT_GPA + 0x6000)
#define X86_BOOT_GDT_LIMIT 0x17
#define X86_GUEST_SEL_CODE 0x08
#define X86_GUEST_SEL_DATA 0x10

int x86_guest_boot_setup(struct vm *vm, char *err, size_t errlen);

/* Guest-virtual to guest-physical through the guest's own 4-level tables
 * (long mode) rooted at cr3, reading them from guest RAM. paging false:
 * identity. -AX_EFAULT if unmapped or the tables are not guest RAM. */
int x86_guest_walk(struct addrspace *as, uint64_t cr3, bool paging, uint64_t va, paddr_t *gpa);
/* Copies up to n instruction bytes at rip (stops at the first unmapped
 * page); *got is how many. */
int x86_guest_fetch(struct addrspace *as, uint64_t cr3, bool paging, uint64_t rip, uint8_t *buf, size_t n,
                    size_t *got);

/* The CPUID leaf/subleaf result a guest vCPU sees (x86_vm.c). */
void x86_cpuid_guest(uint32_t leaf, uint32_t sub, unsigned vcpu_id, unsigned nvcpu, uint32_t r[4]);

#endif
