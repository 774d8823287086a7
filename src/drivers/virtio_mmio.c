/* virtio-mmio transport, register layout version 2 (virtio 1.x, 4.2.2).
 * Version 1 (QEMU's default "legacy" virtio-mmio) has another queue layout
 * and is refused with a message saying how to get version 2. */
#include "ax/format.h"
#include "ax/string.h"
#include "ax/virtio.h"

/* Volatile accesses. The fence before a store orders the ring updates
 * before a notification; the one after a load orders it before reading
 * what the register announced. */
static uint32_t direct_read(void *ctx, uintptr_t addr, unsigned width)
{
    (void)ctx;
    uint32_t v;
    switch (width) {
    case 1: v = *(volatile uint8_t *)addr; break;
    case 2: v = *(volatile uint16_t *)addr; break;
    default: v = *(volatile uint32_t *)addr; break;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return v;
}

static void direct_write(void *ctx, uintptr_t addr, unsigned width, uint32_t val)
{
    (void)ctx;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    switch (width) {
    case 1: *(volatile uint8_t *)addr = (uint8_t)val; break;
    case 2: *(volatile uint16_t *)addr = (uint16_t)val; break;
    default: *(volatile uint32_t *)addr = val; break;
    }
}

const struct virtio_io virtio_io_direct = {.read = direct_read, .write = direct_write, .ctx = NULL};

static uint32_t rd(struct virtio_dev *d, uint32_t off) { return d->io->read(d->io->ctx, d->base + off, 4); }
static void wr(struct virtio_dev *d, uint32_t off, uint32_t v) { d->io->write(d->io->ctx, d->base + off, 4, v); }

static uint8_t mmio_get_status(struct virtio_dev *d) { return (uint8_t)rd(d, VIRTIO_MMIO_STATUS); }
static void mmio_set_status(struct virtio_dev *d, uint8_t s) { wr(d, VIRTIO_MMIO_STATUS, s); }

static uint64_t mmio_get_features(struct virtio_dev *d)
{
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t lo = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint64_t hi = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    return lo | hi << 32;
}

static void mmio_set_features(struct virtio_dev *d, uint64_t f)
{
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

/* Config fields must be read with their natural width (32-bit words for
 * 32- and 64-bit fields), and re-read until the generation is stable. */
static int mmio_read_config(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
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
        uint32_t gen = rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
        for (uint32_t i = 0; i < len; i += width) {
            uint32_t v = d->io->read(d->io->ctx, d->base + VIRTIO_MMIO_CONFIG + off + i, width);
            memcpy(out + i, &v, width); /* little-endian: the low bytes */
        }
        if (rd(d, VIRTIO_MMIO_CONFIG_GENERATION) == gen)
            return 0;
    }
    return -AX_EIO;
}

static uint16_t mmio_queue_max(struct virtio_dev *d, uint16_t q)
{
    wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
    if (rd(d, VIRTIO_MMIO_QUEUE_READY) != 0)
        return 0;
    uint32_t max = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
    return max > 0x8000 ? 0x8000 : (uint16_t)max;
}

static int mmio_queue_enable(struct virtio_dev *d, uint16_t q, uint16_t size, paddr_t desc, paddr_t avail,
                             paddr_t used)
{
    wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
    wr(d, VIRTIO_MMIO_QUEUE_NUM, size);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    return rd(d, VIRTIO_MMIO_QUEUE_READY) == 1 ? 0 : -AX_EIO;
}

static void mmio_notify(struct virtio_dev *d, uint16_t q)
{
    wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
    /* completion is polled; keep the (unused) interrupt line quiet */
    uint32_t isr = rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (isr)
        wr(d, VIRTIO_MMIO_INTERRUPT_ACK, isr);
}

static const struct virtio_ops mmio_ops = {
    .get_status = mmio_get_status,
    .set_status = mmio_set_status,
    .get_features = mmio_get_features,
    .set_features = mmio_set_features,
    .read_config = mmio_read_config,
    .queue_max = mmio_queue_max,
    .queue_enable = mmio_queue_enable,
    .notify = mmio_notify,
};

int virtio_mmio_probe(struct virtio_dev *d, paddr_t base, uint64_t size, const struct virtio_io *io, char *err,
                      size_t errlen)
{
    memset(d, 0, sizeof(*d));
    d->ops = &mmio_ops;
    d->io = io ? io : &virtio_io_direct;
    d->base = (uintptr_t)base;
    ax_snprintf(d->name, sizeof(d->name), "virtio-mmio@%#llx", (unsigned long long)base);
    if (size < VIRTIO_MMIO_MIN_SIZE) {
        ax_snprintf(err, errlen, "%s: window of %#llx bytes is too small", d->name, (unsigned long long)size);
        return -AX_EINVAL;
    }
    d->device_len = size - VIRTIO_MMIO_CONFIG > 0x1000 ? 0x1000 : (uint32_t)(size - VIRTIO_MMIO_CONFIG);
    uint32_t magic = rd(d, VIRTIO_MMIO_MAGIC);
    if (magic != VIRTIO_MMIO_MAGIC_VALUE) {
        ax_snprintf(err, errlen, "%s: bad magic %#x (not a virtio-mmio device)", d->name, magic);
        return -AX_EINVAL;
    }
    uint32_t version = rd(d, VIRTIO_MMIO_VERSION);
    d->device_id = rd(d, VIRTIO_MMIO_DEVICE_ID);
    if (d->device_id == 0)
        return 0; /* an empty slot, whatever its version */
    if (version == 1) {
        ax_snprintf(err, errlen,
                    "%s: legacy virtio-mmio (version 1) is not supported; QEMU needs "
                    "-global virtio-mmio.force-legacy=false",
                    d->name);
        return -AX_ENOSYS;
    }
    if (version != 2) {
        ax_snprintf(err, errlen, "%s: unknown virtio-mmio version %u", d->name, version);
        return -AX_ENOSYS;
    }
    return 0;
}
