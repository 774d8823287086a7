/* libFuzzer harness for the FAT32 driver and the VFS above it.
 *
 * The input is the start of a 256 KiB disk; the rest reads as zeros, so seeds
 * are mkfs.fat images with their zero tail cut off. An input of odd length
 * instead makes every read past its end fail, as a truncated device would.
 *
 * Per input: mount, walk the whole tree through the VFS (bounded depth and
 * entry count) reading every file twice (whole, and in odd-sized chunks
 * through one descriptor), then write two files and read them back.
 * Oracles beyond "no crash, no hang, no sanitizer report":
 *  - every error is a negative AX_E* code;
 *  - names are non-empty, NUL-terminated UTF-8 without '/', never . or ..;
 *  - both ways of reading a file give the same bytes and the same error;
 *  - a file that was written successfully and is then read successfully has
 *    exactly the written contents. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax/fat32.h"
#include "ax/vfs.h"

#define DISK_SIZE (256 * 1024)
#define MAX_DEPTH 6
#define MAX_ENTRIES 400
#define MAX_READ_TOTAL (2u << 20)

static uint8_t disk[DISK_SIZE];
static uint8_t buf_a[DISK_SIZE], buf_b[DISK_SIZE];
static struct fat32_vol vol;

struct fuzzdev {
    struct blockdev_mem mem;
    uint64_t fail_from;
};

static struct fuzzdev dev;

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_fat32 invariant failed: %s\n", what);
        abort();
    }
}

static void check_err(int64_t rc)
{
    check(rc >= -AX_ETIMEDOUT, "errors are AX_E* codes");
}

static int fuzzdev_read(struct blockdev *bd, uint64_t lba, uint32_t count, void *buf)
{
    struct fuzzdev *d = (struct fuzzdev *)bd->ctx;
    check(blockdev_range_ok(bd, lba, count), "driver stays inside the device");
    if (lba + count > d->fail_from)
        return -AX_EIO;
    return blockdev_mem_read(bd, lba, count, buf);
}

static int fuzzdev_write(struct blockdev *bd, uint64_t lba, uint32_t count, const void *buf)
{
    check(blockdev_range_ok(bd, lba, count), "driver writes inside the device");
    return blockdev_mem_write(bd, lba, count, buf);
}

static bool utf8_valid(const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0)
            return false;
        p++;
        for (int i = 0; i < n; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return false;
        }
    }
    return true;
}

struct walk {
    unsigned entries;
    unsigned depth;
    uint64_t read_total;
    char path[VFS_PATH_MAX];
};

static void read_both_ways(struct walk *w, uint64_t size)
{
    size_t len = 0;
    if (w->read_total + 2 * size > MAX_READ_TOTAL)
        return;
    w->read_total += 2 * size;

    int rc_a = vfs_read_file(w->path, buf_a, sizeof(buf_a), &len);
    check_err(rc_a);
    int fd = vfs_open(w->path);
    check_err(fd);
    if (fd < 0)
        return;
    int64_t rc_b = 0;
    size_t done = 0, step = 1 + (size % 1531);
    while (done < sizeof(buf_b)) {
        int64_t n = vfs_read(fd, buf_b + done, MIN(step, sizeof(buf_b) - done));
        if (n <= 0) {
            rc_b = n;
            break;
        }
        done += (size_t)n;
        step = step * 3 % 4099 + 1;
    }
    check_err(rc_b);
    vfs_close(fd);
    if (rc_a == 0) {
        check(rc_b == 0 && done == len, "chunked read agrees on success");
        check(memcmp(buf_a, buf_b, len) == 0, "chunked read agrees on contents");
    } else if (rc_a != -AX_ERANGE) {
        check(rc_b < 0, "chunked read fails where a whole read fails");
    }
}

static int walk_cb(const struct vfs_dirent *de, void *arg)
{
    struct walk *w = arg;
    size_t nlen = strnlen(de->name, VFS_NAME_MAX + 1);

    check(nlen > 0 && nlen <= VFS_NAME_MAX, "name length");
    check(strchr(de->name, '/') == NULL, "no '/' in names");
    check(strcmp(de->name, ".") != 0 && strcmp(de->name, "..") != 0, "no dot names");
    check(utf8_valid(de->name), "names are UTF-8");
    if (++w->entries > MAX_ENTRIES)
        return 1;

    size_t saved = strlen(w->path), plen = saved;
    if (plen + 1 + nlen + 1 > sizeof(w->path))
        return 0;
    if (plen > 1)
        w->path[plen++] = '/';
    memcpy(w->path + plen, de->name, nlen + 1);

    struct vfs_stat st;
    int rc = vfs_stat(w->path, &st);
    check_err(rc);
    if (de->is_dir) {
        if (w->depth < MAX_DEPTH) {
            w->depth++;
            check_err(vfs_readdir(w->path, walk_cb, w));
            w->depth--;
        }
    } else if (rc == 0 && !st.is_dir) {
        read_both_ways(w, st.size);
    }
    w->path[saved] = '\0';
    return 0;
}

static void write_and_check(const char *path, const uint8_t *data, size_t len)
{
    size_t got = 0;
    int rc = vfs_write_file(path, data, len);
    check_err(rc);
    if (rc != 0)
        return;
    rc = vfs_read_file(path, buf_a, sizeof(buf_a), &got);
    check_err(rc);
    if (rc == 0) {
        check(got == len, "written size reads back");
        check(memcmp(buf_a, data, len) == 0, "written data reads back");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > DISK_SIZE)
        return 0;
    memset(disk, 0, sizeof(disk));
    memcpy(disk, data, size);
    struct blockdev *bd = blockdev_mem_init(&dev.mem, disk, sizeof(disk), 512, true);
    bd->read = fuzzdev_read;
    bd->write = fuzzdev_write;
    bd->ctx = &dev;
    dev.fail_from = (size & 1) ? (size + 511) / 512 : UINT64_MAX;

    int rc = fat32_mount(&vol, bd);
    check_err(rc);
    if (rc != 0)
        return 0;
    check(vol.cluster_count >= 1 && vol.data_start < vol.total_sectors, "mounted geometry");

    vfs_init();
    check(vfs_mount("/", &fat32_vfs_ops, &vol) == 0, "mount on an empty table");
    struct walk w = { .path = "/" };
    check_err(vfs_readdir("/", walk_cb, &w));
    /* The walk closed every descriptor it opened. */
    int fd = vfs_open("/");
    check(fd == 0 || fd < 0, "no descriptor leaked");
    if (fd >= 0)
        vfs_close(fd);

    /* Writes: a short name and a long one, data taken from the input. */
    size_t n = MIN(size, (size_t)3000);
    write_and_check("/FUZZ.TXT", data, n / 3);
    write_and_check("/a longer fuzz name ü.txt", data + n / 3, n - n / 3);
    write_and_check("/FUZZ.TXT", data, n); /* overwrite */
    return 0;
}
