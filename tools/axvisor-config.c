/* axvisor-config: host-side checker for AxVisor VM configs.
 *
 *   axvisor-config check FILE...   validate; print a one-paragraph summary
 *                                  per good file (exit 0) or every error
 *                                  (exit 1). Missing "memory" images are
 *                                  warnings; an image too large for its
 *                                  region, or overlapping another image,
 *                                  is an error.
 *   axvisor-config images FILE     for image_location = "memory", print
 *                                  "kind<TAB>path<TAB>load_addr" per image
 *                                  to embed (paths relative to the config's
 *                                  directory are joined with it); exit 1 if
 *                                  the config is bad or an image is missing,
 *                                  larger than its region or overlapping
 *                                  another image.
 *
 * Uses the same parser and schema code as the hypervisor (built with
 * -DAX_HOST), so a config accepted here is accepted at run time. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ax/vmconfig.h"

#define ARENA_SIZE (1u << 20)
#define MAX_CONFIG_SIZE (4u << 20)

static void usage(FILE *f)
{
    fprintf(f, "usage: axvisor-config check FILE...\n"
               "       axvisor-config images FILE\n");
}

/* Reads a whole file; NULL (with a message) on failure. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open: ", path);
        perror(NULL);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            char *nb = cap < MAX_CONFIG_SIZE ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                fprintf(stderr, "%s: file too large (limit %u bytes)\n", path, MAX_CONFIG_SIZE);
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "%s: read error\n", path);
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Parses and validates; prints errors. Returns 0 when the config is good. */
static int load_config(const char *path, struct vm_config *cfg, struct vmconfig_errors *errs)
{
    size_t len;
    char *text = slurp(path, &len);
    if (!text)
        return -1;
    void *mem = malloc(ARENA_SIZE);
    if (!mem) {
        free(text);
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    struct toml_arena arena;
    toml_arena_init(&arena, mem, ARENA_SIZE);
    memset(errs, 0, sizeof(*errs));
    int rc = vmconfig_parse(path, text, len, &arena, cfg, errs);
    free(mem);
    free(text);
    if (rc) {
        for (unsigned i = 0; i < errs->count; i++)
            fprintf(stderr, "%s\n", errs->msg[i]);
        if (errs->total > errs->count)
            fprintf(stderr, "%s: ... and %u more errors\n", path, errs->total - errs->count);
    }
    return rc;
}

/* dir-of-config joined with a relative image path; absolute paths stay. */
static void image_file(const char *config, const char *img, char *out, size_t size)
{
    const char *slash = strrchr(config, '/');
    if (img[0] == '/' || !slash)
        snprintf(out, size, "%s", img);
    else
        snprintf(out, size, "%.*s/%s", (int)(slash - config), config, img);
}

/* Resolves and sizes every "memory" image: missing ones are reported
 * (as warnings when `warn_only`), then sizes go through
 * vmconfig_check_layout (each fits its region, none overlap). Returns the
 * number of problems that are errors. */
static int check_image_files(const char *config, const struct vm_config *cfg, bool warn_only,
                             char files[VM_IMG_COUNT][4096])
{
    uint64_t sizes[VM_IMG_COUNT] = { 0 };
    struct vmconfig_errors errs = { 0 };
    int bad = 0;
    for (int k = 0; k < VM_IMG_COUNT; k++) {
        struct stat st;
        if (!cfg->images[k].has_path)
            continue;
        image_file(config, cfg->images[k].path, files[k], sizeof(files[k]));
        if (stat(files[k], &st) != 0 || !S_ISREG(st.st_mode)) {
            fprintf(stderr, "%s: %s%s image \"%s\" not found (looked for %s)\n", config,
                    warn_only ? "warning: " : "", vmconfig_image_name(k), cfg->images[k].path,
                    files[k]);
            bad += !warn_only;
            continue;
        }
        /* An empty file still occupies its load address for overlap checks. */
        sizes[k] = st.st_size > 0 ? (uint64_t)st.st_size : 1;
    }
    if (vmconfig_check_layout(cfg, sizes, &errs)) {
        for (unsigned i = 0; i < errs.count; i++)
            fprintf(stderr, "%s\n", errs.msg[i]);
        bad += (int)errs.total;
    }
    return bad;
}

static void print_size(uint64_t v)
{
    if (v && v % GiB(1) == 0)
        printf("%llu GiB", (unsigned long long)(v / GiB(1)));
    else if (v && v % MiB(1) == 0)
        printf("%llu MiB", (unsigned long long)(v / MiB(1)));
    else if (v && v % KiB(1) == 0)
        printf("%llu KiB", (unsigned long long)(v / KiB(1)));
    else
        printf("0x%llx bytes", (unsigned long long)v);
}

static void print_region(const struct vm_mem_region *r)
{
    static const char *const maps[] = { "alloc", "identical", "reserved" };
    printf("0x%llx-0x%llx (", (unsigned long long)r->gpa,
           (unsigned long long)(r->gpa + (r->size - 1)));
    print_size(r->size);
    printf(") %s%s%s%s%s %s", r->flags & VM_MEM_READ ? "R" : "", r->flags & VM_MEM_WRITE ? "W" : "",
           r->flags & VM_MEM_EXECUTE ? "X" : "", r->flags & VM_MEM_USER ? "U" : "",
           r->flags & VM_MEM_DEVICE ? " device" : "", maps[r->map_type % 3]);
}

static void print_list(const char *label, const uint64_t *v, uint32_t n)
{
    printf("%s", label);
    for (uint32_t i = 0; i < n; i++)
        printf(" 0x%llx", (unsigned long long)v[i]);
}

/* A normalized one-paragraph (one-line) description of a good config. */
static void print_summary(const char *path, const struct vm_config *c)
{
    printf("%s: VM %llu \"%s\" (%s), %u vCPU%s", path, (unsigned long long)c->id, c->name,
           vmconfig_vm_type_name(c->vm_type), c->cpu_num, c->cpu_num == 1 ? "" : "s");
    if (c->has_phys_cpu_ids)
        print_list(", phys_cpu_ids", c->phys_cpu_ids, c->cpu_num);
    if (c->has_phys_cpu_sets)
        print_list(", phys_cpu_sets", c->phys_cpu_sets, c->cpu_num);
    const struct vm_image *k = &c->images[VM_IMG_KERNEL];
    printf("; kernel \"%s\" from %s, loaded at 0x%llx, entry 0x%llx", k->path,
           c->image_location == VM_IMAGE_IN_MEMORY ? "memory" : "fs",
           (unsigned long long)k->load_addr, (unsigned long long)c->entry_point);
    for (int i = VM_IMG_DTB; i < VM_IMG_COUNT; i++) {
        const struct vm_image *im = &c->images[i];
        if (im->has_path)
            printf("; %s \"%s\" at 0x%llx", vmconfig_image_name(i), im->path,
                   (unsigned long long)im->load_addr);
        else if (im->has_load_addr)
            printf("; %s (no file) at 0x%llx", vmconfig_image_name(i),
                   (unsigned long long)im->load_addr);
    }
    if (c->has_cmdline)
        printf("; cmdline \"%s\"", c->cmdline);
    if (c->has_disk_path)
        printf("; disk \"%s\"", c->disk_path);
    printf("; %u memory region%s:", c->region_num, c->region_num == 1 ? "" : "s");
    for (uint32_t i = 0; i < c->region_num; i++) {
        printf(i ? ", " : " ");
        print_region(&c->regions[i]);
    }
    printf("; %u emulated device%s", c->emu_num, c->emu_num == 1 ? "" : "s");
    for (uint32_t i = 0; i < c->emu_num; i++) {
        const struct vm_emu_device *d = &c->emu_devices[i];
        printf("%s\"%s\" %s 0x%llx+0x%llx irq %u", i ? ", " : ": ", d->name,
               vmconfig_emu_type_name(d->type), (unsigned long long)d->gpa,
               (unsigned long long)d->size, d->irq);
        if (d->cfg_num)
            print_list(" cfg", d->cfg, d->cfg_num);
    }
    printf("; %u passthrough device%s", c->pt_dev_num, c->pt_dev_num == 1 ? "" : "s");
    for (uint32_t i = 0; i < c->pt_dev_num; i++) {
        const struct vm_pt_device *d = &c->pt_devices[i];
        if (d->from_dtb)
            printf("%s%s (from host DTB)", i ? ", " : ": ", d->name);
        else
            printf("%s\"%s\" 0x%llx->0x%llx+0x%llx irq %u", i ? ", " : ": ", d->name,
                   (unsigned long long)d->gpa, (unsigned long long)d->hpa,
                   (unsigned long long)d->size, d->irq);
    }
    if (c->pt_addr_num) {
        printf("; passthrough addresses");
        for (uint32_t i = 0; i < c->pt_addr_num; i++)
            printf("%s0x%llx+0x%llx", i ? ", " : ": ", (unsigned long long)c->pt_addrs[i].gpa,
                   (unsigned long long)c->pt_addrs[i].size);
    }
    if (c->excluded_num) {
        printf("; excluded");
        for (uint32_t i = 0; i < c->excluded_num; i++)
            printf("%s%s", i ? ", " : ": ", c->excluded[i]);
    }
    printf("; interrupt mode %s.\n", vmconfig_irq_mode_name(c->irq_mode));
}

static int cmd_check(int n, char **paths)
{
    static struct vm_config cfg;
    static struct vmconfig_errors errs;
    static char files[VM_IMG_COUNT][4096];
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (load_config(paths[i], &cfg, &errs)) {
            bad = 1;
            continue;
        }
        /* "fs" images live on the guest disk, not next to the config. */
        if (cfg.image_location == VM_IMAGE_IN_MEMORY &&
            check_image_files(paths[i], &cfg, true, files)) {
            bad = 1;
            continue;
        }
        print_summary(paths[i], &cfg);
    }
    return bad;
}

static int cmd_images(const char *path)
{
    static struct vm_config cfg;
    static struct vmconfig_errors errs;
    static char files[VM_IMG_COUNT][4096];
    if (load_config(path, &cfg, &errs))
        return 1;
    if (cfg.image_location != VM_IMAGE_IN_MEMORY)
        return 0;
    if (check_image_files(path, &cfg, false, files))
        return 1;
    for (int k = 0; k < VM_IMG_COUNT; k++) {
        if (cfg.images[k].has_path)
            printf("%s\t%s\t0x%llx\n", vmconfig_image_name(k), files[k],
                   (unsigned long long)cfg.images[k].load_addr);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "check"))
        return cmd_check(argc - 2, argv + 2);
    if (argc == 3 && !strcmp(argv[1], "images"))
        return cmd_images(argv[2]);
    usage(stderr);
    return 2;
}
