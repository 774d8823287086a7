/* Modern virtio-pci transport (virtio 1.x, 4.1): the device's registers sit
 * in memory BARs that vendor-specific PCI capabilities point at. The
 * capability list and the BARs come from the device, so the walk is bounded
 * and loop safe, and every window is checked to lie inside its BAR (sized
 * the standard way) before it is mapped and used. */
#include "ax/format.h"
#include "ax/string.h"
#include "ax/virtio.h"

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2u
#define PCI_COMMAND_MASTER 0x4u
#define PCI_STATUS_CAP_LIST 0x10u
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CAP_ID_VENDOR 0x09

enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };

/* struct virtio_pci_common_cfg */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_NUM_QUEUES 0x12
#define CC_STATUS 0x14
#define CC_CFGGEN 0x15
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOFF 0x1e
#define CC_Q_DESCLO 0x20
#define CC_Q_DESCHI 0x24
#define CC_Q_AVAILLO 0x28
#define CC_Q_AVAILHI 0x2c
#define CC_Q_USEDLO 0x30
#define CC_Q_USEDHI 0x34
#define CC_MIN_LEN 0x38

uint32_t virtio_pci_device_id(uint16_t vendor, uint16_t device, uint16_t subsys_device)
{
    if (vendor != VIRTIO_PCI_VENDOR)
        return 0;
    if (device > VIRTIO_PCI_DEVICE_MODERN_BASE && device <= 0x107f)
        return (uint32_t)(device - VIRTIO_PCI_DEVICE_MODERN_BASE);
    if (device >= 0x1000 && device <= 0x103f)
        return subsys_device; /* transitional: the subsystem id says what it is */
    return 0;
}

/* ---- register access in the windows ---- */

static uint32_t r(struct virtio_dev *d, uintptr_t a, unsigned w) { return d->io->read(d->io->ctx, a, w); }
static void w(struct virtio_dev *d, uintptr_t a, unsigned width, uint32_t v) { d->io->write(d->io->ctx, a, width, v); }

static uint8_t pci_get_status(struct virtio_dev *d) { return (uint8_t)r(d, d->common + CC_STATUS, 1); }
static void pci_set_status(struct virtio_dev *d, uint8_t s) { w(d, d->common + CC_STATUS, 1, s); }

static uint64_t pci_get_features(struct virtio_dev *d)
{
    w(d, d->common + CC_DFSELECT, 4, 0);
    uint64_t lo = r(d, d->common + CC_DF, 4);
    w(d, d->common + CC_DFSELECT, 4, 1);
    uint64_t hi = r(d, d->common + CC_DF, 4);
    return lo | hi << 32;
}

static void pci_set_features(struct virtio_dev *d, uint64_t f)
{
    w(d, d->common + CC_GFSELECT, 4, 0);
    w(d, d->common + CC_GF, 4, (uint32_t)f);
    w(d, d->common + CC_GFSELECT, 4, 1);
    w(d, d->common + CC_GF, 4, (uint32_t)(f >> 32));
}

static int pci_read_config(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
    unsigned width;
    if (off % 4 == 0 && len % 4 == 0 && len)
        width = 4;
    else if (len == 2 && off % 2 == 0)
        width = 2;
    else if (len == 1)
        width = 1;
    else
        return -AX_EINVAL;
    if ((uint64_t)off + len > d->device_len)
        return -AX_ERANGE;
    uint8_t *out = buf;
    for (int tries = 0; tries < 16; tries++) {
        uint32_t gen = r(d, d->common + CC_CFGGEN, 1);
        for (uint32_t i = 0; i < len; i += width) {
            uint32_t v = r(d, d->device + off + i, width);
            memcpy(out + i, &v, width);
        }
        if (r(d, d->common + CC_CFGGEN, 1) == gen)
            return 0;
    }
    return -AX_EIO;
}

static uint16_t pci_queue_max(struct virtio_dev *d, uint16_t q)
{
    if (q >= r(d, d->common + CC_NUM_QUEUES, 2))
        return 0;
    w(d, d->common + CC_Q_SELECT, 2, q);
    if (r(d, d->common + CC_Q_ENABLE, 2) != 0)
        return 0;
    uint32_t max = r(d, d->common + CC_Q_SIZE, 2);
    return max > 0x8000 ? 0x8000 : (uint16_t)max;
}

static int pci_queue_enable(struct virtio_dev *d, uint16_t q, uint16_t size, paddr_t desc, paddr_t avail,
                            paddr_t used)
{
    w(d, d->common + CC_Q_SELECT, 2, q);
    uint64_t noff = (uint64_t)r(d, d->common + CC_Q_NOFF, 2) * d->notify_mult;
    if (noff + 2 > d->notify_len)
        return -AX_EIO;
    d->queue_notify = d->notify + (uintptr_t)noff;
    w(d, d->common + CC_Q_SIZE, 2, size);
    w(d, d->common + CC_Q_DESCLO, 4, (uint32_t)desc);
    w(d, d->common + CC_Q_DESCHI, 4, (uint32_t)(desc >> 32));
    w(d, d->common + CC_Q_AVAILLO, 4, (uint32_t)avail);
    w(d, d->common + CC_Q_AVAILHI, 4, (uint32_t)(avail >> 32));
    w(d, d->common + CC_Q_USEDLO, 4, (uint32_t)used);
    w(d, d->common + CC_Q_USEDHI, 4, (uint32_t)(used >> 32));
    w(d, d->common + CC_Q_ENABLE, 2, 1);
    return r(d, d->common + CC_Q_ENABLE, 2) == 1 ? 0 : -AX_EIO;
}

