/* Unit tests for the VM config schema (src/axvmconfig/vmconfig.c).
 *
 * Besides inline cases, this runs every file in
 *   configs/vms/examples/ and tests/unit/fixtures/axvisor/  (must parse cleanly)
 *   tests/unit/fixtures/bad/                                  (must fail)
 * A bad fixture lists the exact messages it must produce, in order, as
 * "# expect: ..." lines; the file is parsed under its base name. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/vmconfig.h"

static char arena_mem[128 * 1024];
static struct toml_arena arena;
static struct vm_config cfg;
static struct vmconfig_errors errs;

static int parse_as(const char *name, const char *text, size_t len)
{
    toml_arena_init(&arena, arena_mem, sizeof(arena_mem));
    memset(&errs, 0, sizeof(errs));
    return vmconfig_parse(name, text, len, &arena, &cfg, &errs);
}

static void dump_errors(void)
{
    for (unsigned i = 0; i < errs.count; i++)
        print_error("  %s\n", errs.msg[i]);
}

static void parse_good(const char *text)
{
    int rc = parse_as("t.toml", text, strlen(text));
    if (rc) {
        print_error("unexpected errors for:\n%s\n", text);
        dump_errors();
    }
    assert_int_equal(rc, 0);
    assert_int_equal(errs.total, 0);
}

/* Parsing fails with exactly these messages (NULL-terminated list). */
static void expect_errors(const char *text, ...)
{
    va_list ap;
    int rc = parse_as("t.toml", text, strlen(text));
    unsigned n = 0;
    bool same = rc != 0;
    va_start(ap, text);
    for (const char *m; (m = va_arg(ap, const char *)); n++)
        same = same && n < errs.count && strcmp(errs.msg[n], m) == 0;
    va_end(ap);
    same = same && n == errs.total;
    if (!same) {
        print_error("input:\n%s\nwant:\n", text);
        va_start(ap, text);
        for (const char *m; (m = va_arg(ap, const char *));)
            print_error("  %s\n", m);
        va_end(ap);
        print_error("got (rc %d, %u errors):\n", rc, errs.total);
        dump_errors();
    }
    assert_true(same);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Calls fn(dir, name) for each *.toml in dir (sorted); returns the count. */
static int for_each_toml(const char *dir, void (*fn)(const char *dir, const char *name))
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort), count = 0;
    assert_true(n >= 0);
    for (int i = 0; i < n; i++) {
        size_t l = strlen(list[i]->d_name);
        if (l > 5 && strcmp(list[i]->d_name + l - 5, ".toml") == 0) {
            fn(dir, list[i]->d_name);
            count++;
        }
        free(list[i]);
    }
    free(list);
    return count;
}

/* A minimal valid config; tests splice changes into it. */
static const char minimal[] =
    "[base]\n"
    "id = 7\n"
    "name = \"m\"\n"
    "vm_type = 2\n"
    "cpu_num = 1\n"
    "[kernel]\n"
    "entry_point = 0x8000_1000\n"
    "kernel_path = \"k.bin\"\n"
    "kernel_load_addr = 0x8000_0000\n"
    "memory_regions = [[0x8000_0000, 0x10_0000, 0x7, 0]]\n";

static const char *with(const char *extra)
{
    static char buf[8192];
    snprintf(buf, sizeof(buf), "%s%s", minimal, extra);
    return buf;
}

/* ------------------------------------------------------------------ tests */

static void check_good_file(const char *dir, const char *name)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *text = read_file(path, &len);
    assert_non_null(text);
    int rc = parse_as(path, text, len);
    if (rc) {
        print_error("%s should be valid:\n", path);
        dump_errors();
    }
    assert_int_equal(rc, 0);
    assert_true(cfg.cpu_num >= 1 && cfg.region_num >= 1);
    assert_string_equal(cfg.source, path);
    free(text);
}

static void test_good_files(void **state)
{
    (void)state;
    assert_true(for_each_toml("configs/vms/examples", check_good_file) >= 4);
    assert_true(for_each_toml("tests/unit/fixtures/axvisor", check_good_file) >= 6);
}

static int bad_checked;

