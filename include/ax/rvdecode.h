/* RISC-V load/store decoding for MMIO exits. Plain C: the same file runs
 * in the hypervisor and in host tests / fuzzers.
 *
 * A guest-page fault tells the hypervisor the guest-physical address but
 * not the access: that comes from the trapped instruction, either the
 * transformed instruction the hardware left in htinst or the original one
 * read from guest memory (HLVX.HU). Only integer loads and stores of RV64I
 * and RV64C are accepted; anything else (AMOs, LR/SC, floating point, an
 * unknown encoding) is -AX_EINVAL, and the hypervisor then treats the
 * access as one to nothing. */
#ifndef AX_RVDECODE_H
#define AX_RVDECODE_H

#include "ax/types.h"

struct rv_access {
    bool store;
    unsigned width;  /* bytes: 1, 2, 4, 8 */
    bool sign_ext;   /* loads: sign-extend to 64 bits (lb, lh, lw) */
    unsigned reg;    /* x register: rd of a load, rs2 of a store (0..31) */
    unsigned len;    /* instruction length in bytes: 2 or 4 */
};

/* Length of the instruction whose low halfword is lo: 2 (compressed), 4,
 * or 0 for the longer encodings (48 bits and up), which never load. */
unsigned rv_insn_len(uint16_t lo);

/* Decodes an instruction as fetched from memory: 16 bits in the low half
 * for a compressed one (the upper half is ignored), else 32 bits.
 * 0 or -AX_EINVAL. */
int rv_decode_access(uint32_t insn, struct rv_access *out);

/* htinst values the hardware may leave on a guest-page fault. */
#define RV_HTINST_PT_READ32 0x00002000u  /* implicit VS-stage PTE read */
#define RV_HTINST_PT_WRITE32 0x00002020u
#define RV_HTINST_PT_READ64 0x00003000u
#define RV_HTINST_PT_WRITE64 0x00003020u

/* Decodes a transformed instruction from htinst (bit 0 set; bit 1 clear
 * when the original was compressed). -AX_ENOENT when htinst says nothing
 * useful (0, or a custom value: read the instruction instead), -AX_EFAULT
 * for the pseudo-instructions of an implicit VS-stage page-table access
 * (not an MMIO access by the guest), -AX_EINVAL for a transformed
 * instruction that is not a plain load or store. */
int rv_decode_htinst(uint64_t htinst, struct rv_access *out);

#endif
