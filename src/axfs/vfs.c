/* VFS: mount table, descriptor table and path normalisation. Filesystems
 * plug in through struct vfs_fs_ops; nothing here knows an on-disk format. */
#include "ax/vfs.h"

#include "ax/string.h"

#define MOUNT_PATH_MAX 64

struct vfs_mount {
    bool used;
    size_t len; /* strlen(path) */
    char path[MOUNT_PATH_MAX];
    const struct vfs_fs_ops *ops;
    void *fs;
};

struct vfs_file {
    bool used;
    bool is_dir;
    uint8_t mount;
    uint64_t pos;
    uint64_t size;
    uint64_t priv[VFS_FILE_PRIV_SIZE / sizeof(uint64_t)]; /* the driver's */
};

static struct vfs_mount mounts[VFS_MAX_MOUNTS];
static struct vfs_file files[VFS_MAX_FILES];

void vfs_init(void)
{
    memset(mounts, 0, sizeof(mounts));
    memset(files, 0, sizeof(files));
}

int vfs_normalize(const char *path, char *out, size_t outlen)
{
    size_t n = 1;

    if (path == NULL || path[0] != '/' || outlen < 2)
        return -AX_EINVAL;
    out[0] = '/';
    for (const char *p = path;;) {
        while (*p == '/')
            p++;
        size_t len = 0;
        while (p[len] != '\0' && p[len] != '/')
            len++;
        if (len == 0)
            break;
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 1 && out[n - 1] != '/')
                n--;
            if (n > 1)
                n--; /* the separator before the dropped component */
        } else if (!(len == 1 && p[0] == '.')) {
            size_t sep = n > 1 ? 1 : 0;
            if (n + sep + len + 1 > outlen)
                return -AX_ERANGE;
            if (sep)
                out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    out[n] = '\0';
    return 0;
}

/* The mount serving a normalised path (longest prefix on a component
 * boundary) and the rest of the path relative to it. */
static struct vfs_mount *mount_resolve(const char *norm, const char **rel)
{
    struct vfs_mount *best = NULL;

    for (size_t i = 0; i < VFS_MAX_MOUNTS; i++) {
        struct vfs_mount *m = &mounts[i];
        if (!m->used || (best != NULL && m->len <= best->len))
            continue;
        if (m->len == 1) {
            best = m; /* "/" serves everything */
        } else if (strncmp(norm, m->path, m->len) == 0 &&
                   (norm[m->len] == '\0' || norm[m->len] == '/')) {
            best = m;
        }
    }
    if (best != NULL) {
        const char *r = norm + (best->len == 1 ? 0 : best->len);
        *rel = *r == '/' ? r + 1 : r;
    }
    return best;
}

static struct vfs_mount *mount_find_exact(const char *norm)
{
    for (size_t i = 0; i < VFS_MAX_MOUNTS; i++) {
        if (mounts[i].used && strcmp(mounts[i].path, norm) == 0)
            return &mounts[i];
    }
    return NULL;
}

int vfs_mount(const char *path, const struct vfs_fs_ops *ops, void *fs)
{
    char norm[MOUNT_PATH_MAX];
    int rc = vfs_normalize(path, norm, sizeof(norm));

    if (rc < 0)
        return rc;
    if (ops == NULL || ops->open == NULL || ops->read == NULL || ops->readdir == NULL)
        return -AX_EINVAL;
    if (mount_find_exact(norm) != NULL)
        return -AX_EEXIST;
    for (size_t i = 0; i < VFS_MAX_MOUNTS; i++) {
        struct vfs_mount *m = &mounts[i];
        if (m->used)
            continue;
        m->len = strlen(norm);
        memcpy(m->path, norm, m->len + 1);
        m->ops = ops;
        m->fs = fs;
        m->used = true;
        return 0;
    }
    return -AX_ENOSPC;
}

int vfs_umount(const char *path)
{
    char norm[MOUNT_PATH_MAX];
    int rc = vfs_normalize(path, norm, sizeof(norm));

    if (rc < 0)
        return rc;
    struct vfs_mount *m = mount_find_exact(norm);
    if (m == NULL)
        return -AX_ENOENT;
    for (size_t i = 0; i < VFS_MAX_FILES; i++) {
        if (files[i].used && &mounts[files[i].mount] == m)
            return -AX_EBUSY;
    }
    memset(m, 0, sizeof(*m));
    return 0;
}

static struct vfs_file *file_get(int fd)
{
    if (fd < 0 || fd >= VFS_MAX_FILES || !files[fd].used)
        return NULL;
    return &files[fd];
}

static const struct vfs_fs_ops *file_ops(const struct vfs_file *f, void **fs)
{
    *fs = mounts[f->mount].fs;
    return mounts[f->mount].ops;
}

int vfs_open(const char *path)
{
    char norm[VFS_PATH_MAX];
    const char *rel;
    int rc = vfs_normalize(path, norm, sizeof(norm));

    if (rc < 0)
        return rc;
    struct vfs_mount *m = mount_resolve(norm, &rel);
    if (m == NULL)
        return -AX_ENOENT;
    for (int fd = 0; fd < VFS_MAX_FILES; fd++) {
        struct vfs_file *f = &files[fd];
        if (f->used)
            continue;
        struct vfs_stat st;
        memset(f, 0, sizeof(*f));
        rc = m->ops->open(m->fs, rel, f->priv, &st);
        if (rc < 0)
            return rc;
        f->used = true;
        f->is_dir = st.is_dir;
        f->size = st.is_dir ? 0 : st.size;
        f->mount = (uint8_t)(m - mounts);
        return fd;
    }
    return -AX_ENOSPC; /* descriptor table full */
}