static void check_bad_file(const char *dir, const char *name)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *text = read_file(path, &len);
    assert_non_null(text);
    /* Collect "# expect: " lines. */
    const char *want[VMCONFIG_MAX_ERRORS];
    size_t want_len[VMCONFIG_MAX_ERRORS];
    unsigned nwant = 0;
    for (const char *p = text; (p = strstr(p, "# expect: ")); ) {
        p += strlen("# expect: ");
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        assert_true(nwant < VMCONFIG_MAX_ERRORS);
        want[nwant] = p;
        want_len[nwant++] = (size_t)(e - p);
        p = e;
    }
    if (nwant == 0)
        print_error("%s has no '# expect:' lines\n", path);
    assert_true(nwant > 0);
    int rc = parse_as(name, text, len);
    bool same = rc != 0 && errs.total == nwant;
    for (unsigned i = 0; same && i < nwant; i++)
        same = strlen(errs.msg[i]) == want_len[i] &&
               memcmp(errs.msg[i], want[i], want_len[i]) == 0;
    if (!same) {
        print_error("%s: want %u error(s):\n", path, nwant);
        for (unsigned i = 0; i < nwant; i++)
            print_error("  %.*s\n", (int)want_len[i], want[i]);
        print_error("got rc %d, %u error(s):\n", rc, errs.total);
        dump_errors();
    }
    assert_true(same);
    bad_checked++;
    free(text);
}

static void test_bad_files(void **state)
{
    (void)state;
    bad_checked = 0;
    int n = for_each_toml("tests/unit/fixtures/bad", check_bad_file);
    assert_int_equal(n, bad_checked);
    assert_true(n >= 40);
}

static void load(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    assert_non_null(text);
    int rc = parse_as(path, text, len);
    if (rc)
        dump_errors();
    assert_int_equal(rc, 0);
    free(text);
}

static void test_example_fields(void **state)
{
    (void)state;
    load("configs/vms/examples/aarch64-linux.toml");
    assert_int_equal(cfg.id, 1);
    assert_string_equal(cfg.name, "linux");
    assert_int_equal(cfg.vm_type, VM_TYPE_LINUX);
    assert_int_equal(cfg.cpu_num, 2);
    assert_false(cfg.has_phys_cpu_ids);
    assert_true(cfg.has_phys_cpu_sets);
    assert_int_equal(cfg.phys_cpu_sets[0], 1);
    assert_int_equal(cfg.phys_cpu_sets[1], 2);
    assert_int_equal(cfg.entry_point, 0x40200000);
    assert_int_equal(cfg.image_location, VM_IMAGE_IN_MEMORY);
    assert_true(cfg.images[VM_IMG_KERNEL].has_path);
    assert_string_equal(cfg.images[VM_IMG_KERNEL].path, "linux/Image");
    assert_int_equal(cfg.images[VM_IMG_KERNEL].load_addr, 0x40200000);
    assert_string_equal(cfg.images[VM_IMG_DTB].path, "linux/linux-aarch64.dtb");
    assert_int_equal(cfg.images[VM_IMG_DTB].load_addr, 0x40000000);
    assert_int_equal(cfg.images[VM_IMG_RAMDISK].load_addr, 0x48000000);
    assert_false(cfg.images[VM_IMG_BIOS].has_path);
    assert_false(cfg.images[VM_IMG_BIOS].has_load_addr);
    assert_true(cfg.has_cmdline);
    assert_string_equal(cfg.cmdline, "console=ttyAMA0 earlycon rdinit=/init");
    assert_false(cfg.has_disk_path);
    assert_int_equal(cfg.region_num, 1);
    assert_int_equal(cfg.regions[0].gpa, 0x40000000);
    assert_int_equal(cfg.regions[0].size, 0x10000000);
    assert_int_equal(cfg.regions[0].flags, VM_MEM_READ | VM_MEM_WRITE | VM_MEM_EXECUTE);
    assert_int_equal(cfg.regions[0].map_type, VM_MAP_ALLOC);
    assert_int_equal(cfg.emu_num, 3);
    assert_string_equal(cfg.emu_devices[2].name, "uart");
    assert_int_equal(cfg.emu_devices[2].gpa, 0x09000000);
    assert_int_equal(cfg.emu_devices[2].size, 0x1000);
    assert_int_equal(cfg.emu_devices[2].irq, 33);
    assert_int_equal(cfg.emu_devices[2].type, EMU_CONSOLE);
    assert_int_equal(cfg.emu_devices[2].cfg_num, 0);
    assert_int_equal(cfg.pt_dev_num, 1);
    assert_false(cfg.pt_devices[0].from_dtb);
    assert_string_equal(cfg.pt_devices[0].name, "pl031");
    assert_int_equal(cfg.pt_devices[0].hpa, 0x09010000);
    assert_int_equal(cfg.pt_devices[0].irq, 34);
    assert_int_equal(cfg.excluded_num, 1);
    assert_string_equal(cfg.excluded[0], "/pcie@10000000");
    assert_int_equal(cfg.irq_mode, VM_IRQ_EMULATED);

    load("configs/vms/examples/aarch64-gppt-vm2.toml");
    assert_int_equal(cfg.emu_devices[1].type, EMU_GPPT_GICR);
    assert_int_equal(cfg.emu_devices[1].cfg_num, 3);
    assert_int_equal(cfg.emu_devices[1].cfg[1], 0x20000);
    assert_int_equal(cfg.emu_devices[3].type, EMU_VIRTIO_BLK);
    assert_true(cfg.pt_devices[0].from_dtb);
    assert_string_equal(cfg.pt_devices[0].name, "/pl011@9100000");
    assert_int_equal(cfg.regions[0].map_type, VM_MAP_IDENTICAL);
    assert_int_equal(cfg.image_location, VM_IMAGE_IN_FS);
    assert_int_equal(cfg.irq_mode, VM_IRQ_PASSTHROUGH);
}

