/* VFS: a small mount table and file-descriptor table over filesystem drivers.
 *
 * Paths are absolute and '/'-separated. They are normalised lexically before
 * a filesystem sees them: empty components and "." are dropped, ".." removes
 * the previous component ("/.." is "/"), and trailing slashes are ignored, so
 * "/a/./b/../c/" names the same thing as "/a/c". The mount with the longest
 * matching prefix (on component boundaries) serves a path; the driver gets the
 * rest without a leading slash ("" for the mount's root).
 *
 * The VFS knows nothing about on-disk formats: each filesystem provides a
 * struct vfs_fs_ops. Per-open-file driver state lives inside the VFS's fixed
 * file table (VFS_FILE_PRIV_SIZE bytes per slot), so opening allocates nothing.
 *
 * Not reentrant across CPUs: callers serialise VFS calls (one lock around
 * them). A vfs_readdir callback may call back into the VFS (e.g. to walk a
 * tree); every level holds one descriptor until it returns. */
#ifndef AX_VFS_H
#define AX_VFS_H

#include "ax/types.h"

#define VFS_MAX_MOUNTS 4
#define VFS_MAX_FILES 16
#define VFS_PATH_MAX 1024   /* bytes including the NUL, after normalisation */
#define VFS_NAME_MAX 767    /* bytes of one UTF-8 name, excluding the NUL */
#define VFS_FILE_PRIV_SIZE 64

enum { VFS_SEEK_SET = 0, VFS_SEEK_CUR = 1, VFS_SEEK_END = 2 };

struct vfs_stat {
    uint64_t size; /* 0 for directories */
    bool is_dir;
};

struct vfs_dirent {
    char name[VFS_NAME_MAX + 1]; /* UTF-8, NUL-terminated, never "." or ".." */
    uint64_t size;
    bool is_dir;
};

/* A filesystem driver. `fs` is the driver's mounted-volume state as given to
 * vfs_mount; `file` points to VFS_FILE_PRIV_SIZE bytes (aligned for uint64_t)
 * owned by one descriptor. Paths are relative to the mount root, normalised.
 * Every hook returns 0 (or a count) or a negative AX_E* code. */
struct vfs_fs_ops {
    const char *name;
    /* Fills *st; opens files and directories alike. */
    int (*open)(void *fs, const char *path, void *file, struct vfs_stat *st);
    /* Reads up to len bytes at off (off < size); returns the count read. */
    int64_t (*read)(void *fs, void *file, uint64_t off, void *buf, size_t len);
    /* Next entry of an open directory: 1 with *de filled, 0 at the end. */
    int (*readdir)(void *fs, void *file, struct vfs_dirent *de);
    /* Optional (NULL: nothing to release). */
    void (*close)(void *fs, void *file);
    /* Optional (NULL: read-only): create or replace a whole file. */
    int (*write_file)(void *fs, const char *path, const void *buf, size_t len);
};

/* Drops every mount and open descriptor (boot, and between tests). */
void vfs_init(void);

/* Mounts `fs` (driven by `ops`) at an absolute path. -AX_EEXIST if that path
 * is already a mount point, -AX_ENOSPC if the table is full. */
int vfs_mount(const char *path, const struct vfs_fs_ops *ops, void *fs);
/* -AX_EBUSY while a descriptor on that mount is open. */
int vfs_umount(const char *path);

/* Returns a descriptor >= 0 for a file or a directory. */
int vfs_open(const char *path);
int vfs_close(int fd);
/* Returns the number of bytes read (0 at end of file), or a negative error;
 * -AX_EINVAL on a directory. */
int64_t vfs_read(int fd, void *buf, size_t len);
/* Returns the new position. Seeking past the end is allowed (reads give 0). */
int64_t vfs_seek(int fd, int64_t off, int whence);
int vfs_fstat(int fd, struct vfs_stat *st);
int vfs_stat(const char *path, struct vfs_stat *st);

/* Iterates a directory opened with vfs_open: 1 and *de filled, 0 at the end. */
int vfs_readdir_next(int fd, struct vfs_dirent *de);

/* Calls cb for every entry of a directory. A non-zero return from cb stops
 * the walk and is returned; otherwise returns 0 or a negative error. */
typedef int (*vfs_readdir_cb)(const struct vfs_dirent *de, void *arg);
int vfs_readdir(const char *path, vfs_readdir_cb cb, void *arg);

/* Reads a whole file into buf. *len gets the file size; if it exceeds maxlen
 * nothing useful is read and -AX_ERANGE is returned, so a caller can size a
 * buffer with a first call. */
int vfs_read_file(const char *path, void *buf, size_t maxlen, size_t *len);

/* Creates or replaces a whole file; -AX_ENOSYS on a read-only filesystem.
 * Do not replace a file that is open: its descriptor would read stale data. */
int vfs_write_file(const char *path, const void *buf, size_t len);

/* Lexical normalisation as described above, into out (outlen bytes).
 * Exposed for tests. -AX_EINVAL for a relative path, -AX_ERANGE if too long. */
int vfs_normalize(const char *path, char *out, size_t outlen);

#endif
