/* Finding the hypervisor's disk: every virtio-mmio node of the device tree
 * is probed (magic, version 2, device id 2), or on platforms without a
 * device tree the PCI configuration space is scanned for a virtio-blk
 * function. The chosen device becomes a struct blockdev. */
#include "ax/disk.h"
#include "ax/fdt.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/pagetable.h"
#include "ax/pci.h"
#include "ax/task.h"
#include "ax/virtio.h"

static struct virtio_dev disk_dev;
static struct virtio_blk disk_blk;

static void poll_relax(void) { cpu_relax(); }

static const struct virtio_env disk_env = {
    .now_ns = timer_now_ns,
    .relax = poll_relax,
    .timeout_ns = VIRTIO_BLK_DEFAULT_TIMEOUT_NS,
};

/* The virtio-mmio windows of the device tree (the arch's MMU code mapped
 * them); the block device at the highest address wins. */
static bool probe_mmio(const struct boot_info *bi)
{
    struct fdt_platform *p = kzalloc(sizeof(*p));
    if (!p) {
        log_error("disk: out of memory reading the device tree");
        return false;
    }
    bool found = false;
    if (fdt_parse_platform(bi->dtb, bi->dtb_size, p) != 0) {
        log_error("disk: the device tree is malformed; no disk");
        goto out;
    }
    paddr_t best = 0;
    unsigned nblk = 0;
    for (unsigned i = 0; i < p->virtio_count; i++) {
        struct virtio_dev d;
        char err[160];
        int rc = virtio_mmio_probe(&d, p->virtio[i].regs.base, p->virtio[i].regs.size, NULL, err, sizeof(err));
        if (rc == -AX_ENOSYS)
            log_warn("disk: %s", err);
        if (rc || d.device_id != VIRTIO_ID_BLOCK)
            continue;
        nblk++;
        if (!found || p->virtio[i].regs.base > best) {
            best = p->virtio[i].regs.base;
            disk_dev = d;
            found = true;
        }
    }
    if (nblk > 1)
        log_info("disk: %u virtio-blk devices; using %s", nblk, disk_dev.name);
out:
    kfree(p);
    return found;
}

struct pci_fn {
    unsigned bus, dev, fn;
};

static uint32_t fn_read32(void *ctx, uint16_t off)
{
    struct pci_fn *f = ctx;
    return pci_cfg_read32(f->bus, f->dev, f->fn, off);
}

static void fn_write32(void *ctx, uint16_t off, uint32_t val)
{
    struct pci_fn *f = ctx;
    pci_cfg_write32(f->bus, f->dev, f->fn, off, val);
}

static int fn_map(void *ctx, paddr_t pa, uint64_t size)
{
    (void)ctx;
    return mmu_map_hyp(pa, pa, size, PT_R | PT_W | PT_DEVICE);
}

static bool try_pci_fn(unsigned bus, unsigned dev, unsigned fn)
{
    uint32_t id = pci_cfg_read32(bus, dev, fn, 0);
    if ((id & 0xffff) == 0xffff)
        return false;
    if (((pci_cfg_read32(bus, dev, fn, 0x0c) >> 16) & 0x7f) != 0)
        return false; /* bridges and other header types */
    uint16_t subsys = (uint16_t)(pci_cfg_read32(bus, dev, fn, 0x2c) >> 16);
    if (virtio_pci_device_id((uint16_t)id, (uint16_t)(id >> 16), subsys) != VIRTIO_ID_BLOCK)
        return false;
    static struct pci_fn where;
    where = (struct pci_fn){bus, dev, fn};
    const struct pci_cfg cfg = {fn_read32, fn_write32, fn_map, &where};
    char name[32], err[200];
    ax_snprintf(name, sizeof(name), "virtio-pci %02x:%02x.%x", bus, dev, fn);
    if (virtio_pci_probe(&disk_dev, VIRTIO_ID_BLOCK, &cfg, NULL, name, err, sizeof(err)) != 0) {
        log_warn("disk: %s", err);
        return false;
    }
    return true;
}

static bool probe_pci(void)
{
    for (unsigned bus = 0; bus < PCI_MAX_BUS; bus++)
        for (unsigned dev = 0; dev < PCI_MAX_DEV; dev++) {
            uint32_t id = pci_cfg_read32(bus, dev, 0, 0);
            if ((id & 0xffff) == 0xffff)
                continue;
            bool multi = (pci_cfg_read32(bus, dev, 0, 0x0c) >> 16) & 0x80;
            for (unsigned fn = 0; fn < (multi ? PCI_MAX_FN : 1u); fn++)
                if (try_pci_fn(bus, dev, fn))
                    return true;
        }
    return false;
}

struct blockdev *disk_probe(const struct boot_info *bi)
{
    bool found;
    if (bi && bi->dtb)
        found = probe_mmio(bi);
    else if (pci_cfg_available())
        found = probe_pci();
    else {
        log_info("disk: no disk driver for this platform");
        return NULL;
    }
    if (!found) {
        log_info("disk: no virtio-blk device");
        return NULL;
    }
    char err[200];
    if (virtio_blk_init(&disk_blk, &disk_dev, &disk_env, err, sizeof(err)) != 0) {
        log_error("disk: %s", err);
        return NULL;
    }
    uint64_t bytes = disk_blk.capacity * VIRTIO_BLK_SECTOR;
    log_info("disk: virtio-blk at %s: %llu MiB (%llu sectors), %s, queue of %u", disk_dev.name,
             (unsigned long long)(bytes >> 20), (unsigned long long)disk_blk.capacity,
             disk_blk.read_only ? "read-only" : "read-write", disk_blk.vq.size);
    return &disk_blk.bd;
}