static void test_axvisor_fields(void **state)
{
    (void)state;
    load("tests/unit/fixtures/axvisor/linux-riscv64-qemu-smp1.toml");
    assert_int_equal(cfg.regions[0].map_type, VM_MAP_RESERVED); /* counts as RAM */
    assert_int_equal(cfg.emu_devices[0].type, EMU_PLIC);
    assert_int_equal(cfg.emu_devices[0].cfg[0], 2);
    assert_int_equal(cfg.pt_dev_num, 0);
    assert_int_equal(cfg.pt_addr_num, 2);
    assert_int_equal(cfg.pt_addrs[1].gpa, 0x10001000);
    assert_int_equal(cfg.pt_addrs[1].size, 0x8000);

    load("tests/unit/fixtures/axvisor/linux-aarch64-rk3588-smp8.toml");
    assert_int_equal(cfg.cpu_num, 8);
    assert_int_equal(cfg.phys_cpu_ids[7], 0x700);
    assert_int_equal(cfg.phys_cpu_sets[7], 0x80);
    assert_int_equal(cfg.region_num, 2);
    assert_int_equal(cfg.pt_dev_num, 7);
    assert_string_equal(cfg.pt_devices[3].name, "uart8250 UART");

    load("tests/unit/fixtures/axvisor/nimbos-x86_64-qemu-smp1.toml");
    assert_int_equal(cfg.images[VM_IMG_BIOS].load_addr, 0x8000);
    assert_string_equal(cfg.images[VM_IMG_BIOS].path, "axvm-bios.bin");
    assert_string_equal(cfg.pt_devices[2].name, "HPET");

    load("tests/unit/fixtures/axvisor/arceos-aarch64-qemu-smp1.toml");
    assert_true(cfg.pt_devices[0].from_dtb);
    assert_string_equal(cfg.pt_devices[0].name, "/");
    assert_false(cfg.images[VM_IMG_DTB].has_path);
    assert_true(cfg.images[VM_IMG_DTB].has_load_addr);

    load("tests/unit/fixtures/axvisor/arceos-x86_64.toml");
    assert_int_equal(cfg.irq_mode, VM_IRQ_NONE); /* default */
}

