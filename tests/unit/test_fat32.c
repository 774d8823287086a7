/* FAT32 driver tests.
 *
 * Real volumes: images built by tests/unit/fat32.mk with mkfs.fat and mtools
 * from a tree generated on the host (build/host/fixtures/fat32-src). The main
 * oracle is that host tree: every file the driver reads must equal the host
 * file, every directory listing must name exactly the host entries.
 * Corruption is done here, in C, on in-memory copies of a real image.
 * Writes are checked three ways: reading back with the driver, with mtools
 * (mtype, mdir) and with fsck.fat -n, which must find nothing to repair. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ax/fat32.h"
#include "ax/vfs.h"

#define FIX "build/host/fixtures/"
#define IMG_MAIN FIX "fat32-main.img"
#define IMG_4K FIX "fat32-4k.img"
#define IMG_MBR FIX "fat32-mbr.img"
#define IMG_TINY FIX "fat32-tiny.img"
#define TREE FIX "fat32-src"
#define FRAG FIX "fat32-frag"

/* ---- host helpers ---- */

static uint8_t *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (built by tests/unit/fat32.mk)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n >= 0);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void save(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void set32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Runs a shell command; returns its exit status, its output in out. */
static int run(const char *cmd, char *out, size_t outlen)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0, r;
    char sink[4096];
    assert_non_null(p);
    assert_true(outlen > 0);
    while ((r = fread(n + 1 < outlen ? out + n : sink, 1,
                      n + 1 < outlen ? outlen - 1 - n : sizeof(sink), p)) > 0) {
        if (n + 1 < outlen)
            n += r;
    }
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *fsck_path(void)
{
    if (access("/usr/sbin/fsck.fat", X_OK) == 0)
        return "/usr/sbin/fsck.fat";
    if (access("/sbin/fsck.fat", X_OK) == 0)
        return "/sbin/fsck.fat";
    return "fsck.fat";
}

/* ---- block devices for tests ---- */

/* A memory device that counts requests and can fail reads at or past an LBA. */
struct testdev {
    struct blockdev_mem mem;
    uint64_t fail_from; /* reads touching [fail_from, ...) fail */
    unsigned reads, writes;
};

static int testdev_read(struct blockdev *bd, uint64_t lba, uint32_t count, void *buf)
{
    struct testdev *t = (struct testdev *)bd->ctx;
    t->reads++;
    if (lba + count > t->fail_from)
        return -AX_EIO;
    return blockdev_mem_read(bd, lba, count, buf);
}

static int testdev_write(struct blockdev *bd, uint64_t lba, uint32_t count, const void *buf)
{
    struct testdev *t = (struct testdev *)bd->ctx;
    t->writes++;
    return blockdev_mem_write(bd, lba, count, buf);
}

static struct blockdev *testdev_init(struct testdev *t, uint8_t *img, size_t len, bool writable)
{
    memset(t, 0, sizeof(*t));
    blockdev_mem_init(&t->mem, img, len, 512, writable);
    t->mem.bd.read = testdev_read;
    t->mem.bd.write = testdev_write;
    t->mem.bd.ctx = t; /* struct testdev starts with the blockdev_mem */
    t->fail_from = UINT64_MAX;
    return &t->mem.bd;
}

/* A read-only device over a file, for the large sparse 4K-sector image. */
struct filedev {
    struct blockdev bd;
    int fd;
};

static int filedev_read(struct blockdev *bd, uint64_t lba, uint32_t count, void *buf)
{
    struct filedev *f = bd->ctx;
    size_t n = (size_t)count * bd->sector_size;
    if (!blockdev_range_ok(bd, lba, count))
        return -AX_EIO;
    return pread(f->fd, buf, n, (off_t)(lba * bd->sector_size)) == (ssize_t)n ? 0 : -AX_EIO;
}

static struct blockdev *filedev_open(struct filedev *f, const char *path)
{
    struct stat st;
    f->fd = open(path, O_RDONLY);
    if (f->fd < 0)
        fail_msg("cannot open %s", path);
    assert_int_equal(fstat(f->fd, &st), 0);
    f->bd.sector_size = 512;
    f->bd.sectors = (uint64_t)st.st_size / 512;
    f->bd.read = filedev_read;
    f->bd.write = NULL;
    f->bd.ctx = f;
    return &f->bd;
}

/* ---- shared fixtures ---- */

static uint8_t *main_img, *mbr_img, *tiny_img;
static size_t main_len, mbr_len, tiny_len;
static struct fat32_vol vol, vol2;

static int group_setup(void **state)
{
    (void)state;
    main_img = load(IMG_MAIN, &main_len);
    mbr_img = load(IMG_MBR, &mbr_len);
    tiny_img = load(IMG_TINY, &tiny_len);
    setenv("LC_ALL", "C.UTF-8", 1);
    setenv("MTOOLS_SKIP_CHECK", "1", 1);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    free(main_img);
    free(mbr_img);
    free(tiny_img);
    return 0;
}

/* A private copy of an image, mounted. */
struct mounted {
    uint8_t *img;
    size_t len;
    struct testdev dev;
};

static int mount_copy(struct mounted *m, const uint8_t *img, size_t len, size_t dev_len,
                      bool writable, struct fat32_vol *v)
{
    m->img = malloc(len);
    assert_non_null(m->img);
    memcpy(m->img, img, len);
    m->len = len;
    return fat32_mount(v, testdev_init(&m->dev, m->img, dev_len, writable));
}

static void mounted_free(struct mounted *m)
{
    free(m->img);
}

/* Byte offset of cluster c's FAT entry in copy n of the FAT. */
static size_t fat_off(const struct fat32_vol *v, uint32_t c, uint32_t n)
{
    return (size_t)v->part_lba * 512 +
           ((size_t)v->fat_start + (size_t)n * v->fat_sectors) * v->bytes_per_sec + c * 4u;
}

static uint32_t fat_at(const uint8_t *img, const struct fat32_vol *v, uint32_t c)
{
    return get32(img + fat_off(v, c, v->active_fat)) & 0x0FFFFFFF;
}

static void fat_put(uint8_t *img, const struct fat32_vol *v, uint32_t c, uint32_t val)
{
    for (uint32_t n = 0; n < v->num_fats; n++)
        set32(img + fat_off(v, c, n), val);
}

static size_t clus_off(const struct fat32_vol *v, uint32_t c)
{
    return (size_t)v->part_lba * 512 +
           ((size_t)v->data_start + (size_t)(c - 2) * v->sec_per_clus) * v->bytes_per_sec;
}

/* Byte offset in img of the 8.3 entry of `name` in directory `dir`. */
static size_t entry_off(const uint8_t *img, struct fat32_vol *v, const char *dir, const char *name)
{
    struct fat32_file d;
    struct fat32_dirent de;
    assert_int_equal(fat32_open(v, dir, &d), 0);
    for (;;) {
        int rc = fat32_readdir(v, &d, &de);
        if (rc <= 0)
            fail_msg("%s not in %s", name, dir);
        if (strcmp(de.name, name) == 0)
            break;
    }
    uint32_t per = v->cluster_bytes / 32, c = d.first_cluster;
    for (uint32_t i = 0; i < de.slot / per; i++)
        c = fat_at(img, v, c);
    return clus_off(v, c) + (de.slot % per) * 32;
}

static uint32_t first_cluster_of(struct fat32_vol *v, const char *path)
{
    struct fat32_file f;
    assert_int_equal(fat32_open(v, path, &f), 0);
    return f.first_cluster;
}

/* ---- comparing a volume with the host tree ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define MAX_NAMES 512

/* Sorted names of a host directory (without "." and ".."). */
static size_t host_names(const char *dir, char **names)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_true(n < MAX_NAMES);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    return n;
}

