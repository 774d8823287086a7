/* VMs from the FAT32 disk: mounting at boot, reading DISK_VM_DIR, and
 * vm_create_from_file (also used by the shell). See ax/fsload.h. */
#include "ax/disk.h"
#include "ax/fat32.h"
#include "ax/format.h"
#include "ax/frame.h"
#include "ax/fsload.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/string.h"
#include "ax/task.h"
#include "ax/vfs.h"
#include "ax/vmload.h"

#define ERR_SIZE 4096
#define NAME_CAP 128 /* bytes of a config's file name kept for sorting */

_Static_assert(ERR_SIZE >= VFS_PATH_MAX, "start_from reuses err for a path");

static struct fat32_vol disk_vol;
static bool disk_mounted;
static bool fs_busy;
static struct wait_queue fs_wq = {SPINLOCK_INIT, LIST_HEAD_INIT(fs_wq.waiters)};

void fs_lock(void)
{
    for (;;) {
        wait_event(&fs_wq, !__atomic_load_n(&fs_busy, __ATOMIC_ACQUIRE));
        if (!__atomic_exchange_n(&fs_busy, true, __ATOMIC_ACQ_REL))
            return;
    }
}

void fs_unlock(void)
{
    __atomic_store_n(&fs_busy, false, __ATOMIC_RELEASE);
    wq_wake_all(&fs_wq);
}

bool fs_disk_mounted(void) { return __atomic_load_n(&disk_mounted, __ATOMIC_ACQUIRE); }

/* ---- images from the disk ---- */

struct fs_ctx {
    const char *config; /* absolute path of the config */
    char path[VFS_PATH_MAX];
};

static size_t image_pages(uint64_t size) { return size ? (size_t)(ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE) : 1; }

/* An image path as written in `config`: absolute on the disk, or relative
 * to the config's directory; normalised into out (VFS_PATH_MAX bytes). */
static int image_abs_path(const char *config, const char *img, char *out)
{
    char joined[VFS_PATH_MAX];
    int n;
    if (img[0] == '/') {
        n = ax_snprintf(joined, sizeof(joined), "%s", img);
    } else {
        const char *slash = strrchr(config, '/');
        int dirlen = slash ? (int)(slash - config) : 0;
        n = ax_snprintf(joined, sizeof(joined), "%.*s/%s", dirlen, config, img);
    }
    if (n < 0 || (size_t)n >= sizeof(joined))
        return -AX_ERANGE;
    return vfs_normalize(joined, out, VFS_PATH_MAX);
}

static int resolve(struct fs_ctx *c, const char *img, char *err, size_t errlen)
{
    if (image_abs_path(c->config, img, c->path) != 0) {
        ax_snprintf(err, errlen, "%s: image path \"%s\" is too long", c->config, img);
        return -AX_ERANGE;
    }
    return 0;
}

static int fs_check(void *ctx, const struct vm_config *cfg, char *err, size_t errlen)
{
    struct fs_ctx *c = ctx;
    if (cfg->image_location != VM_IMAGE_IN_MEMORY)
        return 0;
    vm_load_msg(err, errlen,
                "%s: kernel.image_location: \"memory\" means built into the hypervisor; a config on the disk "
                "needs image_location = \"fs\"",
                c->config);
    return -AX_EINVAL;
}

static int fs_size(void *ctx, const struct vm_config *cfg, enum vm_image_kind kind, uint64_t *size, char *err,
                   size_t errlen)
{
    struct fs_ctx *c = ctx;
    const char *img = cfg->images[kind].path;
    int rc = resolve(c, img, err, errlen);
    if (rc)
        return rc;
    struct vfs_stat st = {0, false};
    rc = vfs_stat(c->path, &st);
    if (rc == -AX_ENOENT) {
        ax_snprintf(err, errlen, "%s: %s image \"%s\" not found on the disk (looked for %s)", c->config,
                    vmconfig_image_name(kind), img, c->path);
        return rc;
    }
    if (rc == 0 && st.is_dir)
        rc = -AX_EINVAL;
    if (rc) {
        ax_snprintf(err, errlen, "%s: %s image \"%s\" (%s): %s", c->config, vmconfig_image_name(kind), img,
                    c->path, st.is_dir && rc == -AX_EINVAL ? "is a directory" : ax_strerror(rc));
        return rc;
    }
    *size = st.size;
    return 0;
}