static void test_defaults_and_aliases(void **state)
{
    (void)state;
    parse_good(minimal);
    assert_int_equal(cfg.image_location, VM_IMAGE_IN_FS);
    assert_int_equal(cfg.irq_mode, VM_IRQ_NONE);
    assert_int_equal(cfg.emu_num + cfg.pt_dev_num + cfg.pt_addr_num + cfg.excluded_num, 0);
    static const struct {
        const char *name;
        uint32_t mode;
    } modes[] = {
        { "no_irq", VM_IRQ_NONE },     { "no", VM_IRQ_NONE },           { "none", VM_IRQ_NONE },
        { "emulated", VM_IRQ_EMULATED }, { "emu", VM_IRQ_EMULATED },
        { "passthrough", VM_IRQ_PASSTHROUGH }, { "pt", VM_IRQ_PASSTHROUGH },
    };
    char extra[128];
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        snprintf(extra, sizeof(extra), "[devices]\ninterrupt_mode = \"%s\"\n", modes[i].name);
        parse_good(with(extra));
        assert_int_equal(cfg.irq_mode, modes[i].mode);
    }
    /* Every emulated device type AxVisor defines. */
    static const uint32_t types[] = { 0x0, 0x1, 0x2, 0xA, 0x20, 0x21, 0x22, 0x30, 0xE1, 0xE2, 0xE3 };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        snprintf(extra, sizeof(extra),
                 "[devices]\nemu_devices = [[\"d\", 0x1000_0000, 0x1000, 5, 0x%x, [1, 2]]]\n",
                 types[i]);
        parse_good(with(extra));
        assert_int_equal(cfg.emu_devices[0].type, types[i]);
        assert_non_null(vmconfig_emu_type_name(types[i]));
    }
    assert_null(vmconfig_emu_type_name(0x3));
    /* The remaining optional kernel keys. */
    parse_good(with("image_location = \"memory\"\n"
                    "disk_path = \"disk.img\"\ncmdline = \"\"\n"
                    "ramdisk_path = \"r\"\nramdisk_load_addr = 0x8008_0000\n"
                    "bios_path = \"b\"\nbios_load_addr = 0x8000_0000\n"));
    assert_true(cfg.has_disk_path);
    assert_string_equal(cfg.disk_path, "disk.img");
    assert_true(cfg.has_cmdline);
    assert_string_equal(cfg.cmdline, "");
    assert_int_equal(cfg.images[VM_IMG_RAMDISK].load_addr, 0x80080000);
    /* Region flags with USER and DEVICE; a device region is not RAM. */
    parse_good(with("[devices]\nemu_devices = [[\"u\", 0x9000_0000, 0x1000, 1, 2, []]]\n"));
    parse_good("[base]\nid = 0\nname = \"x\"\nvm_type = 0\ncpu_num = 8\n"
               "phys_cpu_sets = [1, 2, 4, 8, 16, 32, 64, 0xff]\n"
               "[kernel]\nentry_point = 0\nkernel_path = \"k\"\nkernel_load_addr = 0\n"
               "memory_regions = [[0, 0x1000, 0xf, 2], [0x1000, 0x1000, 0x13, 1],\n"
               "  [0xffff_ffff_ffff_f000, 0x1000, 0x3, 0]]\n");
    assert_int_equal(cfg.regions[2].gpa + (cfg.regions[2].size - 1), UINT64_MAX);
    assert_int_equal(cfg.vm_type, VM_TYPE_HOST);
}

