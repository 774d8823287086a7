/* Preparing an aarch64 guest's boot: the Linux arm64 Image boot protocol
 * (Documentation/arm64/booting.rst) and the guest device tree.
 *
 * When a VM's config names no dtb_path but is a Linux VM (vm_type 2) or
 * gives a dtb_load_addr, the hypervisor writes a device tree describing
 * exactly what the VM has: its RAM regions, vCPUs (PSCI), the virtual GIC,
 * the timer, its PL011 console, the command line and the initrd. */
#include "ax/axhal.h"
#include "ax/format.h"
#include "ax/guest_dtb.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/string.h"
#include "ax/vm.h"
#include "vgic.h"

#define ARM64_IMAGE_MAGIC 0x644d5241U /* "ARM\x64" at offset 0x38 */
#define GUEST_DTB_BUF (64 * 1024)
#define TWO_MB 0x200000ULL

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Checks the kernel image against the arm64 boot protocol; only warns, since
 * a bare-metal image has no header at all. */
static void check_image(struct vm *vm)
{
    const struct vm_blob *k = &vm->images[VM_IMG_KERNEL];
    if (!k->present || k->size < 64)
        return;
    const uint8_t *h = k->data;
    uint32_t magic = (uint32_t)h[0x38] | (uint32_t)h[0x39] << 8 | (uint32_t)h[0x3a] << 16 | (uint32_t)h[0x3b] << 24;
    if (magic != ARM64_IMAGE_MAGIC)
        return;
    uint64_t text_offset = le64(h + 8), image_size = le64(h + 16);
    if ((k->load_addr - text_offset) % TWO_MB)
        log_warn("vm%u: arm64 Image loaded at %#llx: the protocol wants a 2 MiB aligned base + text_offset %#llx",
                 vm->id, (unsigned long long)k->load_addr, (unsigned long long)text_offset);
    if (vm->cfg->entry_point != k->load_addr)
        log_warn("vm%u: arm64 Image entry is its first byte (%#llx), the config says %#llx", vm->id,
                 (unsigned long long)k->load_addr, (unsigned long long)vm->cfg->entry_point);
    const struct as_region *r = as_find(&vm->as, k->load_addr);
    if (r && image_size && k->load_addr + image_size > r->gpa + r->size)
        log_warn("vm%u: the kernel needs %#llx bytes from %#llx (image_size), more than its region holds", vm->id,
                 (unsigned long long)image_size, (unsigned long long)k->load_addr);
}

static bool wants_generated_dtb(const struct vm *vm)
{
    const struct vm_config *c = vm->cfg;
    if (c->images[VM_IMG_DTB].has_path)
        return false;
    return c->vm_type == VM_TYPE_LINUX || c->images[VM_IMG_DTB].has_load_addr;
}

int vm_arch_prepare_boot(struct vm *vm, uint64_t *boot_arg, char *err, size_t errlen)
{
    const struct vm_config *c = vm->cfg;
    check_image(vm);
    *boot_arg = vm->images[VM_IMG_DTB].present ? vm->images[VM_IMG_DTB].load_addr : 0;
    if (!wants_generated_dtb(vm))
        return 0;

    struct guest_dtb_desc *d = kzalloc(sizeof(*d));
    void *buf = kmalloc(GUEST_DTB_BUF);
    int rc = -AX_ENOMEM;
    if (!d || !buf) {
        ax_snprintf(err, errlen, "guest device tree: out of memory");
        goto out;
    }
    uint64_t first_ram_end = 0, first_ram_base = 0;
    for (unsigned i = 0; i < c->region_num && d->nmem < GUEST_DTB_MAX_MEM; i++) {
        const struct vm_mem_region *r = &c->regions[i];
        if (r->flags & VM_MEM_DEVICE)
            continue;
        d->mem_base[d->nmem] = r->gpa;
        d->mem_size[d->nmem] = r->size;
        if (d->nmem == 0) {
            first_ram_base = r->gpa;
            first_ram_end = r->gpa + r->size;
        }
        d->nmem++;
    }
    d->ncpus = vm->nvcpu;
    uint64_t gicd, gic2;
    vgic_describe(vm, &d->gic_version, &gicd, &gic2);
    if (!d->gic_version) {
        ax_snprintf(err, errlen, "a Linux VM needs an interrupt controller: add an emu_devices entry of type 0x1");
        rc = -AX_EINVAL;
        goto out;
    }
    d->gicd_base = gicd;
    if (d->gic_version == 3)
        d->gicr_base = gic2;
    else
        d->gicc_base = gic2;
    for (unsigned i = 0; i < c->emu_num; i++)
        if (c->emu_devices[i].type == EMU_CONSOLE && !d->has_uart) {
            d->has_uart = true;
            d->uart_base = c->emu_devices[i].gpa;
            d->uart_irq = c->emu_devices[i].irq;
        }
    d->bootargs = c->has_cmdline ? c->cmdline : NULL;
    const struct vm_blob *rd = &vm->images[VM_IMG_RAMDISK];
    if (rd->present) {
        d->has_initrd = true;
        d->initrd_start = rd->load_addr;
        d->initrd_end = rd->load_addr + rd->size;
    }
    size_t len = 0;
    const char *why = NULL;
    rc = guest_dtb_check(d, &why);
    if (rc == 0)
        rc = guest_dtb_build(d, buf, GUEST_DTB_BUF, &len);
    if (rc) {
        ax_snprintf(err, errlen, "guest device tree: %s", why ? why : ax_strerror(rc));
        goto out;
    }
    uint64_t at = c->images[VM_IMG_DTB].has_load_addr ? c->images[VM_IMG_DTB].load_addr
                                                       : ALIGN_DOWN(first_ram_end - TWO_MB, TWO_MB);
    if (!c->images[VM_IMG_DTB].has_load_addr && at < first_ram_base) {
        ax_snprintf(err, errlen, "guest device tree: no room for it in RAM; set dtb_load_addr");
        rc = -AX_ENOSPC;
        goto out;
    }
    rc = as_copy_to_guest(&vm->as, at, buf, len);
    if (rc) {
        ax_snprintf(err, errlen, "guest device tree (%zu bytes) at %#llx is not in guest RAM", len,
                    (unsigned long long)at);
        goto out;
    }
    *boot_arg = at;
    log_info("vm%u: device tree generated at %#llx (%zu bytes, GICv%u, %u vCPUs)", vm->id, (unsigned long long)at,
             len, d->gic_version, d->ncpus);
out:
    kfree(d);
    kfree(buf);
    return rc;
}
