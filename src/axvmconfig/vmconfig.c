/* AxVisor VM config schema: TOML tree -> struct vm_config, with validation.
 *
 * Two phases: the structural pass walks the tree, checks every key's
 * presence, type, range and length and fills the struct, collecting all
 * errors; the cross-field pass (regions, addresses, device windows) runs
 * only on a structurally clean config so its messages are never
 * consequences of an earlier mistake. */
#include "ax/vmconfig.h"

#include "ax/string.h"

#define ULL(x) ((unsigned long long)(x))

/* Lines of nodes the cross-field pass reports on. */
struct lines {
    uint32_t kernel, regions_key, entry;
    uint32_t load[VM_IMG_COUNT];
    uint32_t region[VMCONFIG_MAX_REGIONS];
    uint32_t emu[VMCONFIG_MAX_EMU_DEVS];
    uint32_t pt_dev[VMCONFIG_MAX_PT_DEVS];
    uint32_t pt_addr[VMCONFIG_MAX_PT_ADDRS];
};

struct ctx {
    const char *file;
    struct vmconfig_errors *errs;
    struct vm_config *cfg;
    unsigned nerr;
    struct lines ln;
};

static const char *const image_names[VM_IMG_COUNT] = { "kernel", "dtb", "ramdisk", "bios" };

/* --------------------------------------------------------------- errors */

static void errs_store(struct vmconfig_errors *errs, const char *fmt, va_list ap)
{
    if (!errs)
        return;
    if (errs->count < VMCONFIG_MAX_ERRORS)
        toml_vformat(errs->msg[errs->count++], VMCONFIG_ERR_LEN, fmt, ap);
    errs->total++;
}

void vmconfig_add_error(struct vmconfig_errors *errs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errs_store(errs, fmt, ap);
    va_end(ap);
}

