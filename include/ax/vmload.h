/* From a config's text and its images to a created VM: the part the VMs
 * built into the image (builtin.c) and those on the disk (fsload.c) share.
 * The config is parsed and validated by vmconfig_parse, the same code and
 * messages as the host checker (build/host/axvisor-config); the images are
 * sized and checked with vmconfig_check_layout (each fits its RAM region,
 * none overlap) before any is loaded, then vm_create builds the VM. */
#ifndef AX_VMLOAD_H
#define AX_VMLOAD_H

#include "ax/vm.h"

/* Where the images come from. Every hook gets ctx. size and load write one
 * message (starting with the file name) into their err; check appends its
 * own with vm_load_msg. */
struct vm_image_loader {
    /* Optional: a check of the whole config before its images (e.g. that
     * image_location suits this source). 0 or a negative AX_E*. */
    int (*check)(void *ctx, const struct vm_config *cfg, char *err, size_t errlen);
    /* The size in bytes of image `kind` (cfg->images[kind].has_path). */
    int (*size)(void *ctx, const struct vm_config *cfg, enum vm_image_kind kind, uint64_t *size, char *err,
                size_t errlen);
    /* Its bytes (size as returned above). They must stay valid while the VM
     * exists: vm_build copies them again at every reset. */
    int (*load)(void *ctx, const struct vm_config *cfg, enum vm_image_kind kind, uint64_t size,
                const void **data, char *err, size_t errlen);
    /* Optional: frees what load returned, when the VM is not created. */
    void (*unload)(void *ctx, const void *data, uint64_t size);
    /* Optional: becomes vm->release_images (frees the loaded images when
     * the VM is deleted). */
    void (*release_images)(struct vm *vm);
    void *ctx;
};

/* Parses `toml` (len bytes; `file` names it in messages), gathers its
 * images through ld and creates the VM, LOADED and not started. 0 and *out,
 * or a negative AX_E* with err holding every message, one per line, each
 * starting with the file name (checker messages as "FILE:LINE: KEY: ...").
 * The VM owns its config and images from then on. */
int vm_load_config(const char *file, const char *toml, size_t len, const struct vm_image_loader *ld, char *err,
                   size_t errlen, struct vm **out);

/* Appends one message to err as a new line (truncating, always
 * NUL-terminated). */
void vm_load_msg(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Logs a multi-line err at error level, one log line per line. */
void vm_load_log_errors(const char *err);

#endif
