/* virtio-blk (virtio 1.x, 5.2) over any transport, as a struct blockdev.
 *
 * One request at a time: a header the device reads, the data buffer
 * (device-writable for reads), and a status byte it writes. The caller's
 * buffer is handed to the device directly (the hypervisor's memory is
 * identity mapped and physically contiguous per allocation); header and
 * status live in a driver page next to the queue. Completion is polled with
 * a deadline. Anything impossible the device does, or a request that never
 * completes, resets the device and marks it broken. */
#include "ax/axhal.h"
#include "ax/format.h"
#include "ax/frame.h"
#include "ax/string.h"
#include "ax/virtio.h"

#define REQ_AREA 64 /* header (16 bytes) and status byte after the rings */
#define RESET_POLLS 100000

static void fail_device(struct virtio_blk *b)
{
    b->broken = true;
    b->errors++;
    /* a reset makes the device drop the queue, so it stops touching memory */
    b->dev->ops->set_status(b->dev, 0);
}

static bool timed_out(struct virtio_blk *b, uint64_t start, uint64_t polls)
{
    if (b->env.now_ns) {
        uint64_t limit = b->env.timeout_ns ? b->env.timeout_ns : VIRTIO_BLK_DEFAULT_TIMEOUT_NS;
        return b->env.now_ns() - start > limit;
    }
    return polls > (b->env.max_polls ? b->env.max_polls : VIRTIO_BLK_DEFAULT_POLLS);
}

