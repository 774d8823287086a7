/* vm_load_config (src/axvisor/vmload.c), the config + images -> VM path the
 * built-in and disk VMs share: checker messages, image sizing and layout
 * checks before anything is loaded, unloading on every failure, ownership
 * of the config, and the multi-line error buffer. vm_create is a stub that
 * records what it was given; memory comes from the real heap, so leaks show
 * as live allocations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/heap.h"
#include "ax/vmload.h"

#define RAM_SIZE MiB(8)

static uint8_t *ram;

/* ---- stubs ---- */

static struct vm the_vm;
static bool create_fails;
static int creates;
static struct vm_blob got[VM_IMG_COUNT];
static char logged[2048];
static int log_lines;

struct vm *vm_create(struct vm_config *cfg, const struct vm_blob images[VM_IMG_COUNT], char *err, size_t errlen)
{
    creates++;
    memcpy(got, images, sizeof(got));
    if (create_fails) {
        snprintf(err, errlen, "a VM with id %llu already exists", (unsigned long long)cfg->id);
        return NULL;
    }
    memset(&the_vm, 0, sizeof(the_vm));
    the_vm.cfg = cfg;
    the_vm.id = (unsigned)cfg->id;
    return &the_vm;
}

void ax_log(int level, const char *fmt, ...)
{
    (void)level;
    va_list ap;
    va_start(ap, fmt);
    size_t n = strlen(logged);
    vsnprintf(logged + n, sizeof(logged) - n, fmt, ap);
    va_end(ap);
    n = strlen(logged);
    if (n + 1 < sizeof(logged))
        strcat(logged, "|");
    log_lines++;
}

/* ---- a loader with images in memory ---- */

struct fake_img {
    bool exists;
    uint64_t size;
    int load_rc;
};

struct fake_loader {
    struct fake_img img[VM_IMG_COUNT];
    int check_rc;
    int sizes, loads, unloads;
    uint8_t data[VM_IMG_COUNT][64];
};

static int fl_check(void *ctx, const struct vm_config *cfg, char *err, size_t errlen)
{
    struct fake_loader *l = ctx;
    if (l->check_rc)
        vm_load_msg(err, errlen, "%s: check says no", cfg->source);
    return l->check_rc;
}

static int fl_size(void *ctx, const struct vm_config *cfg, enum vm_image_kind k, uint64_t *size, char *err,
                   size_t errlen)
{
    struct fake_loader *l = ctx;
    l->sizes++;
    if (!l->img[k].exists) {
        snprintf(err, errlen, "%s: %s image \"%s\" not found", cfg->source, vmconfig_image_name(k),
                 cfg->images[k].path);
        return -AX_ENOENT;
    }
    *size = l->img[k].size;
    return 0;
}

static int fl_load(void *ctx, const struct vm_config *cfg, enum vm_image_kind k, uint64_t size, const void **data,
                   char *err, size_t errlen)
{
    struct fake_loader *l = ctx;
    (void)cfg;
    assert_int_equal(size, l->img[k].size);
    if (l->img[k].load_rc) {
        snprintf(err, errlen, "reading the %s image failed", vmconfig_image_name(k));
        return l->img[k].load_rc;
    }
    l->loads++;
    *data = l->data[k];
    return 0;
}

static void fl_unload(void *ctx, const void *data, uint64_t size)
{
    struct fake_loader *l = ctx;
    (void)data;
    (void)size;
    l->unloads++;
}

static void fl_release(struct vm *vm) { (void)vm; }

static struct fake_loader fl;
static struct vm_image_loader ld;
static char err[4096];
static size_t live_before;

static size_t live_allocs(void)
{
    struct heap_stats st;
    heap_stats(&st);
    return st.live_allocs;
}

static int group_setup(void **state)
{
    (void)state;
    ram = aligned_alloc(MiB(8), RAM_SIZE);
    return ram ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    frame_init();
    assert_int_equal(frame_add_range((paddr_t)(uintptr_t)ram, RAM_SIZE), 0);
    heap_init();
    live_before = live_allocs();
    memset(&fl, 0, sizeof(fl));
    fl.img[VM_IMG_KERNEL] = (struct fake_img){true, 4096, 0};
    fl.img[VM_IMG_RAMDISK] = (struct fake_img){true, 1000, 0};
    ld = (struct vm_image_loader){fl_check, fl_size, fl_load, fl_unload, fl_release, &fl};
    create_fails = false;
    creates = 0;
    memset(got, 0, sizeof(got));
    err[0] = '\0';
    logged[0] = '\0';
    log_lines = 0;
    return 0;
}

static const char good[] =
    "[base]\nid = 5\nname = \"t\"\nvm_type = 1\ncpu_num = 1\n"
    "[kernel]\nentry_point = 0x4000_0000\nimage_location = \"fs\"\n"
    "kernel_path = \"k.bin\"\nkernel_load_addr = 0x4000_0000\n"
    "ramdisk_path = \"r.img\"\nramdisk_load_addr = 0x4080_0000\n"
    "memory_regions = [[0x4000_0000, 0x100_0000, 0x7, 0]]\n";

static int load(const char *text)
{
    struct vm *vm = NULL;
    int rc = vm_load_config("t.toml", text, strlen(text), &ld, err, sizeof(err), &vm);
    assert_true(rc == 0 ? vm == &the_vm : vm == NULL);
    return rc;
}