static void test_inline_errors(void **state)
{
    (void)state;
    /* Wrong types everywhere in [base]. */
    expect_errors("[base]\nid = \"1\"\nname = 5\nvm_type = true\ncpu_num = []\n"
                  "phys_cpu_ids = 0\n"
                  "[kernel]\nentry_point = 0x8000_0000\nkernel_path = \"k\"\n"
                  "kernel_load_addr = 0x8000_0000\n"
                  "memory_regions = [[0x8000_0000, 0x1000, 7, 0]]\n",
                  "t.toml:2: base.id: expected an integer, found string",
                  "t.toml:3: base.name: expected a string, found integer",
                  "t.toml:4: base.vm_type: expected an integer, found boolean",
                  "t.toml:5: base.cpu_num: expected an integer, found array",
                  "t.toml:6: base.phys_cpu_ids: expected an array, found integer", NULL);
    /* Missing everything. */
    expect_errors("", "t.toml: base: missing table [base]", "t.toml: kernel: missing table [kernel]",
                  NULL);
    expect_errors("[base]\n[kernel]\n", "t.toml:1: base.id: missing required key (expected an integer)",
                  "t.toml:1: base.name: missing required key (expected a string)",
                  "t.toml:1: base.vm_type: missing required key (expected an integer)",
                  "t.toml:1: base.cpu_num: missing required key (expected an integer)",
                  "t.toml:2: kernel.entry_point: missing required key (expected an integer)",
                  "t.toml:2: kernel.kernel_path: missing required key (expected a string)",
                  "t.toml:2: kernel.kernel_load_addr: missing required key (expected an integer)",
                  "t.toml:2: kernel.memory_regions: missing required key (expected an array)", NULL);
    /* [devices] given as an array of tables. */
    expect_errors(with("[[devices]]\n"), "t.toml:11: devices: expected a table, found array", NULL);
    /* Wrong element shapes. */
    expect_errors(with("[devices]\nemu_devices = [\"uart\"]\npassthrough_addresses = [[1]]\n"
                       "excluded_devices = [[\"/a\", \"/b\"]]\n"),
                  "t.toml:12: devices.emu_devices[0]: expected [name, gpa, size, irq, type, [cfg...]], found string",
                  "t.toml:13: devices.passthrough_addresses[0]: expected [gpa, size], found an array of 1 element",
                  "t.toml:14: devices.excluded_devices[0]: expected [\"/dtb/path\"], found an array of 2 elements",
                  NULL);
    expect_errors(with("[devices]\nemu_devices = [[\"u\", 0x1000_0000, 0x1000, 0x1_0000_0000, 2, "
                       "[1,2,3,4,5,6,7,8,9]]]\n"),
                  "t.toml:12: devices.emu_devices[0].irq: expected an integer in 0..4294967295, found 4294967296",
                  "t.toml:12: devices.emu_devices[0].cfg: too many config values (9, at most 8)", NULL);
    expect_errors(with("[devices]\nemu_devices = [[\"u\", 0x1000_0000, 0x1000, 1, 2, [\"x\", -1]]]\n"),
                  "t.toml:12: devices.emu_devices[0].cfg[0]: expected an integer, found string",
                  "t.toml:12: devices.emu_devices[0].cfg[1]: expected a non-negative integer, found -1",
                  NULL);
    expect_errors(with("[devices]\npassthrough_devices = [[\"a\", 1, \"2\", 3, 4], [5]]\n"),
                  "t.toml:12: devices.passthrough_devices[0].hpa: expected an integer, found string",
                  "t.toml:12: devices.passthrough_devices[1]: expected a string, found integer", NULL);
    /* Unknown keys: suggestions for near misses, all reported. */
    expect_errors(with("cpu_nun = 1\n[devices]\ninterupt_mode = \"pt\"\nfoo = 1\n"),
                  "t.toml:11: kernel.cpu_nun: unknown key (not part of the [kernel] schema)",
                  "t.toml:13: devices.interupt_mode: unknown key (did you mean 'interrupt_mode'?)",
                  "t.toml:14: devices.foo: unknown key (not part of the [devices] schema)", NULL);
    expect_errors(with("\"we\\u0000ird\\n\" = 1\n"),
                  "t.toml:11: kernel.we?ird?: unknown key (not part of the [kernel] schema)", NULL);
    /* Strings. */
    expect_errors(with("cmdline = 5\n"), "t.toml:11: kernel.cmdline: expected a string, found integer",
                  NULL);
    expect_errors(with("disk_path = \"\"\n"), "t.toml:11: kernel.disk_path: expected a non-empty string",
                  NULL);
    /* A ramdisk path without an address, and the other way round is fine. */
    expect_errors(with("ramdisk_path = \"r\"\nbios_load_addr = 0x8000_0000\n"),
                  "t.toml:11: kernel.ramdisk_load_addr: missing required key (expected an integer since kernel.ramdisk_path is set)",
                  NULL);
    /* phys_cpu_ids length. */
    expect_errors("[base]\nid = 1\nname = \"m\"\nvm_type = 1\ncpu_num = 1\nphys_cpu_ids = [0, 1]\n"
                  "[kernel]\nentry_point = 0x8000_0000\nkernel_path = \"k\"\n"
                  "kernel_load_addr = 0x8000_0000\nmemory_regions = [[0x8000_0000, 0x1000, 7, 0]]\n",
                  "t.toml:6: base.phys_cpu_ids: expected 1 entry (one per vCPU, cpu_num = 1), found 2",
                  NULL);
    /* Region with no access rights. */
    expect_errors("[base]\nid = 1\nname = \"m\"\nvm_type = 1\ncpu_num = 1\n"
                  "[kernel]\nentry_point = 0x8000_0000\nkernel_path = \"k\"\n"
                  "kernel_load_addr = 0x8000_0000\nmemory_regions = [\n  [0x8000_0000, 0x1000, 0x8, 0],\n]\n",
                  "t.toml:11: kernel.memory_regions[0]: expected flags granting access (R=0x1 W=0x2 X=0x4), found 0x8",
                  NULL);
}

