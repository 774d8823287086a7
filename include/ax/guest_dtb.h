/* Device tree for an aarch64 Linux guest, generated from a VM description.
 *
 * The tree follows QEMU's virt machine closely enough for an unmodified
 * arm64 kernel: /memory banks, /cpus booted through PSCI (hvc), the
 * architected timer, a GICv2 or GICv3, an optional PL011 console with the
 * fixed clock its driver insists on, optional virtio-mmio devices and
 * /chosen (bootargs, stdout-path, initrd).
 *
 * Plain C, no hardware access: usable from host tests and tools. */
#ifndef AX_GUEST_DTB_H
#define AX_GUEST_DTB_H

#include "ax/types.h"

#define GUEST_DTB_MAX_MEM 8
#define GUEST_DTB_MAX_CPUS AX_MAX_CPUS
#define GUEST_DTB_MAX_VIRTIO 8
#define GUEST_DTB_MAX_BOOTARGS 2048 /* bytes with the NUL: arm64 COMMAND_LINE_SIZE */

#define GUEST_DTB_GICV2_GICD_SIZE 0x1000U
#define GUEST_DTB_GICV2_GICC_SIZE 0x2000U
#define GUEST_DTB_GICV3_GICD_SIZE 0x10000U
#define GUEST_DTB_GICR_STRIDE 0x20000U /* RD_base + SGI_base frames per CPU */
#define GUEST_DTB_UART_SIZE 0x1000U
#define GUEST_DTB_UART_CLOCK_HZ 24000000U

/* Interrupt cells of the generated tree: <type number flags>. */
#define GUEST_DTB_IRQ_SPI 0U
#define GUEST_DTB_IRQ_PPI 1U
#define GUEST_DTB_IRQ_EDGE_RISING 1U /* virtio-mmio, as QEMU describes it */
#define GUEST_DTB_IRQ_LEVEL_HIGH 4U  /* timer PPIs, PL011 */

struct guest_dtb_desc {
    /* RAM banks: 1..GUEST_DTB_MAX_MEM, non-empty, non-overlapping. */
    uint64_t mem_base[GUEST_DTB_MAX_MEM], mem_size[GUEST_DTB_MAX_MEM];
    unsigned nmem;
    /* vCPUs 1..GUEST_DTB_MAX_CPUS; vCPU n gets MPIDR Aff0 = n. */
    unsigned ncpus;
    unsigned gic_version; /* 2 or 3 */
    uint64_t gicd_base, gicd_size; /* size 0: 64 KiB (v3) / 4 KiB (v2) */
    uint64_t gicr_base;            /* v3: ncpus * 128 KiB from here */
    uint64_t gicc_base;            /* v2: 8 KiB */
    bool has_uart;
    uint64_t uart_base; /* 4 KiB PL011 */
    uint32_t uart_irq;  /* INTID, an SPI (32..1019) */
    const char *bootargs; /* NULL: no bootargs property */
    bool has_initrd;
    uint64_t initrd_start, initrd_end; /* end exclusive; inside one RAM bank */
    unsigned nvirtio;
    struct {
        uint64_t base, size;
        uint32_t irq; /* INTID, an SPI */
    } virtio[GUEST_DTB_MAX_VIRTIO];
};

/* Checks the description: 0, or a negative AX_E* with *why (may be NULL)
 * set to a static sentence naming the offending field:
 *   -AX_EINVAL  a count, version, size or interrupt number out of its domain
 *   -AX_ERANGE  a region wrapping past 2^64, initrd outside RAM, bootargs
 *               too long
 *   -AX_EEXIST  two regions (RAM, GIC, UART, virtio) overlapping */
int guest_dtb_check(const struct guest_dtb_desc *d, const char **why);

/* Validates d (as guest_dtb_check) and writes the DTB into buf[0..size).
 * 0 and *out_len (may be NULL) = blob length, or a negative AX_E*:
 * a validation error above, -AX_ENOSPC if the buffer is too small. */
int guest_dtb_build(const struct guest_dtb_desc *d, void *buf, size_t size,
                    size_t *out_len);

#endif