int vfs_close(int fd)
{
    struct vfs_file *f = file_get(fd);
    void *fs;

    if (f == NULL)
        return -AX_EINVAL;
    const struct vfs_fs_ops *ops = file_ops(f, &fs);
    if (ops->close != NULL)
        ops->close(fs, f->priv);
    f->used = false;
    return 0;
}

int64_t vfs_read(int fd, void *buf, size_t len)
{
    struct vfs_file *f = file_get(fd);
    void *fs;

    if (f == NULL || f->is_dir || (buf == NULL && len != 0))
        return -AX_EINVAL;
    if (f->pos >= f->size || len == 0)
        return 0;
    if (len > f->size - f->pos)
        len = (size_t)(f->size - f->pos);
    const struct vfs_fs_ops *ops = file_ops(f, &fs);
    int64_t n = ops->read(fs, f->priv, f->pos, buf, len);
    if (n > 0)
        f->pos += (uint64_t)n;
    return n;
}

int64_t vfs_seek(int fd, int64_t off, int whence)
{
    struct vfs_file *f = file_get(fd);
    uint64_t base;

    if (f == NULL)
        return -AX_EINVAL;
    switch (whence) {
    case VFS_SEEK_SET:
        base = 0;
        break;
    case VFS_SEEK_CUR:
        base = f->pos;
        break;
    case VFS_SEEK_END:
        base = f->size;
        break;
    default:
        return -AX_EINVAL;
    }
    /* Positions stay within 0 .. INT64_MAX so they can be returned. */
    if (base > (uint64_t)INT64_MAX)
        return -AX_EINVAL;
    int64_t b = (int64_t)base;
    if ((off < 0 && b + off < 0) || (off > 0 && off > INT64_MAX - b))
        return -AX_EINVAL;
    f->pos = (uint64_t)(b + off);
    return b + off;
}

int vfs_fstat(int fd, struct vfs_stat *st)
{
    struct vfs_file *f = file_get(fd);

    if (f == NULL || st == NULL)
        return -AX_EINVAL;
    st->size = f->size;
    st->is_dir = f->is_dir;
    return 0;
}

int vfs_stat(const char *path, struct vfs_stat *st)
{
    if (st == NULL)
        return -AX_EINVAL;
    int fd = vfs_open(path);
    if (fd < 0)
        return fd;
    int rc = vfs_fstat(fd, st);
    vfs_close(fd);
    return rc;
}

int vfs_readdir_next(int fd, struct vfs_dirent *de)
{
    struct vfs_file *f = file_get(fd);
    void *fs;

    if (f == NULL || !f->is_dir || de == NULL)
        return -AX_EINVAL;
    const struct vfs_fs_ops *ops = file_ops(f, &fs);
    int rc = ops->readdir(fs, f->priv, de);
    if (rc > 0)
        de->name[VFS_NAME_MAX] = '\0'; /* whatever the driver did */
    return rc;
}

int vfs_readdir(const char *path, vfs_readdir_cb cb, void *arg)
{
    struct vfs_dirent de;
    int fd = vfs_open(path);
    int rc;

    if (fd < 0)
        return fd;
    if (cb == NULL || !files[fd].is_dir) {
        vfs_close(fd);
        return -AX_EINVAL;
    }
    while ((rc = vfs_readdir_next(fd, &de)) > 0) {
        rc = cb(&de, arg);
        if (rc != 0)
            break;
    }
    vfs_close(fd);
    return rc;
}

int vfs_read_file(const char *path, void *buf, size_t maxlen, size_t *len)
{
    uint8_t *out = buf;
    int fd = vfs_open(path);
    int rc = 0;

    if (fd < 0)
        return fd;
    struct vfs_file *f = &files[fd];
    if (f->is_dir || len == NULL || (buf == NULL && f->size != 0)) {
        vfs_close(fd);
        return -AX_EINVAL;
    }
    *len = (size_t)f->size;
    if (f->size > maxlen) {
        vfs_close(fd);
        return -AX_ERANGE;
    }
    for (size_t done = 0; done < f->size;) {
        int64_t n = vfs_read(fd, out + done, (size_t)f->size - done);
        if (n <= 0) {
            rc = n < 0 ? (int)n : -AX_EIO; /* shorter than its size */
            break;
        }
        done += (size_t)n;
    }
    vfs_close(fd);
    return rc;
}

int vfs_write_file(const char *path, const void *buf, size_t len)
{
    char norm[VFS_PATH_MAX];
    const char *rel;
    int rc = vfs_normalize(path, norm, sizeof(norm));

    if (rc < 0)
        return rc;
    struct vfs_mount *m = mount_resolve(norm, &rel);
    if (m == NULL)
        return -AX_ENOENT;
    if (m->ops->write_file == NULL)
        return -AX_ENOSYS;
    if (*rel == '\0')
        return -AX_EINVAL; /* the mount root is a directory */
    return m->ops->write_file(m->fs, rel, buf, len);
}
