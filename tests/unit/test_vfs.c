/* VFS tests over a mock filesystem: path normalisation, mount resolution
 * (what path each driver is handed), the descriptor table, seek/read
 * arithmetic and error propagation. FAT32 through the VFS is covered in
 * test_fat32.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ax/vfs.h"

/* ---- a mock filesystem: a fixed table of nodes ---- */

struct node {
    const char *path; /* relative to the mount root */
    const char *data; /* NULL for a directory */
};

struct mockfs {
    const struct node *nodes;
    size_t count;
    char last_path[256];
    int read_error;      /* returned by read when non-zero */
    bool short_read;     /* read returns 0 after the first call */
    char written[256];   /* last write_file path */
};

struct mockfile {
    const struct node *node;
    size_t next; /* directory iteration index */
    unsigned reads;
};

static int mock_open(void *fs, const char *path, void *file, struct vfs_stat *st)
{
    struct mockfs *m = fs;
    struct mockfile *f = file;
    snprintf(m->last_path, sizeof(m->last_path), "%s", path);
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->nodes[i].path, path) == 0) {
            f->node = &m->nodes[i];
            f->next = 0;
            f->reads = 0;
            st->is_dir = m->nodes[i].data == NULL;
            st->size = st->is_dir ? 0 : strlen(m->nodes[i].data);
            return 0;
        }
    }
    return -AX_ENOENT;
}

static int64_t mock_read(void *fs, void *file, uint64_t off, void *buf, size_t len)
{
    struct mockfs *m = fs;
    struct mockfile *f = file;
    size_t size = strlen(f->node->data);
    if (m->read_error)
        return m->read_error;
    if (m->short_read && f->reads++ > 0)
        return 0;
    assert_true(off < size); /* the VFS never asks past the end */
    assert_true(len <= size - off);
    if (m->short_read)
        len = 1;
    memcpy(buf, f->node->data + off, len);
    return (int64_t)len;
}

/* Children of a directory: nodes "dir/name" without a further '/'. */
static int mock_readdir(void *fs, void *file, struct vfs_dirent *de)
{
    struct mockfs *m = fs;
    struct mockfile *f = file;
    size_t plen = strlen(f->node->path);
    while (f->next < m->count) {
        const struct node *n = &m->nodes[f->next++];
        const char *rest;
        if (plen == 0)
            rest = n->path;
        else if (strncmp(n->path, f->node->path, plen) == 0 && n->path[plen] == '/')
            rest = n->path + plen + 1;
        else
            continue;
        if (*rest == '\0' || strchr(rest, '/') != NULL)
            continue;
        snprintf(de->name, sizeof(de->name), "%s", rest);
        de->is_dir = n->data == NULL;
        de->size = n->data ? strlen(n->data) : 0;
        return 1;
    }
    return 0;
}

static int mock_write(void *fs, const char *path, const void *buf, size_t len)
{
    struct mockfs *m = fs;
    (void)buf;
    (void)len;
    snprintf(m->written, sizeof(m->written), "%s", path);
    return 0;
}

static const struct vfs_fs_ops mock_ops = {
    .name = "mock", .open = mock_open, .read = mock_read, .readdir = mock_readdir,
};
static const struct vfs_fs_ops mock_ops_rw = {
    .name = "mock-rw", .open = mock_open, .read = mock_read, .readdir = mock_readdir,
    .write_file = mock_write,
};

static const struct node root_nodes[] = {
    { "", NULL },           { "a", NULL },          { "a/b.txt", "0123456789" },
    { "a/c", NULL },        { "a/c/d.txt", "d" },   { "mntx", "not a mount" },
    { "top.txt", "top" },   { "empty", "" },
};
static const struct node mnt_nodes[] = { { "", NULL }, { "deep", NULL }, { "f", "mnt f" } };
static const struct node deep_nodes[] = { { "", NULL }, { "y", "deep y" } };

static struct mockfs fs_root, fs_mnt, fs_deep;

static int setup(void **state)
{
    (void)state;
    vfs_init();
    memset(&fs_root, 0, sizeof(fs_root));
    memset(&fs_mnt, 0, sizeof(fs_mnt));
    memset(&fs_deep, 0, sizeof(fs_deep));
    fs_root.nodes = root_nodes;
    fs_root.count = sizeof(root_nodes) / sizeof(root_nodes[0]);
    fs_mnt.nodes = mnt_nodes;
    fs_mnt.count = sizeof(mnt_nodes) / sizeof(mnt_nodes[0]);
    fs_deep.nodes = deep_nodes;
    fs_deep.count = sizeof(deep_nodes) / sizeof(deep_nodes[0]);
    assert_int_equal(vfs_mount("/", &mock_ops, &fs_root), 0);
    assert_int_equal(vfs_mount("/mnt/", &mock_ops_rw, &fs_mnt), 0);
    assert_int_equal(vfs_mount("/mnt/deep/x", &mock_ops, &fs_deep), 0);
    return 0;
}