static unsigned files_checked;

/* Compares volume directory vpath with host directory hpath, recursively.
 * Names listed in `extra` may exist only on the volume (root only). */
static void compare_tree(struct fat32_vol *v, const char *vpath, const char *hpath,
                         const char *const *extra)
{
    char *hn[MAX_NAMES], *vn[MAX_NAMES];
    size_t nh = host_names(hpath, hn), nv = 0;
    struct fat32_file d;
    struct fat32_dirent *de = malloc(sizeof(*de));
    assert_non_null(de);

    assert_int_equal(fat32_open(v, vpath, &d), 0);
    assert_true(d.is_dir);
    int rc;
    while ((rc = fat32_readdir(v, &d, de)) == 1) {
        bool skip = false;
        for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
            skip |= strcmp(de->name, extra[i]) == 0;
        if (skip)
            continue;
        assert_true(nv < MAX_NAMES);
        vn[nv++] = strdup(de->name);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(fat32_readdir(v, &d, de), 0); /* stays at the end */
    qsort(vn, nv, sizeof(*vn), cmp_str);
    assert_int_equal(nv, nh);
    for (size_t i = 0; i < nh; i++)
        assert_string_equal(vn[i], hn[i]);

    for (size_t i = 0; i < nh; i++) {
        char hp[2048], vp[2048];
        struct stat st;
        snprintf(hp, sizeof(hp), "%s/%s", hpath, hn[i]);
        snprintf(vp, sizeof(vp), "%s/%s", vpath, hn[i]);
        assert_int_equal(stat(hp, &st), 0);
        uint32_t size;
        bool is_dir;
        assert_int_equal(fat32_stat(v, vp, &size, &is_dir), 0);
        assert_int_equal(is_dir, S_ISDIR(st.st_mode));
        if (is_dir) {
            compare_tree(v, vp, hp, NULL);
        } else {
            size_t hlen, got = 12345;
            uint8_t *want = load(hp, &hlen);
            uint8_t *buf = malloc(hlen + 1);
            assert_int_equal(size, hlen);
            assert_int_equal(fat32_read_file(v, vp, buf, hlen, &got), 0);
            assert_int_equal(got, hlen);
            assert_memory_equal(buf, want, hlen);
            free(buf);
            free(want);
            files_checked++;
        }
    }
    for (size_t i = 0; i < nh; i++) {
        free(hn[i]);
        free(vn[i]);
    }
    free(de);
}

/* ---- reading real volumes ---- */

static void test_mount_main_geometry(void **state)
{
    (void)state;
    struct testdev t;
    assert_int_equal(fat32_mount(&vol, testdev_init(&t, main_img, main_len, false)), 0);
    assert_int_equal(vol.bytes_per_sec, 512);
    assert_int_equal(vol.sec_per_clus, 1);
    assert_int_equal(vol.num_fats, 2);
    assert_int_equal(vol.part_lba, 0);
    assert_int_equal(vol.root_cluster, 2);
    assert_true(vol.cluster_count >= 65525); /* what mtools needs */
    assert_true(vol.fsinfo_sector == 1);
}

static void test_tree_matches_host(void **state)
{
    (void)state;
    static const char *const extra[] = { "frag.bin", "after.txt", NULL };
    struct testdev t;
    assert_int_equal(fat32_mount(&vol, testdev_init(&t, main_img, main_len, false)), 0);
    files_checked = 0;
    compare_tree(&vol, "/", TREE, extra);
    assert_true(files_checked >= 300 + 15);
}

static void test_tree_4k_sectors(void **state)
{
    (void)state;
    struct filedev f;
    assert_int_equal(fat32_mount(&vol, filedev_open(&f, IMG_4K)), 0);
    assert_int_equal(vol.bytes_per_sec, 4096);
    assert_int_equal(vol.dev_per_sec, 8);
    files_checked = 0;
    compare_tree(&vol, "", TREE, NULL);
    assert_true(files_checked >= 300 + 15);
    close(f.fd);
}

static void test_fragmented_file(void **state)
{
    (void)state;
    struct testdev t;
    size_t hlen, got;
    assert_int_equal(fat32_mount(&vol, testdev_init(&t, main_img, main_len, false)), 0);
    /* The file's chain really has a jump (it filled a hole first). */
    uint32_t c = first_cluster_of(&vol, "frag.bin"), jumps = 0;
    for (uint32_t i = 0; i < 200; i++) {
        uint32_t n = fat_at(main_img, &vol, c);
        if (n >= 0x0FFFFFF8)
            break;
        jumps += n != c + 1;
        c = n;
    }
    assert_true(jumps >= 1);
    uint8_t *want = load(FRAG "/frag.bin", &hlen);
    uint8_t *buf = malloc(hlen);
    assert_int_equal(fat32_read_file(&vol, "/frag.bin", buf, hlen, &got), 0);
    assert_memory_equal(buf, want, hlen);
    /* Odd-sized sequential reads through the same cursor. */
    struct fat32_file f;
    assert_int_equal(fat32_open(&vol, "frag.bin", &f), 0);
    memset(buf, 0, hlen);
    for (size_t off = 0; off < hlen;) {
        int64_t n = fat32_read(&vol, &f, off, buf + off, 1777);
        assert_true(n > 0);
        off += (size_t)n;
    }
    assert_memory_equal(buf, want, hlen);
    free(buf);
    free(want);
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void test_read_offsets(void **state)
{
    (void)state;
    struct testdev t;
    size_t hlen;
    uint8_t *want = load(TREE "/big.bin", &hlen);
    uint8_t *buf = malloc(hlen + 100);
    struct fat32_file f;
    uint32_t seed = 42;

    assert_int_equal(fat32_mount(&vol, testdev_init(&t, main_img, main_len, false)), 0);
    assert_int_equal(fat32_open(&vol, "/big.bin", &f), 0);
    assert_int_equal(f.size, hlen);
    for (int i = 0; i < 400; i++) {
        uint64_t off = lcg(&seed) % (hlen + 10);
        size_t len = i % 4 == 0 ? lcg(&seed) % 70000 : lcg(&seed) % 1500;
        int64_t n = fat32_read(&vol, &f, off, buf, len);
        size_t expect = off >= hlen ? 0 : MIN(len, hlen - off);
        assert_int_equal(n, (int64_t)expect);
        if (expect)
            assert_memory_equal(buf, want + off, expect);
    }
    /* Past the end, and zero-length. */
    assert_int_equal(fat32_read(&vol, &f, hlen, buf, 10), 0);
    assert_int_equal(fat32_read(&vol, &f, UINT64_MAX, buf, 10), 0);
    assert_int_equal(fat32_read(&vol, &f, 0, buf, 0), 0);

    /* A contiguous file is read with few large requests, not per sector:
     * one per FAT sector walked (128 entries each) plus a few for data. */
    t.reads = 0;
    assert_int_equal(fat32_read(&vol, &f, 0, buf, hlen + 100), (int64_t)hlen);
    assert_memory_equal(buf, want, hlen);
    uint32_t fat_secs = (uint32_t)(hlen / 512 / 128) + 2;
    if (t.reads > fat_secs + hlen / (256 * 1024) + 4)
        fail_msg("%u device reads for %zu bytes", t.reads, hlen);
    free(buf);
    free(want);
}

static void test_lookup_names(void **state)
{
    (void)state;
    struct testdev t;
    uint32_t size;
    bool is_dir;
    assert_int_equal(fat32_mount(&vol, testdev_init(&t, main_img, main_len, false)), 0);

    static const char *const same_as_hello[] = { "hello.txt", "/HELLO.TXT", "//Hello.Txt",
                                                 "./hello.txt", "/./HeLLo.tXt" };
    for (size_t i = 0; i < ARRAY_SIZE(same_as_hello); i++) {
        assert_int_equal(fat32_stat(&vol, same_as_hello[i], &size, &is_dir), 0);
        assert_int_equal(size, 14);
        assert_false(is_dir);
    }
    /* Case folding beyond ASCII, and the 8.3 alias of a long name. */
    assert_int_equal(fat32_stat(&vol, "/ÜNÏCÖDÉ ФАЙЛ.TXT", &size, &is_dir), 0);
    assert_int_equal(size, 8);
    assert_int_equal(fat32_stat(&vol, "/ελληνικά.TXT", &size, &is_dir), 0);
    assert_int_equal(fat32_stat(&vol, "/日本語のファイル名.txt", &size, &is_dir), 0);
    assert_int_equal(fat32_stat(&vol, "/readme.txt", &size, &is_dir), 0);
    assert_int_equal(fat32_stat(&vol, "/dir with spaces/SUB DIR/File In Sub Dir.txt", &size, &is_dir), 0);
    assert_int_equal(size, 7);

    struct fat32_file d;
    struct fat32_dirent de;
    char alias[40] = "";
    assert_int_equal(fat32_open(&vol, "/", &d), 0);
    while (fat32_readdir(&vol, &d, &de) == 1) {
        if (strcmp(de.name, "Long Name With Spaces.text") == 0) {
            strcpy(alias, de.short_name);
            assert_int_equal(de.nslots, 3);
        }
        if (strcmp(de.name, "hello.txt") == 0) {
            assert_int_equal(de.nslots, 1); /* lower case via the case flags only */
            assert_string_equal(de.short_name, "hello.txt");
        }
    }
    assert_int_equal(strncmp(alias, "LONGNA~", 7), 0);
    assert_int_equal(fat32_stat(&vol, alias, &size, &is_dir), 0);
    assert_int_equal(size, 7);

    /* Directories, missing names, files used as directories, "..". */
    assert_int_equal(fat32_stat(&vol, "/", &size, &is_dir), 0);
    assert_true(is_dir);
    assert_int_equal(fat32_stat(&vol, "", &size, &is_dir), 0);
    assert_true(is_dir);
    assert_int_equal(fat32_stat(&vol, "/a/b/c/", &size, &is_dir), 0);
    assert_true(is_dir);
    assert_int_equal(fat32_stat(&vol, "/empty.dat", &size, &is_dir), 0);
    assert_int_equal(size, 0);
    assert_int_equal(fat32_stat(&vol, "/nope.txt", &size, &is_dir), -AX_ENOENT);
    assert_int_equal(fat32_stat(&vol, "/hello.txt/x", &size, &is_dir), -AX_ENOENT);
    assert_int_equal(fat32_stat(&vol, "/hello.tx", &size, &is_dir), -AX_ENOENT);
    assert_int_equal(fat32_stat(&vol, "/hello.txtx", &size, &is_dir), -AX_ENOENT);
    assert_int_equal(fat32_stat(&vol, "/a/..", &size, &is_dir), -AX_EINVAL);
    assert_int_equal(fat32_stat(&vol, "/hello\xff.txt", &size, &is_dir), -AX_ENOENT);
    /* A 234-character name. */
    char longname[300];
    memset(longname, 'N', 230);
    strcpy(longname + 230, ".TXT");
    assert_int_equal(fat32_stat(&vol, longname, &size, &is_dir), 0);
    assert_int_equal(size, 5);
}

static void test_read_file_api(void **state)
{
    (void)state;
    struct testdev t;
    char buf[64];
    size_t len = 0;
    assert_int_equal(fat32_mount(&vol, testdev_init(&t, main_img, main_len, false)), 0);
    assert_int_equal(fat32_read_file(&vol, "hello.txt", buf, sizeof(buf), &len), 0);
    assert_int_equal(len, 14);
    assert_memory_equal(buf, "Hello, FAT32!\n", 14);
    assert_int_equal(fat32_read_file(&vol, "hello.txt", buf, 13, &len), -AX_ERANGE);
    assert_int_equal(len, 14);
    assert_int_equal(fat32_read_file(&vol, "empty.dat", NULL, 0, &len), 0);
    assert_int_equal(len, 0);
    assert_int_equal(fat32_read_file(&vol, "many", buf, sizeof(buf), &len), -AX_EINVAL);
    struct fat32_file f;
    assert_int_equal(fat32_open(&vol, "many", &f), 0);
    assert_int_equal(fat32_read(&vol, &f, 0, buf, 10), -AX_EINVAL);
    assert_int_equal(fat32_open(&vol, "hello.txt", &f), 0);
    struct fat32_dirent de;
    assert_int_equal(fat32_readdir(&vol, &f, &de), -AX_EINVAL);
}

static void test_many_entries(void **state)
{
    (void)state;
    struct testdev t;
    struct fat32_file d;
    struct fat32_dirent de;
    assert_int_equal(fat32_mount(&vol, testdev_init(&t, main_img, main_len, false)), 0);
    assert_int_equal(fat32_open(&vol, "/many", &d), 0);
    /* 300 files with a long name each: 600 entries, 38 clusters of 512 B. */
    uint32_t clusters = 1;
    for (uint32_t c = d.first_cluster; fat_at(main_img, &vol, c) < 0x0FFFFFF8; c = fat_at(main_img, &vol, c))
        clusters++;
    assert_true(clusters > 30);
    bool seen[300] = { false };
    int n = 0, rc;
    while ((rc = fat32_readdir(&vol, &d, &de)) == 1) {
        int k;
        assert_int_equal(sscanf(de.name, "entry number %03d.txt", &k), 1);
        assert_true(k >= 0 && k < 300 && !seen[k]);
        seen[k] = true;
        assert_int_equal(de.size, 4);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 300);
    char buf[8];
    size_t len;
    assert_int_equal(fat32_read_file(&vol, "/many/ENTRY NUMBER 299.TXT", buf, sizeof(buf), &len), 0);
    assert_memory_equal(buf, "299\n", 4);
}

static void test_mbr_partition(void **state)
{
    (void)state;
    struct testdev t;
    char buf[64];
    size_t len;
    assert_int_equal(fat32_mount(&vol, testdev_init(&t, mbr_img, mbr_len, false)), 0);
    assert_int_equal(vol.part_lba, 2048);
    assert_int_equal(fat32_read_file(&vol, "/hello.txt", buf, sizeof(buf), &len), 0);
    assert_memory_equal(buf, "on a partition\n", len);
    assert_int_equal(fat32_read_file(&vol, "/sub/x.txt", buf, sizeof(buf), &len), 0);
    assert_memory_equal(buf, "x\n", 2);

    /* A partition reaching past the disk, and no FAT32 partition at all. */
    struct mounted m;
    assert_int_equal(mount_copy(&m, mbr_img, mbr_len, mbr_len, false, &vol2), 0);
    set32(m.img + 446 + 12, (uint32_t)(mbr_len / 512));
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), -AX_EINVAL);
    m.img[446 + 4] = 0x83;
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), -AX_EINVAL);
    m.img[446 + 4] = 0x0B; /* CHS type, same layout: accepted */
    set32(m.img + 446 + 12, (uint32_t)(mbr_len / 512 - 2048));
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), 0);
    /* The partition's boot sector is validated like any other. */
    set16(m.img + 2048 * 512 + 11, 513);
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), -AX_EINVAL);
    mounted_free(&m);
}

