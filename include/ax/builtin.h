/* The table scripts/gen-builtin.sh generates for VMs built into the image. */
#ifndef AX_BUILTIN_H
#define AX_BUILTIN_H

#include "ax/types.h"
#include "ax/vmconfig.h"

struct builtin_image {
    const uint8_t *data; /* NULL: none */
    uint64_t size;
};

struct builtin_vm {
    const char *file;    /* config file name, for messages */
    const char *toml;
    uint64_t toml_len;
    struct builtin_image images[VM_IMG_COUNT]; /* kernel, dtb, ramdisk, bios */
};

extern const struct builtin_vm builtin_vms[];
extern const uint64_t builtin_vm_count;

struct vm;

/* Create and start every built-in VM; returns how many started. */
unsigned builtin_vms_start(void);
/* Create the VM of built-in config `index` (0-based, table order) again,
 * LOADED and not started: the config is parsed anew, so the VM owns its
 * own copy and deleting it frees that. 0, -AX_ENOENT (no such index) or
 * another negative AX_E* (already logged). */
int builtin_vm_create(unsigned index, struct vm **out);

#endif
