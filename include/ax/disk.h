/* The machine's disk: the hypervisor's own virtio-blk device (not a guest's).
 * Found through the device tree's virtio-mmio nodes (aarch64, riscv64) or a
 * PCI scan (x86_64). */
#ifndef AX_DISK_H
#define AX_DISK_H

#include "ax/axhal.h"
#include "ax/blockdev.h"

/* Probes for a virtio-blk device, sets it up and logs what it found.
 * With several, the one at the highest virtio-mmio address is used (QEMU
 * gives the first -device the highest slot), or the first in PCI order.
 * NULL if there is none (or it failed; the log says why). Call once. */
struct blockdev *disk_probe(const struct boot_info *bi);

#endif