static void test_validation_order(void **state)
{
    (void)state;
    /* A structural error suppresses the cross-field checks (no cascade):
     * the entry point is outside RAM, but only the type error is reported. */
    expect_errors("[base]\nid = 1\nname = 2\nvm_type = 1\ncpu_num = 1\n"
                  "[kernel]\nentry_point = 0x1\nkernel_path = \"k\"\n"
                  "kernel_load_addr = 0x8000_0000\nmemory_regions = [[0x8000_0000, 0x1000, 7, 0]]\n",
                  "t.toml:3: base.name: expected a string, found integer", NULL);
    /* Several semantic errors at once are all reported. */
    expect_errors("[base]\nid = 1\nname = \"m\"\nvm_type = 1\ncpu_num = 1\n"
                  "[kernel]\nentry_point = 0x1\nkernel_path = \"k\"\nkernel_load_addr = 0x2\n"
                  "dtb_load_addr = 0x8000_1000\n"
                  "memory_regions = [[0x8000_0000, 0x1000, 7, 0]]\n"
                  "[devices]\nemu_devices = [[\"a\", 0x1000, 0, 0, 0, []], [\"b\", 0x8000_0800, 0x10, 0, 0, []]]\n"
                  "passthrough_devices = [[\"p\", 0xffff_ffff_ffff_f000, 0, 0x2000, 1]]\n",
                  "t.toml:7: kernel.entry_point: 0x1 is not inside a RAM region of kernel.memory_regions",
                  "t.toml:9: kernel.kernel_load_addr: 0x2 is not inside a RAM region of kernel.memory_regions",
                  "t.toml:10: kernel.dtb_load_addr: 0x80001000 is not inside a RAM region of kernel.memory_regions",
                  "t.toml:13: devices.emu_devices[0]: window 0x1000 + 0x0 is empty (expected a non-zero size)",
                  "t.toml:13: devices.emu_devices[1]: \"b\" window [0x80000800, 0x8000080f] overlaps RAM memory_regions[0]",
                  "t.toml:14: devices.passthrough_devices[0]: expected a non-empty window that does not wrap, found gpa 0xfffffffffffff000 hpa 0x0 size 0x2000",
                  NULL);
    /* Regions: overlap with an exact touching neighbour is fine. */
    parse_good(with("[devices]\npassthrough_addresses = [[0, 0x1000]]\n"));
    expect_errors("[base]\nid = 1\nname = \"m\"\nvm_type = 1\ncpu_num = 1\n"
                  "[kernel]\nentry_point = 0x8000_0000\nkernel_path = \"k\"\nkernel_load_addr = 0x8000_0000\n"
                  "memory_regions = [\n"
                  "  [0x8000_0000, 0x2000, 7, 0],\n"
                  "  [0x8000_2000, 0x1000, 7, 0],\n"   /* touching: OK */
                  "  [0x7fff_f000, 0x2000, 7, 0],\n"   /* overlaps [0] */
                  "  [0x1001, 0x1000, 7, 0],\n"        /* unaligned */
                  "]\n",
                  "t.toml:13: kernel.memory_regions[2]: [0x7ffff000, 0x80000fff] overlaps memory_regions[0] [0x80000000, 0x80001fff]",
                  "t.toml:14: kernel.memory_regions[3]: expected gpa and size aligned to 0x1000, found gpa 0x1001 size 0x1000",
                  NULL);
}