static int fs_load(void *ctx, const struct vm_config *cfg, enum vm_image_kind kind, uint64_t size,
                   const void **data, char *err, size_t errlen)
{
    struct fs_ctx *c = ctx;
    int rc = resolve(c, cfg->images[kind].path, err, errlen);
    if (rc)
        return rc;
    paddr_t pa = size <= SIZE_MAX - PAGE_SIZE ? frame_alloc_pages(image_pages(size)) : 0;
    if (!pa) {
        ax_snprintf(err, errlen, "%s: out of memory for the %s image %s (%llu bytes)", c->config,
                    vmconfig_image_name(kind), c->path, (unsigned long long)size);
        return -AX_ENOMEM;
    }
    void *buf = frame_ptr(pa);
    size_t got = 0;
    rc = vfs_read_file(c->path, buf, (size_t)size, &got);
    if (rc == 0 && got != size)
        rc = -AX_EIO; /* the file changed between stat and read */
    if (rc) {
        frame_free_pages(pa, image_pages(size));
        ax_snprintf(err, errlen, "%s: reading the %s image %s: %s", c->config, vmconfig_image_name(kind), c->path,
                    ax_strerror(rc));
        return rc;
    }
    *data = buf;
    return 0;
}

static void fs_unload(void *ctx, const void *data, uint64_t size)
{
    (void)ctx;
    if (data)
        frame_free_pages(frame_paddr(data), image_pages(size));
}

static void fs_release_images(struct vm *vm)
{
    for (unsigned k = 0; k < VM_IMG_COUNT; k++) {
        struct vm_blob *b = &vm->images[k];
        if (b->present && b->data)
            fs_unload(NULL, b->data, b->size);
        b->data = NULL;
        b->present = false;
    }
}

static int read_config(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    struct vfs_stat st = {0, false};
    int rc = vfs_stat(path, &st);
    if (rc == 0 && st.is_dir)
        rc = -AX_EINVAL;
    if (rc == 0 && st.size > DISK_CONFIG_MAX)
        rc = -AX_ERANGE;
    char *buf = rc == 0 ? kmalloc((size_t)st.size + 1) : NULL;
    if (rc == 0 && !buf)
        rc = -AX_ENOMEM;
    if (rc == 0)
        rc = vfs_read_file(path, buf, (size_t)st.size, len);
    if (rc) {
        kfree(buf);
        if (rc == -AX_ERANGE)
            vm_load_msg(err, errlen, "%s: config larger than %u bytes", path, DISK_CONFIG_MAX);
        else
            vm_load_msg(err, errlen, "%s: cannot read the config: %s", path,
                        st.is_dir && rc == -AX_EINVAL ? "is a directory" : ax_strerror(rc));
        return rc;
    }
    buf[*len] = '\0';
    *text = buf;
    return 0;
}

int vm_create_from_file(const char *path, char *err, size_t errlen, struct vm **out)
{
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!path || path[0] != '/') {
        vm_load_msg(err, errlen, "%s: the config path must be absolute", path ? path : "(null)");
        return -AX_EINVAL;
    }
    if (!fs_disk_mounted()) {
        vm_load_msg(err, errlen, "%s: no disk is mounted", path);
        return -AX_ENOENT;
    }
    struct fs_ctx *c = kzalloc(sizeof(*c));
    if (!c) {
        vm_load_msg(err, errlen, "%s: out of memory", path);
        return -AX_ENOMEM;
    }
    c->config = path;
    const struct vm_image_loader ld = {
        .check = fs_check,
        .size = fs_size,
        .load = fs_load,
        .unload = fs_unload,
        .release_images = fs_release_images,
        .ctx = c,
    };
    char *text = NULL;
    size_t len = 0;
    fs_lock();
    int rc = read_config(path, &text, &len, err, errlen);
    if (rc == 0)
        rc = vm_load_config(path, text, len, &ld, err, errlen, out);
    fs_unlock();
    kfree(text);
    kfree(c);
    return rc;
}

/* ---- boot ---- */

struct name_list {
    char (*names)[NAME_CAP];
    unsigned count, skipped;
};

static bool is_toml(const char *name)
{
    size_t n = strlen(name);
    static const char ext[] = ".toml";
    if (n <= 5)
        return false;
    for (size_t i = 0; i < 5; i++) {
        char ch = name[n - 5 + i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != ext[i])
            return false;
    }
    return true;
}

