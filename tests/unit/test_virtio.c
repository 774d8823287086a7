/* virtio drivers against a fake device (tests/unit/fake_virtio.h): the split
 * virtqueue's bookkeeping and its checks of the device's answers, the
 * virtio-mmio and virtio-pci transports (probe, capability walk, BARs), and
 * virtio-blk: negotiation, sector I/O, every kind of broken device, and a
 * FAT32 volume mounted through it. Queue memory comes from the real frame
 * allocator over a host buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/fat32.h"
#include "ax/frame.h"
#include "ax/virtio.h"
#include "fake_virtio.h"

#define RAM_SIZE MiB(4)
#define DISK_SECTORS 4096 /* 2 MiB */

static uint8_t *ram;
static uint8_t *disk;
static struct fake_dev fdev;
static struct virtio_io fio;
static struct virtio_dev vdev;
static struct virtio_blk blk;
static char err[256];
static uint64_t free_before;

static uint64_t free_pages(void)
{
    struct frame_stats st;
    frame_stats(&st);
    return st.free_pages;
}

static int group_setup(void **state)
{
    (void)state;
    ram = aligned_alloc(MiB(4), RAM_SIZE);
    disk = malloc(DISK_SECTORS * 512);
    return ram && disk ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(ram);
    free(disk);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    frame_init();
    assert_int_equal(frame_add_range((paddr_t)(uintptr_t)ram, RAM_SIZE), 0);
    free_before = free_pages();
    for (size_t i = 0; i < DISK_SECTORS * 512; i++)
        disk[i] = (uint8_t)(i * 7 + (i >> 9));
    fake_init(&fdev, disk, DISK_SECTORS);
    fio = fake_mmio_io(&fdev);
    memset(&blk, 0, sizeof(blk));
    err[0] = '\0';
    return 0;
}

static void probe_mmio(void)
{
    assert_int_equal(virtio_mmio_probe(&vdev, FAKE_MMIO_BASE, 0x200, &fio, err, sizeof(err)), 0);
}

static const struct virtio_env few_polls = {.max_polls = 3};

static void init_blk(void)
{
    probe_mmio();
    assert_int_equal(virtio_blk_init(&blk, &vdev, &few_polls, err, sizeof(err)), 0);
}

/* ---- virtqueue ---- */

static uint8_t qmem[4096] __attribute__((aligned(16)));