static void test_error_collection_limits(void **state)
{
    (void)state;
    /* More errors than slots: the first VMCONFIG_MAX_ERRORS are kept, all counted. */
    char extra[2048];
    size_t n = (size_t)snprintf(extra, sizeof(extra), "[devices]\n");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(extra + n, sizeof(extra) - n, "bogus%02d = 1\n", i);
    assert_int_equal(parse_as("t.toml", with(extra), strlen(with(extra))), -AX_EINVAL);
    assert_int_equal(errs.count, VMCONFIG_MAX_ERRORS);
    assert_int_equal(errs.total, 20);
    assert_string_equal(errs.msg[15],
                        "t.toml:27: devices.bogus15: unknown key (not part of the [devices] schema)");
    /* Long file names and messages are truncated to the slot size. */
    char name[400];
    memset(name, 'f', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(parse_as(name, "x = 1", 5), -AX_EINVAL);
    assert_true(errs.count >= 1);
    for (unsigned i = 0; i < errs.count; i++)
        assert_true(strlen(errs.msg[i]) <= VMCONFIG_ERR_LEN - 1);
    assert_true(strlen(cfg.source) == VMCONFIG_SOURCE_LEN - 1);
    /* NULL errs and NULL file name are allowed. */
    toml_arena_init(&arena, arena_mem, sizeof(arena_mem));
    assert_int_equal(vmconfig_parse(NULL, "x", 1, &arena, &cfg, NULL), -AX_EINVAL);
    assert_string_equal(cfg.source, "<config>");
    toml_arena_init(&arena, arena_mem, sizeof(arena_mem));
    assert_int_equal(vmconfig_parse(NULL, minimal, strlen(minimal), &arena, &cfg, NULL), 0);
    /* vmconfig_add_error keeps counting past the limit. */
    memset(&errs, 0, sizeof(errs));
    for (int i = 0; i < 40; i++)
        vmconfig_add_error(&errs, "e%d", i);
    assert_int_equal(errs.count, VMCONFIG_MAX_ERRORS);
    assert_int_equal(errs.total, 40);
    assert_string_equal(errs.msg[0], "e0");
    vmconfig_add_error(NULL, "ignored");
}

static void test_syntax_errors_reported(void **state)
{
    (void)state;
    expect_errors(with("entry_point = 1\n"),
                  "t.toml:11:1: duplicate key 'entry_point' (first defined on line 7)", NULL);
    expect_errors(with("x = 1.5\n"),
                  "t.toml:11:5: floating-point numbers are not supported in VM configs", NULL);
    /* A NUL byte in the raw text. */
    char text[sizeof(minimal) + 8];
    memcpy(text, minimal, sizeof(minimal));
    text[20] = '\0';
    assert_int_equal(parse_as("t.toml", text, sizeof(minimal) - 1), -AX_EINVAL);
    assert_int_equal(errs.total, 1);
    assert_string_equal(errs.msg[0], "t.toml:3:7: NUL byte in the input");
}

static void test_out_of_memory(void **state)
{
    (void)state;
    static char small[256];
    toml_arena_init(&arena, small, sizeof(small));
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(vmconfig_parse("t.toml", minimal, strlen(minimal), &arena, &cfg, &errs),
                     -AX_ENOMEM);
    assert_int_equal(errs.total, 1);
    assert_non_null(strstr(errs.msg[0], "t.toml:"));
    assert_non_null(strstr(errs.msg[0], "out of memory: the 256-byte parse arena is full"));
}

static void test_check_image(void **state)
{
    (void)state;
    /* Region 0x8000_0000 + 1 MiB; kernel at its start, dtb 4 KiB before its end. */
    parse_good(with("dtb_path = \"d\"\ndtb_load_addr = 0x800F_F000\n"));
    assert_int_equal(vmconfig_check_image(&cfg, VM_IMG_KERNEL, 0x100000, &errs), 0);
    assert_int_equal(vmconfig_check_image(&cfg, VM_IMG_KERNEL, 0, &errs), 0);
    assert_int_equal(errs.total, 0);
    assert_int_equal(vmconfig_check_image(&cfg, VM_IMG_KERNEL, 0x100001, &errs), -AX_ERANGE);
    assert_int_equal(errs.total, 1);
    assert_string_equal(errs.msg[0],
                        "t.toml: kernel image is larger than its region: 1048577 bytes at "
                        "0x80000000, but memory_regions[0] leaves 1048576 bytes (ends at 0x800fffff)");
    assert_int_equal(vmconfig_check_image(&cfg, VM_IMG_DTB, 0x1000, NULL), 0);
    assert_int_equal(vmconfig_check_image(&cfg, VM_IMG_DTB, 0x1001, NULL), -AX_ERANGE);
    assert_int_equal(vmconfig_check_image(&cfg, VM_IMG_DTB, UINT64_MAX, NULL), -AX_ERANGE);
    /* No load address, or no such image kind. */
    assert_int_equal(vmconfig_check_image(&cfg, VM_IMG_RAMDISK, 1, NULL), -AX_ENOENT);
    assert_int_equal(vmconfig_check_image(&cfg, VM_IMG_COUNT, 1, NULL), -AX_ENOENT);
    assert_int_equal(vmconfig_check_image(&cfg, (enum vm_image_kind)-1, 1, NULL), -AX_ENOENT);
    /* A config edited after validation (load address outside RAM). */
    cfg.images[VM_IMG_KERNEL].load_addr = 0x1000;
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(vmconfig_check_image(&cfg, VM_IMG_KERNEL, 1, &errs), -AX_ERANGE);
    assert_string_equal(errs.msg[0],
                        "t.toml: kernel.kernel_load_addr: 0x1000 is not inside a RAM region");
}

static void test_check_layout(void **state)
{
    (void)state;
    /* Region 0x8000_0000 + 1 MiB: kernel, dtb at +512 KiB, ramdisk at +768 KiB. */
    parse_good(with("dtb_path = \"d\"\ndtb_load_addr = 0x8008_0000\n"
                    "ramdisk_path = \"r\"\nramdisk_load_addr = 0x800C_0000\n"));
    uint64_t sizes[VM_IMG_COUNT] = { 0x80000, 0x40000, 0x40000, 0 };
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(vmconfig_check_layout(&cfg, sizes, &errs), 0);
    assert_int_equal(errs.total, 0);
    sizes[VM_IMG_KERNEL] = 0x80001; /* one byte into the DTB */
    assert_int_equal(vmconfig_check_layout(&cfg, sizes, &errs), -AX_ERANGE);
    assert_int_equal(errs.total, 1);
    assert_string_equal(errs.msg[0], "t.toml: dtb image [0x80080000, 0x800bffff] overlaps kernel "
                                     "image [0x80000000, 0x80080000]");
    /* A size of 0 means "not loaded": no overlap with it. */
    sizes[VM_IMG_DTB] = 0;
    memset(&errs, 0, sizeof(errs));
    assert_int_equal(vmconfig_check_layout(&cfg, sizes, &errs), 0);
    /* Too big for the region: reported alone, without follow-on overlaps. */
    uint64_t big[VM_IMG_COUNT] = { 0x200000, 0x40000, 0x40001, 0 };
    assert_int_equal(vmconfig_check_layout(&cfg, big, &errs), -AX_ERANGE);
    assert_int_equal(errs.total, 2);
    assert_non_null(strstr(errs.msg[0], "kernel image is larger than its region"));
    assert_non_null(strstr(errs.msg[1], "ramdisk image is larger than its region"));
    /* A size for an image without a load address is ignored. */
    uint64_t bios[VM_IMG_COUNT] = { 1, 0, 0, 0x1000 };
    assert_int_equal(vmconfig_check_layout(&cfg, bios, NULL), 0);
}

static void test_find_ram(void **state)
{
    (void)state;
    parse_good("[base]\nid = 1\nname = \"m\"\nvm_type = 1\ncpu_num = 1\n"
               "[kernel]\nentry_point = 0x4000_0000\nkernel_path = \"k\"\n"
               "kernel_load_addr = 0x4000_0000\n"
               "memory_regions = [[0x4000_0000, 0x1000, 7, 0], [0x5000_0000, 0x2000, 0x13, 1],\n"
               "  [0xffff_ffff_ffff_e000, 0x2000, 7, 0]]\n");
    assert_int_equal(vmconfig_find_ram(&cfg, 0x40000000, 0), 0);
    assert_int_equal(vmconfig_find_ram(&cfg, 0x40000fff, 1), 0);
    assert_int_equal(vmconfig_find_ram(&cfg, 0x40000fff, 2), -1);
    assert_int_equal(vmconfig_find_ram(&cfg, 0x40000000, 0x1000), 0);
    assert_int_equal(vmconfig_find_ram(&cfg, 0x3fffffff, 0), -1);
    assert_int_equal(vmconfig_find_ram(&cfg, 0x50000000, 0), -1); /* device region */
    assert_int_equal(vmconfig_find_ram(&cfg, UINT64_MAX, 1), 2);
    assert_int_equal(vmconfig_find_ram(&cfg, UINT64_MAX, 2), -1);  /* wraps */
    assert_string_equal(vmconfig_image_name(VM_IMG_BIOS), "bios");
    assert_string_equal(vmconfig_image_name(VM_IMG_COUNT), "?");
    assert_string_equal(vmconfig_vm_type_name(VM_TYPE_LINUX), "Linux");
    assert_string_equal(vmconfig_vm_type_name(9), "?");
    assert_string_equal(vmconfig_irq_mode_name(VM_IRQ_PASSTHROUGH), "passthrough");
    assert_string_equal(vmconfig_irq_mode_name(9), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_files),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_example_fields),
        cmocka_unit_test(test_axvisor_fields),
        cmocka_unit_test(test_defaults_and_aliases),
        cmocka_unit_test(test_inline_errors),
        cmocka_unit_test(test_validation_order),
        cmocka_unit_test(test_error_collection_limits),
        cmocka_unit_test(test_syntax_errors_reported),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_check_image),
        cmocka_unit_test(test_check_layout),
        cmocka_unit_test(test_find_ram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