static void test_tiny_mkfs_volume(void **state)
{
    (void)state;
    struct testdev t;
    struct fat32_file d;
    struct fat32_dirent de;
    /* mkfs.fat -F 32 on 64 KiB: far below 65525 clusters, still FAT32. */
    assert_int_equal(fat32_mount(&vol, testdev_init(&t, tiny_img, tiny_len, false)), 0);
    assert_int_equal(vol.cluster_count, 94);
    assert_int_equal(fat32_open(&vol, "/", &d), 0);
    assert_int_equal(fat32_readdir(&vol, &d, &de), 0);
}

/* ---- corrupt images ---- */

static void test_bad_bpb(void **state)
{
    (void)state;
    struct mounted m;
    assert_int_equal(mount_copy(&m, main_img, main_len, main_len, false, &vol2), 0);
    uint32_t cc = vol2.cluster_count;
    struct {
        size_t off;
        int width;
        uint32_t val;
    } cases[] = {
        { 11, 2, 0 },    { 11, 2, 513 },  { 11, 2, 256 }, { 11, 2, 8192 }, /* bytes/sector */
        { 13, 1, 0 },    { 13, 1, 3 },    { 13, 1, 6 },                    /* sectors/cluster */
        { 14, 2, 0 },                                                       /* reserved */
        { 16, 1, 0 },    { 16, 1, 3 },                                      /* FAT count */
        { 17, 2, 512 },  { 22, 2, 100 },                                    /* FAT12/16 fields */
        { 36, 4, 0 },    { 36, 4, 1 },                                      /* FAT size */
        { 36, 4, 0x7FFFFFFF },                                              /* FAT beyond volume */
        { 32, 4, (uint32_t)(main_len / 512 + 1) },                          /* beyond device */
        { 32, 4, 0 },                                                       /* no size at all */
        { 44, 4, 0 },    { 44, 4, 1 },    { 44, 4, 0 }, { 44, 4, 0xFFFFFFFF },
        { 510, 1, 0 },                                                      /* signature */
        { 40, 2, 0x0083 },                                                  /* active FAT 3 of 2 */
    };
    cases[19].val = cc + 2; /* root one past the last cluster */
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        memcpy(m.img, main_img, 512);
        uint8_t *p = m.img + cases[i].off;
        if (cases[i].width == 1)
            p[0] = (uint8_t)cases[i].val;
        else if (cases[i].width == 2)
            set16(p, (uint16_t)cases[i].val);
        else
            set32(p, cases[i].val);
        int rc = fat32_mount(&vol2, &m.dev.mem.bd);
        if (rc != -AX_EINVAL)
            fail_msg("case %zu (offset %zu = %u): rc %d", i, cases[i].off, cases[i].val, rc);
    }
    /* Root at the last valid cluster is fine. */
    memcpy(m.img, main_img, 512);
    set32(m.img + 44, cc + 1);
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), 0);
    mounted_free(&m);
}