static void err_at(struct ctx *c, uint32_t line, const char *key, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

/* "FILE:LINE: KEY: message" (LINE omitted when unknown). */
static void err_at(struct ctx *c, uint32_t line, const char *key, const char *fmt, ...)
{
    char msg[VMCONFIG_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    toml_vformat(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->nerr++;
    if (line)
        vmconfig_add_error(c->errs, "%s:%u: %s: %s", c->file, line, key, msg);
    else
        vmconfig_add_error(c->errs, "%s: %s: %s", c->file, key, msg);
}

static const char *article(int type)
{
    switch (type) {
    case TOML_TABLE: return "a table";
    case TOML_ARRAY: return "an array";
    case TOML_STRING: return "a string";
    case TOML_INT: return "an integer";
    case TOML_BOOL: return "a boolean";
    default: return "a value";
    }
}

static void err_type(struct ctx *c, const struct toml_node *n, const char *key,
                     const char *expected)
{
    err_at(c, n->line, key, "expected %s, found %s", expected, toml_type_name(n->type));
}

/* A path like "kernel.memory_regions[3].size" into buf. */
static const char *keyf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
static const char *keyf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    toml_vformat(buf, size, fmt, ap);
    va_end(ap);
    return buf;
}

/* -------------------------------------------------------- typed getters */

/* Entry `key` of table t if present and of the wanted type. Reports a
 * missing required key at the table's line. */
static const struct toml_node *field(struct ctx *c, const struct toml_node *t, const char *tname,
                                     const char *key, int type, bool required)
{
    char path[64];
    if (tname[0])
        keyf(path, sizeof(path), "%s.%s", tname, key);
    else
        keyf(path, sizeof(path), "%s", key);
    const struct toml_node *n = toml_table_get(t, key);
    if (!n) {
        if (required)
            err_at(c, t->line, path, "missing required key (expected %s)", article(type));
        return NULL;
    }
    if (n->type != type) {
        err_type(c, n, path, article(type));
        return NULL;
    }
    return n;
}

/* A non-negative integer. */
static bool as_u64(struct ctx *c, const struct toml_node *n, const char *key, uint64_t *out)
{
    if (n->type != TOML_INT) {
        err_type(c, n, key, "an integer");
        return false;
    }
    if (toml_as_u64(n, out)) {
        err_at(c, n->line, key, "expected a non-negative integer, found %lld",
               (long long)n->v.bits);
        return false;
    }
    return true;
}

static bool as_u64_max(struct ctx *c, const struct toml_node *n, const char *key, uint64_t max,
                       uint64_t *out)
{
    if (!as_u64(c, n, key, out))
        return false;
    if (*out > max) {
        err_at(c, n->line, key, "expected an integer in 0..%llu, found %llu", ULL(max),
               ULL(*out));
        return false;
    }
    return true;
}

static bool as_u32(struct ctx *c, const struct toml_node *n, const char *key, uint32_t *out)
{
    uint64_t v;
    if (!as_u64_max(c, n, key, UINT32_MAX, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* Copies a string node into a fixed buffer of cap bytes (NUL included). */
static bool copy_str(struct ctx *c, const struct toml_node *n, const char *key, char *dst,
                     size_t cap, bool nonempty)
{
    if (n->type != TOML_STRING) {
        err_type(c, n, key, "a string");
        return false;
    }
    size_t len = n->v.str.len;
    if (memchr(n->v.str.ptr, 0, len)) {
        err_at(c, n->line, key, "expected a string without NUL characters");
        return false;
    }
    if (len >= cap) {
        err_at(c, n->line, key, "string too long (%zu bytes, at most %zu)", len, cap - 1);
        return false;
    }
    if (nonempty && len == 0) {
        err_at(c, n->line, key, "expected a non-empty string");
        return false;
    }
    memcpy(dst, n->v.str.ptr, len);
    dst[len] = '\0';
    return true;
}

static bool str_is(const struct toml_node *n, const char *s)
{
    size_t l = strlen(s);
    return n->v.str.len == l && memcmp(n->v.str.ptr, s, l) == 0;
}

/* "an array of 3 elements" / "integer": what a tuple-like entry really was. */
static const char *found_shape(const struct toml_node *n, char *buf, size_t size)
{
    if (n->type != TOML_ARRAY)
        return toml_type_name(n->type);
    size_t len = toml_len(n);
    toml_format(buf, size, "an array of %zu element%s", len, len == 1 ? "" : "s");
    return buf;
}

/* Array entries of `key` up to a capacity; reports an overfull array. */
static const struct toml_node *array_field(struct ctx *c, const struct toml_node *t,
                                           const char *tname, const char *key, bool required,
                                           size_t cap, const char *what)
{
    const struct toml_node *a = field(c, t, tname, key, TOML_ARRAY, required);
    if (a && toml_len(a) > cap) {
        char path[64];
        keyf(path, sizeof(path), "%s.%s", tname, key);
        err_at(c, a->line, path, "too many %s (%zu, at most %zu)", what, toml_len(a), cap);
        return NULL;
    }
    return a;
}

/* ---------------------------------------------------------- unknown keys */

static size_t edit_distance(const char *a, size_t al, const char *b, size_t bl)
{
    enum { MAXL = 32 };
    size_t row[MAXL + 1];
    if (al > MAXL || bl > MAXL)
        return (size_t)-1;
    for (size_t j = 0; j <= bl; j++)
        row[j] = j;
    for (size_t i = 1; i <= al; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= bl; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = MIN(best, up + 1);
            best = MIN(best, row[j - 1] + 1);
            row[j] = best;
            diag = up;
        }
    }
    return row[bl];
}

/* Every key of t must be in allowed (NULL-terminated). */
static void check_keys(struct ctx *c, const struct toml_node *t, const char *tname,
                       const char *const *allowed)
{
    for (const struct toml_node *n = toml_first(t); n; n = toml_next(n)) {
        const char *best = NULL;
        size_t best_d = 3; /* suggest only close matches */
        bool known = false;
        for (const char *const *a = allowed; *a; a++) {
            size_t al = strlen(*a);
            if (al == n->key_len && memcmp(*a, n->key, al) == 0) {
                known = true;
                break;
            }
            size_t d = edit_distance(n->key, n->key_len, *a, al);
            if (d < best_d) {
                best_d = d;
                best = *a;
            }
        }
        if (known)
            continue;
        char rk[64], path[96];
        toml_key_repr(rk, sizeof(rk), n->key, n->key_len);
        if (tname)
            keyf(path, sizeof(path), "%s.%s", tname, rk);
        else
            keyf(path, sizeof(path), "%s", rk);
        if (best)
            err_at(c, n->line, path, "unknown key (did you mean '%s'?)", best);
        else if (tname)
            err_at(c, n->line, path, "unknown key (not part of the [%s] schema)", tname);
        else
            err_at(c, n->line, path, "unknown table (expected [base], [kernel] or [devices])");
    }
}

/* ------------------------------------------------------------------ base */

static void parse_cpu_list(struct ctx *c, const struct toml_node *t, const char *key,
                           uint64_t *dst, bool *has, bool masks)
{
    char path[64], ek[80];
    const struct toml_node *a = field(c, t, "base", key, TOML_ARRAY, false);
    if (!a)
        return;
    keyf(path, sizeof(path), "base.%s", key);
    size_t len = toml_len(a);
    uint32_t cpus = c->cfg->cpu_num;
    if (cpus && len != cpus) {
        err_at(c, a->line, path, "expected %u entr%s (one per vCPU, cpu_num = %u), found %zu",
               cpus, cpus == 1 ? "y" : "ies", cpus, len);
        return;
    }
    if (len > AX_MAX_CPUS) /* only reachable when cpu_num itself was bad */
        return;
    size_t i = 0;
    bool ok = true;
    for (const struct toml_node *e = toml_first(a); e; e = toml_next(e), i++) {
        keyf(ek, sizeof(ek), "%s[%zu]", path, i);
        if (!as_u64(c, e, ek, &dst[i])) {
            ok = false;
            continue;
        }
        if (masks && dst[i] == 0) {
            err_at(c, e->line, ek, "expected a non-zero mask of physical CPUs, found 0");
            ok = false;
        } else if (masks && (dst[i] >> AX_MAX_CPUS)) {
            err_at(c, e->line, ek, "expected a mask of physical CPUs below %d, found 0x%llx",
                   AX_MAX_CPUS, ULL(dst[i]));
            ok = false;
        }
    }
    *has = ok;
}

static void parse_base(struct ctx *c, const struct toml_node *t)
{
    static const char *const keys[] = { "id", "name", "vm_type", "cpu_num", "phys_cpu_ids",
                                         "phys_cpu_sets", NULL };
    struct vm_config *cfg = c->cfg;
    const struct toml_node *n;
    uint64_t v;
    check_keys(c, t, "base", keys);
    if ((n = field(c, t, "base", "id", TOML_INT, true)))
        as_u64(c, n, "base.id", &cfg->id);
    if ((n = field(c, t, "base", "name", TOML_STRING, true)))
        copy_str(c, n, "base.name", cfg->name, sizeof(cfg->name), true);
    if ((n = field(c, t, "base", "vm_type", TOML_INT, true)) && as_u64(c, n, "base.vm_type", &v)) {
        if (v > VM_TYPE_LINUX)
            err_at(c, n->line, "base.vm_type",
                   "expected 0 (host), 1 (RTOS / bare metal) or 2 (Linux), found %llu", ULL(v));
        else
            cfg->vm_type = (uint32_t)v;
    }
    if ((n = field(c, t, "base", "cpu_num", TOML_INT, true)) && as_u64(c, n, "base.cpu_num", &v)) {
        if (v < 1 || v > AX_MAX_CPUS)
            err_at(c, n->line, "base.cpu_num", "expected 1..%d vCPUs, found %llu", AX_MAX_CPUS,
                   ULL(v));
        else
            cfg->cpu_num = (uint32_t)v;
    }
    parse_cpu_list(c, t, "phys_cpu_ids", cfg->phys_cpu_ids, &cfg->has_phys_cpu_ids, false);
    parse_cpu_list(c, t, "phys_cpu_sets", cfg->phys_cpu_sets, &cfg->has_phys_cpu_sets, true);
}

/* ---------------------------------------------------------------- kernel */

static void parse_region(struct ctx *c, const struct toml_node *e, size_t i)
{
    static const char *const fields[4] = { "gpa", "size", "flags", "map_type" };
    char path[64], fk[80], shape[40];
    struct vm_mem_region *r = &c->cfg->regions[i];
    uint64_t v[4];
    keyf(path, sizeof(path), "kernel.memory_regions[%zu]", i);
    c->ln.region[i] = e->line;
    if (e->type != TOML_ARRAY || toml_len(e) != 4) {
        err_at(c, e->line, path, "expected [gpa, size, flags, map_type], found %s",
               found_shape(e, shape, sizeof(shape)));
        return;
    }
    size_t k = 0;
    bool ok = true;
    for (const struct toml_node *x = toml_first(e); x; x = toml_next(x), k++)
        ok &= as_u64(c, x, keyf(fk, sizeof(fk), "%s.%s", path, fields[k]), &v[k]);
    if (!ok)
        return;
    r->gpa = v[0];
    r->size = v[1];
    if (v[2] & ~(uint64_t)VM_MEM_FLAGS_ALL) {
        err_at(c, e->line, keyf(fk, sizeof(fk), "%s.flags", path),
               "expected a combination of R=0x1 W=0x2 X=0x4 U=0x8 DEVICE=0x10, found 0x%llx",
               ULL(v[2]));
    }
    if (v[3] > VM_MAP_RESERVED) {
        err_at(c, e->line, keyf(fk, sizeof(fk), "%s.map_type", path),
               "expected 0 (alloc), 1 (identical) or 2 (reserved), found %llu", ULL(v[3]));
    }
    r->flags = (uint32_t)(v[2] & VM_MEM_FLAGS_ALL);
    r->map_type = (uint32_t)MIN(v[3], (uint64_t)VM_MAP_RESERVED);
}

/* One image: path and load address are optional individually, but a path
 * needs a load address to be placed. */
static void parse_image(struct ctx *c, const struct toml_node *t, enum vm_image_kind k,
                        const char *path_key, const char *addr_key, bool required)
{
    struct vm_image *img = &c->cfg->images[k];
    const struct toml_node *p = field(c, t, "kernel", path_key, TOML_STRING, required);
    const struct toml_node *a = field(c, t, "kernel", addr_key, TOML_INT, required);
    char key[64];
    if (p) {
        keyf(key, sizeof(key), "kernel.%s", path_key);
        img->has_path = copy_str(c, p, key, img->path, sizeof(img->path), true);
    }
    if (a) {
        keyf(key, sizeof(key), "kernel.%s", addr_key);
        img->has_load_addr = as_u64(c, a, key, &img->load_addr);
        c->ln.load[k] = a->line;
    }
    if (p && !a && !required) {
        keyf(key, sizeof(key), "kernel.%s", addr_key);
        err_at(c, p->line, key, "missing required key (expected an integer since kernel.%s is set)",
               path_key);
    }
}

static void parse_kernel(struct ctx *c, const struct toml_node *t)
{
    static const char *const keys[] = {
        "entry_point", "image_location", "kernel_path", "kernel_load_addr", "dtb_path",
        "dtb_load_addr", "ramdisk_path", "ramdisk_load_addr", "bios_path", "bios_load_addr",
        "cmdline", "disk_path", "memory_regions", NULL,
    };
    struct vm_config *cfg = c->cfg;
    const struct toml_node *n;
    char shown[64];
    check_keys(c, t, "kernel", keys);
    c->ln.kernel = t->line;
    if ((n = field(c, t, "kernel", "entry_point", TOML_INT, true))) {
        as_u64(c, n, "kernel.entry_point", &cfg->entry_point);
        c->ln.entry = n->line;
    }
    cfg->image_location = VM_IMAGE_IN_FS; /* AxVisor's default */
    if ((n = field(c, t, "kernel", "image_location", TOML_STRING, false))) {
        if (str_is(n, "memory"))
            cfg->image_location = VM_IMAGE_IN_MEMORY;
        else if (!str_is(n, "fs"))
            err_at(c, n->line, "kernel.image_location",
                   "expected \"memory\" or \"fs\", found \"%s\"",
                   toml_key_repr(shown, sizeof(shown), n->v.str.ptr, n->v.str.len));
    }
    parse_image(c, t, VM_IMG_KERNEL, "kernel_path", "kernel_load_addr", true);
    parse_image(c, t, VM_IMG_DTB, "dtb_path", "dtb_load_addr", false);
    parse_image(c, t, VM_IMG_RAMDISK, "ramdisk_path", "ramdisk_load_addr", false);
    parse_image(c, t, VM_IMG_BIOS, "bios_path", "bios_load_addr", false);
    if ((n = field(c, t, "kernel", "cmdline", TOML_STRING, false)))
        cfg->has_cmdline = copy_str(c, n, "kernel.cmdline", cfg->cmdline, sizeof(cfg->cmdline),
                                    false);
    if ((n = field(c, t, "kernel", "disk_path", TOML_STRING, false)))
        cfg->has_disk_path = copy_str(c, n, "kernel.disk_path", cfg->disk_path,
                                      sizeof(cfg->disk_path), true);
    n = array_field(c, t, "kernel", "memory_regions", true, VMCONFIG_MAX_REGIONS,
                    "memory regions");
    if (n) {
        size_t i = 0;
        c->ln.regions_key = n->line;
        for (const struct toml_node *e = toml_first(n); e; e = toml_next(e))
            parse_region(c, e, i++);
        cfg->region_num = (uint32_t)i;
    }
}

/* --------------------------------------------------------------- devices */

static void parse_emu_device(struct ctx *c, const struct toml_node *e, size_t i)
{
    char path[64], fk[80], shape[40];
    struct vm_emu_device *d = &c->cfg->emu_devices[i];
    keyf(path, sizeof(path), "devices.emu_devices[%zu]", i);
    c->ln.emu[i] = e->line;
    if (e->type != TOML_ARRAY || toml_len(e) != 6) {
        err_at(c, e->line, path, "expected [name, gpa, size, irq, type, [cfg...]], found %s",
               found_shape(e, shape, sizeof(shape)));
        return;
    }
    const struct toml_node *x = toml_first(e);
    copy_str(c, x, keyf(fk, sizeof(fk), "%s.name", path), d->name, sizeof(d->name), true);
    x = toml_next(x);
    as_u64(c, x, keyf(fk, sizeof(fk), "%s.gpa", path), &d->gpa);
    x = toml_next(x);
    as_u64(c, x, keyf(fk, sizeof(fk), "%s.size", path), &d->size);
    x = toml_next(x);
    as_u32(c, x, keyf(fk, sizeof(fk), "%s.irq", path), &d->irq);
    x = toml_next(x);
    keyf(fk, sizeof(fk), "%s.type", path);
    if (as_u32(c, x, fk, &d->type) && !vmconfig_emu_type_name(d->type))
        err_at(c, x->line, fk,
               "unknown emulated device type 0x%x (expected 0x0, 0x1, 0x2, 0xa, 0x20-0x22, "
               "0x30 or 0xe1-0xe3)", d->type);
    x = toml_next(x);
    keyf(fk, sizeof(fk), "%s.cfg", path);
    if (x->type != TOML_ARRAY) {
        err_type(c, x, fk, "an array of integers");
        return;
    }
    if (toml_len(x) > VMCONFIG_MAX_EMU_CFG) {
        err_at(c, x->line, fk, "too many config values (%zu, at most %d)", toml_len(x),
               VMCONFIG_MAX_EMU_CFG);
        return;
    }
    size_t k = 0;
    for (const struct toml_node *v = toml_first(x); v; v = toml_next(v), k++)
        as_u64(c, v, keyf(fk, sizeof(fk), "%s.cfg[%zu]", path, k), &d->cfg[k]);
    d->cfg_num = (uint32_t)k;
}

static bool copy_dtb_path(struct ctx *c, const struct toml_node *n, const char *key, char *dst)
{
    if (!copy_str(c, n, key, dst, VMCONFIG_PATH_LEN, true))
        return false;
    if (dst[0] != '/') {
        char shown[64];
        err_at(c, n->line, key, "expected a device-tree path starting with '/', found \"%s\"",
               toml_key_repr(shown, sizeof(shown), dst, strlen(dst)));
        return false;
    }
    return true;
}

static void parse_pt_device(struct ctx *c, const struct toml_node *e, size_t i)
{
    char path[64], fk[80], shape[40];
    struct vm_pt_device *d = &c->cfg->pt_devices[i];
    keyf(path, sizeof(path), "devices.passthrough_devices[%zu]", i);
    c->ln.pt_dev[i] = e->line;
    size_t len = e->type == TOML_ARRAY ? toml_len(e) : 0;
    if (len != 1 && len != 5) {
        err_at(c, e->line, path,
               "expected [name, gpa, hpa, size, irq] or [\"/dtb/path\"], found %s",
               found_shape(e, shape, sizeof(shape)));
        return;
    }
    const struct toml_node *x = toml_first(e);
    if (len == 1) {
        d->from_dtb = true;
        copy_dtb_path(c, x, path, d->name);
        return;
    }
    copy_str(c, x, keyf(fk, sizeof(fk), "%s.name", path), d->name, sizeof(d->name), true);
    x = toml_next(x);
    as_u64(c, x, keyf(fk, sizeof(fk), "%s.gpa", path), &d->gpa);
    x = toml_next(x);
    as_u64(c, x, keyf(fk, sizeof(fk), "%s.hpa", path), &d->hpa);
    x = toml_next(x);
    as_u64(c, x, keyf(fk, sizeof(fk), "%s.size", path), &d->size);
    x = toml_next(x);
    as_u32(c, x, keyf(fk, sizeof(fk), "%s.irq", path), &d->irq);
}

static void parse_pt_address(struct ctx *c, const struct toml_node *e, size_t i)
{
    char path[64], fk[80], shape[40];
    struct vm_pt_address *a = &c->cfg->pt_addrs[i];
    keyf(path, sizeof(path), "devices.passthrough_addresses[%zu]", i);
    c->ln.pt_addr[i] = e->line;
    if (e->type != TOML_ARRAY || toml_len(e) != 2) {
        err_at(c, e->line, path, "expected [gpa, size], found %s",
               found_shape(e, shape, sizeof(shape)));
        return;
    }
    as_u64(c, toml_first(e), keyf(fk, sizeof(fk), "%s.gpa", path), &a->gpa);
    as_u64(c, toml_at(e, 1), keyf(fk, sizeof(fk), "%s.size", path), &a->size);
}

static void parse_excluded(struct ctx *c, const struct toml_node *e, size_t i)
{
    char path[64], shape[40];
    keyf(path, sizeof(path), "devices.excluded_devices[%zu]", i);
    if (e->type != TOML_ARRAY || toml_len(e) != 1) {
        err_at(c, e->line, path, "expected [\"/dtb/path\"], found %s",
               found_shape(e, shape, sizeof(shape)));
        return;
    }
    copy_dtb_path(c, toml_first(e), path, c->cfg->excluded[i]);
}

static void parse_irq_mode(struct ctx *c, const struct toml_node *n)
{
    static const struct {
        const char *name;
        uint32_t mode;
    } modes[] = {
        { "no_irq", VM_IRQ_NONE },         { "no", VM_IRQ_NONE },
        { "none", VM_IRQ_NONE },           { "emulated", VM_IRQ_EMULATED },
        { "emu", VM_IRQ_EMULATED },        { "passthrough", VM_IRQ_PASSTHROUGH },
        { "pt", VM_IRQ_PASSTHROUGH },
    };
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        if (str_is(n, modes[i].name)) {
            c->cfg->irq_mode = modes[i].mode;
            return;
        }
    }
    char shown[64];
    err_at(c, n->line, "devices.interrupt_mode",
           "expected \"no_irq\", \"emulated\" or \"passthrough\" (or \"no\", \"none\", \"emu\", "
           "\"pt\"), found \"%s\"",
           toml_key_repr(shown, sizeof(shown), n->v.str.ptr, n->v.str.len));
}

static void parse_devices(struct ctx *c, const struct toml_node *t)
{
    static const char *const keys[] = { "emu_devices", "passthrough_devices",
                                        "passthrough_addresses", "excluded_devices",
                                        "interrupt_mode", NULL };
    struct vm_config *cfg = c->cfg;
    const struct toml_node *n;
    size_t i;
    check_keys(c, t, "devices", keys);
    n = array_field(c, t, "devices", "emu_devices", false, VMCONFIG_MAX_EMU_DEVS,
                    "emulated devices");
    i = 0;
    for (const struct toml_node *e = toml_first(n); e; e = toml_next(e))
        parse_emu_device(c, e, i++);
    cfg->emu_num = (uint32_t)i;
    n = array_field(c, t, "devices", "passthrough_devices", false, VMCONFIG_MAX_PT_DEVS,
                    "passthrough devices");
    i = 0;
    for (const struct toml_node *e = toml_first(n); e; e = toml_next(e))
        parse_pt_device(c, e, i++);
    cfg->pt_dev_num = (uint32_t)i;
    n = array_field(c, t, "devices", "passthrough_addresses", false, VMCONFIG_MAX_PT_ADDRS,
                    "passthrough addresses");
    i = 0;
    for (const struct toml_node *e = toml_first(n); e; e = toml_next(e))
        parse_pt_address(c, e, i++);
    cfg->pt_addr_num = (uint32_t)i;
    n = array_field(c, t, "devices", "excluded_devices", false, VMCONFIG_MAX_EXCLUDED,
                    "excluded devices");
    i = 0;
    for (const struct toml_node *e = toml_first(n); e; e = toml_next(e))
        parse_excluded(c, e, i++);
    cfg->excluded_num = (uint32_t)i;
    if ((n = field(c, t, "devices", "interrupt_mode", TOML_STRING, false)))
        parse_irq_mode(c, n);
}

/* ------------------------------------------------------ cross-field pass */

static bool is_ram(const struct vm_mem_region *r)
{
    return !(r->flags & VM_MEM_DEVICE);
}

/* Inclusive last address; false if [base, base + size) is empty or wraps. */
static bool range_last(uint64_t base, uint64_t size, uint64_t *last)
{
    if (size == 0)
        return false;
    *last = base + (size - 1);
    return *last >= base;
}

static bool ranges_overlap(uint64_t a, uint64_t a_last, uint64_t b, uint64_t b_last)
{
    return a <= b_last && b <= a_last;
}

int vmconfig_find_ram(const struct vm_config *cfg, uint64_t addr, uint64_t size)
{
    uint64_t need_last = addr;
    if (size && !range_last(addr, size, &need_last))
        return -1;
    for (uint32_t i = 0; i < cfg->region_num && i < VMCONFIG_MAX_REGIONS; i++) {
        const struct vm_mem_region *r = &cfg->regions[i];
        uint64_t last;
        if (is_ram(r) && range_last(r->gpa, r->size, &last) && addr >= r->gpa &&
            need_last <= last)
            return (int)i;
    }
    return -1;
}

static void validate_regions(struct ctx *c)
{
    const struct vm_config *cfg = c->cfg;
    char key[64];
    if (cfg->region_num == 0) {
        err_at(c, c->ln.regions_key, "kernel.memory_regions",
               "expected at least one memory region");
        return;
    }
    for (uint32_t i = 0; i < cfg->region_num; i++) {
        const struct vm_mem_region *r = &cfg->regions[i];
        uint64_t last;
        keyf(key, sizeof(key), "kernel.memory_regions[%u]", i);
        if (r->size == 0) {
            err_at(c, c->ln.region[i], key, "expected a non-zero size");
            continue;
        }
        if (!IS_ALIGNED(r->gpa, PAGE_SIZE) || !IS_ALIGNED(r->size, PAGE_SIZE)) {
            err_at(c, c->ln.region[i], key,
                   "expected gpa and size aligned to 0x%lx, found gpa 0x%llx size 0x%llx",
                   (unsigned long)PAGE_SIZE, ULL(r->gpa), ULL(r->size));
            continue;
        }
        if (!range_last(r->gpa, r->size, &last)) {
            err_at(c, c->ln.region[i], key,
                   "region 0x%llx + 0x%llx wraps around the end of the address space",
                   ULL(r->gpa), ULL(r->size));
            continue;
        }
        if (!(r->flags & (VM_MEM_READ | VM_MEM_WRITE | VM_MEM_EXECUTE)))
            err_at(c, c->ln.region[i], key,
                   "expected flags granting access (R=0x1 W=0x2 X=0x4), found 0x%x", r->flags);
        for (uint32_t j = 0; j < i; j++) {
            const struct vm_mem_region *o = &cfg->regions[j];
            uint64_t olast;
            if (range_last(o->gpa, o->size, &olast) && ranges_overlap(r->gpa, last, o->gpa, olast))
                err_at(c, c->ln.region[i], key,
                       "[0x%llx, 0x%llx] overlaps memory_regions[%u] [0x%llx, 0x%llx]",
                       ULL(r->gpa), ULL(last), j, ULL(o->gpa), ULL(olast));
        }
    }
}

static void validate_addresses(struct ctx *c)
{
    const struct vm_config *cfg = c->cfg;
    char key[64];
    if (vmconfig_find_ram(cfg, cfg->entry_point, 0) < 0)
        err_at(c, c->ln.entry, "kernel.entry_point",
               "0x%llx is not inside a RAM region of kernel.memory_regions",
               ULL(cfg->entry_point));
    for (int k = 0; k < VM_IMG_COUNT; k++) {
        const struct vm_image *img = &cfg->images[k];
        if (img->has_load_addr && vmconfig_find_ram(cfg, img->load_addr, 0) < 0)
            err_at(c, c->ln.load[k], keyf(key, sizeof(key), "kernel.%s_load_addr", image_names[k]),
                   "0x%llx is not inside a RAM region of kernel.memory_regions",
                   ULL(img->load_addr));
    }
}

static void validate_devices(struct ctx *c)
{
    const struct vm_config *cfg = c->cfg;
    char key[64];
    for (uint32_t i = 0; i < cfg->emu_num; i++) {
        const struct vm_emu_device *d = &cfg->emu_devices[i];
        uint64_t last;
        keyf(key, sizeof(key), "devices.emu_devices[%u]", i);
        if (!range_last(d->gpa, d->size, &last)) {
            err_at(c, c->ln.emu[i], key,
                   d->size ? "window 0x%llx + 0x%llx wraps around"
                           : "window 0x%llx + 0x%llx is empty (expected a non-zero size)",
                   ULL(d->gpa), ULL(d->size));
            continue;
        }
        for (uint32_t j = 0; j < cfg->region_num; j++) {
            const struct vm_mem_region *r = &cfg->regions[j];
            uint64_t rlast;
            if (is_ram(r) && range_last(r->gpa, r->size, &rlast) &&
                ranges_overlap(d->gpa, last, r->gpa, rlast))
                err_at(c, c->ln.emu[i], key,
                       "\"%s\" window [0x%llx, 0x%llx] overlaps RAM memory_regions[%u]",
                       d->name, ULL(d->gpa), ULL(last), j);
        }
        for (uint32_t j = 0; j < i; j++) {
            const struct vm_emu_device *o = &cfg->emu_devices[j];
            uint64_t olast;
            if (range_last(o->gpa, o->size, &olast) && ranges_overlap(d->gpa, last, o->gpa, olast))
                err_at(c, c->ln.emu[i], key,
                       "\"%s\" window [0x%llx, 0x%llx] overlaps emu_devices[%u] \"%s\"", d->name,
                       ULL(d->gpa), ULL(last), j, o->name);
        }
    }
    for (uint32_t i = 0; i < cfg->pt_dev_num; i++) {
        const struct vm_pt_device *d = &cfg->pt_devices[i];
        uint64_t last;
        if (d->from_dtb)
            continue;
        keyf(key, sizeof(key), "devices.passthrough_devices[%u]", i);
        if (!range_last(d->gpa, d->size, &last) || !range_last(d->hpa, d->size, &last))
            err_at(c, c->ln.pt_dev[i], key,
                   "expected a non-empty window that does not wrap, found gpa 0x%llx "
                   "hpa 0x%llx size 0x%llx",
                   ULL(d->gpa), ULL(d->hpa), ULL(d->size));
    }
    for (uint32_t i = 0; i < cfg->pt_addr_num; i++) {
        const struct vm_pt_address *a = &cfg->pt_addrs[i];
        uint64_t last;
        keyf(key, sizeof(key), "devices.passthrough_addresses[%u]", i);
        if (!range_last(a->gpa, a->size, &last))
            err_at(c, c->ln.pt_addr[i], key,
                   "expected a non-empty range that does not wrap, found 0x%llx + 0x%llx",
                   ULL(a->gpa), ULL(a->size));
    }
}

/* ------------------------------------------------------------------- API */

static void parse_tree(struct ctx *c, const struct toml_node *root)
{
    static const char *const tables[] = { "base", "kernel", "devices", NULL };
    static const char *const required[] = { "base", "kernel" };
    check_keys(c, root, NULL, tables);
    for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
        if (!toml_table_get(root, required[i]))
            err_at(c, 0, required[i], "missing table [%s]", required[i]);
    }
    const struct toml_node *t;
    if ((t = field(c, root, "", "base", TOML_TABLE, false)))
        parse_base(c, t);
    if ((t = field(c, root, "", "kernel", TOML_TABLE, false)))
        parse_kernel(c, t);
    if ((t = field(c, root, "", "devices", TOML_TABLE, false)))
        parse_devices(c, t);
}

int vmconfig_parse(const char *filename, const char *text, size_t len, struct toml_arena *arena,
                   struct vm_config *out, struct vmconfig_errors *errs)
{
    struct ctx c;
    memset(&c, 0, sizeof(c));
    c.file = filename ? filename : "<config>";
    c.errs = errs;
    c.cfg = out;
    memset(out, 0, sizeof(*out));
    toml_format(out->source, sizeof(out->source), "%s", c.file);

    const struct toml_node *root;
    struct toml_error te;
    int rc = toml_parse(text, len, arena, &root, &te);
    if (rc) {
        if (te.line)
            vmconfig_add_error(errs, "%s:%u:%u: %s", c.file, te.line, te.col, te.msg);
        else
            vmconfig_add_error(errs, "%s: %s", c.file, te.msg);
        return rc;
    }
    parse_tree(&c, root);
    if (c.nerr == 0) {
        validate_regions(&c);
        if (c.nerr == 0)
            validate_addresses(&c);
        validate_devices(&c);
    }
    return c.nerr ? -AX_EINVAL : 0;
}

int vmconfig_check_image(const struct vm_config *cfg, enum vm_image_kind which, uint64_t size,
                         struct vmconfig_errors *errs)
{
    if ((unsigned)which >= VM_IMG_COUNT || !cfg->images[which].has_load_addr)
        return -AX_ENOENT;
    uint64_t load = cfg->images[which].load_addr;
    int r = vmconfig_find_ram(cfg, load, 0);
    if (r < 0) {
        vmconfig_add_error(errs, "%s: kernel.%s_load_addr: 0x%llx is not inside a RAM region",
                           cfg->source, image_names[which], ULL(load));
        return -AX_ERANGE;
    }
    const struct vm_mem_region *reg = &cfg->regions[r];
    uint64_t room = reg->size - (load - reg->gpa);
    if (size > room) {
        vmconfig_add_error(errs,
                           "%s: %s image is larger than its region: %llu bytes at 0x%llx, but "
                           "memory_regions[%d] leaves %llu bytes (ends at 0x%llx)",
                           cfg->source, image_names[which], ULL(size), ULL(load), r, ULL(room),
                           ULL(reg->gpa + (reg->size - 1)));
        return -AX_ERANGE;
    }
    return 0;
}

int vmconfig_check_layout(const struct vm_config *cfg, const uint64_t sizes[VM_IMG_COUNT],
                          struct vmconfig_errors *errs)
{
    int rc = 0;
    for (int k = 0; k < VM_IMG_COUNT; k++) {
        if (sizes[k] && vmconfig_check_image(cfg, k, sizes[k], errs) == -AX_ERANGE)
            rc = -AX_ERANGE;
    }
    if (rc)
        return rc; /* overlaps of images that do not fit would only add noise */
    for (int k = 0; k < VM_IMG_COUNT; k++) {
        const struct vm_image *a = &cfg->images[k];
        if (!sizes[k] || !a->has_load_addr)
            continue;
        for (int j = 0; j < k; j++) {
            const struct vm_image *b = &cfg->images[j];
            if (!sizes[j] || !b->has_load_addr)
                continue;
            /* Both fit their regions, so neither range wraps. */
            uint64_t a_last = a->load_addr + (sizes[k] - 1), b_last = b->load_addr + (sizes[j] - 1);
            if (ranges_overlap(a->load_addr, a_last, b->load_addr, b_last)) {
                vmconfig_add_error(errs, "%s: %s image [0x%llx, 0x%llx] overlaps %s image "
                                         "[0x%llx, 0x%llx]",
                                   cfg->source, image_names[k], ULL(a->load_addr), ULL(a_last),
                                   image_names[j], ULL(b->load_addr), ULL(b_last));
                rc = -AX_ERANGE;
            }
        }
    }
    return rc;
}

const char *vmconfig_image_name(enum vm_image_kind which)
{
    return (unsigned)which < VM_IMG_COUNT ? image_names[which] : "?";
}

const char *vmconfig_vm_type_name(uint32_t vm_type)
{
    switch (vm_type) {
    case VM_TYPE_HOST: return "host";
    case VM_TYPE_RTOS: return "RTOS";
    case VM_TYPE_LINUX: return "Linux";
    default: return "?";
    }
}

const char *vmconfig_irq_mode_name(uint32_t mode)
{
    switch (mode) {
    case VM_IRQ_NONE: return "no_irq";
    case VM_IRQ_EMULATED: return "emulated";
    case VM_IRQ_PASSTHROUGH: return "passthrough";
    default: return "?";
    }
}

const char *vmconfig_emu_type_name(uint32_t type)
{
    switch (type) {
    case EMU_DUMMY: return "dummy";
    case EMU_INTC: return "interrupt-controller";
    case EMU_CONSOLE: return "console";
    case EMU_IVC: return "ivc-channel";
    case EMU_GPPT_GICR: return "gppt-gicr";
    case EMU_GPPT_GICD: return "gppt-gicd";
    case EMU_GPPT_ITS: return "gppt-its";
    case EMU_PLIC: return "plic";
    case EMU_VIRTIO_BLK: return "virtio-blk";
    case EMU_VIRTIO_NET: return "virtio-net";
    case EMU_VIRTIO_CONSOLE: return "virtio-console";
    default: return NULL;
    }
}
