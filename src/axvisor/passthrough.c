/* Facts about the host the VM layer asks for: which ranges are RAM the
 * hypervisor allocates from, and the regions of host device-tree nodes that
 * configs pass through by path. */
#include "ax/axhal.h"
#include "ax/fdt.h"
#include "ax/format.h"
#include "ax/vm.h"

static const struct boot_info *boot;

void hv_set_boot_info(const struct boot_info *bi) { boot = bi; }
const struct boot_info *hv_boot_info(void) { return boot; }

bool hv_range_is_host_ram(paddr_t base, uint64_t size)
{
    if (!boot)
        return false;
    for (unsigned i = 0; i < boot->mem_count; i++) {
        const struct mem_range *m = &boot->mem[i];
        if (base < m->base + m->size && m->base < base + size)
            return true;
    }
    return false;
}

int hv_passthrough_dtb_node(struct vm *vm, const char *path, char *err, size_t errlen)
{
    struct fdt fdt;
    if (!boot || !boot->dtb || fdt_init(&fdt, boot->dtb, boot->dtb_size) != 0) {
        ax_snprintf(err, errlen, "passthrough device '%s': this platform has no device tree", path);
        return -AX_ENOENT;
    }
    int node = fdt_path_offset(&fdt, path);
    if (node < 0) {
        ax_snprintf(err, errlen, "passthrough device '%s': no such node in the host device tree", path);
        return -AX_ENOENT;
    }
    int n = fdt_reg_count(&fdt, node);
    if (n <= 0) {
        ax_snprintf(err, errlen, "passthrough device '%s': the node has no registers to map", path);
        return -AX_EINVAL;
    }
    for (int i = 0; i < n; i++) {
        struct fdt_reg r;
        int rc = fdt_get_reg_phys(&fdt, node, (uint32_t)i, &r);
        if (rc == 0 && hv_range_is_host_ram(r.addr, r.size))
            rc = -AX_EINVAL;
        if (rc == 0) {
            paddr_t b = ALIGN_DOWN(r.addr, PAGE_SIZE);
            uint64_t s = ALIGN_UP(r.addr + r.size, PAGE_SIZE) - b;
            rc = as_add_region(&vm->as, b, s, PT_R | PT_W | PT_DEVICE, AS_IDENTICAL, b);
        }
        if (rc) {
            ax_snprintf(err, errlen, "passthrough device '%s': region %d [%#llx, +%#llx): %s", path, i,
                        (unsigned long long)r.addr, (unsigned long long)r.size, ax_strerror(rc));
            return rc;
        }
    }
    return 0;
}