static void pci_notify(struct virtio_dev *d, uint16_t q)
{
    if (d->queue_notify)
        w(d, d->queue_notify, 2, q);
    if (d->isr)
        (void)r(d, d->isr, 1); /* reading clears the (unused) interrupt */
}

static const struct virtio_ops pci_ops = {
    .get_status = pci_get_status,
    .set_status = pci_set_status,
    .get_features = pci_get_features,
    .set_features = pci_set_features,
    .read_config = pci_read_config,
    .queue_max = pci_queue_max,
    .queue_enable = pci_queue_enable,
    .notify = pci_notify,
};

/* ---- configuration space ---- */

static uint32_t cfg32(const struct pci_cfg *c, unsigned off) { return c->read32(c->ctx, (uint16_t)(off & 0xfc)); }
static uint8_t cfg8(const struct pci_cfg *c, unsigned off) { return (uint8_t)(cfg32(c, off) >> (8 * (off & 3))); }
static uint16_t cfg16(const struct pci_cfg *c, unsigned off) { return (uint16_t)(cfg32(c, off) >> (8 * (off & 2))); }

struct bar {
    uint64_t addr, size; /* size 0: not probed or unusable */
    bool probed, usable;
};

/* Address and size of memory BAR i; decoding must be off while sizing. */
static int bar_probe(const struct pci_cfg *c, unsigned i, struct bar *b, char *why, size_t whylen)
{
    unsigned off = PCI_BAR0 + 4 * i;
    uint32_t lo = cfg32(c, off);
    b->probed = true;
    if (lo & 1) {
        ax_snprintf(why, whylen, "BAR %u is an I/O BAR", i);
        return -AX_EINVAL;
    }
    bool is64 = ((lo >> 1) & 3) == 2;
    if (is64 && i == 5) {
        ax_snprintf(why, whylen, "BAR 5 claims 64 bits");
        return -AX_EINVAL;
    }
    uint32_t hi = is64 ? cfg32(c, off + 4) : 0;
    c->write32(c->ctx, (uint16_t)off, 0xffffffffu);
    if (is64)
        c->write32(c->ctx, (uint16_t)(off + 4), 0xffffffffu);
    uint64_t mask = cfg32(c, off) & ~0xfu;
    mask |= is64 ? (uint64_t)cfg32(c, off + 4) << 32 : 0xffffffff00000000ull;
    c->write32(c->ctx, (uint16_t)off, lo);
    if (is64)
        c->write32(c->ctx, (uint16_t)(off + 4), hi);
    b->addr = ((uint64_t)hi << 32) | (lo & ~0xfu);
    b->size = mask ? ~mask + 1 : 0;
    if (b->size == 0 || (b->size & (b->size - 1)) != 0) {
        ax_snprintf(why, whylen, "BAR %u has no valid size", i);
        return -AX_EINVAL;
    }
    if (b->addr == 0) {
        ax_snprintf(why, whylen, "BAR %u has no address assigned", i);
        return -AX_EINVAL;
    }
    if (b->addr + b->size < b->addr) {
        ax_snprintf(why, whylen, "BAR %u wraps around", i);
        return -AX_EINVAL;
    }
    b->usable = true;
    return 0;
}

struct cap {
    bool found;
    uint8_t bar;
    uint32_t offset, length, mult;
};

/* Finds the first capability of each type the driver needs. */
static int walk_caps(const struct pci_cfg *c, struct cap caps[5], char *why, size_t whylen)
{
    if (!(cfg16(c, 0x06) & PCI_STATUS_CAP_LIST)) {
        ax_snprintf(why, whylen, "no capability list");
        return -AX_ENOSYS;
    }
    uint64_t seen[4] = {0}; /* one bit per dword of config space */
    unsigned ptr = cfg8(c, PCI_CAP_PTR) & 0xfc;
    for (unsigned n = 0; ptr != 0; n++) {
        if (ptr < 0x40 || n >= 48 || (seen[ptr / 4 / 64] >> (ptr / 4 % 64) & 1)) {
            ax_snprintf(why, whylen, "malformed capability list at %#x", ptr);
            return -AX_EINVAL;
        }
        seen[ptr / 4 / 64] |= 1ull << (ptr / 4 % 64);
        uint8_t id = cfg8(c, ptr), len = cfg8(c, ptr + 2), type = cfg8(c, ptr + 3);
        unsigned next = cfg8(c, ptr + 1) & 0xfc;
        if (id == PCI_CAP_ID_VENDOR && type >= CAP_COMMON && type <= CAP_DEVICE && !caps[type].found) {
            unsigned need = type == CAP_NOTIFY ? 20 : 16;
            if (len < need || ptr + need > 256) {
                ax_snprintf(why, whylen, "virtio capability at %#x is too short", ptr);
                return -AX_EINVAL;
            }
            struct cap *cp = &caps[type];
            cp->bar = cfg8(c, ptr + 4);
            cp->offset = cfg32(c, ptr + 8);
            cp->length = cfg32(c, ptr + 12);
            cp->mult = type == CAP_NOTIFY ? cfg32(c, ptr + 16) : 0;
            /* a capability naming no BAR (> 5) is skipped, as the spec says */
            cp->found = cp->bar <= 5;
        }
        ptr = next;
    }
    return 0;
}