static void test_device_problems(void **state)
{
    (void)state;
    struct mounted m;
    /* A device shorter than the volume says it is. */
    assert_int_equal(mount_copy(&m, main_img, main_len, main_len / 2, false, &vol2), -AX_EINVAL);
    mounted_free(&m);
    assert_int_equal(mount_copy(&m, main_img, main_len, 0, false, &vol2), -AX_EINVAL);
    mounted_free(&m);

    /* Reads that fail: at sector 0, and in the middle of a file. */
    assert_int_equal(mount_copy(&m, main_img, main_len, main_len, false, &vol2), 0);
    m.dev.fail_from = 0;
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), -AX_EIO);
    m.dev.fail_from = UINT64_MAX;
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), 0);
    uint32_t c = first_cluster_of(&vol2, "/big.bin");
    m.dev.fail_from = clus_off(&vol2, c) / 512 + 3000;
    static uint8_t buf[6 << 20];
    size_t len;
    assert_int_equal(fat32_read_file(&vol2, "/big.bin", buf, sizeof(buf), &len), -AX_EIO);
    /* Partial-sector reads fail the same way, and a failed read leaves
     * nothing stale in the cache. */
    struct fat32_file f;
    assert_int_equal(fat32_open(&vol2, "/big.bin", &f), 0);
    assert_int_equal(fat32_read(&vol2, &f, 3001 * 512 + 7, buf, 10), -AX_EIO);
    m.dev.fail_from = UINT64_MAX;
    assert_int_equal(fat32_read(&vol2, &f, 3001 * 512 + 7, buf, 10), 10);
    assert_int_equal(fat32_read_file(&vol2, "/big.bin", buf, sizeof(buf), &len), 0);
    /* The FAT unreadable: lookups fail cleanly. */
    m.dev.fail_from = vol2.fat_start + 1;
    vol2.fat_cached = 0xFFFFFFFF;
    vol2.data_cached = 0xFFFFFFFF;
    uint32_t size;
    bool is_dir;
    assert_int_equal(fat32_stat(&vol2, "/many/entry number 299.txt", &size, &is_dir), -AX_EIO);
    mounted_free(&m);
}