/* ---- tests ---- */

static void test_normalize(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "/", "/" },           { "//", "/" },          { "/a/b/", "/a/b" },
        { "/a//b", "/a/b" },    { "/a/./b", "/a/b" },   { "/a/../b", "/b" },
        { "/..", "/" },         { "/../../x", "/x" },   { "/a/b/../../..", "/" },
        { "/...", "/..." },     { "/a/.b", "/a/.b" },   { "/a/b/..", "/a" },
        { "/./", "/" },         { "/a/..b/", "/a/..b" },
    };
    char out[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(vfs_normalize(cases[i][0], out, sizeof(out)), 0);
        assert_string_equal(out, cases[i][1]);
    }
    assert_int_equal(vfs_normalize("a/b", out, sizeof(out)), -AX_EINVAL);
    assert_int_equal(vfs_normalize("", out, sizeof(out)), -AX_EINVAL);
    assert_int_equal(vfs_normalize(NULL, out, sizeof(out)), -AX_EINVAL);
    /* Exactly fitting, and one byte too long. */
    assert_int_equal(vfs_normalize("/abcd/efg", out, 10), 0);
    assert_string_equal(out, "/abcd/efg");
    assert_int_equal(vfs_normalize("/abcd/efgh", out, 10), -AX_ERANGE);
    /* ".." frees room again. */
    assert_int_equal(vfs_normalize("/abcd/../abcd/efg", out, 10), 0);
}

