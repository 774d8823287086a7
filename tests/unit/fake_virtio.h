/* A virtio-blk device in host memory for the driver's tests and fuzzer,
 * reachable through a virtio-mmio (version 2) register window or a modern
 * virtio-pci function (configuration space + one 64-bit memory BAR).
 *
 * The driver's buffer addresses are host pointers (the host build's
 * virt_to_phys is the identity), so the device reads the rings and copies
 * data with plain memory accesses; ASan then catches any address the driver
 * gets wrong. The device checks what the driver does (status order,
 * descriptor chains) and counts violations in protocol_errors. Faults make
 * it misbehave on purpose, or a script (the fuzzer) decides every answer. */
#ifndef FAKE_VIRTIO_H
#define FAKE_VIRTIO_H

#include <stdint.h>
#include <string.h>

#include "ax/virtio.h"

#define FAKE_MMIO_BASE 0x7f000000u /* register addresses, never dereferenced */
#define FAKE_BAR_ADDR 0xfe000000u
#define FAKE_BAR_SIZE 0x4000u
#define FAKE_PCI_COMMON 0x0000u
#define FAKE_PCI_ISR 0x1000u
#define FAKE_PCI_DEVICE 0x2000u
#define FAKE_PCI_NOTIFY 0x3000u
#define FAKE_NOTIFY_MULT 4u

enum fake_fault {
    FAKE_OK = 0,
    FAKE_NEVER_COMPLETE, /* takes the request, never answers */
    FAKE_IDX_JUMP,       /* used->idx moves by 2 for one request */
    FAKE_IDX_BACK,       /* used->idx moves backwards */
    FAKE_BAD_ID,         /* a used id that is no chain in flight */
    FAKE_BAD_LEN,        /* claims more bytes than the chain can take */
    FAKE_IOERR,          /* status VIRTIO_BLK_S_IOERR */
    FAKE_NO_STATUS,      /* leaves the status byte alone */
    FAKE_STATUS_GARBAGE, /* status 0x7f */
    FAKE_SCRIPTED,       /* every answer from script[] */
};

struct fake_dev {
    /* what the device is */
    uint32_t magic, version, device_id;
    uint64_t features;    /* offered */
    uint32_t num_max;
    bool refuse_features; /* FEATURES_OK does not stick */
    bool ready_stuck;     /* queue ready / enable reads 0 */
    bool config_unstable; /* the generation changes on every read */
    bool reset_stuck;     /* status never reads 0 */
    bool refuse_driver_ok;
    /* transport state */
    uint32_t status, dfsel, gfsel, queue_sel, queue_num, queue_ready, gen;
    uint64_t driver_features, desc, avail, used;
    uint16_t last_avail, used_idx;
    /* the disk */
    uint8_t *disk;
    uint64_t capacity; /* sectors */
    /* behaviour */
    enum fake_fault fault;
    unsigned fault_after; /* requests served normally first */
    const uint8_t *script;
    size_t script_len, script_pos;
    /* what happened */
    unsigned requests, notifies, resets, protocol_errors, flushes;
    uint32_t last_type;
    uint64_t last_sector;
    uint32_t status_log[16];
    unsigned status_writes;
};

static inline void fake_init(struct fake_dev *f, uint8_t *disk, uint64_t sectors)
{
    memset(f, 0, sizeof(*f));
    f->magic = VIRTIO_MMIO_MAGIC_VALUE;
    f->version = 2;
    f->device_id = VIRTIO_ID_BLOCK;
    f->features = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                  (1ull << 28) /* INDIRECT_DESC: the driver must not take it */;
    f->num_max = 256;
    f->disk = disk;
    f->capacity = sectors;
}

static inline uint8_t fake_script_byte(struct fake_dev *f)
{
    return f->script_pos < f->script_len ? f->script[f->script_pos++] : 0;
}

static inline void fake_reset(struct fake_dev *f)
{
    f->resets++;
    f->status = f->reset_stuck ? VIRTIO_STATUS_FAILED : 0;
    f->queue_ready = 0;
    f->queue_num = 0;
    f->last_avail = 0;
    f->used_idx = 0;
    f->driver_features = 0;
    f->desc = f->avail = f->used = 0;
}