static void test_corrupt_chains(void **state)
{
    (void)state;
    struct mounted m;
    static uint8_t buf[6 << 20];
    size_t len;
    assert_int_equal(mount_copy(&m, main_img, main_len, main_len, false, &vol2), 0);
    uint32_t c = first_cluster_of(&vol2, "/big.bin");
    uint32_t cc = vol2.cluster_count;
    uint32_t bad[] = { c,          /* loop back to the start */
                       0,          /* free cluster inside a chain */
                       1,          /* reserved */
                       cc + 2,     /* first cluster number past the volume */
                       0x0FFFFFF0, /* reserved range */
                       0x0FFFFFF7, /* bad-cluster mark */
                       0x0FFFFFFF }; /* end of chain too early */
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        memcpy(m.img, main_img, main_len);
        vol2.fat_cached = 0xFFFFFFFF;
        vol2.data_cached = 0xFFFFFFFF;
        fat_put(m.img, &vol2, c + 5, bad[i]);
        int rc = fat32_read_file(&vol2, "/big.bin", buf, sizeof(buf), &len);
        if (rc != -AX_EIO)
            fail_msg("FAT value %#x: rc %d", bad[i], rc);
        /* Reading before the damage still works. */
        struct fat32_file f;
        assert_int_equal(fat32_open(&vol2, "/big.bin", &f), 0);
        assert_int_equal(fat32_read(&vol2, &f, 0, buf, 2048), 2048);
    }

    /* A chain longer than the size, and a chain that loops at its end. */
    memcpy(m.img, main_img, main_len);
    vol2.fat_cached = 0xFFFFFFFF;
    uint32_t h = first_cluster_of(&vol2, "/hello.txt");
    fat_put(m.img, &vol2, h, c);
    assert_int_equal(fat32_read_file(&vol2, "/hello.txt", buf, sizeof(buf), &len), -AX_EIO);
    vol2.fat_cached = 0xFFFFFFFF;
    fat_put(m.img, &vol2, h, h);
    assert_int_equal(fat32_read_file(&vol2, "/hello.txt", buf, sizeof(buf), &len), -AX_EIO);
    mounted_free(&m);
}

static void test_corrupt_entries(void **state)
{
    (void)state;
    struct mounted m;
    static uint8_t buf[64 << 10];
    size_t len;
    uint32_t size;
    bool is_dir;
    assert_int_equal(mount_copy(&m, main_img, main_len, main_len, false, &vol2), 0);

    /* A file larger than its chain, and larger than the volume. */
    size_t e = entry_off(m.img, &vol2, "/", "hello.txt");
    vol2.data_cached = 0xFFFFFFFF;
    set32(m.img + e + 28, 5000);
    assert_int_equal(fat32_read_file(&vol2, "/hello.txt", buf, sizeof(buf), &len), -AX_EIO);
    vol2.data_cached = 0xFFFFFFFF;
    set32(m.img + e + 28, 0xFFFFFFFF);
    assert_int_equal(fat32_stat(&vol2, "/hello.txt", &size, &is_dir), -AX_EIO);
    /* Clusters 0 and 1 in an entry. */
    for (uint16_t bogus = 0; bogus <= 1; bogus++) {
        memcpy(m.img, main_img, main_len);
        vol2.data_cached = 0xFFFFFFFF;
        set16(m.img + e + 26, bogus);
        assert_int_equal(fat32_read_file(&vol2, "/hello.txt", buf, sizeof(buf), &len), -AX_EIO);
    }
    memcpy(m.img, main_img, main_len);
    vol2.data_cached = 0xFFFFFFFF;
    size_t de = entry_off(m.img, &vol2, "/", "many");
    set16(m.img + de + 26, 0);
    set16(m.img + de + 20, 0);
    vol2.data_cached = 0xFFFFFFFF;
    assert_int_equal(fat32_stat(&vol2, "/many", &size, &is_dir), -AX_EIO);
    assert_int_equal(fat32_stat(&vol2, "/many/entry number 001.txt", &size, &is_dir), -AX_EIO);
    set16(m.img + de + 20, 0x7000); /* out of range high word */
    vol2.data_cached = 0xFFFFFFFF;
    assert_int_equal(fat32_stat(&vol2, "/many", &size, &is_dir), -AX_EIO);
    /* Other entries of the root are unaffected. */
    assert_int_equal(fat32_read_file(&vol2, "/hello.txt", buf, sizeof(buf), &len), 0);

    /* Long-name entries whose checksum does not match their 8.3 entry (the
     * short name changed behind their back): the long name is dropped, the
     * 8.3 one still works. Then the same with the long-name entries
     * disagreeing among themselves. */
    memcpy(m.img, main_img, main_len);
    vol2.data_cached = 0xFFFFFFFF;
    e = entry_off(m.img, &vol2, "/", "Long Name With Spaces.text");
    assert_int_equal(m.img[e - 64], 0x42); /* two long-name entries, last first */
    m.img[e - 32 + 13] ^= 0x55;
    m.img[e - 64 + 13] ^= 0x55;
    vol2.data_cached = 0xFFFFFFFF;
    assert_int_equal(fat32_stat(&vol2, "/Long Name With Spaces.text", &size, &is_dir), -AX_ENOENT);
    assert_int_equal(fat32_stat(&vol2, "/longna~1.tex", &size, &is_dir), 0);
    m.img[e - 64 + 13] ^= 0x55;
    vol2.data_cached = 0xFFFFFFFF;
    assert_int_equal(fat32_stat(&vol2, "/Long Name With Spaces.text", &size, &is_dir), -AX_ENOENT);
    m.img[e - 32 + 13] ^= 0x55;
    vol2.data_cached = 0xFFFFFFFF;
    assert_int_equal(fat32_stat(&vol2, "/Long Name With Spaces.text", &size, &is_dir), 0);
    /* A long-name run missing its middle entry. */
    memcpy(m.img, main_img, main_len);
    vol2.data_cached = 0xFFFFFFFF;
    m.img[e - 32] = 0xE5;
    vol2.data_cached = 0xFFFFFFFF;
    assert_int_equal(fat32_stat(&vol2, "/Long Name With Spaces.text", &size, &is_dir), -AX_ENOENT);
    mounted_free(&m);
}