static void test_good(void **state)
{
    (void)state;
    assert_int_equal(load(good), 0);
    assert_string_equal(err, "");
    assert_int_equal(creates, 1);
    assert_true(got[VM_IMG_KERNEL].present);
    assert_ptr_equal(got[VM_IMG_KERNEL].data, fl.data[VM_IMG_KERNEL]);
    assert_int_equal(got[VM_IMG_KERNEL].size, 4096);
    assert_int_equal(got[VM_IMG_KERNEL].load_addr, 0x40000000);
    assert_int_equal(got[VM_IMG_RAMDISK].load_addr, 0x40800000);
    assert_false(got[VM_IMG_DTB].present);
    assert_int_equal(fl.unloads, 0);
    assert_ptr_equal(the_vm.release_images, fl_release);
    /* the VM owns its config; everything else was freed */
    assert_int_equal(live_allocs(), live_before + 1);
    kfree(the_vm.cfg);
    assert_int_equal(live_allocs(), live_before);
}

static void test_parse_errors(void **state)
{
    (void)state;
    assert_int_equal(load("[base]\nid = \"x\"\nbogus = 1\n"), -AX_EINVAL);
    /* every checker message, each "FILE:LINE: KEY: ..." on its own line */
    assert_non_null(strstr(err, "t.toml:2: base.id"));
    assert_non_null(strstr(err, "\nt.toml:3: "));
    assert_int_equal(fl.sizes, 0);
    assert_int_equal(creates, 0);
    assert_int_equal(live_allocs(), live_before);
}

static void test_check_refuses(void **state)
{
    (void)state;
    fl.check_rc = -AX_EINVAL;
    assert_int_equal(load(good), -AX_EINVAL);
    assert_string_equal(err, "t.toml: check says no");
    assert_int_equal(fl.sizes, 0);
    assert_int_equal(live_allocs(), live_before);
}

static void test_missing_images_all_reported(void **state)
{
    (void)state;
    fl.img[VM_IMG_KERNEL].exists = false;
    fl.img[VM_IMG_RAMDISK].exists = false;
    assert_int_equal(load(good), -AX_ENOENT);
    assert_string_equal(err, "t.toml: kernel image \"k.bin\" not found\n"
                             "t.toml: ramdisk image \"r.img\" not found");
    assert_int_equal(fl.loads, 0);
    assert_int_equal(creates, 0);
    assert_int_equal(live_allocs(), live_before);
}

/* Sizes are checked against the regions before anything is read. */
static void test_layout_checked_before_loading(void **state)
{
    (void)state;
    fl.img[VM_IMG_KERNEL].size = 0x900000; /* runs into the ramdisk */
    fl.img[VM_IMG_RAMDISK].size = 0x900000; /* past the end of RAM */
    assert_int_equal(load(good), -AX_ERANGE);
    assert_non_null(strstr(err, "ramdisk image is larger than its region"));
    assert_int_equal(fl.loads, 0);
    assert_int_equal(creates, 0);
    setup(NULL);
    fl.img[VM_IMG_KERNEL].size = 0x900000;
    assert_int_equal(load(good), -AX_ERANGE);
    assert_non_null(strstr(err, "overlaps"));
    assert_int_equal(fl.loads, 0);
    assert_int_equal(live_allocs(), live_before);
}

static void test_load_failure_unloads(void **state)
{
    (void)state;
    fl.img[VM_IMG_RAMDISK].load_rc = -AX_EIO;
    assert_int_equal(load(good), -AX_EIO);
    assert_string_equal(err, "reading the ramdisk image failed");
    assert_int_equal(fl.loads, 1);
    assert_int_equal(fl.unloads, 1);
    assert_int_equal(creates, 0);
    assert_int_equal(live_allocs(), live_before);
}

static void test_create_failure_unloads(void **state)
{
    (void)state;
    create_fails = true;
    assert_int_equal(load(good), -AX_EINVAL);
    assert_string_equal(err, "t.toml: VM 5 (t) not created: a VM with id 5 already exists");
    assert_int_equal(fl.loads, 2);
    assert_int_equal(fl.unloads, 2);
    assert_int_equal(live_allocs(), live_before);
}

static void test_messages(void **state)
{
    (void)state;
    char small[16] = "";
    vm_load_msg(small, sizeof(small), "first %d", 1);
    vm_load_msg(small, sizeof(small), "second line is long");
    assert_string_equal(small, "first 1\nsecond ");
    vm_load_msg(small, sizeof(small), "more");
    assert_string_equal(small, "first 1\nsecond ");
    vm_load_msg(NULL, 0, "nothing");
    vm_load_log_errors("a: one\nb: two\n\nc: three");
    assert_string_equal(logged, "a: one|b: two||c: three|");
    assert_int_equal(log_lines, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_good, setup),
        cmocka_unit_test_setup(test_parse_errors, setup),
        cmocka_unit_test_setup(test_check_refuses, setup),
        cmocka_unit_test_setup(test_missing_images_all_reported, setup),
        cmocka_unit_test_setup(test_layout_checked_before_loading, setup),
        cmocka_unit_test_setup(test_load_failure_unloads, setup),
        cmocka_unit_test_setup(test_create_failure_unloads, setup),
        cmocka_unit_test_setup(test_messages, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