static inline void fake_set_status(struct fake_dev *f, uint32_t v)
{
    if (f->status_writes < 16)
        f->status_log[f->status_writes] = v;
    f->status_writes++;
    if (v == 0) {
        fake_reset(f);
        return;
    }
    if ((v & VIRTIO_STATUS_FEATURES_OK) && !(f->status & VIRTIO_STATUS_FEATURES_OK)) {
        if (f->driver_features & ~f->features)
            f->protocol_errors++; /* accepted a feature that was not offered */
        if (f->refuse_features || !(f->driver_features & (1ull << VIRTIO_F_VERSION_1)))
            v &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    if ((v & VIRTIO_STATUS_DRIVER_OK) && f->refuse_driver_ok)
        v |= VIRTIO_STATUS_NEEDS_RESET;
    f->status = v;
}

/* Serves one chain; returns false when the device stays silent. */
static inline void fake_complete(struct fake_dev *f, uint16_t head, uint32_t written, volatile uint8_t *status,
                                 uint8_t st)
{
    volatile struct vring_used *used = (volatile struct vring_used *)(uintptr_t)f->used;
    uint32_t id = head, len = written;
    uint16_t step = 1;
    bool write_status = true;
    enum fake_fault fault = f->requests > f->fault_after ? f->fault : FAKE_OK;
    switch (fault) {
    case FAKE_NEVER_COMPLETE: return;
    case FAKE_IDX_JUMP: step = 2; break;
    case FAKE_IDX_BACK: step = (uint16_t)-1; break;
    case FAKE_BAD_ID: id = head + 0x100; break;
    case FAKE_BAD_LEN: len = written + 4096; break;
    case FAKE_IOERR: st = VIRTIO_BLK_S_IOERR; break;
    case FAKE_NO_STATUS: write_status = false; break;
    case FAKE_STATUS_GARBAGE: st = 0x7f; break;
    case FAKE_SCRIPTED: {
        uint8_t op = fake_script_byte(f);
        if (op & 1)
            id = fake_script_byte(f) | (uint32_t)fake_script_byte(f) << 8;
        if (op & 2)
            len = fake_script_byte(f) | (uint32_t)fake_script_byte(f) << 8 | (uint32_t)fake_script_byte(f) << 16;
        if (op & 4)
            st = fake_script_byte(f);
        if (op & 8)
            step = fake_script_byte(f);
        if (op & 16)
            write_status = false;
        if (op & 32)
            return; /* silence */
        break;
    }
    default: break;
    }
    if (write_status && status)
        *status = st;
    used->ring[f->used_idx % f->queue_num].id = id;
    used->ring[f->used_idx % f->queue_num].len = len;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    f->used_idx = (uint16_t)(f->used_idx + step);
    used->idx = f->used_idx;
}

static inline void fake_serve_chain(struct fake_dev *f, uint16_t head)
{
    volatile struct vring_desc *desc = (volatile struct vring_desc *)(uintptr_t)f->desc;
    struct vring_desc d[4];
    unsigned n = 0;
    uint16_t i = head;
    for (;;) {
        if (i >= f->queue_num || n == 4) {
            f->protocol_errors++;
            return;
        }
        d[n].addr = desc[i].addr;
        d[n].len = desc[i].len;
        d[n].flags = desc[i].flags;
        d[n].next = desc[i].next;
        n++;
        if (!(d[n - 1].flags & VRING_DESC_F_NEXT))
            break;
        i = d[n - 1].next;
    }
    f->requests++;
    if (n < 2 || d[0].len != sizeof(struct virtio_blk_req) || (d[0].flags & VRING_DESC_F_WRITE) ||
        d[n - 1].len != 1 || !(d[n - 1].flags & VRING_DESC_F_WRITE)) {
        f->protocol_errors++;
        return;
    }
    const struct virtio_blk_req *req = (const struct virtio_blk_req *)(uintptr_t)d[0].addr;
    volatile uint8_t *status = (volatile uint8_t *)(uintptr_t)d[n - 1].addr;
    f->last_type = req->type;
    f->last_sector = req->sector;
    uint8_t st = VIRTIO_BLK_S_OK;
    uint32_t written = 1;
    if (req->type == VIRTIO_BLK_T_FLUSH) {
        f->flushes++;
        if (n != 2)
            f->protocol_errors++;
    } else if (req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_OUT) {
        bool in = req->type == VIRTIO_BLK_T_IN;
        if (n != 3 || d[1].len % 512 || !(d[1].flags & VRING_DESC_F_WRITE) != !in) {
            f->protocol_errors++;
            return;
        }
        uint64_t nsec = d[1].len / 512;
        if (req->sector > f->capacity || nsec > f->capacity - req->sector) {
            st = VIRTIO_BLK_S_IOERR;
        } else if (in) {
            memcpy((void *)(uintptr_t)d[1].addr, f->disk + req->sector * 512, d[1].len);
            written += d[1].len;
        } else {
            memcpy(f->disk + req->sector * 512, (const void *)(uintptr_t)d[1].addr, d[1].len);
        }
    } else {
        st = VIRTIO_BLK_S_UNSUPP;
    }
    fake_complete(f, head, written, status, st);
}

static inline void fake_notify(struct fake_dev *f, uint32_t q)
{
    f->notifies++;
    if (q != 0 || !f->queue_ready || !(f->status & VIRTIO_STATUS_DRIVER_OK)) {
        f->protocol_errors++;
        return;
    }
    volatile struct vring_avail *avail = (volatile struct vring_avail *)(uintptr_t)f->avail;
    uint16_t idx = avail->idx;
    for (unsigned guard = 0; f->last_avail != idx && guard < f->queue_num; guard++) {
        uint16_t head = avail->ring[f->last_avail % f->queue_num];
        f->last_avail++;
        fake_serve_chain(f, head);
    }
}

static inline uint32_t fake_config_read(struct fake_dev *f, uint32_t off, unsigned width)
{
    uint8_t cfg[24] = {0};
    memcpy(cfg, &f->capacity, 8);
    uint32_t blk = 512;
    memcpy(cfg + 20, &blk, 4);
    uint32_t v = 0;
    if (off + width <= sizeof(cfg))
        memcpy(&v, cfg + off, width);
    return v;
}

static inline void fake_set_queue_addr(uint64_t *a, bool high, uint32_t v)
{
    *a = high ? (*a & 0xffffffffu) | (uint64_t)v << 32 : (*a & ~0xffffffffull) | v;
}

/* ---- virtio-mmio front end ---- */

static inline uint32_t fake_mmio_read(void *ctx, uintptr_t addr, unsigned width)
{
    struct fake_dev *f = ctx;
    uint32_t off = (uint32_t)(addr - FAKE_MMIO_BASE);
    if (off >= VIRTIO_MMIO_CONFIG)
        return fake_config_read(f, off - VIRTIO_MMIO_CONFIG, width);
    switch (off) {
    case VIRTIO_MMIO_MAGIC: return f->magic;
    case VIRTIO_MMIO_VERSION: return f->version;
    case VIRTIO_MMIO_DEVICE_ID: return f->device_id;
    case VIRTIO_MMIO_VENDOR_ID: return 0x554d4551;
    case VIRTIO_MMIO_DEVICE_FEATURES: return f->dfsel == 0 ? (uint32_t)f->features : f->dfsel == 1 ? (uint32_t)(f->features >> 32) : 0;
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return f->queue_sel == 0 ? f->num_max : 0;
    case VIRTIO_MMIO_QUEUE_READY: return f->ready_stuck ? 0 : f->queue_ready;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return 1;
    case VIRTIO_MMIO_STATUS: return f->status;
    case VIRTIO_MMIO_CONFIG_GENERATION: return f->config_unstable ? f->gen++ : f->gen;
    default: return 0;
    }
}

static inline void fake_mmio_write(void *ctx, uintptr_t addr, unsigned width, uint32_t v)
{
    struct fake_dev *f = ctx;
    uint32_t off = (uint32_t)(addr - FAKE_MMIO_BASE);
    (void)width;
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL: f->dfsel = v; break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL: f->gfsel = v; break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (f->gfsel < 2)
            f->driver_features = f->gfsel ? (f->driver_features & 0xffffffffu) | (uint64_t)v << 32
                                           : (f->driver_features & ~0xffffffffull) | v;
        break;
    case VIRTIO_MMIO_QUEUE_SEL: f->queue_sel = v; break;
    case VIRTIO_MMIO_QUEUE_NUM:
        if (v == 0 || v > f->num_max || (v & (v - 1)))
            f->protocol_errors++;
        f->queue_num = v;
        break;
    case VIRTIO_MMIO_QUEUE_READY:
        if (!(f->status & VIRTIO_STATUS_FEATURES_OK))
            f->protocol_errors++;
        f->queue_ready = v;
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY: fake_notify(f, v); break;
    case VIRTIO_MMIO_STATUS: fake_set_status(f, v); break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW: fake_set_queue_addr(&f->desc, false, v); break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH: fake_set_queue_addr(&f->desc, true, v); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: fake_set_queue_addr(&f->avail, false, v); break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: fake_set_queue_addr(&f->avail, true, v); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: fake_set_queue_addr(&f->used, false, v); break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: fake_set_queue_addr(&f->used, true, v); break;
    default: break;
    }
}