static void test_corrupt_directory_chains(void **state)
{
    (void)state;
    struct mounted m;
    struct fat32_file d;
    struct fat32_dirent de;
    uint32_t size;
    bool is_dir;
    assert_int_equal(mount_copy(&m, main_img, main_len, main_len, false, &vol2), 0);

    /* A directory whose last cluster points back to its first: listing and
     * looking up a missing name both end with -AX_EIO. */
    uint32_t first = first_cluster_of(&vol2, "/many"), last = first;
    while (fat_at(m.img, &vol2, last) < 0x0FFFFFF8)
        last = fat_at(m.img, &vol2, last);
    fat_put(m.img, &vol2, last, first);
    vol2.fat_cached = 0xFFFFFFFF;
    /* Clear the end marker so the walk really reaches the loop. */
    size_t end_entry = clus_off(&vol2, last);
    for (uint32_t i = 0; i < vol2.cluster_bytes / 32; i++)
        if (m.img[end_entry + 32 * i] == 0)
            m.img[end_entry + 32 * i] = 0xE5;
    vol2.data_cached = 0xFFFFFFFF;
    assert_int_equal(fat32_open(&vol2, "/many", &d), 0);
    int rc, n = 0;
    while ((rc = fat32_readdir(&vol2, &d, &de)) == 1)
        n++;
    assert_int_equal(rc, -AX_EIO);
    assert_true(n >= 300);
    assert_int_equal(fat32_stat(&vol2, "/many/missing", &size, &is_dir), -AX_EIO);

    /* The root's chain leaving the volume. */
    memcpy(m.img, main_img, main_len);
    fat_put(m.img, &vol2, vol2.root_cluster, vol2.cluster_count + 7);
    vol2.fat_cached = 0xFFFFFFFF;
    vol2.data_cached = 0xFFFFFFFF;
    assert_int_equal(fat32_stat(&vol2, "/zzz-missing", &size, &is_dir), -AX_EIO);

    /* Mirroring off, FAT #2 active: damage to FAT #1 is ignored. */
    memcpy(m.img, main_img, main_len);
    set16(m.img + 40, 0x0081);
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), 0);
    assert_int_equal(vol2.active_fat, 1);
    uint32_t c = first_cluster_of(&vol2, "/big.bin");
    set32(m.img + fat_off(&vol2, c + 3, 0), 0);
    static uint8_t buf[6 << 20];
    size_t len;
    assert_int_equal(fat32_read_file(&vol2, "/big.bin", buf, sizeof(buf), &len), 0);
    mounted_free(&m);
}

/* ---- writing ---- */

static char tmp_img[64];

static void dump(const struct mounted *m)
{
    strcpy(tmp_img, "/tmp/axfs-test-XXXXXX");
    int fd = mkstemp(tmp_img);
    assert_true(fd >= 0);
    close(fd);
    save(tmp_img, m->img, m->len);
}

static void assert_fsck_clean(const char *img)
{
    char cmd[256], out[8192];
    snprintf(cmd, sizeof(cmd), "%s -n '%s' 2>&1", fsck_path(), img);
    int st = run(cmd, out, sizeof(out));
    if (st != 0)
        fail_msg("fsck.fat found problems (%d):\n%s", st, out);
}

/* mtype's output for a path on the image. */
static void assert_mtype(const char *img, const char *path, const void *want, size_t len)
{
    char cmd[512];
    char *out = malloc(len + 2);
    snprintf(cmd, sizeof(cmd), "mtype -i '%s' '::%s' 2>&1", img, path);
    int st = run(cmd, out, len + 2);
    if (st != 0 || strlen(out) != len || memcmp(out, want, len) != 0)
        fail_msg("mtype %s: status %d, got %zu bytes: %.200s", path, st, strlen(out), out);
    free(out);
}

static void fill_text(char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + (i * 7 + seed + i / 61) % 26);
    for (size_t i = 60; i < len; i += 61)
        buf[i] = '\n';
}

