/* libFuzzer harness for the virtio drivers against a device that answers
 * whatever the input says (tests/unit/fake_virtio.h in scripted mode).
 *
 * Input byte 0 picks the mode:
 *  - even: a virtio-mmio block device. Byte 1 is the queue size it offers,
 *    byte 2 feature bits (RO, FLUSH, no VERSION_1), then up to 8 requests,
 *    each 2 bytes (read / write, sector, count) followed by the device's
 *    scripted answer bytes (fake_complete): which fields to change, then
 *    used id, used length, status byte, used-index step; or silence. The script and the requests come from the same stream.
 *  - odd: a virtio-pci function whose configuration space is the next 256
 *    bytes (capabilities, BARs) with BAR sizes from the 6 bytes after.
 * Oracles beyond "no crash, no hang, no sanitizer report": the queue's
 * descriptors are all accounted for (free + in flight = size) after every
 * request; a broken device fails every later request without a
 * notification; a read that succeeded returned the disk's bytes; a
 * successful PCI probe's windows lie in the BAR it named. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax/frame.h"
#include "ax/virtio.h"
#include "../unit/fake_virtio.h"

#define RAM_SIZE (1u << 20)
#define SECTORS 64

static uint8_t ram[RAM_SIZE] __attribute__((aligned(1 << 20)));
static uint8_t disk[SECTORS * 512];
static uint8_t buf[16 * 512];

static void check_queue(const struct virtq *vq)
{
    unsigned held = 0;
    for (unsigned i = 0; i < vq->size; i++)
        held += vq->chain_len[i];
    if (held + vq->num_free != vq->size)
        abort();
}

static void run_mmio(const uint8_t *data, size_t size)
{
    static struct fake_dev f;
    struct virtio_dev d;
    static struct virtio_blk b;
    char err[200];
    if (size < 3)
        return;
    for (size_t i = 0; i < sizeof(disk); i++)
        disk[i] = (uint8_t)(i * 13 + 1);
    fake_init(&f, disk, SECTORS);
    f.num_max = data[1];
    if (data[2] & 1)
        f.features |= 1ull << VIRTIO_BLK_F_RO;
    if (data[2] & 2)
        f.features &= ~(1ull << VIRTIO_BLK_F_FLUSH);
    if (data[2] & 4)
        f.features &= ~(1ull << VIRTIO_F_VERSION_1);
    f.fault = FAKE_SCRIPTED;
    f.script = data + 3;
    f.script_len = size - 3;
    struct virtio_io io = fake_mmio_io(&f);
    if (virtio_mmio_probe(&d, FAKE_MMIO_BASE, 0x200, &io, err, sizeof(err)) != 0)
        abort();
    const struct virtio_env env = {.max_polls = 2};
    if (virtio_blk_init(&b, &d, &env, err, sizeof(err)) != 0)
        return;
    for (int op = 0; op < 8 && f.script_pos + 2 <= f.script_len; op++) {
        uint8_t a = fake_script_byte(&f), c = fake_script_byte(&f);
        uint64_t sector = a & 0x3f;
        uint32_t count = (c & 0xf) + ((a & 0x40) ? 64 : 0); /* sometimes past the end */
        bool write = a & 0x80;
        bool was_broken = b.broken;
        unsigned notifies = f.notifies;
        int rc;
        if (write) {
            for (uint32_t i = 0; i < 16 * 512; i++)
                buf[i] = (uint8_t)(i ^ c);
            rc = virtio_blk_write(&b, sector, count > 16 ? 16 : count, buf);
        } else {
            memset(buf, 0xee, sizeof(buf));
            rc = virtio_blk_read(&b, sector, count > 16 ? 16 : count, buf);
            /* a read the driver accepted holds exactly the disk's bytes */
            if (rc == 0 && count <= 16 && memcmp(buf, disk + sector * 512, count * 512) != 0)
                abort();
        }
        if (rc > 0 || rc < -AX_ETIMEDOUT)
            abort();
        /* broken: nothing reaches the device any more (an empty transfer
         * has nothing to do and succeeds) */
        if (was_broken && ((rc == 0 && count != 0) || f.notifies != notifies))
            abort();
        check_queue(&b.vq);
    }
    virtio_blk_release(&b);
}

static void run_pci(const uint8_t *data, size_t size)
{
    static struct fake_dev f;
    static struct fake_pci p;
    struct virtio_dev d;
    char err[200];
    if (size < 1 + 256 + 6)
        return;
    fake_init(&f, disk, SECTORS);
    fake_pci_init(&p, &f);
    memcpy(p.cfg, data + 1, 256);
    for (int i = 0; i < 6; i++)
        p.bar_size[i] = data[257 + i] ? 1ull << (data[257 + i] % 40) : 0;
    struct pci_cfg cfg = fake_pci_cfg(&p);
    struct virtio_io io = fake_pci_io(&p);
    if (virtio_pci_probe(&d, VIRTIO_ID_BLOCK, &cfg, &io, "fuzz", err, sizeof(err)) != 0)
        return;
    if (!d.common || !d.notify || !d.device || d.device_len == 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    frame_init();
    if (frame_add_range((paddr_t)(uintptr_t)ram, RAM_SIZE) != 0)
        abort();
    if (size == 0)
        return 0;
    if (data[0] & 1)
        run_pci(data, size);
    else
        run_mmio(data, size);
    struct frame_stats st;
    frame_stats(&st);
    if (st.bad_frees || st.corruptions)
        abort();
    return 0;
}
