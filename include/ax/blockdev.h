/* Block device interface: what a filesystem needs from a disk.
 *
 * Drivers (virtio-blk on the target; a memory buffer in tests and fuzzers)
 * fill in the struct. Reads and writes are in whole device sectors; the
 * callbacks return 0 or a negative AX_E* code and must fail, not wrap, on a
 * request past `sectors`. `write` may be NULL for a read-only device. */
#ifndef AX_BLOCKDEV_H
#define AX_BLOCKDEV_H

#include "ax/string.h"
#include "ax/types.h"

struct blockdev {
    uint32_t sector_size; /* bytes, a power of two (usually 512) */
    uint64_t sectors;     /* device size in sectors */
    int (*read)(struct blockdev *bd, uint64_t lba, uint32_t count, void *buf);
    int (*write)(struct blockdev *bd, uint64_t lba, uint32_t count, const void *buf);
    void *ctx; /* driver state */
};

/* True when [lba, lba + count) lies inside the device; overflow-safe. */
static inline bool blockdev_range_ok(const struct blockdev *bd, uint64_t lba, uint64_t count)
{
    return lba <= bd->sectors && count <= bd->sectors - lba;
}

/* ---- A device over a memory buffer (built-in disk images, tests, fuzzers) ----
 *
 * The buffer's size is truncated to whole sectors. `writable` false makes
 * writes fail with -AX_EIO while the write hook stays set, which is how
 * tests exercise a device that refuses writes. */
struct blockdev_mem {
    struct blockdev bd;
    uint8_t *data;
    bool writable;
};

static inline int blockdev_mem_read(struct blockdev *bd, uint64_t lba, uint32_t count, void *buf)
{
    struct blockdev_mem *m = (struct blockdev_mem *)bd->ctx;

    if (!blockdev_range_ok(bd, lba, count))
        return -AX_EIO;
    memcpy(buf, m->data + lba * bd->sector_size, (size_t)count * bd->sector_size);
    return 0;
}

static inline int blockdev_mem_write(struct blockdev *bd, uint64_t lba, uint32_t count,
                                     const void *buf)
{
    struct blockdev_mem *m = (struct blockdev_mem *)bd->ctx;

    if (!m->writable || !blockdev_range_ok(bd, lba, count))
        return -AX_EIO;
    memcpy(m->data + lba * bd->sector_size, buf, (size_t)count * bd->sector_size);
    return 0;
}

/* Returns the embedded struct blockdev, ready to mount. */
static inline struct blockdev *blockdev_mem_init(struct blockdev_mem *m, void *data, size_t len,
                                                 uint32_t sector_size, bool writable)
{
    m->data = (uint8_t *)data;
    m->writable = writable;
    m->bd.sector_size = sector_size;
    m->bd.sectors = sector_size ? len / sector_size : 0;
    m->bd.read = blockdev_mem_read;
    m->bd.write = blockdev_mem_write;
    m->bd.ctx = m;
    return &m->bd;
}

#endif
