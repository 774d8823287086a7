/* FAT32 filesystem driver over a struct blockdev.
 *
 * The disk image is untrusted: every field is validated and every walk is
 * bounded, so a corrupt volume gives a negative AX_E* code (-AX_EIO for
 * corrupt structures and failed device I/O, -AX_EINVAL for an unusable boot
 * sector) and never a crash or a hang.
 *
 * Mounting accepts a whole-disk volume ("superfloppy") or an MBR-partitioned
 * disk (the first partition of type 0x0B or 0x0C). A volume counts as FAT32 by
 * its boot sector layout (no fixed root directory, 16-bit FAT size 0), not by
 * its cluster count: mkfs.fat -F 32 writes FAT32 volumes of only a few dozen
 * clusters for small images, and those mount.
 *
 * Memory: the caller owns struct fat32_vol (about 10 KiB: one FAT sector and
 * one data sector of cache plus name scratch) and struct fat32_file; nothing
 * is allocated. A volume is not reentrant: callers serialise access.
 *
 * Names: long (VFAT) names are checked against their short entry's checksum
 * and returned as UTF-8; lookups compare case-insensitively (ASCII, Latin-1,
 * Latin Extended-A, Greek and Cyrillic letters) against both the long and the
 * 8.3 name. Short names use bytes >= 0x80 as an unknown code page: they read
 * back as U+FFFD.
 *
 * Writing (fat32_write_file) creates or replaces a file in an existing
 * directory, with a long name when the name is not a plain upper-case 8.3
 * name, updating every FAT copy and the FSInfo sector. */
#ifndef AX_FAT32_H
#define AX_FAT32_H

#include "ax/blockdev.h"
#include "ax/types.h"
#include "ax/vfs.h"

#define FAT32_MAX_SECTOR 4096
#define FAT32_LFN_MAX 255                    /* UTF-16 units in a long name */
#define FAT32_NAME_MAX (FAT32_LFN_MAX * 3)   /* bytes of UTF-8 for that */

/* One directory entry as seen by readers. */
struct fat32_dirent {
    char name[FAT32_NAME_MAX + 1]; /* long name, else the 8.3 name; UTF-8 */
    char short_name[36];           /* "NAME.EXT" as stored (case flags applied), UTF-8 */
    uint32_t size;
    uint32_t cluster; /* first cluster, 0 for an empty file */
    uint8_t attr;
    bool is_dir;
    uint32_t slot;    /* index of the 8.3 entry in its directory */
    uint32_t nslots;  /* 1 + number of long-name entries before it */
};

/* An open file or directory: a cluster cursor so sequential reads walk the
 * FAT once. Plain data, copyable; valid while its volume stays mounted. */
struct fat32_file {
    uint32_t first_cluster;
    uint32_t size;
    uint32_t cur_cluster; /* cluster number cur_index of the chain; 0: none */
    uint32_t cur_index;
    uint32_t dir_pos;     /* next entry index, for directory iteration */
    bool is_dir;
};

struct fat32_vol {
    struct blockdev *dev;
    uint64_t part_lba;      /* device LBA of the volume's sector 0 */
    uint32_t dev_per_sec;   /* device sectors per volume sector */
    uint32_t bytes_per_sec;
    uint32_t sec_per_clus;
    uint32_t cluster_bytes;
    uint32_t total_sectors;
    uint32_t fat_start;     /* sector of the first FAT */
    uint32_t fat_sectors;   /* size of one FAT */
    uint32_t num_fats;
    uint32_t active_fat;    /* the FAT that is read */
    bool fat_mirrored;      /* writes go to every FAT, else to active_fat only */
    uint32_t data_start;    /* sector of cluster 2 */
    uint32_t cluster_count; /* valid clusters are 2 .. cluster_count + 1 */
    uint32_t root_cluster;
    uint32_t fsinfo_sector; /* 0: none */
    uint32_t free_hint;     /* where the allocator looks first */

    /* Caches, keyed by volume sector; UINT32_MAX means empty. */
    uint32_t fat_cached;
    uint32_t data_cached;
    bool fat_dirty;         /* fat_buf holds changes not yet on disk */
    uint8_t fat_buf[FAT32_MAX_SECTOR] __attribute__((aligned(8)));
    uint8_t data_buf[FAT32_MAX_SECTOR] __attribute__((aligned(8)));

    /* Scratch for name handling (volumes are not reentrant). */
    uint16_t lfn[FAT32_LFN_MAX + 13];
    struct fat32_dirent tmp;
};

/* Validates the boot sector and fills *vol. Returns 0, -AX_EINVAL for no
 * usable FAT32 volume, -AX_EIO on a failed read. */
int fat32_mount(struct fat32_vol *vol, struct blockdev *dev);

/* Opens a file or directory. Paths are '/'-separated, relative to the volume
 * root (leading slashes ignored, "." skipped, ".." refused with -AX_EINVAL:
 * the VFS resolves it). -AX_ENOENT if missing, -AX_EIO if corrupt. */
int fat32_open(struct fat32_vol *vol, const char *path, struct fat32_file *f);

/* Size and type of a path; the root is a directory of size 0. */
int fat32_stat(struct fat32_vol *vol, const char *path, uint32_t *size, bool *is_dir);

/* Reads up to len bytes at off; returns the count (0 at or past the end) or
 * a negative error. -AX_EINVAL on a directory. */
int64_t fat32_read(struct fat32_vol *vol, struct fat32_file *f, uint64_t off, void *buf,
                   size_t len);

/* Next entry of an open directory ("." and "..", deleted entries and volume
 * labels skipped): 1 with *de filled, 0 at the end, negative on error. */
int fat32_readdir(struct fat32_vol *vol, struct fat32_file *dir, struct fat32_dirent *de);

/* Reads a whole file; *len gets its size. -AX_ERANGE if size > maxlen. */
int fat32_read_file(struct fat32_vol *vol, const char *path, void *buf, size_t maxlen,
                    size_t *len);

/* Creates or replaces the file at path (its directory must exist) with len
 * bytes of data. -AX_ENOSYS without a device write hook, -AX_ENOSPC when the
 * volume is full, -AX_EEXIST if path names a directory, -AX_EINVAL for a name
 * FAT cannot hold, -AX_EIO if the directory's chain is damaged.
 * Data goes to new clusters before the entry points at them and the old
 * chain is freed last, so an interrupted write leaks clusters at worst; a
 * damaged old chain is left allocated (fsck reclaims it) rather than freed.
 * Files open on this volume must not be the one replaced. */
int fat32_write_file(struct fat32_vol *vol, const char *path, const void *data, size_t len);

/* Adapter for vfs_mount(path, &fat32_vfs_ops, vol). */
extern const struct vfs_fs_ops fat32_vfs_ops;

#endif