static const struct virtio_io fake_mmio_io_ops = {fake_mmio_read, fake_mmio_write, NULL};

static inline struct virtio_io fake_mmio_io(struct fake_dev *f)
{
    struct virtio_io io = fake_mmio_io_ops;
    io.ctx = f;
    return io;
}

/* ---- virtio-pci front end: config space and the BAR's windows ---- */

struct fake_pci {
    struct fake_dev *dev;
    uint8_t cfg[256];
    uint64_t bar_size[6]; /* 0: not implemented */
    unsigned maps, writes_while_decoding;
};

static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* Capabilities: common at 0x40, notify 0x50, ISR 0x64, device 0x74, all in
 * BAR 4 (64-bit memory). */
static inline void fake_pci_init(struct fake_pci *p, struct fake_dev *f)
{
    memset(p, 0, sizeof(*p));
    p->dev = f;
    uint8_t *c = p->cfg;
    put32(c + 0x00, 0x1af4u | 0x1042u << 16);
    put32(c + 0x04, 0x0010u << 16); /* status: capability list */
    put32(c + 0x2c, 0x1af4u | 0x0002u << 16);
    c[0x34] = 0x40;
    put32(c + 0x20, FAKE_BAR_ADDR | 0x4); /* BAR 4: 64-bit memory */
    put32(c + 0x24, 0);
    p->bar_size[4] = FAKE_BAR_SIZE;
    static const struct { uint8_t at, next, len, type; uint32_t off, size; } caps[] = {
        {0x40, 0x50, 16, 1, FAKE_PCI_COMMON, 0x38},
        {0x50, 0x64, 20, 2, FAKE_PCI_NOTIFY, 0x1000},
        {0x64, 0x74, 16, 3, FAKE_PCI_ISR, 4},
        {0x74, 0x00, 16, 4, FAKE_PCI_DEVICE, 0x100},
    };
    for (unsigned i = 0; i < 4; i++) {
        uint8_t *cp = c + caps[i].at;
        cp[0] = 0x09;
        cp[1] = caps[i].next;
        cp[2] = caps[i].len;
        cp[3] = caps[i].type;
        cp[4] = 4;
        put32(cp + 8, caps[i].off);
        put32(cp + 12, caps[i].size);
        if (caps[i].type == 2)
            put32(cp + 16, FAKE_NOTIFY_MULT);
    }
}

