/* libFuzzer harness for the VM config schema (vmconfig_parse) on top of the
 * TOML parser. Oracles: an accepted config satisfies every documented
 * invariant (re-checked here independently); a rejected one has at least
 * one well-formed message; image checks never misbehave. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ax/vmconfig.h"

static char arena_mem[128 * 1024];
static struct vm_config cfg;
static struct vmconfig_errors errs;

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_vmconfig invariant failed: %s\n", what);
        abort();
    }
}

static bool terminated(const char *s, size_t size)
{
    return memchr(s, 0, size) != NULL;
}

static bool in_ram(uint64_t addr)
{
    for (uint32_t i = 0; i < cfg.region_num; i++) {
        const struct vm_mem_region *r = &cfg.regions[i];
        if (!(r->flags & VM_MEM_DEVICE) && addr >= r->gpa && addr - r->gpa < r->size)
            return true;
    }
    return false;
}

static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    /* Sizes are non-zero and ranges do not wrap when this is called. */
    return a <= b + (bs - 1) && b <= a + (as - 1);
}

static void check_accepted(const uint8_t *data, size_t size)
{
    check(cfg.cpu_num >= 1 && cfg.cpu_num <= AX_MAX_CPUS, "cpu_num range");
    check(cfg.vm_type <= VM_TYPE_LINUX, "vm_type");
    check(cfg.irq_mode <= VM_IRQ_PASSTHROUGH, "irq_mode");
    check(terminated(cfg.name, sizeof(cfg.name)) && cfg.name[0], "name");
    check(terminated(cfg.cmdline, sizeof(cfg.cmdline)), "cmdline");
    check(terminated(cfg.disk_path, sizeof(cfg.disk_path)), "disk_path");
    for (uint32_t i = 0; cfg.has_phys_cpu_sets && i < cfg.cpu_num; i++)
        check(cfg.phys_cpu_sets[i] && !(cfg.phys_cpu_sets[i] >> AX_MAX_CPUS), "cpu set");
    check(cfg.region_num >= 1 && cfg.region_num <= VMCONFIG_MAX_REGIONS, "region count");
    for (uint32_t i = 0; i < cfg.region_num; i++) {
        const struct vm_mem_region *r = &cfg.regions[i];
        check(r->size && !(r->gpa & 0xfff) && !(r->size & 0xfff), "region aligned");
        check(r->gpa + (r->size - 1) >= r->gpa, "region does not wrap");
        check(!(r->flags & ~VM_MEM_FLAGS_ALL) && r->map_type <= VM_MAP_RESERVED, "region fields");
        for (uint32_t j = 0; j < i; j++)
            check(!overlap(r->gpa, r->size, cfg.regions[j].gpa, cfg.regions[j].size),
                  "regions disjoint");
    }
    check(in_ram(cfg.entry_point), "entry point in RAM");
    check(vmconfig_find_ram(&cfg, cfg.entry_point, 0) >= 0, "find_ram agrees");
    check(cfg.images[VM_IMG_KERNEL].has_path && cfg.images[VM_IMG_KERNEL].has_load_addr,
          "kernel image present");
    for (int k = 0; k < VM_IMG_COUNT; k++) {
        const struct vm_image *img = &cfg.images[k];
        check(terminated(img->path, sizeof(img->path)), "image path");
        check(!img->has_path || img->has_load_addr, "path implies load address");
        if (!img->has_load_addr) {
            check(vmconfig_check_image(&cfg, k, 1, NULL) == -AX_ENOENT, "no load addr");
            continue;
        }
        check(in_ram(img->load_addr), "load address in RAM");
        /* Sizes around the room left in the region. */
        int r = vmconfig_find_ram(&cfg, img->load_addr, 0);
        check(r >= 0, "load region");
        uint64_t room = cfg.regions[r].size - (img->load_addr - cfg.regions[r].gpa);
        check(vmconfig_check_image(&cfg, k, room, NULL) == 0, "image fits exactly");
        if (room < UINT64_MAX) {
            struct vmconfig_errors e = { 0 };
            check(vmconfig_check_image(&cfg, k, room + 1, &e) == -AX_ERANGE, "image too big");
            check(e.count == 1 && strstr(e.msg[0], "larger than its region"), "image message");
        }
        uint64_t any = 0;
        memcpy(&any, data, size < sizeof(any) ? size : sizeof(any));
        int rc = vmconfig_check_image(&cfg, k, any, NULL);
        check(rc == (any <= room ? 0 : -AX_ERANGE), "image check consistent");
    }
    /* Layout with input-derived sizes: success means fits and disjoint. */
    uint64_t sizes[VM_IMG_COUNT] = { 0 };
    for (int k = 0; k < VM_IMG_COUNT && size >= (size_t)(k + 1) * 4; k++)
        sizes[k] = (uint64_t)data[size - 1 - k] << (data[k] % 40);
    struct vmconfig_errors le = { 0 };
    if (vmconfig_check_layout(&cfg, sizes, &le) == 0) {
        for (int k = 0; k < VM_IMG_COUNT; k++) {
            if (!sizes[k] || !cfg.images[k].has_load_addr)
                continue;
            check(vmconfig_find_ram(&cfg, cfg.images[k].load_addr, sizes[k]) >= 0, "layout fits");
            for (int j = 0; j < k; j++) {
                if (sizes[j] && cfg.images[j].has_load_addr)
                    check(!overlap(cfg.images[k].load_addr, sizes[k], cfg.images[j].load_addr,
                                   sizes[j]), "layout disjoint");
            }
        }
    } else {
        check(le.count >= 1, "layout error reported");
    }
    check(cfg.emu_num <= VMCONFIG_MAX_EMU_DEVS, "emu count");
    for (uint32_t i = 0; i < cfg.emu_num; i++) {
        const struct vm_emu_device *d = &cfg.emu_devices[i];
        check(terminated(d->name, sizeof(d->name)) && d->name[0], "emu name");
        check(vmconfig_emu_type_name(d->type) != NULL, "emu type known");
        check(d->cfg_num <= VMCONFIG_MAX_EMU_CFG, "emu cfg count");
        check(d->size && d->gpa + (d->size - 1) >= d->gpa, "emu window");
        for (uint32_t j = 0; j < cfg.region_num; j++) {
            const struct vm_mem_region *r = &cfg.regions[j];
            if (!(r->flags & VM_MEM_DEVICE))
                check(!overlap(d->gpa, d->size, r->gpa, r->size), "emu outside RAM");
        }
        for (uint32_t j = 0; j < i; j++)
            check(!overlap(d->gpa, d->size, cfg.emu_devices[j].gpa, cfg.emu_devices[j].size),
                  "emu windows disjoint");
    }
    check(cfg.pt_dev_num <= VMCONFIG_MAX_PT_DEVS, "pt count");
    for (uint32_t i = 0; i < cfg.pt_dev_num; i++) {
        const struct vm_pt_device *d = &cfg.pt_devices[i];
        check(terminated(d->name, sizeof(d->name)) && d->name[0], "pt name");
        check(!d->from_dtb || d->name[0] == '/', "pt dtb path");
    }
    check(cfg.pt_addr_num <= VMCONFIG_MAX_PT_ADDRS, "pt addr count");
    check(cfg.excluded_num <= VMCONFIG_MAX_EXCLUDED, "excluded count");
    for (uint32_t i = 0; i < cfg.excluded_num; i++)
        check(cfg.excluded[i][0] == '/' && terminated(cfg.excluded[i], VMCONFIG_PATH_LEN),
              "excluded path");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct toml_arena arena;
    toml_arena_init(&arena, arena_mem, sizeof(arena_mem));
    memset(&errs, 0, sizeof(errs));
    int rc = vmconfig_parse("fuzz.toml", (const char *)data, size, &arena, &cfg, &errs);
    check(terminated(cfg.source, sizeof(cfg.source)), "source terminated");
    if (rc == 0) {
        check(errs.total == 0 && errs.count == 0, "no errors on success");
        check_accepted(data, size);
        return 0;
    }
    check(rc == -AX_EINVAL || rc == -AX_ENOMEM, "known return code");
    check(errs.count >= 1 && errs.count <= VMCONFIG_MAX_ERRORS && errs.total >= errs.count,
          "error counts");
    for (unsigned i = 0; i < errs.count; i++) {
        check(terminated(errs.msg[i], VMCONFIG_ERR_LEN), "message terminated");
        check(strncmp(errs.msg[i], "fuzz.toml", 9) == 0, "message names the file");
    }
    return 0;
}
