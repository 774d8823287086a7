/* x86-64 4-level paging entry formats (4 KiB granule) for the generic
 * page-table walker (ax/pagetable.h). Plain C, so host tests use them too.
 *
 * pte_x86_64: the hypervisor's own map (CR3, long mode, CR4.PAE, no LA57).
 *   48-bit VA = 4 levels (PML4, PDPT, PD, PT). Table entries are P|RW with
 *   no hierarchical restriction; leaves carry the permissions: RW when PT_W,
 *   NX (bit 63, needs EFER.NXE) when !PT_X. PT_U is dropped (supervisor
 *   only). PT_R is required: a present x86 entry is always readable.
 *
 * pte_x86_64_npt: AMD nested page tables (VMCB nCR3). The same layout as
 *   the host format, but every entry, tables included, has U/S = 1: the
 *   nested walk treats every guest access as a user access, and a U=0
 *   entry anywhere on the path faults. The format is the one a future Intel
 *   EPT backend would NOT share (EPT has its own R/W/X bits).
 *
 * Memory types (default PAT: index = PCD*2 + PWT): PT_DEVICE -> PCD|PWT
 * (UC), PT_NC -> PCD (UC-), otherwise write-back. Blocks: 2 MiB at height 1
 * and 1 GiB at height 2 (PS = bit 7; needs CPUID PDPE1GB). The PAT bit of
 * a leaf (bit 7 / bit 12) is never set, so output addresses are bits
 * [51:12] whatever the level.
 */
#ifndef AX_PTE_X86_64_H
#define AX_PTE_X86_64_H

#include "ax/pagetable.h"

extern const struct pt_format pte_x86_64;
extern const struct pt_format pte_x86_64_npt;

#define X86_PTE_P (1ull << 0)
#define X86_PTE_RW (1ull << 1)
#define X86_PTE_US (1ull << 2)
#define X86_PTE_PWT (1ull << 3)
#define X86_PTE_PCD (1ull << 4)
#define X86_PTE_A (1ull << 5)
#define X86_PTE_D (1ull << 6)
#define X86_PTE_PS (1ull << 7)
#define X86_PTE_G (1ull << 8)
#define X86_PTE_NX (1ull << 63)
#define X86_PTE_ADDR_MASK 0x000FFFFFFFFFF000ull /* bits [51:12] */

#endif
