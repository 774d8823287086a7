/* VMs from the disk: at boot the machine's virtio-blk disk is mounted
 * (FAT32 through the VFS, at "/"), every DISK_VM_DIR/<name>.toml is read in
 * name order, validated like a built-in config and its VM created and
 * started. The shell reuses vm_create_from_file for any config on the disk.
 *
 * Disk configs must say image_location = "fs": kernel_path, dtb_path,
 * ramdisk_path and bios_path then name files on the disk, either absolute
 * ("/guest/images/hello.bin") or relative to the config's own directory
 * ("../images/hello.bin" from /guest/vm_default/). Each image is read into
 * frame-allocator memory of its size and stays there as long as the VM
 * exists (a reset loads it again from that copy); deleting the VM frees it.
 *
 * The VFS and the disk are not reentrant: every use of them (here, the
 * shell's ls / cat) goes between fs_lock() and fs_unlock(), a sleeping lock
 * (the holder may be preempted; waiters block, they do not spin). */
#ifndef AX_FSLOAD_H
#define AX_FSLOAD_H

#include "ax/vm.h"

#define DISK_VM_DIR "/guest/vm_default"
#define DISK_CONFIG_MAX (256 * 1024) /* bytes of one config file */
#define DISK_MAX_CONFIGS 32          /* configs started at boot, the first by name */

/* Boot: probe the disk, mount it, create and start its VMs. Logs each step
 * ("disk: ..."); a missing or unreadable disk, a bad config or a missing
 * image is reported and skipped. Returns the number of VMs started. */
unsigned disk_vms_start(void);

/* Reads the config at `path` (absolute, on the mounted disk), loads its
 * images and creates its VM (LOADED, not started). 0 and *out, or a
 * negative AX_E* with err holding every message, one per line. Takes
 * fs_lock itself. */
int vm_create_from_file(const char *path, char *err, size_t errlen, struct vm **out);

/* Whether a FAT32 disk is mounted at "/". */
bool fs_disk_mounted(void);

void fs_lock(void);
void fs_unlock(void);

#endif