static void test_virtq_sizes(void **state)
{
    (void)state;
    struct virtq vq;
    assert_int_equal(virtq_init(&vq, 0, qmem, 0x1000), -AX_EINVAL);
    assert_int_equal(virtq_init(&vq, 3, qmem, 0x1000), -AX_EINVAL);
    assert_int_equal(virtq_init(&vq, 32, qmem, 0x1000), -AX_EINVAL);
    assert_int_equal(virtq_mem_size(6), 0);
    for (uint16_t n = 1; n <= VIRTQ_MAX_SIZE; n *= 2) {
        assert_int_equal(virtq_init(&vq, n, qmem, 0x1000), 0);
        /* descriptors at 0, avail right after, used 4-aligned after that */
        assert_int_equal(vq.desc_pa, 0x1000);
        assert_int_equal(vq.avail_pa, 0x1000 + 16 * n);
        assert_int_equal(vq.used_pa % 4, 0);
        assert_true(vq.used_pa >= vq.avail_pa + 6 + 2 * n);
        assert_int_equal(virtq_mem_size(n), vq.used_pa - 0x1000 + 6 + 8 * n);
        assert_int_equal(vq.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
        assert_int_equal(vq.num_free, n);
    }
}

static void used_push(struct virtq *vq, uint16_t *idx, uint32_t id, uint32_t len)
{
    vq->used->ring[*idx % vq->size].id = id;
    vq->used->ring[*idx % vq->size].len = len;
    (*idx)++;
    vq->used->idx = *idx;
}

static void test_virtq_add_and_use(void **state)
{
    (void)state;
    struct virtq vq;
    assert_int_equal(virtq_init(&vq, 8, qmem, 0x1000), 0);
    struct virtq_buf b[3] = {{0x10, 16, false}, {0x100, 512, true}, {0x20, 1, true}};
    uint16_t h1, h2, head;
    uint32_t len;
    assert_int_equal(virtq_add(&vq, b, 3, &h1), 0);
    assert_int_equal(vq.avail->idx, 1);
    assert_int_equal(vq.avail->ring[0], h1);
    /* the chain as the device sees it */
    assert_int_equal(vq.desc[h1].addr, 0x10);
    assert_int_equal(vq.desc[h1].flags, VRING_DESC_F_NEXT);
    uint16_t d2 = vq.desc[h1].next;
    assert_int_equal(vq.desc[d2].flags, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
    uint16_t d3 = vq.desc[d2].next;
    assert_int_equal(vq.desc[d3].flags, VRING_DESC_F_WRITE);
    assert_int_equal(vq.desc[d3].len, 1);
    assert_int_equal(virtq_add(&vq, b, 3, &h2), 0);
    assert_int_equal(vq.num_free, 2);
    assert_int_equal(virtq_add(&vq, b, 3, &head), -AX_ENOSPC);
    assert_int_equal(virtq_get_used(&vq, &head, &len), 0);
    uint16_t uidx = 0;
    /* out of order completion is fine */
    used_push(&vq, &uidx, h2, 513);
    assert_int_equal(virtq_get_used(&vq, &head, &len), 1);
    assert_int_equal(head, h2);
    assert_int_equal(len, 513);
    assert_int_equal(vq.num_free, 5);
    used_push(&vq, &uidx, h1, 0);
    assert_int_equal(virtq_get_used(&vq, &head, &len), 1);
    assert_int_equal(head, h1);
    assert_int_equal(vq.num_free, 8);
    assert_int_equal(vq.in_flight, 0);
    assert_int_equal(virtq_get_used(&vq, &head, &len), 0);
}

static void test_virtq_rejects_bad_chains(void **state)
{
    (void)state;
    struct virtq vq;
    uint16_t head;
    assert_int_equal(virtq_init(&vq, 4, qmem, 0x1000), 0);
    struct virtq_buf wr_then_rd[2] = {{0x100, 512, true}, {0x10, 16, false}};
    struct virtq_buf empty[1] = {{0x100, 0, false}};
    assert_int_equal(virtq_add(&vq, wr_then_rd, 2, &head), -AX_EINVAL);
    assert_int_equal(virtq_add(&vq, empty, 1, &head), -AX_EINVAL);
    assert_int_equal(virtq_add(&vq, empty, 0, &head), -AX_EINVAL);
    assert_int_equal(vq.num_free, 4);
    assert_int_equal(vq.avail->idx, 0);
}

/* Every impossible answer is refused and leaves the queue as it was. */
static void test_virtq_rejects_bad_answers(void **state)
{
    (void)state;
    struct virtq vq;
    struct virtq_buf b[2] = {{0x10, 16, false}, {0x20, 100, true}};
    uint16_t h, head;
    uint32_t len;
    struct {
        uint16_t idx_step;
        uint32_t id, len;
    } bad[] = {
        {2, 0, 1},        /* two used entries for one request */
        {0xffff, 0, 1},   /* the index went backwards */
        {1, 4, 1},        /* id past the table */
        {1, 1, 1},        /* id of a descriptor that heads no chain */
        {1, 0xffffffff, 1},
        {1, 0, 101},      /* more bytes than the chain can take */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(virtq_init(&vq, 4, qmem, 0x1000), 0);
        assert_int_equal(virtq_add(&vq, b, 2, &h), 0);
        assert_int_equal(h, 0);
        vq.used->ring[0].id = bad[i].id;
        vq.used->ring[0].len = bad[i].len;
        vq.used->idx = bad[i].idx_step;
        struct virtq before = vq;
        assert_int_equal(virtq_get_used(&vq, &head, &len), -AX_EIO);
        assert_memory_equal(&before, &vq, sizeof(vq));
    }
    /* and the good answer after all that */
    vq.used->ring[0].id = 0;
    vq.used->ring[0].len = 100;
    vq.used->idx = 1;
    assert_int_equal(virtq_get_used(&vq, &head, &len), 1);
}

/* A stale id: that chain was already consumed (another is in flight). */
static void test_virtq_rejects_reused_id(void **state)
{
    (void)state;
    struct virtq vq;
    struct virtq_buf b[1] = {{0x20, 8, true}};
    uint16_t h1, h2, head, uidx = 0;
    uint32_t len;
    assert_int_equal(virtq_init(&vq, 4, qmem, 0x1000), 0);
    assert_int_equal(virtq_add(&vq, b, 1, &h1), 0);
    assert_int_equal(virtq_add(&vq, b, 1, &h2), 0);
    assert_int_not_equal(h1, h2);
    used_push(&vq, &uidx, h1, 8);
    assert_int_equal(virtq_get_used(&vq, &head, &len), 1);
    assert_int_equal(head, h1);
    used_push(&vq, &uidx, h1, 8);
    assert_int_equal(virtq_get_used(&vq, &head, &len), -AX_EIO);
    vq.used->ring[1].id = h2;
    assert_int_equal(virtq_get_used(&vq, &head, &len), 1);
    assert_int_equal(head, h2);
}

/* 16-bit indices wrap many times; the free list must stay whole. */
static void test_virtq_wraparound(void **state)
{
    (void)state;
    struct virtq vq;
    struct virtq_buf b[3] = {{0x10, 16, false}, {0x100, 512, true}, {0x20, 1, true}};
    uint16_t h[2], head, uidx = 0;
    uint32_t len;
    assert_int_equal(virtq_init(&vq, 8, qmem, 0x1000), 0);
    for (unsigned round = 0; round < 70000; round++) {
        assert_int_equal(virtq_add(&vq, b, 3, &h[0]), 0);
        assert_int_equal(virtq_add(&vq, b, 2, &h[1]), 0);
        used_push(&vq, &uidx, h[round & 1], 1);
        used_push(&vq, &uidx, h[!(round & 1)], 1);
        assert_int_equal(virtq_get_used(&vq, &head, &len), 1);
        assert_int_equal(virtq_get_used(&vq, &head, &len), 1);
        assert_int_equal(vq.num_free, 8);
    }
    assert_int_equal(vq.avail->idx, (uint16_t)140000);
}

/* ---- virtio-mmio ---- */

static void test_mmio_probe(void **state)
{
    (void)state;
    probe_mmio();
    assert_int_equal(vdev.device_id, VIRTIO_ID_BLOCK);
    assert_string_equal(vdev.name, "virtio-mmio@0x7f000000");

    fdev.magic = 0x12345678;
    assert_int_equal(virtio_mmio_probe(&vdev, FAKE_MMIO_BASE, 0x200, &fio, err, sizeof(err)), -AX_EINVAL);
    assert_non_null(strstr(err, "bad magic"));
    fdev.magic = VIRTIO_MMIO_MAGIC_VALUE;

    fdev.version = 1;
    assert_int_equal(virtio_mmio_probe(&vdev, FAKE_MMIO_BASE, 0x200, &fio, err, sizeof(err)), -AX_ENOSYS);
    assert_non_null(strstr(err, "force-legacy=false"));
    fdev.device_id = 0; /* an empty legacy slot is just empty */
    assert_int_equal(virtio_mmio_probe(&vdev, FAKE_MMIO_BASE, 0x200, &fio, err, sizeof(err)), 0);
    assert_int_equal(vdev.device_id, 0);

    fdev.device_id = 2;
    fdev.version = 3;
    assert_int_equal(virtio_mmio_probe(&vdev, FAKE_MMIO_BASE, 0x200, &fio, err, sizeof(err)), -AX_ENOSYS);
    assert_int_equal(virtio_mmio_probe(&vdev, FAKE_MMIO_BASE, 0xff, &fio, err, sizeof(err)), -AX_EINVAL);
}

/* ---- virtio-blk: set-up ---- */

static void test_blk_init(void **state)
{
    (void)state;
    fdev.num_max = 1024;
    init_blk();
    assert_int_equal(blk.capacity, DISK_SECTORS);
    assert_int_equal(blk.bd.sectors, DISK_SECTORS);
    assert_int_equal(blk.bd.sector_size, 512);
    assert_non_null(blk.bd.write);
    assert_false(blk.read_only);
    assert_true(blk.has_flush);
    assert_int_equal(blk.vq.size, VIRTQ_MAX_SIZE);
    assert_int_equal(fdev.queue_num, VIRTQ_MAX_SIZE);
    /* only what the driver handles was accepted */
    assert_int_equal(fdev.driver_features, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BLK_F_FLUSH));
    /* reset, ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK, in that order */
    assert_int_equal(fdev.status_writes, 5);
    assert_int_equal(fdev.status_log[0], 0);
    assert_int_equal(fdev.status_log[1], VIRTIO_STATUS_ACKNOWLEDGE);
    assert_int_equal(fdev.status_log[2], VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    assert_int_equal(fdev.status_log[3], VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(fdev.status_log[4], VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                             VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(fdev.protocol_errors, 0);
    assert_true(free_pages() < free_before);
    virtio_blk_release(&blk);
    assert_int_equal(free_pages(), free_before);
    assert_int_equal(fdev.status, 0);
}

static void test_blk_small_queue(void **state)
{
    (void)state;
    fdev.num_max = 6;
    init_blk();
    assert_int_equal(blk.vq.size, 4);
    assert_int_equal(virtio_blk_read(&blk, 0, 1, qmem), 0);
    virtio_blk_release(&blk);
}

/* Each broken set-up fails with a message, leaves the device reset and
 * gives every page back. */
static void test_blk_init_failures(void **state)
{
    (void)state;
    struct {
        const char *what;
        int rc;
        const char *msg;
    } cases[] = {
        {"no VERSION_1", -AX_ENOSYS, "VIRTIO_F_VERSION_1"},
        {"refuses features", -AX_EIO, "refused the features"},
        {"queue too small", -AX_EIO, "4 are needed"},
        {"no queue", -AX_EIO, "offers 0 entries"},
        {"ready stuck", -AX_EIO, "did not enable queue 0"},
        {"config unstable", -AX_EIO, "capacity"},
        {"reset stuck", -AX_EIO, "reset"},
        {"DRIVER_OK refused", -AX_EIO, "DRIVER_OK"},
        {"not a block device", -AX_EINVAL, "not a block device"},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup(NULL);
        switch (i) {
        case 0: fdev.features &= ~(1ull << VIRTIO_F_VERSION_1); break;
        case 1: fdev.refuse_features = true; break;
        case 2: fdev.num_max = 3; break;
        case 3: fdev.num_max = 0; break;
        case 4: fdev.ready_stuck = true; break;
        case 5: fdev.config_unstable = true; break;
        case 6: fdev.reset_stuck = true; break;
        case 7: fdev.refuse_driver_ok = true; break;
        case 8: fdev.device_id = 1; break;
        }
        probe_mmio();
        err[0] = '\0';
        int rc = virtio_blk_init(&blk, &vdev, &few_polls, err, sizeof(err));
        if (rc != cases[i].rc || !strstr(err, cases[i].msg))
            fail_msg("%s: rc %d, err '%s'", cases[i].what, rc, err);
        assert_int_equal(free_pages(), free_before);
        if (i != 6 && i != 8)
            assert_int_equal(fdev.status, 0);
    }
}

/* ---- virtio-blk: I/O ---- */

static void test_blk_read_write(void **state)
{
    (void)state;
    init_blk();
    uint8_t *buf = malloc(600 * 1024);
    assert_non_null(buf);
    /* a read longer than one request is split */
    unsigned before = fdev.requests;
    assert_int_equal(virtio_blk_read(&blk, 10, 1200, buf), 0);
    assert_int_equal(fdev.requests - before, 3);
    assert_memory_equal(buf, disk + 10 * 512, 1200 * 512);
    /* through the blockdev hooks, ending at the last sector */
    assert_int_equal(blk.bd.read(&blk.bd, DISK_SECTORS - 2, 2, buf), 0);
    assert_memory_equal(buf, disk + (DISK_SECTORS - 2) * 512, 1024);
    for (unsigned i = 0; i < 3 * 512; i++)
        buf[i] = (uint8_t)(0xa5 ^ i);
    unsigned flushes = fdev.flushes;
    assert_int_equal(blk.bd.write(&blk.bd, 100, 3, buf), 0);
    assert_memory_equal(disk + 100 * 512, buf, 3 * 512);
    assert_int_equal(fdev.flushes, flushes + 1);
    assert_int_equal(fdev.last_type, VIRTIO_BLK_T_FLUSH);
    /* outside the disk: refused before the device sees it */
    before = fdev.requests;
    assert_int_equal(virtio_blk_read(&blk, DISK_SECTORS - 1, 2, buf), -AX_EIO);
    assert_int_equal(virtio_blk_read(&blk, UINT64_MAX, 1, buf), -AX_EIO);
    assert_int_equal(virtio_blk_write(&blk, DISK_SECTORS, 1, buf), -AX_EIO);
    assert_int_equal(virtio_blk_read(&blk, 0, 0, buf), 0);
    assert_int_equal(fdev.requests, before);
    assert_int_equal(fdev.protocol_errors, 0);
    assert_false(blk.broken);
    free(buf);
    virtio_blk_release(&blk);
}

static void test_blk_read_only(void **state)
{
    (void)state;
    fdev.features |= 1ull << VIRTIO_BLK_F_RO;
    fdev.features &= ~(1ull << VIRTIO_BLK_F_FLUSH);
    init_blk();
    assert_true(blk.read_only);
    assert_false(blk.has_flush);
    assert_null(blk.bd.write);
    assert_int_equal(virtio_blk_write(&blk, 0, 1, qmem), -AX_ENOSYS);
    assert_int_equal(virtio_blk_read(&blk, 0, 1, qmem), 0);
    virtio_blk_release(&blk);
}

/* The device's answer is wrong: the request fails; impossible ring state
 * or silence breaks the device for good (reset, no more notifications). */
static void test_blk_device_faults(void **state)
{
    (void)state;
    struct {
        enum fake_fault fault;
        int rc;
        bool breaks;
    } cases[] = {
        {FAKE_IOERR, -AX_EIO, false},
        {FAKE_NO_STATUS, -AX_EIO, false},
        {FAKE_STATUS_GARBAGE, -AX_EIO, false},
        {FAKE_NEVER_COMPLETE, -AX_ETIMEDOUT, true},
        {FAKE_IDX_JUMP, -AX_EIO, true},
        {FAKE_IDX_BACK, -AX_EIO, true},
        {FAKE_BAD_ID, -AX_EIO, true},
        {FAKE_BAD_LEN, -AX_EIO, true},
    };
    uint8_t buf[1024];
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup(NULL);
        init_blk();
        assert_int_equal(virtio_blk_read(&blk, 0, 2, buf), 0); /* fine at first */
        fdev.fault = cases[i].fault;
        memset(buf, 0, sizeof(buf));
        int rc = virtio_blk_read(&blk, 4, 2, buf);
        if (rc != cases[i].rc)
            fail_msg("fault %d: rc %d, expected %d", cases[i].fault, rc, cases[i].rc);
        assert_int_equal(blk.broken, cases[i].breaks);
        unsigned notifies = fdev.notifies;
        fdev.fault = FAKE_OK;
        rc = virtio_blk_read(&blk, 4, 2, buf);
        if (cases[i].breaks) {
            assert_int_equal(rc, -AX_EIO);
            assert_int_equal(fdev.notifies, notifies); /* nothing more was sent */
            assert_int_equal(fdev.status, 0);          /* it was reset */
        } else {
            assert_int_equal(rc, 0);
            assert_memory_equal(buf, disk + 4 * 512, 1024);
        }
        assert_true(blk.errors >= 1);
        virtio_blk_release(&blk);
        assert_int_equal(free_pages(), free_before);
    }
}

static uint64_t fake_now;
static uint64_t fake_clock(void) { return fake_now += 1000000; /* 1 ms per look */ }

static void test_blk_timeout_by_clock(void **state)
{
    (void)state;
    const struct virtio_env env = {.now_ns = fake_clock, .timeout_ns = 50000000};
    probe_mmio();
    assert_int_equal(virtio_blk_init(&blk, &vdev, &env, err, sizeof(err)), 0);
    fdev.fault = FAKE_NEVER_COMPLETE;
    uint64_t t0 = fake_now;
    assert_int_equal(virtio_blk_read(&blk, 0, 1, qmem), -AX_ETIMEDOUT);
    assert_true(fake_now - t0 >= 50000000 && fake_now - t0 < 60000000);
    virtio_blk_release(&blk);
}

/* A FAT32 volume on the fake disk, read through the driver. */
static void test_blk_fat32(void **state)
{
    (void)state;
    FILE *f = fopen("build/host/fixtures/fat32-mbr.img", "rb");
    if (!f)
        fail_msg("build/host/fixtures/fat32-mbr.img missing (tests/unit/fat32.mk builds it)");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *img = malloc((size_t)n);
    assert_non_null(img);
    assert_int_equal(fread(img, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    fake_init(&fdev, img, (uint64_t)n / 512);
    init_blk();
    static struct fat32_vol vol;
    assert_int_equal(fat32_mount(&vol, &blk.bd), 0);
    char text[64];
    size_t len;
    assert_int_equal(fat32_read_file(&vol, "hello.txt", text, sizeof(text), &len), 0);
    assert_int_equal(len, 15);
    assert_memory_equal(text, "on a partition\n", 15);
    assert_int_equal(fat32_write_file(&vol, "sub/new.txt", "written\n", 8), 0);
    assert_int_equal(fat32_read_file(&vol, "sub/new.txt", text, sizeof(text), &len), 0);
    assert_memory_equal(text, "written\n", 8);
    assert_int_equal(fdev.protocol_errors, 0);
    virtio_blk_release(&blk);
    free(img);
}

/* ---- virtio-pci ---- */

static struct fake_pci fpci;

static int pci_probe(struct pci_cfg *c, struct virtio_io *io)
{
    *c = fake_pci_cfg(&fpci);
    *io = fake_pci_io(&fpci);
    return virtio_pci_probe(&vdev, VIRTIO_ID_BLOCK, c, io, "virtio-pci 00:03.0", err, sizeof(err));
}

static void test_pci_device_ids(void **state)
{
    (void)state;
    assert_int_equal(virtio_pci_device_id(0x1af4, 0x1042, 0), 2);
    assert_int_equal(virtio_pci_device_id(0x1af4, 0x1001, 2), 2);
    assert_int_equal(virtio_pci_device_id(0x1af4, 0x1000, 1), 1);
    assert_int_equal(virtio_pci_device_id(0x1af4, 0x1040, 0), 0);
    assert_int_equal(virtio_pci_device_id(0x1af4, 0x1100, 2), 0);
    assert_int_equal(virtio_pci_device_id(0x8086, 0x1042, 2), 0);
}

static void test_pci_blk(void **state)
{
    (void)state;
    struct pci_cfg c;
    struct virtio_io io;
    fake_pci_init(&fpci, &fdev);
    assert_int_equal(pci_probe(&c, &io), 0);
    assert_int_equal(vdev.common, FAKE_BAR_ADDR + FAKE_PCI_COMMON);
    assert_int_equal(vdev.notify, FAKE_BAR_ADDR + FAKE_PCI_NOTIFY);
    assert_int_equal(vdev.device, FAKE_BAR_ADDR + FAKE_PCI_DEVICE);
    assert_int_equal(vdev.isr, FAKE_BAR_ADDR + FAKE_PCI_ISR);
    assert_int_equal(vdev.notify_mult, FAKE_NOTIFY_MULT);
    assert_int_equal(fpci.maps, 4);
    assert_int_equal(fpci.writes_while_decoding, 0);
    assert_true(fpci.cfg[4] & 0x2); /* memory decoding */
    assert_true(fpci.cfg[4] & 0x4); /* bus master */
    /* the BAR was put back after sizing */
    assert_int_equal(fake_pci_cfg_read(&fpci, 0x20), FAKE_BAR_ADDR | 4);
    assert_int_equal(fake_pci_cfg_read(&fpci, 0x24), 0);
    assert_int_equal(virtio_blk_init(&blk, &vdev, &few_polls, err, sizeof(err)), 0);
    assert_int_equal(blk.capacity, DISK_SECTORS);
    uint8_t buf[2048];
    assert_int_equal(virtio_blk_read(&blk, 7, 4, buf), 0);
    assert_memory_equal(buf, disk + 7 * 512, 2048);
    memset(buf, 0x5a, 512);
    assert_int_equal(virtio_blk_write(&blk, 9, 1, buf), 0);
    assert_memory_equal(disk + 9 * 512, buf, 512);
    assert_int_equal(fdev.protocol_errors, 0);
    virtio_blk_release(&blk);
}

/* Malformed capability lists and BARs are refused, never followed. */
static void test_pci_bad_caps(void **state)
{
    (void)state;
    struct pci_cfg c;
    struct virtio_io io;
    struct {
        const char *what;
        int rc;
        const char *msg;
    } cases[] = {
        {"no capability list", -AX_ENOSYS, "no capability list"},
        {"legacy only", -AX_ENOSYS, "legacy-only"},
        {"loop", -AX_EINVAL, "malformed capability list"},
        {"pointer into the header", -AX_EINVAL, "malformed capability list"},
        {"window past the BAR", -AX_EINVAL, "outside BAR 4"},
        {"offset wraps", -AX_EINVAL, "outside BAR 4"},
        {"unassigned BAR", -AX_EINVAL, "no address"},
        {"I/O BAR", -AX_EINVAL, "I/O BAR"},
        {"short capability", -AX_EINVAL, "too short"},
        {"capability past config space", -AX_EINVAL, "too short"},
        {"common window too small", -AX_EINVAL, "common configuration window"},
        {"BAR without size", -AX_EINVAL, "no valid size"},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup(NULL);
        fake_pci_init(&fpci, &fdev);
        uint8_t *cfg = fpci.cfg;
        switch (i) {
        case 0: cfg[6] = 0; break;
        case 1: cfg[0x40 + 3] = 7; cfg[0x50 + 3] = 7; cfg[0x74 + 3] = 7; break;
        case 2: cfg[0x74 + 1] = 0x40; break;
        case 3: cfg[0x34] = 0x10; break;
        case 4: put32(cfg + 0x74 + 12, FAKE_BAR_SIZE); break;
        case 5: put32(cfg + 0x74 + 8, 0xfffffff0u); break;
        case 6: put32(cfg + 0x20, 0x4); break;
        case 7: put32(cfg + 0x20, 0xc001); break;
        case 8: cfg[0x50 + 2] = 16; break; /* notify needs 20 */
        case 9: cfg[0x74 + 3] = 5; cfg[0x74 + 1] = 0xf8; cfg[0xf8] = 0x09; cfg[0xf9] = 0; cfg[0xfa] = 16; cfg[0xfb] = 4; break;
        case 10: put32(cfg + 0x40 + 12, 0x20); break;
        case 11: fpci.bar_size[4] = 0; break;
        }
        err[0] = '\0';
        int rc = pci_probe(&c, &io);
        if (rc != cases[i].rc || !strstr(err, cases[i].msg))
            fail_msg("%s: rc %d, err '%s'", cases[i].what, rc, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_virtq_sizes, setup),
        cmocka_unit_test_setup(test_virtq_add_and_use, setup),
        cmocka_unit_test_setup(test_virtq_rejects_bad_chains, setup),
        cmocka_unit_test_setup(test_virtq_rejects_bad_answers, setup),
        cmocka_unit_test_setup(test_virtq_rejects_reused_id, setup),
        cmocka_unit_test_setup(test_virtq_wraparound, setup),
        cmocka_unit_test_setup(test_mmio_probe, setup),
        cmocka_unit_test_setup(test_blk_init, setup),
        cmocka_unit_test_setup(test_blk_small_queue, setup),
        cmocka_unit_test_setup(test_blk_init_failures, setup),
        cmocka_unit_test_setup(test_blk_read_write, setup),
        cmocka_unit_test_setup(test_blk_read_only, setup),
        cmocka_unit_test_setup(test_blk_device_faults, setup),
        cmocka_unit_test_setup(test_blk_timeout_by_clock, setup),
        cmocka_unit_test_setup(test_blk_fat32, setup),
        cmocka_unit_test_setup(test_pci_device_ids, setup),
        cmocka_unit_test_setup(test_pci_blk, setup),
        cmocka_unit_test_setup(test_pci_bad_caps, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