static void test_mount_resolution(void **state)
{
    (void)state;
    struct vfs_stat st;
    static const struct {
        const char *path;
        struct mockfs *fs;
        const char *rel;
    } cases[] = {
        { "/", &fs_root, "" },
        { "/a/b.txt", &fs_root, "a/b.txt" },
        { "/mntx", &fs_root, "mntx" },           /* a prefix, not a component */
        { "/mnt", &fs_mnt, "" },
        { "/mnt/", &fs_mnt, "" },
        { "/mnt/f", &fs_mnt, "f" },
        { "/mnt/deep", &fs_mnt, "deep" },
        { "/mnt/deep/x/y", &fs_deep, "y" },
        { "/mnt/deep/x/../x/./y", &fs_deep, "y" },
        { "/mnt/deep/x/..", &fs_mnt, "deep" },
        { "/mnt/..//a/c/../b.txt", &fs_root, "a/b.txt" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cases[i].fs->last_path[0] = '#';
        assert_int_equal(vfs_stat(cases[i].path, &st), 0);
        assert_string_equal(cases[i].fs->last_path, cases[i].rel);
    }
    assert_int_equal(vfs_stat("/a/b.txt", &st), 0);
    assert_false(st.is_dir);
    assert_int_equal(st.size, 10);
    assert_int_equal(vfs_stat("/a", &st), 0);
    assert_true(st.is_dir);
    assert_int_equal(vfs_stat("/nope", &st), -AX_ENOENT);
    assert_int_equal(vfs_stat("relative", &st), -AX_EINVAL);
}

static void test_mount_table(void **state)
{
    (void)state;
    static struct mockfs other;
    assert_int_equal(vfs_mount("/mnt", &mock_ops, &other), -AX_EEXIST);
    assert_int_equal(vfs_mount("//", &mock_ops, &other), -AX_EEXIST);
    assert_int_equal(vfs_mount("rel", &mock_ops, &other), -AX_EINVAL);
    assert_int_equal(vfs_mount("/x", NULL, &other), -AX_EINVAL);
    struct vfs_fs_ops no_read = mock_ops;
    no_read.read = NULL;
    assert_int_equal(vfs_mount("/x", &no_read, &other), -AX_EINVAL);
    assert_int_equal(vfs_mount("/four", &mock_ops, &other), 0);
    assert_int_equal(vfs_mount("/five", &mock_ops, &other), -AX_ENOSPC);
    assert_int_equal(vfs_umount("/five"), -AX_ENOENT);
    assert_int_equal(vfs_umount("/four"), 0);
    assert_int_equal(vfs_mount("/five", &mock_ops, &other), 0);

    /* Without a root mount nothing outside the mounts resolves. */
    assert_int_equal(vfs_umount("/"), 0);
    struct vfs_stat st;
    assert_int_equal(vfs_stat("/top.txt", &st), -AX_ENOENT);
    assert_int_equal(vfs_stat("/mnt/f", &st), 0);
}

static void test_descriptors(void **state)
{
    (void)state;
    int fds[VFS_MAX_FILES];
    for (int i = 0; i < VFS_MAX_FILES; i++) {
        fds[i] = vfs_open("/top.txt");
        assert_true(fds[i] >= 0);
    }
    assert_int_equal(vfs_open("/top.txt"), -AX_ENOSPC);
    assert_int_equal(vfs_umount("/"), -AX_EBUSY);
    assert_int_equal(vfs_close(fds[3]), 0);
    assert_int_equal(vfs_close(fds[3]), -AX_EINVAL);
    char c;
    assert_int_equal(vfs_read(fds[3], &c, 1), -AX_EINVAL);
    assert_int_equal(vfs_seek(fds[3], 0, VFS_SEEK_SET), -AX_EINVAL);
    fds[3] = vfs_open("/a/b.txt");
    assert_int_equal(fds[3], 3); /* the freed slot is reused */
    for (int i = 0; i < VFS_MAX_FILES; i++)
        assert_int_equal(vfs_close(fds[i]), 0);
    assert_int_equal(vfs_close(-1), -AX_EINVAL);
    assert_int_equal(vfs_close(VFS_MAX_FILES), -AX_EINVAL);
    /* A failed open leaves no descriptor behind. */
    for (int i = 0; i < 2 * VFS_MAX_FILES; i++)
        assert_int_equal(vfs_open("/missing"), -AX_ENOENT);
    assert_int_equal(vfs_umount("/"), 0);
}

static void test_read_and_seek(void **state)
{
    (void)state;
    char buf[32];
    int fd = vfs_open("/a/b.txt");
    assert_true(fd >= 0);
    assert_int_equal(vfs_read(fd, buf, 4), 4);
    assert_memory_equal(buf, "0123", 4);
    assert_int_equal(vfs_read(fd, buf, 100), 6);
    assert_memory_equal(buf, "456789", 6);
    assert_int_equal(vfs_read(fd, buf, 100), 0);
    assert_int_equal(vfs_seek(fd, -3, VFS_SEEK_CUR), 7);
    assert_int_equal(vfs_read(fd, buf, 2), 2);
    assert_memory_equal(buf, "78", 2);
    assert_int_equal(vfs_seek(fd, 2, VFS_SEEK_SET), 2);
    assert_int_equal(vfs_seek(fd, 1, VFS_SEEK_CUR), 3);
    assert_int_equal(vfs_read(fd, buf, 1), 1);
    assert_int_equal(buf[0], '3');
    assert_int_equal(vfs_seek(fd, 0, VFS_SEEK_END), 10);
    assert_int_equal(vfs_seek(fd, 100, VFS_SEEK_END), 110); /* past the end: reads give 0 */
    assert_int_equal(vfs_read(fd, buf, 5), 0);
    assert_int_equal(vfs_seek(fd, -11, VFS_SEEK_END), -AX_EINVAL);
    assert_int_equal(vfs_seek(fd, INT64_MAX, VFS_SEEK_END), -AX_EINVAL);
    assert_int_equal(vfs_seek(fd, INT64_MAX, VFS_SEEK_SET), INT64_MAX);
    assert_int_equal(vfs_seek(fd, 1, VFS_SEEK_CUR), -AX_EINVAL);
    assert_int_equal(vfs_seek(fd, INT64_MIN, VFS_SEEK_CUR), -AX_EINVAL); /* lands on -1 */
    assert_int_equal(vfs_seek(fd, INT64_MIN, VFS_SEEK_SET), -AX_EINVAL);
    assert_int_equal(vfs_seek(fd, 0, 7), -AX_EINVAL);
    assert_int_equal(vfs_read(fd, NULL, 5), -AX_EINVAL);
    struct vfs_stat st;
    assert_int_equal(vfs_fstat(fd, &st), 0);
    assert_int_equal(st.size, 10);
    struct vfs_dirent de;
    assert_int_equal(vfs_readdir_next(fd, &de), -AX_EINVAL);
    vfs_close(fd);

    /* Driver errors come through unchanged. */
    fd = vfs_open("/top.txt");
    fs_root.read_error = -AX_EIO;
    assert_int_equal(vfs_read(fd, buf, 3), -AX_EIO);
    fs_root.read_error = 0;
    assert_int_equal(vfs_read(fd, buf, 3), 3);
    vfs_close(fd);

    /* Directories are not read as files. */
    fd = vfs_open("/a");
    assert_int_equal(vfs_read(fd, buf, 3), -AX_EINVAL);
    vfs_close(fd);
}

static void test_read_file(void **state)
{
    (void)state;
    char buf[32];
    size_t len = 0;
    assert_int_equal(vfs_read_file("/a/c/d.txt", buf, sizeof(buf), &len), 0);
    assert_int_equal(len, 1);
    assert_int_equal(buf[0], 'd');
    assert_int_equal(vfs_read_file("/a/b.txt", buf, 9, &len), -AX_ERANGE);
    assert_int_equal(len, 10);
    assert_int_equal(vfs_read_file("/a/b.txt", buf, 10, &len), 0);
    assert_int_equal(vfs_read_file("/empty", NULL, 0, &len), 0);
    assert_int_equal(len, 0);
    assert_int_equal(vfs_read_file("/a", buf, sizeof(buf), &len), -AX_EINVAL);
    assert_int_equal(vfs_read_file("/zz", buf, sizeof(buf), &len), -AX_ENOENT);
    /* A driver that stops early: the file is shorter than its size. */
    fs_root.short_read = true;
    assert_int_equal(vfs_read_file("/a/b.txt", buf, sizeof(buf), &len), -AX_EIO);
    fs_root.short_read = false;
    /* No descriptor leaked by any of these. */
    for (int i = 0; i < VFS_MAX_FILES; i++)
        assert_true(vfs_open("/top.txt") >= 0);
    assert_int_equal(vfs_open("/top.txt"), -AX_ENOSPC);
}

struct listing {
    char names[16][VFS_NAME_MAX + 2];
    int n;
    int stop_after;
};

static int list_cb(const struct vfs_dirent *de, void *arg)
{
    struct listing *l = arg;
    snprintf(l->names[l->n], sizeof(l->names[0]), "%s%s", de->name, de->is_dir ? "/" : "");
    l->n++;
    if (l->stop_after && l->n == l->stop_after)
        return 42;
    return 0;
}

static void test_readdir(void **state)
{
    (void)state;
    struct listing l = { 0 };
    assert_int_equal(vfs_readdir("/a/", list_cb, &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.names[0], "b.txt");
    assert_string_equal(l.names[1], "c/");
    memset(&l, 0, sizeof(l));
    l.stop_after = 2;
    assert_int_equal(vfs_readdir("/", list_cb, &l), 42);
    assert_int_equal(l.n, 2);
    assert_int_equal(vfs_readdir("/top.txt", list_cb, &l), -AX_EINVAL);
    assert_int_equal(vfs_readdir("/", NULL, &l), -AX_EINVAL);
    memset(&l, 0, sizeof(l));
    assert_int_equal(vfs_readdir("/mnt/deep/x/", list_cb, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.names[0], "y");

    /* The iterator form. */
    struct vfs_dirent de;
    int fd = vfs_open("/mnt");
    assert_int_equal(vfs_readdir_next(fd, &de), 1);
    assert_string_equal(de.name, "deep");
    assert_true(de.is_dir);
    assert_int_equal(vfs_readdir_next(fd, &de), 1);
    assert_string_equal(de.name, "f");
    assert_int_equal(de.size, 5);
    assert_int_equal(vfs_readdir_next(fd, &de), 0);
    assert_int_equal(vfs_readdir_next(fd, &de), 0);
    vfs_close(fd);
    /* All descriptors are back after the walks. */
    for (int i = 0; i < VFS_MAX_FILES; i++)
        assert_true(vfs_open("/") >= 0);
}

static void test_write_file(void **state)
{
    (void)state;
    assert_int_equal(vfs_write_file("/top.txt", "x", 1), -AX_ENOSYS);
    assert_int_equal(vfs_write_file("/mnt/new/../file.txt", "x", 1), 0);
    assert_string_equal(fs_mnt.written, "file.txt");
    assert_int_equal(vfs_write_file("/mnt", "x", 1), -AX_EINVAL);
    assert_int_equal(vfs_write_file("mnt/x", "x", 1), -AX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_normalize, setup),
        cmocka_unit_test_setup(test_mount_resolution, setup),
        cmocka_unit_test_setup(test_mount_table, setup),
        cmocka_unit_test_setup(test_descriptors, setup),
        cmocka_unit_test_setup(test_read_and_seek, setup),
        cmocka_unit_test_setup(test_read_file, setup),
        cmocka_unit_test_setup(test_readdir, setup),
        cmocka_unit_test_setup(test_write_file, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
