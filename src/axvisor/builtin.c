/* VMs built into the hypervisor image (make VM_CONFIGS=...): each config's
 * TOML text and its images are linked in by scripts/gen-builtin.sh. At boot
 * every config is parsed and validated with the same axvmconfig code as the
 * host checker, and its VM is created and started; a bad one is reported
 * and skipped while the others start. */
#include "ax/builtin.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/string.h"
#include "ax/vm.h"

#define TOML_ARENA_SIZE (256 * 1024)

static int start_one(const struct builtin_vm *b)
{
    struct vm_config *cfg = kzalloc(sizeof(*cfg));
    struct vmconfig_errors *errs = kzalloc(sizeof(*errs));
    void *arena_mem = kmalloc(TOML_ARENA_SIZE);
    int rc = -AX_ENOMEM;
    if (!cfg || !errs || !arena_mem) {
        log_error("%s: out of memory reading the config", b->file);
        goto out;
    }
    struct toml_arena arena = {.buf = arena_mem, .size = TOML_ARENA_SIZE};
    rc = vmconfig_parse(b->file, b->toml, b->toml_len, &arena, cfg, errs);
    if (rc) {
        for (unsigned i = 0; i < errs->count; i++)
            log_error("%s", errs->msg[i]);
        log_error("%s: rejected (%u error(s)); other VMs continue", b->file, errs->total);
        goto out;
    }
    struct vm_blob blobs[VM_IMG_COUNT];
    memset(blobs, 0, sizeof(blobs));
    for (unsigned k = 0; k < VM_IMG_COUNT; k++) {
        if (!cfg->images[k].has_path)
            continue;
        if (!b->images[k].data) {
            log_error("%s: %s image '%s' was not built into the hypervisor", b->file,
                      vmconfig_image_name((enum vm_image_kind)k), cfg->images[k].path);
            rc = -AX_ENOENT;
            goto out;
        }
        blobs[k].data = b->images[k].data;
        blobs[k].size = b->images[k].size;
        blobs[k].load_addr = k == VM_IMG_KERNEL && !cfg->images[k].has_load_addr ? cfg->entry_point
                                                                                 : cfg->images[k].load_addr;
        blobs[k].present = true;
    }
    char err[200];
    struct vm *vm = vm_create(cfg, blobs, err, sizeof(err));
    if (!vm) {
        log_error("%s: VM %llu (%s) not created: %s", b->file, (unsigned long long)cfg->id, cfg->name, err);
        rc = -AX_EINVAL;
        goto out;
    }
    cfg = NULL; /* the VM owns it now */
    rc = vm_start(vm);
out:
    kfree(cfg);
    kfree(errs);
    kfree(arena_mem);
    return rc;
}

unsigned builtin_vms_start(void)
{
    unsigned started = 0;
    for (uint64_t i = 0; i < builtin_vm_count; i++)
        if (start_one(&builtin_vms[i]) == 0)
            started++;
    return started;
}
