/* Config text + images -> a created VM, shared by built-in and disk VMs. */
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/string.h"
#include "ax/vmload.h"

#define TOML_ARENA_SIZE (256 * 1024)
#define MSG_LEN 400 /* one image message: two paths fit */

void vm_load_msg(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    size_t n = strnlen(err, errlen);
    if (n >= errlen - 1)
        return;
    if (n) {
        err[n++] = '\n';
        err[n] = '\0';
    }
    va_list ap;
    va_start(ap, fmt);
    ax_vsnprintf(err + n, errlen - n, fmt, ap);
    va_end(ap);
}

void vm_load_log_errors(const char *err)
{
    const char *p = err;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        log_error("%.*s", (int)n, p);
        p = nl ? nl + 1 : NULL;
    }
}

static void add_checker_errors(char *err, size_t errlen, const char *file, const struct vmconfig_errors *errs)
{
    for (unsigned i = 0; i < errs->count; i++)
        vm_load_msg(err, errlen, "%s", errs->msg[i]);
    if (errs->total > errs->count)
        vm_load_msg(err, errlen, "%s: ... and %u more errors", file, errs->total - errs->count);
}

static void unload_all(const struct vm_image_loader *ld, struct vm_blob blobs[VM_IMG_COUNT])
{
    for (unsigned k = 0; k < VM_IMG_COUNT; k++) {
        if (blobs[k].present && ld->unload)
            ld->unload(ld->ctx, blobs[k].data, blobs[k].size);
        blobs[k].present = false;
    }
}

/* Sizes every image, then checks the layout the way the host tool does;
 * every problem is reported, not just the first. */
static int size_images(const char *file, struct vm_config *cfg, const struct vm_image_loader *ld,
                       uint64_t sizes[VM_IMG_COUNT], struct vmconfig_errors *errs, char *err, size_t errlen)
{
    int rc = 0;
    for (unsigned k = 0; k < VM_IMG_COUNT; k++) {
        sizes[k] = 0;
        if (!cfg->images[k].has_path)
            continue;
        char msg[MSG_LEN];
        msg[0] = '\0';
        int r = ld->size(ld->ctx, cfg, (enum vm_image_kind)k, &sizes[k], msg, sizeof(msg));
        if (r) {
            vm_load_msg(err, errlen, "%s", msg);
            rc = r;
            sizes[k] = 0;
        }
    }
    if (rc)
        return rc;
    uint64_t eff[VM_IMG_COUNT];
    for (unsigned k = 0; k < VM_IMG_COUNT; k++) /* an empty file still occupies its address */
        eff[k] = cfg->images[k].has_path && sizes[k] == 0 ? 1 : sizes[k];
    memset(errs, 0, sizeof(*errs));
    if (vmconfig_check_layout(cfg, eff, errs) != 0) {
        add_checker_errors(err, errlen, file, errs);
        return -AX_ERANGE;
    }
    return 0;
}

static int load_images(const struct vm_config *cfg, const struct vm_image_loader *ld,
                       const uint64_t sizes[VM_IMG_COUNT], struct vm_blob blobs[VM_IMG_COUNT], char *err,
                       size_t errlen)
{
    for (unsigned k = 0; k < VM_IMG_COUNT; k++) {
        if (!cfg->images[k].has_path)
            continue;
        const void *data = NULL;
        char msg[MSG_LEN];
        msg[0] = '\0';
        int rc = ld->load(ld->ctx, cfg, (enum vm_image_kind)k, sizes[k], &data, msg, sizeof(msg));
        if (rc) {
            vm_load_msg(err, errlen, "%s", msg);
            unload_all(ld, blobs);
            return rc;
        }
        blobs[k].data = data;
        blobs[k].size = (size_t)sizes[k];
        blobs[k].load_addr = k == VM_IMG_KERNEL && !cfg->images[k].has_load_addr ? cfg->entry_point
                                                                                 : cfg->images[k].load_addr;
        blobs[k].present = true;
    }
    return 0;
}

int vm_load_config(const char *file, const char *toml, size_t len, const struct vm_image_loader *ld, char *err,
                   size_t errlen, struct vm **out)
{
    struct vm_config *cfg = kzalloc(sizeof(*cfg));
    struct vmconfig_errors *errs = kzalloc(sizeof(*errs));
    void *arena_mem = kmalloc(TOML_ARENA_SIZE);
    struct vm_blob blobs[VM_IMG_COUNT];
    uint64_t sizes[VM_IMG_COUNT];
    int rc = -AX_ENOMEM;
    memset(blobs, 0, sizeof(blobs));
    *out = NULL;
    if (!cfg || !errs || !arena_mem) {
        vm_load_msg(err, errlen, "%s: out of memory reading the config", file);
        goto done;
    }
    struct toml_arena arena = {.buf = arena_mem, .size = TOML_ARENA_SIZE};
    rc = vmconfig_parse(file, toml, len, &arena, cfg, errs);
    if (rc) {
        add_checker_errors(err, errlen, file, errs);
        goto done;
    }
    if (ld->check && (rc = ld->check(ld->ctx, cfg, err, errlen)) != 0)
        goto done;
    if ((rc = size_images(file, cfg, ld, sizes, errs, err, errlen)) != 0)
        goto done;
    if ((rc = load_images(cfg, ld, sizes, blobs, err, errlen)) != 0)
        goto done;
    char why[200];
    struct vm *vm = vm_create(cfg, blobs, why, sizeof(why));
    if (!vm) {
        vm_load_msg(err, errlen, "%s: VM %llu (%s) not created: %s", file, (unsigned long long)cfg->id, cfg->name,
                    why);
        unload_all(ld, blobs);
        rc = -AX_EINVAL;
        goto done;
    }
    vm->release_images = ld->release_images;
    cfg = NULL; /* the VM owns it now */
    *out = vm;
    rc = 0;
done:
    kfree(cfg);
    kfree(errs);
    kfree(arena_mem);
    return rc;
}