/* Keeps the DISK_MAX_CONFIGS smallest names, sorted (insertion). */
static int collect_config(const struct vfs_dirent *de, void *arg)
{
    struct name_list *l = arg;
    if (de->is_dir || !is_toml(de->name))
        return 0;
    if (strlen(de->name) >= NAME_CAP) {
        log_warn("disk: %s/%s: name too long; skipped", DISK_VM_DIR, de->name);
        return 0;
    }
    unsigned pos = l->count;
    while (pos > 0 && strcmp(l->names[pos - 1], de->name) > 0)
        pos--;
    if (pos >= DISK_MAX_CONFIGS) {
        l->skipped++;
        return 0;
    }
    if (l->count == DISK_MAX_CONFIGS) {
        l->count--;
        l->skipped++;
    }
    memmove(l->names[pos + 1], l->names[pos], (size_t)(l->count - pos) * NAME_CAP);
    memcpy(l->names[pos], de->name, strlen(de->name) + 1);
    l->count++;
    return 0;
}

static const char *mount_error(int rc)
{
    if (rc == -AX_EINVAL)
        return "no FAT32 boot sector (whole disk, or an MBR partition of type 0x0B/0x0C)";
    if (rc == -AX_EIO)
        return "the boot sector cannot be read";
    return ax_strerror(rc);
}

/* Mounts the disk at "/"; false (logged) if it cannot be. */
static bool mount_disk(struct blockdev *bd)
{
    fs_lock();
    int rc = fat32_mount(&disk_vol, bd);
    if (rc == 0) {
        vfs_init();
        rc = vfs_mount("/", &fat32_vfs_ops, &disk_vol);
        if (rc)
            log_error("disk: mounting at /: %s", ax_strerror(rc));
    } else {
        log_error("disk: not a FAT32 volume: %s", mount_error(rc));
    }
    if (rc == 0) {
        __atomic_store_n(&disk_mounted, true, __ATOMIC_RELEASE);
        log_info("disk: FAT32 volume mounted at / (%llu MiB, %u-byte clusters)",
                 (unsigned long long)((uint64_t)disk_vol.cluster_count * disk_vol.cluster_bytes >> 20),
                 disk_vol.cluster_bytes);
    }
    fs_unlock();
    return rc == 0;
}

static unsigned start_from(const char *path, char *err)
{
    struct vm *vm;
    if (vm_create_from_file(path, err, ERR_SIZE, &vm) != 0) {
        vm_load_log_errors(err);
        log_error("%s: rejected; other VMs continue", path);
        return 0;
    }
    /* err is free again: it holds the kernel's path for the log */
    if (image_abs_path(path, vm->cfg->images[VM_IMG_KERNEL].path, err) != 0)
        ax_snprintf(err, ERR_SIZE, "%s", vm->cfg->images[VM_IMG_KERNEL].path);
    log_info("vm%u (%s): loaded from disk: %s (kernel %s, %zu bytes)", vm->id, vm->name, path, err,
             vm->images[VM_IMG_KERNEL].size);
    return vm_start(vm) == 0 ? 1 : 0;
}

unsigned disk_vms_start(void)
{
    struct blockdev *bd = disk_probe(hv_boot_info());
    if (!bd || !mount_disk(bd))
        return 0;
    struct name_list l = {.names = kmalloc((size_t)DISK_MAX_CONFIGS * NAME_CAP)};
    char *err = kmalloc(ERR_SIZE);
    char *path = kmalloc(VFS_PATH_MAX);
    unsigned started = 0;
    if (!l.names || !err || !path) {
        log_error("disk: out of memory");
        goto out;
    }
    fs_lock();
    int rc = vfs_readdir(DISK_VM_DIR, collect_config, &l);
    fs_unlock();
    if (rc) {
        log_info("disk: no VM configs (%s: %s)", DISK_VM_DIR,
                 rc == -AX_ENOENT ? "no such directory" : ax_strerror(rc));
        goto out;
    }
    log_info("disk: %u VM config(s) in %s", l.count, DISK_VM_DIR);
    if (l.skipped)
        log_warn("disk: %u more config(s) ignored (at most %d are started at boot)", l.skipped, DISK_MAX_CONFIGS);
    for (unsigned i = 0; i < l.count; i++) {
        ax_snprintf(path, VFS_PATH_MAX, "%s/%s", DISK_VM_DIR, l.names[i]);
        started += start_from(path, err);
    }
out:
    kfree(l.names);
    kfree(err);
    kfree(path);
    return started;
}