/* Window of capability cp inside its BAR, mapped; 0 or an error. */
static int cap_window(const struct pci_cfg *c, const struct cap *cp, struct bar bars[6], uintptr_t *out,
                      const char *what, char *why, size_t whylen)
{
    struct bar *b = &bars[cp->bar];
    if (!b->probed) {
        int rc = bar_probe(c, cp->bar, b, why, whylen);
        if (rc)
            return rc;
    }
    if (!b->usable) {
        ax_snprintf(why, whylen, "the %s window's BAR %u is unusable", what, cp->bar);
        return -AX_EINVAL;
    }
    if (cp->length == 0 || (uint64_t)cp->offset + cp->length > b->size) {
        ax_snprintf(why, whylen, "the %s window [%#x, +%#x) lies outside BAR %u (%#llx bytes)", what, cp->offset,
                    cp->length, cp->bar, (unsigned long long)b->size);
        return -AX_EINVAL;
    }
    paddr_t pa = b->addr + cp->offset;
    if (pa > UINTPTR_MAX - cp->length) {
        ax_snprintf(why, whylen, "the %s window is not addressable", what);
        return -AX_EINVAL;
    }
    if (c->map) {
        int rc = c->map(c->ctx, pa, cp->length);
        if (rc) {
            ax_snprintf(why, whylen, "cannot map the %s window at %#llx: %s", what, (unsigned long long)pa,
                        ax_strerror(rc));
            return rc;
        }
    }
    *out = (uintptr_t)pa;
    return 0;
}

static int find_windows(struct virtio_dev *d, const struct pci_cfg *c, char *why, size_t whylen)
{
    struct cap caps[5];
    struct bar bars[6];
    memset(caps, 0, sizeof(caps));
    memset(bars, 0, sizeof(bars));
    int rc = walk_caps(c, caps, why, whylen);
    if (rc)
        return rc;
    if (!caps[CAP_COMMON].found || !caps[CAP_NOTIFY].found || !caps[CAP_DEVICE].found) {
        ax_snprintf(why, whylen, "no modern virtio capabilities (a legacy-only device)");
        return -AX_ENOSYS;
    }
    if (caps[CAP_COMMON].length < CC_MIN_LEN) {
        ax_snprintf(why, whylen, "the common configuration window is only %u bytes", caps[CAP_COMMON].length);
        return -AX_EINVAL;
    }
    rc = cap_window(c, &caps[CAP_COMMON], bars, &d->common, "common configuration", why, whylen);
    if (!rc)
        rc = cap_window(c, &caps[CAP_NOTIFY], bars, &d->notify, "notification", why, whylen);
    if (!rc)
        rc = cap_window(c, &caps[CAP_DEVICE], bars, &d->device, "device configuration", why, whylen);
    if (!rc && caps[CAP_ISR].found && cap_window(c, &caps[CAP_ISR], bars, &d->isr, "ISR", why, whylen) != 0)
        d->isr = 0; /* optional: only read to tidy up */
    if (rc)
        return rc;
    d->notify_len = caps[CAP_NOTIFY].length;
    d->notify_mult = caps[CAP_NOTIFY].mult;
    d->device_len = caps[CAP_DEVICE].length;
    return 0;
}

int virtio_pci_probe(struct virtio_dev *d, uint32_t device_id, const struct pci_cfg *cfg,
                     const struct virtio_io *io, const char *name, char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    d->ops = &pci_ops;
    d->io = io ? io : &virtio_io_direct;
    d->device_id = device_id;
    ax_snprintf(d->name, sizeof(d->name), "%s", name ? name : "virtio-pci");
    uint32_t cmd = cfg32(cfg, PCI_COMMAND) & 0xffff;
    /* BARs are sized with decoding off, as sizing moves them */
    cfg->write32(cfg->ctx, PCI_COMMAND, cmd & ~(PCI_COMMAND_MEMORY | 1u));
    char why[120] = "";
    int rc = find_windows(d, cfg, why, sizeof(why));
    if (rc) {
        cfg->write32(cfg->ctx, PCI_COMMAND, cmd);
        ax_snprintf(err, errlen, "%s: %s", d->name, why);
        return rc;
    }
    cfg->write32(cfg->ctx, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return 0;
}
