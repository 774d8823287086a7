/* FAT32 driver: mount, lookup with long names, directory iteration, reads,
 * and whole-file writes. See include/ax/fat32.h for the contract.
 *
 * Everything read from the disk is untrusted. The rules that keep it safe:
 *  - a cluster number is used only after clus_valid() (2 .. count + 1);
 *  - a file's chain is walked no further than its size needs, and the size
 *    itself is checked against the volume at open; its last cluster must
 *    carry an end-of-chain mark, which a looping chain never has;
 *  - a directory is walked no further than 65536 entries (the FAT limit) or
 *    the volume's cluster count, whichever is smaller: a chain still going
 *    past that loops or is corrupt;
 *  - every device access goes through vol_io(), which checks the range. */
#include "ax/fat32.h"

#include "ax/string.h"

#define FAT_EOC_MIN 0x0FFFFFF8u
#define FAT_BAD 0x0FFFFFF7u
#define FAT_MASK 0x0FFFFFFFu
#define FAT_MAX_CLUSTERS 0x0FFFFFF5u /* cluster numbers up to 0x0FFFFFF6 */
#define DIR_MAX_ENTRIES 65536u
#define DIRENT_SIZE 32u
#define NO_SECTOR 0xFFFFFFFFu
/* Longest single device request for file data, in bytes (soft limit). */
#define MAX_RUN_BYTES (256u * 1024u)

#define ATTR_RO 0x01
#define ATTR_HIDDEN 0x02
#define ATTR_SYSTEM 0x04
#define ATTR_VOLUME 0x08
#define ATTR_DIR 0x10
#define ATTR_ARCHIVE 0x20
#define ATTR_LFN 0x0F
#define ATTR_LFN_MASK 0x3F

#define NTRES_LOWER_BASE 0x08
#define NTRES_LOWER_EXT 0x10

#define LFN_LAST 0x40
#define LFN_SEQ_MASK 0x1F
#define LFN_MAX_SLOTS 20
#define LFN_CHARS 13

#define FSINFO_LEAD 0x41615252u
#define FSINFO_STRUC 0x61417272u
#define FSINFO_TRAIL 0xAA550000u

/* Timestamps for written files: there is no clock here, so 2025-01-01. */
#define FAT_FIXED_DATE ((uint16_t)(((2025 - 1980) << 9) | (1 << 5) | 1))

_Static_assert(sizeof(struct fat32_file) <= VFS_FILE_PRIV_SIZE, "fat32_file must fit a VFS slot");
_Static_assert(FAT32_NAME_MAX <= VFS_NAME_MAX, "VFS names must hold FAT names");

/* ---- little-endian fields ---- */

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static bool is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* ---- device access ---- */

/* Reads or writes `count` volume sectors starting at volume sector `sec`. */
static int vol_io(struct fat32_vol *vol, uint32_t sec, uint32_t count, void *buf, bool write)
{
    struct blockdev *dev = vol->dev;

    if (count == 0)
        return 0;
    if (sec >= vol->total_sectors || count > vol->total_sectors - sec)
        return -AX_EIO;
    uint64_t lba = vol->part_lba + (uint64_t)sec * vol->dev_per_sec;
    uint64_t n = (uint64_t)count * vol->dev_per_sec;
    if (n > UINT32_MAX || !blockdev_range_ok(dev, lba, n))
        return -AX_EIO;
    int rc;
    if (write) {
        if (dev->write == NULL)
            return -AX_ENOSYS;
        rc = dev->write(dev, lba, (uint32_t)n, buf);
    } else {
        rc = dev->read(dev, lba, (uint32_t)n, buf);
    }
    return rc == 0 ? 0 : -AX_EIO;
}

static int vol_read(struct fat32_vol *vol, uint32_t sec, uint32_t count, void *buf)
{
    return vol_io(vol, sec, count, buf, false);
}

static int vol_write(struct fat32_vol *vol, uint32_t sec, uint32_t count, const void *buf)
{
    return vol_io(vol, sec, count, (void *)buf, true);
}

/* The data cache holds one sector that always equals the disk (writes go
 * through), so a failed read just empties it. */
static int data_load(struct fat32_vol *vol, uint32_t sec, uint8_t **out)
{
    if (vol->data_cached != sec) {
        vol->data_cached = NO_SECTOR;
        int rc = vol_read(vol, sec, 1, vol->data_buf);
        if (rc < 0)
            return rc;
        vol->data_cached = sec;
    }
    *out = vol->data_buf;
    return 0;
}

static int data_store(struct fat32_vol *vol)
{
    return vol_write(vol, vol->data_cached, 1, vol->data_buf);
}

/* Direct transfers bypass the cache; a write must not leave it stale. */
static void data_forget(struct fat32_vol *vol, uint32_t sec, uint32_t count)
{
    if (vol->data_cached != NO_SECTOR && vol->data_cached >= sec && vol->data_cached - sec < count)
        vol->data_cached = NO_SECTOR;
}

/* ---- the FAT ---- */

/* The FAT cache is write-back: fat_set() marks it dirty and it is written to
 * every FAT copy when another sector is needed or at the end of an update. */
static int fat_flush(struct fat32_vol *vol)
{
    if (!vol->fat_dirty)
        return 0;
    uint32_t rel = vol->fat_cached - (vol->fat_start + vol->active_fat * vol->fat_sectors);
    for (uint32_t i = 0; i < vol->num_fats; i++) {
        if (!vol->fat_mirrored && i != vol->active_fat)
            continue;
        int rc = vol_write(vol, vol->fat_start + i * vol->fat_sectors + rel, 1, vol->fat_buf);
        if (rc < 0)
            return rc;
    }
    vol->fat_dirty = false;
    return 0;
}

static bool clus_valid(const struct fat32_vol *vol, uint32_t c)
{
    return c >= 2 && c - 2 < vol->cluster_count;
}

static bool fat_is_eoc(uint32_t v)
{
    return v >= FAT_EOC_MIN;
}

/* Points *slot at the FAT entry of a valid cluster in the cached sector. */
static int fat_entry(struct fat32_vol *vol, uint32_t clus, uint8_t **slot)
{
    uint32_t off = clus * 4u; /* < fat_sectors * bytes_per_sec, checked at mount */
    uint32_t sec = vol->fat_start + vol->active_fat * vol->fat_sectors + off / vol->bytes_per_sec;

    if (vol->fat_cached != sec) {
        int rc = fat_flush(vol);
        if (rc < 0)
            return rc;
        vol->fat_cached = NO_SECTOR;
        rc = vol_read(vol, sec, 1, vol->fat_buf);
        if (rc < 0)
            return rc;
        vol->fat_cached = sec;
    }
    *slot = vol->fat_buf + off % vol->bytes_per_sec;
    return 0;
}