static void test_write_and_read_back(void **state)
{
    (void)state;
    struct mounted m;
    static char data[300000], back[300000];
    size_t len;
    assert_int_equal(mount_copy(&m, main_img, main_len, main_len, true, &vol2), 0);

    struct {
        const char *path;
        size_t len;
    } files[] = {
        { "/new file with a long name.txt", 10000 },
        { "/NEW.TXT", 700 },
        { "/lower.txt", 512 },
        { "/Grüße 日本.txt", 4096 },
        { "/emptydir/inside empty dir.log", 300000 },
        { "/a/b/c/d/e/f/g/h/i/j/deeper still.txt", 1 },
        { "/zero length.bin", 0 },
        { "/hello.txt", 3000 },          /* overwrite: grows */
        { "/big.bin", 10 },              /* overwrite: shrinks, frees 10240 clusters */
        { "/many/entry number 007.txt", 5 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        fill_text(data, files[i].len, (unsigned)i);
        int rc = fat32_write_file(&vol2, files[i].path, data, files[i].len);
        if (rc != 0)
            fail_msg("write %s: %d", files[i].path, rc);
    }
    /* Same names, different case: still the same files. */
    assert_int_equal(fat32_write_file(&vol2, "/HELLO.TXT", "rewritten\n", 10), 0);
    files[7].len = 10;
    /* Outside the BMP: a surrogate pair in the long name (mtools drops such
     * characters, so only the driver and fsck check this one). */
    assert_int_equal(fat32_write_file(&vol2, "/emoji \xF0\x9F\x98\x80 name.txt", "e\n", 2), 0);

    dump(&m);
    assert_fsck_clean(tmp_img);
    /* A fresh mount sees everything (nothing only in the caches). */
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), 0);
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        fill_text(data, files[i].len, (unsigned)i);
        if (i == 7)
            memcpy(data, "rewritten\n", 10);
        assert_int_equal(fat32_read_file(&vol2, files[i].path, back, sizeof(back), &len), 0);
        assert_int_equal(len, files[i].len);
        assert_memory_equal(back, data, len);
        assert_mtype(tmp_img, files[i].path, data, len);
    }
    struct fat32_file d;
    struct fat32_dirent de;
    bool seen_emoji = false;
    assert_int_equal(fat32_open(&vol2, "/", &d), 0);
    while (fat32_readdir(&vol2, &d, &de) == 1)
        seen_emoji |= strcmp(de.name, "emoji \xF0\x9F\x98\x80 name.txt") == 0;
    assert_true(seen_emoji);
    assert_int_equal(fat32_read_file(&vol2, "/EMOJI \xF0\x9F\x98\x80 NAME.TXT", back, sizeof(back), &len), 0);
    assert_int_equal(len, 2);
    /* Long names where needed, none for a plain 8.3 name. */
    char out[8192], cmd[256];
    snprintf(cmd, sizeof(cmd), "mdir -i '%s' ::/ 2>&1", tmp_img);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "new file with a long name.txt"));
    assert_non_null(strstr(out, "Grüße 日本.txt"));
    assert_non_null(strstr(out, "NEW      TXT"));
    assert_non_null(strstr(out, "lower.txt"));
    /* Files next to the rewritten ones are intact. */
    size_t hlen;
    uint8_t *want = load(FRAG "/frag.bin", &hlen);
    assert_int_equal(fat32_read_file(&vol2, "/frag.bin", back, sizeof(back), &len), 0);
    assert_int_equal(len, hlen);
    assert_memory_equal(back, want, hlen);
    free(want);
    unlink(tmp_img);
    mounted_free(&m);
}

static void test_write_grows_directory(void **state)
{
    (void)state;
    struct mounted m;
    char name[64], data[32], back[32];
    size_t len;
    assert_int_equal(mount_copy(&m, main_img, main_len, main_len, true, &vol2), 0);
    uint32_t before = 1, after = 1;
    uint32_t first = first_cluster_of(&vol2, "/many");
    for (uint32_t c = first; fat_at(m.img, &vol2, c) < 0x0FFFFFF8; c = fat_at(m.img, &vol2, c))
        before++;
    /* 120 similar long names: ~N tails, and the directory must grow. */
    for (int i = 0; i < 120; i++) {
        snprintf(name, sizeof(name), "/many/added file number %d.txt", i);
        snprintf(data, sizeof(data), "added %d\n", i);
        assert_int_equal(fat32_write_file(&vol2, name, data, strlen(data)), 0);
    }
    for (uint32_t c = first; fat_at(m.img, &vol2, c) < 0x0FFFFFF8; c = fat_at(m.img, &vol2, c))
        after++;
    assert_true(after > before);
    /* Also grow a directory that had only "." and "..". */
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "/emptydir/F%d.DAT", i);
        assert_int_equal(fat32_write_file(&vol2, name, name, strlen(name)), 0);
    }
    dump(&m);
    assert_fsck_clean(tmp_img);
    for (int i = 0; i < 120; i += 17) {
        snprintf(name, sizeof(name), "/many/added file number %d.txt", i);
        snprintf(data, sizeof(data), "added %d\n", i);
        assert_int_equal(fat32_read_file(&vol2, name, back, sizeof(back), &len), 0);
        assert_int_equal(len, strlen(data));
        assert_memory_equal(back, data, len);
        assert_mtype(tmp_img, name, data, strlen(data));
    }
    struct fat32_file d;
    struct fat32_dirent de;
    int n = 0;
    assert_int_equal(fat32_open(&vol2, "/many", &d), 0);
    while (fat32_readdir(&vol2, &d, &de) == 1)
        n++;
    assert_int_equal(n, 420);
    char out[16384], cmd[256];
    snprintf(cmd, sizeof(cmd), "mdir -b -i '%s' ::/emptydir 2>&1 | wc -l", tmp_img);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_int_equal(atoi(out), 40);
    unlink(tmp_img);
    mounted_free(&m);
}

static void test_write_errors(void **state)
{
    (void)state;
    struct mounted m;
    static char big[100000];
    assert_int_equal(mount_copy(&m, main_img, main_len, main_len, true, &vol2), 0);
    assert_int_equal(fat32_write_file(&vol2, "/nodir/x.txt", "x", 1), -AX_ENOENT);
    assert_int_equal(fat32_write_file(&vol2, "/hello.txt/x.txt", "x", 1), -AX_ENOENT);
    assert_int_equal(fat32_write_file(&vol2, "/many", "x", 1), -AX_EEXIST);
    assert_int_equal(fat32_write_file(&vol2, "/", "x", 1), -AX_EINVAL);
    assert_int_equal(fat32_write_file(&vol2, "/a*b", "x", 1), -AX_EINVAL);
    assert_int_equal(fat32_write_file(&vol2, "/trailing.", "x", 1), -AX_EINVAL);
    assert_int_equal(fat32_write_file(&vol2, "/trailing ", "x", 1), -AX_EINVAL);
    assert_int_equal(fat32_write_file(&vol2, "/bad\xC3", "x", 1), -AX_EINVAL);
    char longname[300];
    longname[0] = '/';
    memset(longname + 1, 'x', 256);
    longname[257] = '\0';
    assert_int_equal(fat32_write_file(&vol2, longname, "x", 1), -AX_EINVAL);
    longname[256] = '\0'; /* 255 characters: the maximum */
    assert_int_equal(fat32_write_file(&vol2, longname, "x", 1), 0);
    /* A device that refuses writes, and one without a write hook. */
    m.dev.mem.writable = false;
    assert_true(fat32_write_file(&vol2, "/x.txt", "x", 1) == -AX_EIO);
    m.dev.mem.bd.write = NULL;
    assert_int_equal(fat32_write_file(&vol2, "/x.txt", "x", 1), -AX_ENOSYS);
    mounted_free(&m);

    /* A full volume: nothing allocated stays allocated. */
    assert_int_equal(mount_copy(&m, tiny_img, tiny_len, tiny_len, true, &vol2), 0);
    assert_int_equal(fat32_write_file(&vol2, "/too big.bin", big, sizeof(big)), -AX_ENOSPC);
    assert_int_equal(fat32_write_file(&vol2, "/fits.bin", big, 40000), 0);
    assert_int_equal(fat32_write_file(&vol2, "/no room.bin", big, 8000), -AX_ENOSPC);
    dump(&m);
    assert_fsck_clean(tmp_img);
    unlink(tmp_img);
    mounted_free(&m);
}

