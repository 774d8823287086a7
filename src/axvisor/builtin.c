/* VMs built into the hypervisor image (make VM_CONFIGS=...): each config's
 * TOML text and its images are linked in by scripts/gen-builtin.sh. At boot
 * every config is parsed and validated with the same axvmconfig code as the
 * host checker (vm_load_config), and its VM is created and started; a bad
 * one is reported and skipped while the others start. */
#include "ax/builtin.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/vmload.h"

#define ERR_SIZE 4096

/* Images are linked into the hypervisor: nothing to read or free. */
static int builtin_size(void *ctx, const struct vm_config *cfg, enum vm_image_kind kind, uint64_t *size,
                        char *err, size_t errlen)
{
    const struct builtin_vm *b = ctx;
    if (!b->images[kind].data) {
        ax_snprintf(err, errlen, "%s: %s image '%s' was not built into the hypervisor", b->file,
                    vmconfig_image_name(kind), cfg->images[kind].path);
        return -AX_ENOENT;
    }
    *size = b->images[kind].size;
    return 0;
}

static int builtin_load(void *ctx, const struct vm_config *cfg, enum vm_image_kind kind, uint64_t size,
                        const void **data, char *err, size_t errlen)
{
    const struct builtin_vm *b = ctx;
    (void)cfg;
    (void)size;
    (void)err;
    (void)errlen;
    *data = b->images[kind].data;
    return 0;
}

/* Parses built-in config b and creates its VM, LOADED (err: ERR_SIZE bytes). */
static int create_one(const struct builtin_vm *b, char *err, struct vm **out)
{
    const struct vm_image_loader ld = {
        .size = builtin_size,
        .load = builtin_load,
        .ctx = (void *)(uintptr_t)b,
    };
    err[0] = '\0';
    int rc = vm_load_config(b->file, b->toml, b->toml_len, &ld, err, ERR_SIZE, out);
    if (rc)
        vm_load_log_errors(err);
    return rc;
}

static int start_one(const struct builtin_vm *b, char *err)
{
    struct vm *vm;
    int rc = create_one(b, err, &vm);
    if (rc) {
        log_error("%s: rejected; other VMs continue", b->file);
        return rc;
    }
    return vm_start(vm);
}

int builtin_vm_create(unsigned index, struct vm **out)
{
    if (index >= builtin_vm_count)
        return -AX_ENOENT;
    char *err = kmalloc(ERR_SIZE);
    if (!err)
        return -AX_ENOMEM;
    int rc = create_one(&builtin_vms[index], err, out);
    kfree(err);
    return rc;
}

unsigned builtin_vms_start(void)
{
    unsigned started = 0;
    char *err = kmalloc(ERR_SIZE);
    if (!err) {
        log_error("built-in VMs: out of memory");
        return 0;
    }
    for (uint64_t i = 0; i < builtin_vm_count; i++)
        if (start_one(&builtin_vms[i], err) == 0)
            started++;
    kfree(err);
    return started;
}