/* One request; data may be NULL (flush). */
static int do_request(struct virtio_blk *b, uint32_t type, uint64_t sector, void *data, uint32_t bytes,
                      bool device_writes)
{
    if (b->broken)
        return -AX_EIO;
    b->hdr->type = type;
    b->hdr->reserved = 0;
    b->hdr->sector = sector;
    *b->status = 0xff; /* a device that never writes it gives an error */
    struct virtq_buf bufs[3];
    unsigned n = 0;
    bufs[n++] = (struct virtq_buf){virt_to_phys((const void *)b->hdr), sizeof(struct virtio_blk_req), false};
    if (data && bytes)
        bufs[n++] = (struct virtq_buf){virt_to_phys(data), bytes, device_writes};
    bufs[n++] = (struct virtq_buf){virt_to_phys((const void *)b->status), 1, true};
    uint16_t head;
    if (virtq_add(&b->vq, bufs, n, &head) != 0) {
        fail_device(b);
        return -AX_EIO;
    }
    b->requests++;
    b->dev->ops->notify(b->dev, 0);
    uint64_t start = b->env.now_ns ? b->env.now_ns() : 0;
    for (uint64_t polls = 0;; polls++) {
        uint16_t got;
        uint32_t len;
        int rc = virtq_get_used(&b->vq, &got, &len);
        if (rc < 0) {
            fail_device(b);
            return -AX_EIO;
        }
        if (rc == 1)
            break;
        if (timed_out(b, start, polls)) {
            fail_device(b);
            return -AX_ETIMEDOUT;
        }
        if (b->env.relax)
            b->env.relax();
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (*b->status != VIRTIO_BLK_S_OK) {
        b->errors++;
        return -AX_EIO;
    }
    return 0;
}

static int transfer(struct virtio_blk *b, uint32_t type, uint64_t sector, uint32_t count, uint8_t *buf)
{
    if (!blockdev_range_ok(&b->bd, sector, count))
        return -AX_EIO;
    const uint32_t chunk = VIRTIO_BLK_MAX_XFER / VIRTIO_BLK_SECTOR;
    while (count) {
        uint32_t n = count < chunk ? count : chunk;
        int rc = do_request(b, type, sector, buf, n * VIRTIO_BLK_SECTOR, type == VIRTIO_BLK_T_IN);
        if (rc)
            return rc;
        sector += n;
        count -= n;
        buf += (size_t)n * VIRTIO_BLK_SECTOR;
    }
    return 0;
}

int virtio_blk_read(struct virtio_blk *b, uint64_t sector, uint32_t count, void *buf)
{
    return transfer(b, VIRTIO_BLK_T_IN, sector, count, buf);
}

int virtio_blk_write(struct virtio_blk *b, uint64_t sector, uint32_t count, const void *buf)
{
    if (b->read_only)
        return -AX_ENOSYS;
    /* the device only reads the buffer of an OUT request */
    int rc = transfer(b, VIRTIO_BLK_T_OUT, sector, count, (uint8_t *)(uintptr_t)buf);
    if (rc == 0 && count && b->has_flush)
        rc = do_request(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false);
    return rc;
}

static int bd_read(struct blockdev *bd, uint64_t lba, uint32_t count, void *buf)
{
    return virtio_blk_read(bd->ctx, lba, count, buf);
}

static int bd_write(struct blockdev *bd, uint64_t lba, uint32_t count, const void *buf)
{
    return virtio_blk_write(bd->ctx, lba, count, buf);
}

/* ---- set-up ---- */

static int fail_init(struct virtio_blk *b, int rc, char *err, size_t errlen, const char *what)
{
    struct virtio_dev *d = b->dev;
    ax_snprintf(err, errlen, "%s: %s", d->name, what);
    d->ops->set_status(d, (uint8_t)(d->ops->get_status(d) | VIRTIO_STATUS_FAILED));
    d->ops->set_status(d, 0);
    if (b->mem_pa)
        frame_free_pages(b->mem_pa, b->mem_pages);
    b->mem_pa = 0;
    return rc;
}

static bool reset_device(struct virtio_dev *d)
{
    d->ops->set_status(d, 0);
    for (int i = 0; i < RESET_POLLS; i++)
        if (d->ops->get_status(d) == 0)
            return true;
    return false;
}

static uint16_t pick_queue_size(uint16_t max)
{
    uint16_t s = VIRTQ_MAX_SIZE;
    while (s > max)
        s >>= 1;
    return s;
}

static int setup_queue(struct virtio_blk *b, char *err, size_t errlen)
{
    struct virtio_dev *d = b->dev;
    uint16_t max = d->ops->queue_max(d, 0);
    uint16_t size = pick_queue_size(max);
    if (size < 4) {
        char what[64];
        ax_snprintf(what, sizeof(what), "queue 0 offers %u entries; 4 are needed", max);
        return fail_init(b, -AX_EIO, err, errlen, what);
    }
    size_t ring = ALIGN_UP(virtq_mem_size(size), (size_t)16);
    b->mem_pages = ALIGN_UP(ring + REQ_AREA, PAGE_SIZE) / PAGE_SIZE;
    b->mem_pa = frame_alloc_pages_zeroed(b->mem_pages);
    if (!b->mem_pa)
        return fail_init(b, -AX_ENOMEM, err, errlen, "out of memory for the queue");
    uint8_t *mem = frame_ptr(b->mem_pa);
    virtq_init(&b->vq, size, mem, virt_to_phys(mem));
    b->hdr = (volatile struct virtio_blk_req *)(mem + ring);
    b->status = mem + ring + sizeof(struct virtio_blk_req);
    if (d->ops->queue_enable(d, 0, size, b->vq.desc_pa, b->vq.avail_pa, b->vq.used_pa) != 0)
        return fail_init(b, -AX_EIO, err, errlen, "the device did not enable queue 0");
    return 0;
}

int virtio_blk_init(struct virtio_blk *b, struct virtio_dev *dev, const struct virtio_env *env, char *err,
                    size_t errlen)
{
    memset(b, 0, sizeof(*b));
    b->dev = dev;
    if (env)
        b->env = *env;
    if (dev->device_id != VIRTIO_ID_BLOCK) {
        ax_snprintf(err, errlen, "%s: device id %u is not a block device", dev->name, dev->device_id);
        return -AX_EINVAL;
    }
    if (!reset_device(dev))
        return fail_init(b, -AX_EIO, err, errlen, "the device does not finish its reset");
    dev->ops->set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
    dev->ops->set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    uint64_t offered = dev->ops->get_features(dev);
    if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
        return fail_init(b, -AX_ENOSYS, err, errlen, "the device does not offer VIRTIO_F_VERSION_1");
    uint64_t want = (1ull << VIRTIO_F_VERSION_1) | (offered & ((1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_FLUSH)));
    dev->ops->set_features(dev, want);
    uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    dev->ops->set_status(dev, st);
    if (!(dev->ops->get_status(dev) & VIRTIO_STATUS_FEATURES_OK))
        return fail_init(b, -AX_EIO, err, errlen, "the device refused the features (FEATURES_OK not kept)");
    int rc = setup_queue(b, err, errlen);
    if (rc)
        return rc;
    uint64_t cap;
    if (dev->ops->read_config(dev, 0, &cap, sizeof(cap)) != 0)
        return fail_init(b, -AX_EIO, err, errlen, "cannot read the capacity from the configuration space");
    dev->ops->set_status(dev, st | VIRTIO_STATUS_DRIVER_OK);
    uint8_t now = dev->ops->get_status(dev);
    if (now & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED) || !(now & VIRTIO_STATUS_DRIVER_OK))
        return fail_init(b, -AX_EIO, err, errlen, "the device did not accept DRIVER_OK");
    b->capacity = cap;
    b->read_only = want & (1ull << VIRTIO_BLK_F_RO);
    b->has_flush = want & (1ull << VIRTIO_BLK_F_FLUSH);
    b->bd.sector_size = VIRTIO_BLK_SECTOR;
    b->bd.sectors = cap;
    b->bd.read = bd_read;
    b->bd.write = b->read_only ? NULL : bd_write;
    b->bd.ctx = b;
    return 0;
}

void virtio_blk_release(struct virtio_blk *b)
{
    if (b->dev)
        b->dev->ops->set_status(b->dev, 0);
    if (b->mem_pa)
        frame_free_pages(b->mem_pa, b->mem_pages);
    b->mem_pa = 0;
    b->broken = true;
}