static int fat_get(struct fat32_vol *vol, uint32_t clus, uint32_t *val)
{
    uint8_t *slot;
    int rc = fat_entry(vol, clus, &slot);
    if (rc < 0)
        return rc;
    *val = le32(slot) & FAT_MASK;
    return 0;
}

/* Keeps the top four reserved bits, as the spec asks. */
static int fat_set(struct fat32_vol *vol, uint32_t clus, uint32_t val)
{
    uint8_t *slot;
    int rc = fat_entry(vol, clus, &slot);
    if (rc < 0)
        return rc;
    put_le32(slot, (le32(slot) & ~FAT_MASK) | (val & FAT_MASK));
    vol->fat_dirty = true;
    return 0;
}

static uint32_t clus_sector(const struct fat32_vol *vol, uint32_t clus)
{
    return vol->data_start + (clus - 2) * vol->sec_per_clus;
}

/* ---- mount ---- */

/* Fills vol's geometry from a FAT32 boot sector at device LBA base, whose
 * volume may use at most `limit` device sectors. */
static int bpb_parse(struct fat32_vol *vol, const uint8_t *b, uint64_t base, uint64_t limit)
{
    uint32_t bps = le16(b + 11);
    uint32_t spc = b[13];
    uint32_t rsvd = le16(b + 14);
    uint32_t nfats = b[16];
    uint32_t tot = le16(b + 19) != 0 ? le16(b + 19) : le32(b + 32);
    uint32_t fatsz = le32(b + 36);
    uint32_t ext = le16(b + 40);
    uint32_t root = le32(b + 44);
    uint32_t fsinfo = le16(b + 48);

    if (b[510] != 0x55 || b[511] != 0xAA)
        return -AX_EINVAL; /* no boot signature */
    if (bps < 512 || bps > FAT32_MAX_SECTOR || !is_pow2(bps))
        return -AX_EINVAL; /* bad bytes per sector */
    if (bps < vol->dev->sector_size || bps % vol->dev->sector_size != 0)
        return -AX_EINVAL; /* sector smaller than the device's */
    if (!is_pow2(spc))
        return -AX_EINVAL; /* bad sectors per cluster */
    if (rsvd == 0 || nfats < 1 || nfats > 2)
        return -AX_EINVAL;
    /* FAT32 layout: no fixed root directory, 16-bit FAT size unused. */
    if (le16(b + 17) != 0 || le16(b + 22) != 0 || fatsz == 0)
        return -AX_EINVAL;
    if (tot == 0)
        return -AX_EINVAL;

    uint32_t dps = bps / vol->dev->sector_size;
    if ((uint64_t)tot * dps > limit)
        return -AX_EINVAL; /* volume larger than its device or partition */
    uint64_t meta = (uint64_t)rsvd + (uint64_t)nfats * fatsz;
    if (meta >= tot)
        return -AX_EINVAL;
    uint64_t clusters = (tot - meta) / spc;
    if (clusters < 1 || clusters > FAT_MAX_CLUSTERS)
        return -AX_EINVAL;
    if ((uint64_t)fatsz * bps / 4 < clusters + 2)
        return -AX_EINVAL; /* FAT cannot describe every cluster */
    if (root < 2 || root - 2 >= clusters)
        return -AX_EINVAL; /* root cluster out of range */

    bool mirrored = (ext & 0x80) == 0;
    uint32_t active = mirrored ? 0 : (ext & 0x0F);
    if (active >= nfats)
        return -AX_EINVAL;

    vol->part_lba = base;
    vol->dev_per_sec = dps;
    vol->bytes_per_sec = bps;
    vol->sec_per_clus = spc;
    vol->cluster_bytes = bps * spc;
    vol->total_sectors = tot;
    vol->fat_start = rsvd;
    vol->fat_sectors = fatsz;
    vol->num_fats = nfats;
    vol->active_fat = active;
    vol->fat_mirrored = mirrored;
    vol->data_start = (uint32_t)meta;
    vol->cluster_count = (uint32_t)clusters;
    vol->root_cluster = root;
    vol->fsinfo_sector = (fsinfo != 0 && fsinfo < rsvd) ? fsinfo : 0;
    vol->free_hint = 2;
    return 0;
}

/* The FSInfo sector only speeds up allocation; a bad one is ignored. */
static void fsinfo_load(struct fat32_vol *vol)
{
    uint8_t *b;

    if (vol->fsinfo_sector == 0)
        return;
    if (data_load(vol, vol->fsinfo_sector, &b) < 0 || le32(b) != FSINFO_LEAD ||
        le32(b + 484) != FSINFO_STRUC || le32(b + 508) != FSINFO_TRAIL) {
        vol->fsinfo_sector = 0;
        return;
    }
    if (clus_valid(vol, le32(b + 492)))
        vol->free_hint = le32(b + 492);
}

/* A boot sector starts with a jump: EB xx 90 or E9 xx xx. */
static bool looks_like_bpb(const uint8_t *b)
{
    return (b[0] == 0xEB && b[2] == 0x90) || b[0] == 0xE9;
}

int fat32_mount(struct fat32_vol *vol, struct blockdev *dev)
{
    if (vol == NULL || dev == NULL || dev->read == NULL)
        return -AX_EINVAL;
    if (dev->sector_size < 512 || dev->sector_size > FAT32_MAX_SECTOR ||
        !is_pow2(dev->sector_size) || dev->sectors == 0)
        return -AX_EINVAL;

    memset(vol, 0, sizeof(*vol));
    vol->dev = dev;
    vol->fat_cached = NO_SECTOR;
    vol->data_cached = NO_SECTOR;

    /* Sector 0 through the raw device: the volume geometry is not known yet. */
    uint8_t *b = vol->data_buf;
    if (dev->read(dev, 0, 1, b) != 0)
        return -AX_EIO;

    int rc = -AX_EINVAL;
    if (looks_like_bpb(b)) {
        rc = bpb_parse(vol, b, 0, dev->sectors);
        if (rc == 0)
            goto mounted;
    }
    /* An MBR: the first FAT32 partition (0x0B CHS, 0x0C LBA). */
    if (b[510] == 0x55 && b[511] == 0xAA) {
        for (int i = 0; i < 4; i++) {
            const uint8_t *pe = b + 446 + 16 * i;
            uint32_t start = le32(pe + 8), count = le32(pe + 12);
            if (pe[4] != 0x0B && pe[4] != 0x0C)
                continue;
            if (start == 0 || count == 0 || !blockdev_range_ok(dev, start, count))
                return -AX_EINVAL; /* partition outside the disk */
            if (dev->read(dev, start, 1, b) != 0)
                return -AX_EIO;
            rc = bpb_parse(vol, b, start, count);
            if (rc < 0)
                return rc;
            goto mounted;
        }
    }
    return rc;

mounted:
    fsinfo_load(vol);
    return 0;
}