static inline uint32_t fake_pci_cfg_read(void *ctx, uint16_t off)
{
    struct fake_pci *p = ctx;
    uint32_t v;
    memcpy(&v, p->cfg + (off & 0xfc), 4);
    return v;
}

static inline void fake_pci_cfg_write(void *ctx, uint16_t off, uint32_t v)
{
    struct fake_pci *p = ctx;
    off &= 0xfc;
    if (off >= 0x10 && off < 0x28) {
        unsigned bar = (off - 0x10) / 4;
        uint32_t old;
        memcpy(&old, p->cfg + off, 4);
        if (p->cfg[4] & 0x2)
            p->writes_while_decoding++; /* sizing a BAR that decodes */
        /* a 64-bit BAR's upper half sizes with the lower one */
        unsigned lo = bar;
        bool upper = bar > 0 && p->bar_size[bar] == 0 && p->bar_size[bar - 1] && (p->cfg[0x10 + 4 * (bar - 1)] & 6) == 4;
        if (upper)
            lo = bar - 1;
        uint64_t size = p->bar_size[lo];
        if (size == 0) {
            put32(p->cfg + off, 0);
            return;
        }
        if (v == 0xffffffffu) {
            uint64_t mask = ~(size - 1);
            put32(p->cfg + off, upper ? (uint32_t)(mask >> 32) : ((uint32_t)mask & ~0xfu) | (old & 0xf));
        } else {
            put32(p->cfg + off, upper ? v : (v & ~0xfu) | (old & 0xf));
        }
        return;
    }
    if (off == 0x04) {
        p->cfg[4] = (uint8_t)v;
        p->cfg[5] = (uint8_t)(v >> 8);
        return;
    }
    put32(p->cfg + off, v);
}