static void test_write_tiny_and_mbr(void **state)
{
    (void)state;
    struct mounted m;
    char name[40], back[600];
    size_t len;
    /* The smallest mkfs.fat volume: fill its root directory past a cluster. */
    assert_int_equal(mount_copy(&m, tiny_img, tiny_len, tiny_len, true, &vol2), 0);
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof(name), "/file number %d", i);
        assert_int_equal(fat32_write_file(&vol2, name, name, strlen(name)), 0);
    }
    assert_int_equal(fat32_mount(&vol2, &m.dev.mem.bd), 0);
    for (int i = 0; i < 30; i++) {
        char upper[40];
        snprintf(name, sizeof(name), "/file number %d", i);
        snprintf(upper, sizeof(upper), "/FILE NUMBER %d", i);
        assert_int_equal(fat32_read_file(&vol2, upper, back, sizeof(back), &len), 0);
        assert_int_equal(len, strlen(name));
        assert_memory_equal(back, name, len);
    }
    dump(&m);
    assert_fsck_clean(tmp_img);
    unlink(tmp_img);
    mounted_free(&m);

    /* On a partition: mtools reads it at the partition's offset. */
    assert_int_equal(mount_copy(&m, mbr_img, mbr_len, mbr_len, true, &vol2), 0);
    assert_int_equal(fat32_write_file(&vol2, "/sub/written on a partition.txt", "part\n", 5), 0);
    dump(&m);
    char img[96];
    snprintf(img, sizeof(img), "%s@@1M", tmp_img);
    assert_mtype(img, "/sub/written on a partition.txt", "part\n", 5);
    unlink(tmp_img);
    mounted_free(&m);
}

/* ---- through the VFS ---- */

struct walk {
    unsigned files, dirs;
    uint64_t bytes;
    char path[1024];
};

static int walk_cb(const struct vfs_dirent *de, void *arg)
{
    struct walk *w = arg;
    size_t n = strlen(w->path);
    snprintf(w->path + n, sizeof(w->path) - n, "%s%s", n > 1 ? "/" : "", de->name);
    if (de->is_dir) {
        w->dirs++;
        assert_int_equal(vfs_readdir(w->path, walk_cb, w), 0);
    } else {
        struct vfs_stat st;
        assert_int_equal(vfs_stat(w->path, &st), 0);
        assert_int_equal(st.size, de->size);
        w->files++;
        w->bytes += de->size;
    }
    w->path[n] = '\0';
    return 0;
}

static void test_vfs_over_fat(void **state)
{
    (void)state;
    struct testdev t1, t2;
    static uint8_t buf[6 << 20];
    size_t len;
    vfs_init();
    assert_int_equal(fat32_mount(&vol, testdev_init(&t1, main_img, main_len, false)), 0);
    assert_int_equal(fat32_mount(&vol2, testdev_init(&t2, mbr_img, mbr_len, false)), 0);
    assert_int_equal(vfs_mount("/", &fat32_vfs_ops, &vol), 0);
    assert_int_equal(vfs_mount("/mnt/part", &fat32_vfs_ops, &vol2), 0);

    assert_int_equal(vfs_read_file("/mnt/part/sub/x.txt", buf, sizeof(buf), &len), 0);
    assert_memory_equal(buf, "x\n", 2);
    assert_int_equal(vfs_read_file("/mnt/part/../../a/./b/c/d/e/f/g/h/i/j/deep.txt", buf, 100, &len), 0);
    assert_memory_equal(buf, "deep\n", 5);
    assert_int_equal(vfs_read_file("/../BIG.BIN", buf, sizeof(buf), &len), 0);
    assert_int_equal(len, 5 * 1024 * 1024 + 123);
    assert_int_equal(buf[len - 1], (uint8_t)(((len - 1) * 7 + ((len - 1) >> 9)) & 255));

    struct walk w = { .path = "/" };
    assert_int_equal(vfs_readdir("/", walk_cb, &w), 0);
    assert_true(w.files >= 300 + 17);
    assert_true(w.dirs >= 14);
    assert_true(w.bytes > 5 * 1024 * 1024);

    /* Seek and read through a descriptor. */
    int fd = vfs_open("/big.bin");
    assert_true(fd >= 0);
    assert_int_equal(vfs_seek(fd, -100, VFS_SEEK_END), (int64_t)len - 100);
    assert_int_equal(vfs_read(fd, buf, 1000), 100);
    assert_int_equal(vfs_read(fd, buf, 1000), 0);
    assert_int_equal(vfs_seek(fd, 4096, VFS_SEEK_SET), 4096);
    assert_int_equal(vfs_read(fd, buf, 1), 1);
    assert_int_equal(buf[0], (uint8_t)((4096 * 7 + (4096 >> 9)) & 255));
    assert_int_equal(vfs_umount("/"), -AX_EBUSY);
    assert_int_equal(vfs_close(fd), 0);
    assert_int_equal(vfs_write_file("/mnt/part/new.txt", "x", 1), -AX_EIO); /* read-only device */
    assert_int_equal(vfs_umount("/mnt/part"), 0);
    assert_int_equal(vfs_stat("/mnt/part/hello.txt", &(struct vfs_stat){ 0 }), -AX_ENOENT);
    assert_int_equal(vfs_umount("/"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mount_main_geometry),
        cmocka_unit_test(test_tree_matches_host),
        cmocka_unit_test(test_tree_4k_sectors),
        cmocka_unit_test(test_fragmented_file),
        cmocka_unit_test(test_read_offsets),
        cmocka_unit_test(test_lookup_names),
        cmocka_unit_test(test_read_file_api),
        cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_mbr_partition),
        cmocka_unit_test(test_tiny_mkfs_volume),
        cmocka_unit_test(test_bad_bpb),
        cmocka_unit_test(test_device_problems),
        cmocka_unit_test(test_corrupt_chains),
        cmocka_unit_test(test_corrupt_entries),
        cmocka_unit_test(test_corrupt_directory_chains),
        cmocka_unit_test(test_write_and_read_back),
        cmocka_unit_test(test_write_grows_directory),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_write_tiny_and_mbr),
        cmocka_unit_test(test_vfs_over_fat),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