/* ---- cluster chains ---- */

/* Moves f's cursor to cluster number idx of its chain. Returns 1 when there,
 * 0 if the chain ends (end-of-chain mark) first, negative if it is corrupt.
 * Callers bound idx, which bounds the walk. */
static int chain_seek(struct fat32_vol *vol, struct fat32_file *f, uint32_t idx)
{
    if (f->cur_cluster == 0 || idx < f->cur_index) {
        if (!clus_valid(vol, f->first_cluster))
            return -AX_EIO;
        f->cur_cluster = f->first_cluster;
        f->cur_index = 0;
    }
    while (f->cur_index < idx) {
        uint32_t next;
        int rc = fat_get(vol, f->cur_cluster, &next);
        if (rc < 0)
            return rc;
        if (fat_is_eoc(next))
            return 0;
        if (!clus_valid(vol, next))
            return -AX_EIO; /* free, bad or out-of-range cluster in a chain */
        f->cur_cluster = next;
        f->cur_index++;
    }
    return 1;
}

static uint32_t file_clusters(const struct fat32_vol *vol, uint32_t size)
{
    return (uint32_t)(((uint64_t)size + vol->cluster_bytes - 1) / vol->cluster_bytes);
}

/* Cursor to cluster idx of a file of nclus clusters. The chain must reach
 * that far and end exactly at the last cluster. */
static int file_seek(struct fat32_vol *vol, struct fat32_file *f, uint32_t idx, uint32_t nclus)
{
    if (idx >= nclus)
        return -AX_EIO;
    int rc = chain_seek(vol, f, idx);
    if (rc <= 0)
        return rc == 0 ? -AX_EIO : rc; /* chain shorter than the size */
    if (idx == nclus - 1) {
        uint32_t next;
        rc = fat_get(vol, f->cur_cluster, &next);
        if (rc < 0)
            return rc;
        if (!fat_is_eoc(next))
            return -AX_EIO; /* chain longer than the size, or looping */
    }
    return 0;
}

static uint32_t dir_max_clusters(const struct fat32_vol *vol)
{
    uint32_t by_entries = (uint32_t)(((uint64_t)DIR_MAX_ENTRIES * DIRENT_SIZE) / vol->cluster_bytes);
    if (by_entries == 0)
        by_entries = 1;
    return MIN(by_entries, vol->cluster_count);
}

/* Locates entry i of a directory: *sec and *off give its place, the sector
 * is loaded in the data cache. 1 found, 0 past the end of the chain. */
static int dir_locate(struct fat32_vol *vol, struct fat32_file *d, uint32_t i, uint32_t *sec,
                      uint32_t *off)
{
    uint64_t byte = (uint64_t)i * DIRENT_SIZE;
    uint64_t cidx = byte / vol->cluster_bytes;
    uint32_t limit = dir_max_clusters(vol);
    int rc;

    if (cidx >= limit) {
        /* At the limit the chain must end here, or it loops. */
        rc = chain_seek(vol, d, limit - 1);
        if (rc <= 0)
            return rc;
        uint32_t next;
        rc = fat_get(vol, d->cur_cluster, &next);
        if (rc < 0)
            return rc;
        return fat_is_eoc(next) ? 0 : -AX_EIO;
    }
    rc = chain_seek(vol, d, (uint32_t)cidx);
    if (rc <= 0)
        return rc;
    uint32_t in = (uint32_t)(byte % vol->cluster_bytes);
    *sec = clus_sector(vol, d->cur_cluster) + in / vol->bytes_per_sec;
    *off = in % vol->bytes_per_sec;
    uint8_t *unused;
    rc = data_load(vol, *sec, &unused);
    return rc < 0 ? rc : 1;
}

static int dir_entry(struct fat32_vol *vol, struct fat32_file *d, uint32_t i, uint8_t **ent)
{
    uint32_t sec, off;
    int rc = dir_locate(vol, d, i, &sec, &off);
    if (rc > 0)
        *ent = vol->data_buf + off;
    return rc;
}

/* ---- names ---- */

static uint32_t fold(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') ? c - 0x20 : c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
        return c - 0x20;
    if (c == 0xFF)
        return 0x178;
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c & ~1u; /* upper case even, lower case odd */
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return (c & 1u) ? c : c - 1; /* upper case odd, lower case even */
    if (c == 0x3C2)
        return 0x3A3; /* final sigma */
    if (c >= 0x3B1 && c <= 0x3C9)
        return c - 0x20;
    if (c >= 0x430 && c <= 0x44F)
        return c - 0x20;
    if (c >= 0x450 && c <= 0x45F)
        return c - 0x50;
    return c;
}

/* Decodes one UTF-8 sequence from [*p, end). Returns the code point, or
 * 0xFFFFFFFF for a malformed one (then skips one byte). */
static uint32_t utf8_next(const char **p, const char *end)
{
    const uint8_t *s = (const uint8_t *)*p;
    size_t avail = (size_t)(end - *p);
    uint32_t c = s[0];
    size_t n;
    uint32_t min;

    if (c < 0x80) {
        *p += 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, c &= 0x07;
    } else {
        *p += 1;
        return 0xFFFFFFFFu;
    }
    if (avail < n) {
        *p += 1;
        return 0xFFFFFFFFu;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *p += 1;
            return 0xFFFFFFFFu;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *p += 1;
        return 0xFFFFFFFFu;
    }
    *p += n;
    return c;
}

/* Appends c as UTF-8; the caller guarantees 4 bytes of room. */
static size_t utf8_put(char *out, uint32_t c)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Case-insensitive equality of a query [q, q + qlen) and a NUL-terminated
 * name, both UTF-8. Malformed UTF-8 matches nothing. */
static bool name_eq(const char *q, size_t qlen, const char *name)
{
    const char *qe = q + qlen;
    const char *ne = name + strlen(name);

    while (q < qe && name < ne) {
        uint32_t a = utf8_next(&q, qe);
        uint32_t b = utf8_next(&name, ne);
        if (a == 0xFFFFFFFFu || b == 0xFFFFFFFFu || fold(a) != fold(b))
            return false;
    }
    return q == qe && name == ne;
}

static uint8_t lfn_checksum(const uint8_t *short_name)
{
    uint8_t sum = 0;
    for (int i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + short_name[i]);
    return sum;
}

/* UTF-16 units of a long-name entry, in order. */
static const uint8_t lfn_offsets[LFN_CHARS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };

/* Formats an 8.3 entry as "NAME.EXT" (UTF-8, case flags applied). Bytes of
 * an unknown code page become U+FFFD, '/' and controls become '?', so the
 * result is always a usable path component. Returns its length. */
static size_t short_name_format(const uint8_t *e, char *out)
{
    size_t n = 0;
    int base_len = 8, ext_len = 3;

    while (base_len > 0 && e[base_len - 1] == ' ')
        base_len--;
    while (ext_len > 0 && e[8 + ext_len - 1] == ' ')
        ext_len--;
    for (int i = 0; i < base_len + ext_len; i++) {
        int pos = i < base_len ? i : 8 + (i - base_len);
        uint32_t c = e[pos];
        bool lower = i < base_len ? (e[12] & NTRES_LOWER_BASE) : (e[12] & NTRES_LOWER_EXT);
        if (i == base_len)
            out[n++] = '.';
        if (pos == 0 && c == 0x05)
            c = 0xE5; /* 0x05 stands for a leading 0xE5 byte */
        if (c >= 0x80)
            c = 0xFFFD;
        else if (c < 0x20 || c == '/')
            c = '?';
        else if (lower && c >= 'A' && c <= 'Z')
            c += 0x20;
        n += utf8_put(out + n, c);
    }
    out[n] = '\0';
    return n;
}

/* Long-name entries accumulate in vol->lfn while they form an unbroken,
 * checksummed run ending in front of an 8.3 entry. */
struct lfn_state {
    bool active;
    uint8_t total;
    uint8_t expect; /* sequence number of the last entry taken */
    uint8_t sum;
};

static void lfn_feed(struct fat32_vol *vol, struct lfn_state *st, const uint8_t *e)
{
    uint8_t seq = e[0] & LFN_SEQ_MASK;

    if (e[0] & LFN_LAST) {
        st->active = seq >= 1 && seq <= LFN_MAX_SLOTS;
        st->total = seq;
        st->sum = e[13];
    } else if (!(st->active && seq >= 1 && seq + 1 == st->expect && e[13] == st->sum)) {
        st->active = false;
    }
    if (!st->active)
        return;
    st->expect = seq;
    for (int i = 0; i < LFN_CHARS; i++)
        vol->lfn[(seq - 1) * LFN_CHARS + i] = le16(e + lfn_offsets[i]);
}

/* Converts the collected long name to UTF-8. Fails (false) for names that
 * are empty, too long, or no usable path component ("." "..", '/'). */