static inline int fake_pci_map(void *ctx, paddr_t pa, uint64_t size)
{
    struct fake_pci *p = ctx;
    (void)pa;
    (void)size;
    p->maps++;
    return 0;
}

static inline struct pci_cfg fake_pci_cfg(struct fake_pci *p)
{
    struct pci_cfg c = {fake_pci_cfg_read, fake_pci_cfg_write, fake_pci_map, p};
    return c;
}

static inline uint32_t fake_pci_bar_read(void *ctx, uintptr_t addr, unsigned width)
{
    struct fake_pci *p = ctx;
    struct fake_dev *f = p->dev;
    uint32_t off = (uint32_t)(addr - FAKE_BAR_ADDR);
    if (!(p->cfg[4] & 0x2))
        f->protocol_errors++; /* memory decoding is off */
    if (off >= FAKE_PCI_DEVICE && off < FAKE_PCI_DEVICE + 0x100)
        return fake_config_read(f, off - FAKE_PCI_DEVICE, width);
    if (off == FAKE_PCI_ISR)
        return 1;
    switch (off - FAKE_PCI_COMMON) {
    case 0x04: return f->dfsel == 0 ? (uint32_t)f->features : f->dfsel == 1 ? (uint32_t)(f->features >> 32) : 0;
    case 0x12: return 1; /* num_queues */
    case 0x14: return f->status;
    case 0x15: return f->config_unstable ? f->gen++ & 0xff : f->gen & 0xff;
    case 0x18: return f->queue_sel == 0 ? (f->queue_num ? f->queue_num : f->num_max) : 0;
    case 0x1c: return f->ready_stuck ? 0 : f->queue_ready;
    case 0x1e: return 0; /* queue_notify_off */
    default: return 0;
    }
}

static inline void fake_pci_bar_write(void *ctx, uintptr_t addr, unsigned width, uint32_t v)
{
    struct fake_pci *p = ctx;
    struct fake_dev *f = p->dev;
    uint32_t off = (uint32_t)(addr - FAKE_BAR_ADDR);
    (void)width;
    if (!(p->cfg[4] & 0x2))
        f->protocol_errors++;
    if (off == FAKE_PCI_NOTIFY) {
        fake_notify(f, v);
        return;
    }
    switch (off - FAKE_PCI_COMMON) {
    case 0x00: f->dfsel = v; break;
    case 0x08: f->gfsel = v; break;
    case 0x0c:
        if (f->gfsel < 2)
            f->driver_features = f->gfsel ? (f->driver_features & 0xffffffffu) | (uint64_t)v << 32
                                           : (f->driver_features & ~0xffffffffull) | v;
        break;
    case 0x14: fake_set_status(f, v); break;
    case 0x16: f->queue_sel = v; break;
    case 0x18: f->queue_num = v; break;
    case 0x1c: f->queue_ready = v; break;
    case 0x20: fake_set_queue_addr(&f->desc, false, v); break;
    case 0x24: fake_set_queue_addr(&f->desc, true, v); break;
    case 0x28: fake_set_queue_addr(&f->avail, false, v); break;
    case 0x2c: fake_set_queue_addr(&f->avail, true, v); break;
    case 0x30: fake_set_queue_addr(&f->used, false, v); break;
    case 0x34: fake_set_queue_addr(&f->used, true, v); break;
    default: break;
    }
}

static inline struct virtio_io fake_pci_io(struct fake_pci *p)
{
    struct virtio_io io = {fake_pci_bar_read, fake_pci_bar_write, p};
    return io;
}

#endif