static bool lfn_to_utf8(const struct fat32_vol *vol, uint8_t total, char *out)
{
    size_t units = 0, max = (size_t)total * LFN_CHARS, n = 0;

    while (units < max && vol->lfn[units] != 0)
        units++;
    if (units == 0 || units > FAT32_LFN_MAX)
        return false;
    for (size_t i = 0; i < units; i++) {
        uint32_t c = vol->lfn[i];
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units && vol->lfn[i + 1] >= 0xDC00 &&
            vol->lfn[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (vol->lfn[i + 1] - 0xDC00);
            i++;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        if (c == '/')
            return false;
        n += utf8_put(out + n, c); /* <= 3 bytes per unit: fits FAT32_NAME_MAX */
    }
    out[n] = '\0';
    return strcmp(out, ".") != 0 && strcmp(out, "..") != 0;
}

/* ---- directories ---- */

int fat32_readdir(struct fat32_vol *vol, struct fat32_file *dir, struct fat32_dirent *de)
{
    struct lfn_state lfn = { 0 };
    uint32_t lfn_start = 0;

    if (!dir->is_dir)
        return -AX_EINVAL;
    for (;;) {
        uint32_t i = dir->dir_pos;
        uint8_t *e;
        int rc = dir_entry(vol, dir, i, &e);
        if (rc <= 0)
            return rc;
        if (e[0] == 0x00)
            return 0; /* end marker; dir_pos stays on it */
        dir->dir_pos = i + 1;
        if (e[0] == 0xE5) {
            lfn.active = false;
            continue;
        }
        if ((e[11] & ATTR_LFN_MASK) == ATTR_LFN) {
            if (e[0] & LFN_LAST)
                lfn_start = i;
            lfn_feed(vol, &lfn, e);
            continue;
        }
        bool had_lfn = lfn.active && lfn.expect == 1 && lfn.sum == lfn_checksum(e);
        lfn.active = false;
        if (e[11] & ATTR_VOLUME)
            continue;
        size_t slen = short_name_format(e, de->short_name);
        if (slen == 0 || e[0] == ' ' || strcmp(de->short_name, ".") == 0 ||
            strcmp(de->short_name, "..") == 0)
            continue; /* dot entries and nameless ones */
        if (had_lfn && lfn_to_utf8(vol, lfn.total, de->name)) {
            de->slot = i;
            de->nslots = i - lfn_start + 1;
        } else {
            memcpy(de->name, de->short_name, slen + 1);
            de->slot = i;
            de->nslots = 1;
        }
        de->attr = e[11];
        de->is_dir = (e[11] & ATTR_DIR) != 0;
        de->size = de->is_dir ? 0 : le32(e + 28);
        de->cluster = ((uint32_t)le16(e + 20) << 16) | le16(e + 26);
        return 1;
    }
}

static void file_root(const struct fat32_vol *vol, struct fat32_file *f)
{
    memset(f, 0, sizeof(*f));
    f->first_cluster = vol->root_cluster;
    f->is_dir = true;
}

/* Opens what a directory entry describes, rejecting what cannot be read. */
static int file_from_dirent(const struct fat32_vol *vol, const struct fat32_dirent *de,
                            struct fat32_file *f)
{
    memset(f, 0, sizeof(*f));
    f->is_dir = de->is_dir;
    if (de->is_dir) {
        if (!clus_valid(vol, de->cluster))
            return -AX_EIO; /* directory at cluster 0/1 or out of range */
        f->first_cluster = de->cluster;
        return 0;
    }
    f->size = de->size;
    if (de->size == 0)
        return 0; /* empty files own no cluster, whatever the entry says */
    if (!clus_valid(vol, de->cluster))
        return -AX_EIO;
    if (file_clusters(vol, de->size) > vol->cluster_count)
        return -AX_EIO; /* larger than the volume */
    f->first_cluster = de->cluster;
    return 0;
}

/* Finds a name in a directory; *de describes it. */
static int dir_lookup(struct fat32_vol *vol, const struct fat32_file *dir, const char *name,
                      size_t len, struct fat32_dirent *de)
{
    struct fat32_file d = *dir;

    d.dir_pos = 0;
    for (;;) {
        int rc = fat32_readdir(vol, &d, de);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return -AX_ENOENT;
        if (name_eq(name, len, de->name) || name_eq(name, len, de->short_name))
            return 0;
    }
}

/* Next component of [p, end): skips separators and "."; *len 0 at the end. */
static const char *path_next(const char *p, const char *end, size_t *len)
{
    for (;;) {
        while (p < end && *p == '/')
            p++;
        size_t n = 0;
        while (p + n < end && p[n] != '/')
            n++;
        if (n == 1 && p[0] == '.') {
            p += 1;
            continue;
        }
        *len = n;
        return p;
    }
}

/* Opens the path [path, end). */
static int open_range(struct fat32_vol *vol, const char *path, const char *end,
                      struct fat32_file *f)
{
    struct fat32_file cur;
    size_t len;

    file_root(vol, &cur);
    for (const char *p = path_next(path, end, &len); len != 0; p = path_next(p + len, end, &len)) {
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return -AX_EINVAL;
        if (!cur.is_dir)
            return -AX_ENOENT;
        int rc = dir_lookup(vol, &cur, p, len, &vol->tmp);
        if (rc < 0)
            return rc;
        rc = file_from_dirent(vol, &vol->tmp, &cur);
        if (rc < 0)
            return rc;
    }
    *f = cur;
    return 0;
}

int fat32_open(struct fat32_vol *vol, const char *path, struct fat32_file *f)
{
    if (vol == NULL || path == NULL || f == NULL)
        return -AX_EINVAL;
    return open_range(vol, path, path + strlen(path), f);
}

int fat32_stat(struct fat32_vol *vol, const char *path, uint32_t *size, bool *is_dir)
{
    struct fat32_file f;
    int rc = fat32_open(vol, path, &f);

    if (rc < 0)
        return rc;
    *size = f.is_dir ? 0 : f.size;
    *is_dir = f.is_dir;
    return 0;
}

/* ---- reading ---- */

int64_t fat32_read(struct fat32_vol *vol, struct fat32_file *f, uint64_t off, void *buf,
                   size_t len)
{
    uint8_t *out = buf;
    uint32_t bps = vol->bytes_per_sec, spc = vol->sec_per_clus;
    uint32_t nclus = file_clusters(vol, f->size);
    uint32_t max_run = MAX_RUN_BYTES / bps;
    size_t done = 0;

    if (f->is_dir)
        return -AX_EINVAL;
    if (off >= f->size || len == 0)
        return 0;
    if (len > f->size - off)
        len = (size_t)(f->size - off);

    while (done < len) {
        uint64_t pos = off + done;
        uint32_t cidx = (uint32_t)(pos / vol->cluster_bytes);
        uint32_t in = (uint32_t)(pos % vol->cluster_bytes);
        uint32_t sec_in = in / bps, soff = in % bps;
        size_t left = len - done;
        int rc = file_seek(vol, f, cidx, nclus);
        if (rc < 0)
            return rc;
        uint32_t sec = clus_sector(vol, f->cur_cluster) + sec_in;

        if (soff != 0 || left < bps) {
            /* Part of a sector, through the cache. */
            uint8_t *b;
            rc = data_load(vol, sec, &b);
            if (rc < 0)
                return rc;
            size_t n = MIN((size_t)(bps - soff), left);
            memcpy(out + done, b + soff, n);
            done += n;
            continue;
        }
        /* Whole sectors straight into the caller's buffer, merging clusters
         * that follow each other on disk into one request. */
        size_t want = left / bps;
        uint32_t n = (uint32_t)MIN((size_t)(spc - sec_in), want);
        uint32_t idx = cidx;
        while (n < want && n < max_run && idx + 1 < nclus) {
            uint32_t prev = f->cur_cluster;
            rc = file_seek(vol, f, idx + 1, nclus);
            if (rc < 0)
                return rc;
            if (f->cur_cluster != prev + 1)
                break;
            idx++;
            n += (uint32_t)MIN((size_t)spc, want - n);
        }
        rc = vol_read(vol, sec, n, out + done);
        if (rc < 0)
            return rc;
        done += (size_t)n * bps;
    }
    return (int64_t)done;
}

int fat32_read_file(struct fat32_vol *vol, const char *path, void *buf, size_t maxlen,
                    size_t *len)
{
    struct fat32_file f;
    int rc = fat32_open(vol, path, &f);

    if (rc < 0)
        return rc;
    if (f.is_dir)
        return -AX_EINVAL;
    *len = f.size;
    if (f.size > maxlen)
        return -AX_ERANGE;
    int64_t n = fat32_read(vol, &f, 0, buf, f.size);
    if (n < 0)
        return (int)n;
    return (uint64_t)n == f.size ? 0 : -AX_EIO;
}

/* ---- writing ---- */

/* Checks a new file name and stores it as UTF-16 in vol->lfn. Returns the
 * number of units, or -AX_EINVAL for a name FAT cannot hold. */
static int name_to_utf16(struct fat32_vol *vol, const char *name, size_t len)
{
    const char *p = name, *end = name + len;
    size_t n = 0;
    uint32_t last = 0;

    if (len == 0 || (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return -AX_EINVAL;
    while (p < end) {
        uint32_t c = utf8_next(&p, end);
        if (c == 0xFFFFFFFFu || c < 0x20 || c == 0x7F || (c < 0x80 && strchr("\"*/:<>?\\|", (int)c)))
            return -AX_EINVAL;
        if (n + (c >= 0x10000 ? 2 : 1) > FAT32_LFN_MAX)
            return -AX_EINVAL;
        if (c >= 0x10000) {
            vol->lfn[n++] = (uint16_t)(0xD800 + ((c - 0x10000) >> 10));
            vol->lfn[n++] = (uint16_t)(0xDC00 + ((c - 0x10000) & 0x3FF));
        } else {
            vol->lfn[n++] = (uint16_t)c;
        }
        last = c;
    }
    if (last == ' ' || last == '.')
        return -AX_EINVAL; /* other systems strip these: the name would change */
    return (int)n;
}

static bool short_char_ok(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c > ' ' && c < 0x80 && strchr("$%'-_@~`!(){}^#&", (int)c) != NULL);
}

/* Builds the 8.3 basis of a long name (vol->lfn, n units) into sn[11].
 * Returns true if nothing but letter case was lost. */
static bool short_basis(const struct fat32_vol *vol, size_t n, uint8_t sn[11])
{
    bool lossless = true;
    size_t dot = n, bl = 0, el = 0;

    memset(sn, ' ', 11);
    for (size_t i = n; i > 1; i--) {
        if (vol->lfn[i - 1] == '.') {
            dot = i - 1;
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t c = vol->lfn[i];
        bool in_ext = dot < n && i > dot;
        if (i == dot)
            continue;
        if (c == ' ' || (c == '.' && !in_ext)) {
            lossless = false; /* spaces and extra dots are dropped */
            continue;
        }
        if (c >= 'a' && c <= 'z')
            c -= 0x20;
        if (!short_char_ok(c)) {
            c = '_';
            lossless = false;
        }
        if (in_ext ? el >= 3 : bl >= 8) {
            lossless = false;
            continue;
        }
        if (in_ext)
            sn[8 + el++] = (uint8_t)c;
        else
            sn[bl++] = (uint8_t)c;
    }
    if (bl == 0) {
        sn[0] = '_';
        lossless = false;
    }
    return lossless;
}

static bool entry_is_live_short(const uint8_t *e)
{
    return e[0] != 0x00 && e[0] != 0xE5 && (e[11] & ATTR_LFN_MASK) != ATTR_LFN &&
           !(e[11] & ATTR_VOLUME);
}

/* If entry e is basis~N (N < 1000), returns N, else 0. */
static uint32_t short_tail_of(const uint8_t *e, const uint8_t basis[11])
{
    int tilde = -1;
    for (int i = 1; i < 8; i++) {
        if (e[i] == '~') {
            tilde = i;
            break;
        }
    }
    if (tilde < 0 || memcmp(e + 8, basis + 8, 3) != 0 || memcmp(e, basis, (size_t)tilde) != 0)
        return 0;
    uint32_t v = 0;
    int i = tilde + 1, digits = 0;
    while (i < 8 && e[i] >= '0' && e[i] <= '9' && digits < 3) {
        v = v * 10 + (e[i] - '0');
        i++;
        digits++;
    }
    while (i < 8 && e[i] == ' ')
        i++;
    int baselen = 8;
    while (baselen > 0 && basis[baselen - 1] == ' ')
        baselen--;
    if (i != 8 || digits == 0 || tilde != MIN(baselen, 7 - digits))
        return 0;
    return v;
}

/* Chooses a short name unique in dir: the basis itself if lossless and
 * free, else basis~N with the smallest free N. */
static int short_pick(struct fat32_vol *vol, const struct fat32_file *dir, uint8_t sn[11],
                      bool lossless)
{
    uint8_t used[1000 / 8 + 1];
    bool basis_taken = false;
    struct fat32_file d = *dir;

    memset(used, 0, sizeof(used));
    for (uint32_t i = 0;; i++) {
        uint8_t *e;
        int rc = dir_entry(vol, &d, i, &e);
        if (rc < 0)
            return rc;
        if (rc == 0 || e[0] == 0x00)
            break;
        if (!entry_is_live_short(e))
            continue;
        if (memcmp(e, sn, 11) == 0)
            basis_taken = true;
        uint32_t t = short_tail_of(e, sn);
        if (t != 0)
            used[t / 8] |= (uint8_t)(1u << (t % 8));
    }
    if (lossless && !basis_taken)
        return 0;
    int baselen = 8;
    while (baselen > 0 && sn[baselen - 1] == ' ')
        baselen--;
    for (uint32_t t = 1; t < 1000; t++) {
        if (used[t / 8] & (1u << (t % 8)))
            continue;
        int digits = t < 10 ? 1 : t < 100 ? 2 : 3;
        int at = MIN(baselen, 7 - digits);
        memset(sn + at, ' ', (size_t)(8 - at));
        sn[at] = '~';
        for (int k = digits, v = (int)t; k > 0; k--, v /= 10)
            sn[at + k] = (uint8_t)('0' + v % 10);
        return 0;
    }
    return -AX_EEXIST; /* 999 similar names already */
}

/* Bookkeeping of one write operation. */
struct alloc_ctx {
    uint32_t budget; /* FAT entries the allocator may still inspect */
    int64_t free_delta;
};

/* Takes a free cluster and marks it end-of-chain. */
static int clus_alloc(struct fat32_vol *vol, struct alloc_ctx *ac, uint32_t *out)
{
    uint32_t c = clus_valid(vol, vol->free_hint) ? vol->free_hint : 2;

    while (ac->budget > 0) {
        uint32_t v;
        ac->budget--;
        int rc = fat_get(vol, c, &v);
        if (rc < 0)
            return rc;
        uint32_t next = c - 2 + 1 < vol->cluster_count ? c + 1 : 2;
        if (v == 0) {
            rc = fat_set(vol, c, FAT_MASK);
            if (rc < 0)
                return rc;
            vol->free_hint = next;
            ac->free_delta--;
            *out = c;
            return 0;
        }
        c = next;
    }
    return -AX_ENOSPC;
}

/* Frees a chain; stops quietly where it is corrupt. */
static int chain_free(struct fat32_vol *vol, struct alloc_ctx *ac, uint32_t c)
{
    for (uint32_t steps = 0; steps < vol->cluster_count && clus_valid(vol, c); steps++) {
        uint32_t v;
        int rc = fat_get(vol, c, &v);
        if (rc < 0)
            return rc;
        if (v == 0)
            break; /* already free: a loop we have walked round */
        rc = fat_set(vol, c, 0);
        if (rc < 0)
            return rc;
        ac->free_delta++;
        if (fat_is_eoc(v))
            break;
        c = v;
    }
    return 0;
}

/* True (1) if c starts a chain of exactly nclus clusters ending in an
 * end-of-chain mark. Checked before allocating: every cluster of such a chain
 * is then non-free, so the new chain cannot share one with it. */
static int chain_check(struct fat32_vol *vol, uint32_t c, uint32_t nclus)
{
    for (uint32_t i = 0; i < nclus; i++) {
        uint32_t v;
        if (!clus_valid(vol, c))
            return 0;
        int rc = fat_get(vol, c, &v);
        if (rc < 0)
            return rc;
        if (i + 1 == nclus)
            return fat_is_eoc(v) ? 1 : 0;
        c = v;
    }
    return 0;
}

/* A directory written to must have a sound chain: a cluster of it marked
 * free in the FAT would be handed out again and overwritten. */
static int dir_check(struct fat32_vol *vol, const struct fat32_file *dir)
{
    uint32_t c = dir->first_cluster, limit = dir_max_clusters(vol);

    for (uint32_t i = 0; i < limit; i++) {
        uint32_t v;
        if (!clus_valid(vol, c))
            return -AX_EIO;
        int rc = fat_get(vol, c, &v);
        if (rc < 0)
            return rc;
        if (fat_is_eoc(v))
            return 0;
        c = v;
    }
    return -AX_EIO;
}

/* Writes n (<= cluster size) bytes at the start of a cluster. */
static int clus_write(struct fat32_vol *vol, uint32_t clus, const uint8_t *src, size_t n)
{
    uint32_t sec = clus_sector(vol, clus);
    uint32_t whole = (uint32_t)(n / vol->bytes_per_sec);
    size_t rem = n % vol->bytes_per_sec;

    data_forget(vol, sec, vol->sec_per_clus);
    int rc = vol_write(vol, sec, whole, src);
    if (rc < 0 || rem == 0)
        return rc;
    memset(vol->data_buf, 0, vol->bytes_per_sec);
    memcpy(vol->data_buf, src + (size_t)whole * vol->bytes_per_sec, rem);
    rc = vol_write(vol, sec + whole, 1, vol->data_buf);
    if (rc == 0)
        vol->data_cached = sec + whole;
    return rc;
}

static int clus_zero(struct fat32_vol *vol, uint32_t clus)
{
    uint32_t sec = clus_sector(vol, clus);

    vol->data_cached = NO_SECTOR;
    memset(vol->data_buf, 0, vol->bytes_per_sec);
    for (uint32_t i = 0; i < vol->sec_per_clus; i++) {
        int rc = vol_write(vol, sec + i, 1, vol->data_buf);
        if (rc < 0)
            return rc;
    }
    vol->data_cached = sec; /* any of them: all zero */
    return 0;
}

/* Allocates a chain holding len bytes of data and writes them. */
static int data_store_chain(struct fat32_vol *vol, struct alloc_ctx *ac, const uint8_t *data,
                            size_t len, uint32_t *first)
{
    uint32_t prev = 0;
    int rc = 0;

    *first = 0;
    for (size_t done = 0; done < len;) {
        uint32_t c;
        size_t n = MIN((size_t)vol->cluster_bytes, len - done);
        rc = clus_alloc(vol, ac, &c);
        if (rc < 0)
            break;
        rc = prev != 0 ? fat_set(vol, prev, c) : 0;
        if (prev == 0)
            *first = c;
        if (rc == 0)
            rc = clus_write(vol, c, data + done, n);
        if (rc < 0)
            break;
        prev = c;
        done += n;
    }
    if (rc < 0 && *first != 0) {
        chain_free(vol, ac, *first);
        *first = 0;
    }
    return rc;
}

/* Writes a 32-byte entry at index i of a directory. */
static int dir_put(struct fat32_vol *vol, struct fat32_file *d, uint32_t i, const uint8_t *ent)
{
    uint32_t sec, off;
    int rc = dir_locate(vol, d, i, &sec, &off);

    if (rc <= 0)
        return rc == 0 ? -AX_EIO : rc;
    memcpy(vol->data_buf + off, ent, DIRENT_SIZE);
    return data_store(vol);
}

/* Finds `need` consecutive free entries, growing the directory if it has
 * none. *start gets the first one. */
static int dir_make_room(struct fat32_vol *vol, struct alloc_ctx *ac, struct fat32_file *d,
                         uint32_t need, uint32_t *start)
{
    uint32_t run = 0;
    bool past_end = false;
    uint32_t i;

    for (i = 0;; i++) {
        uint8_t *e;
        int rc = dir_entry(vol, d, i, &e);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break; /* the chain ends: grow it below */
        if (e[0] == 0x00)
            past_end = true; /* this entry and all after it are free */
        if (past_end || e[0] == 0xE5) {
            if (++run == need) {
                *start = i + 1 - need;
                /* Past the end marker entries may hold stale bytes: the
                 * one after our run must become the new end marker. */
                if (past_end) {
                    uint8_t zero[DIRENT_SIZE];
                    memset(zero, 0, sizeof(zero));
                    rc = dir_entry(vol, d, i + 1, &e);
                    if (rc > 0 && e[0] != 0x00)
                        rc = dir_put(vol, d, i + 1, zero);
                    if (rc < 0)
                        return rc;
                }
                return 0;
            }
        } else {
            run = 0;
        }
    }
    /* Grow by whole zeroed clusters until the run fits. */
    uint32_t per_clus = vol->cluster_bytes / DIRENT_SIZE;
    *start = i - run;
    while (run < need) {
        uint32_t last = d->cur_cluster, c;
        if (d->cur_index + 1 >= dir_max_clusters(vol))
            return -AX_ENOSPC; /* directory at its size limit */
        int rc = clus_alloc(vol, ac, &c);
        if (rc == 0)
            rc = clus_zero(vol, c);
        if (rc == 0)
            rc = fat_set(vol, last, c);
        if (rc < 0)
            return rc;
        d->cur_cluster = c;
        d->cur_index++;
        run += per_clus;
    }
    return 0;
}

static void dirent_set_data(uint8_t *e, uint32_t first, uint32_t size)
{
    put_le16(e + 20, (uint16_t)(first >> 16));
    put_le16(e + 26, (uint16_t)first);
    put_le32(e + 28, size);
    put_le16(e + 22, 0);              /* modified time */
    put_le16(e + 24, FAT_FIXED_DATE); /* modified date */
    put_le16(e + 18, FAT_FIXED_DATE); /* accessed date */
}

/* Writes long-name entries and the 8.3 entry for a new file. */
static int dir_add(struct fat32_vol *vol, struct alloc_ctx *ac, struct fat32_file *d,
                   size_t units, bool with_lfn, const uint8_t sn[11], uint32_t first, uint32_t size)
{
    uint32_t nlfn = with_lfn ? (uint32_t)((units + LFN_CHARS - 1) / LFN_CHARS) : 0;
    uint32_t start;
    uint8_t e[DIRENT_SIZE];
    int rc = dir_make_room(vol, ac, d, nlfn + 1, &start);

    if (rc < 0)
        return rc;
    uint8_t sum = lfn_checksum(sn);
    for (uint32_t k = 0; k < nlfn; k++) {
        uint32_t seq = nlfn - k;
        memset(e, 0, sizeof(e));
        e[0] = (uint8_t)(seq | (k == 0 ? LFN_LAST : 0));
        e[11] = ATTR_LFN;
        e[13] = sum;
        for (int j = 0; j < LFN_CHARS; j++) {
            size_t u = (seq - 1) * LFN_CHARS + (size_t)j;
            uint16_t v = u < units ? vol->lfn[u] : u == units ? 0x0000 : 0xFFFF;
            put_le16(e + lfn_offsets[j], v);
        }
        rc = dir_put(vol, d, start + k, e);
        if (rc < 0)
            return rc;
    }
    memset(e, 0, sizeof(e));
    memcpy(e, sn, 11); /* ASCII only: never the 0xE5 "deleted" byte */
    e[11] = ATTR_ARCHIVE;
    put_le16(e + 16, FAT_FIXED_DATE); /* created date */
    dirent_set_data(e, first, size);
    return dir_put(vol, d, start + nlfn, e);
}

/* Rewrites FSInfo's free count and next-free hint after an update. */
static int fsinfo_store(struct fat32_vol *vol, int64_t free_delta)
{
    uint8_t *b;

    if (vol->fsinfo_sector == 0)
        return 0;
    int rc = data_load(vol, vol->fsinfo_sector, &b);
    if (rc < 0)
        return rc;
    if (le32(b) != FSINFO_LEAD || le32(b + 484) != FSINFO_STRUC || le32(b + 508) != FSINFO_TRAIL)
        return 0;
    uint32_t count = le32(b + 488);
    if (count != 0xFFFFFFFFu) {
        int64_t n = (int64_t)count + free_delta;
        count = (n < 0 || n > vol->cluster_count) ? 0xFFFFFFFFu : (uint32_t)n; /* unknown */
    }
    put_le32(b + 488, count);
    put_le32(b + 492, vol->free_hint);
    return data_store(vol);
}

static int write_file(struct fat32_vol *vol, const char *path, const uint8_t *data, size_t len,
                      struct alloc_ctx *ac)
{
    const char *end = path + strlen(path);
    while (end > path && end[-1] == '/')
        end--;
    const char *name = end;
    while (name > path && name[-1] != '/')
        name--;
    size_t nlen = (size_t)(end - name);

    struct fat32_file dir;
    int rc = open_range(vol, path, name, &dir);
    if (rc < 0)
        return rc;
    if (!dir.is_dir)
        return -AX_ENOENT;
    int units = name_to_utf16(vol, name, nlen);
    if (units < 0)
        return units;

    struct fat32_dirent *old = &vol->tmp;
    rc = dir_lookup(vol, &dir, name, nlen, old);
    if (rc < 0 && rc != -AX_ENOENT)
        return rc;
    bool exists = rc == 0;
    if (exists && old->is_dir)
        return -AX_EEXIST;
    uint32_t old_slot = exists ? old->slot : 0;
    uint32_t old_first = exists && old->size != 0 ? old->cluster : 0;
    if (old_first != 0) {
        /* A damaged old chain is left allocated rather than freed: freeing
         * could release clusters that belong to something else. */
        rc = chain_check(vol, old_first, file_clusters(vol, old->size));
        if (rc < 0)
            return rc;
        if (rc == 0)
            old_first = 0;
    }
    if (!exists) {
        /* The lookup used vol->lfn as scratch: convert the name again. */
        units = name_to_utf16(vol, name, nlen);
    }
    rc = dir_check(vol, &dir);
    if (rc < 0)
        return rc;

    uint32_t first;
    rc = data_store_chain(vol, ac, data, len, &first);
    if (rc < 0)
        return rc;

    bool linked = false; /* an entry points at the new chain */
    if (exists) {
        uint8_t *e, ent[DIRENT_SIZE];
        rc = dir_entry(vol, &dir, old_slot, &e);
        if (rc > 0) {
            memcpy(ent, e, DIRENT_SIZE);
            ent[11] |= ATTR_ARCHIVE;
            dirent_set_data(ent, first, (uint32_t)len);
            rc = dir_put(vol, &dir, old_slot, ent);
            linked = rc == 0;
        } else if (rc == 0) {
            rc = -AX_EIO;
        }
        if (linked)
            rc = chain_free(vol, ac, old_first);
    } else {
        uint8_t sn[11], probe[DIRENT_SIZE];
        char fmt[40];
        bool lossless = short_basis(vol, (size_t)units, sn);
        memset(probe, 0, sizeof(probe));
        memcpy(probe, sn, 11);
        /* A name that is its own upper-case 8.3 form needs no long name;
         * the lookup above proved no entry has it. */
        bool plain = lossless && short_name_format(probe, fmt) == nlen && memcmp(fmt, name, nlen) == 0;
        rc = plain ? 0 : short_pick(vol, &dir, sn, lossless);
        if (rc == 0)
            rc = dir_add(vol, ac, &dir, (size_t)units, !plain, sn, first, (uint32_t)len);
        linked = rc == 0;
    }
    if (!linked && first != 0)
        chain_free(vol, ac, first);
    return rc;
}

int fat32_write_file(struct fat32_vol *vol, const char *path, const void *data, size_t len)
{
    if (vol == NULL || path == NULL || (data == NULL && len != 0))
        return -AX_EINVAL;
    if (vol->dev->write == NULL)
        return -AX_ENOSYS;
    if (len > UINT32_MAX)
        return -AX_ERANGE; /* FAT sizes are 32-bit */

    struct alloc_ctx ac = { .budget = vol->cluster_count, .free_delta = 0 };
    int rc = write_file(vol, path, data, len, &ac);
    int frc = fat_flush(vol);
    if (rc == 0)
        rc = frc;
    int src = fsinfo_store(vol, ac.free_delta);
    if (rc == 0)
        rc = src;
    if (rc < 0) {
        /* Whatever we cached may disagree with a half-finished update. */
        vol->fat_cached = NO_SECTOR;
        vol->fat_dirty = false;
        vol->data_cached = NO_SECTOR;
    }
    return rc;
}

/* ---- VFS adapter ---- */

static int fat_vfs_open(void *fs, const char *path, void *file, struct vfs_stat *st)
{
    struct fat32_file *f = file;
    int rc = fat32_open(fs, path, f);

    if (rc < 0)
        return rc;
    st->is_dir = f->is_dir;
    st->size = f->is_dir ? 0 : f->size;
    return 0;
}

static int64_t fat_vfs_read(void *fs, void *file, uint64_t off, void *buf, size_t len)
{
    return fat32_read(fs, file, off, buf, len);
}

static int fat_vfs_readdir(void *fs, void *file, struct vfs_dirent *de)
{
    struct fat32_vol *vol = fs;
    int rc = fat32_readdir(vol, file, &vol->tmp);

    if (rc <= 0)
        return rc;
    size_t n = strlen(vol->tmp.name);
    memcpy(de->name, vol->tmp.name, n + 1);
    de->size = vol->tmp.size;
    de->is_dir = vol->tmp.is_dir;
    return 1;
}

static int fat_vfs_write_file(void *fs, const char *path, const void *buf, size_t len)
{
    return fat32_write_file(fs, path, buf, len);
}

const struct vfs_fs_ops fat32_vfs_ops = {
    .name = "fat32",
    .open = fat_vfs_open,
    .read = fat_vfs_read,
    .readdir = fat_vfs_readdir,
    .close = NULL,
    .write_file = fat_vfs_write_file,
};
