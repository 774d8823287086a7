/* axvm: one VM — configuration, lifecycle, vCPUs, address space, device
 * bus — and the VM table. All lifecycle transitions (start, stop, reset,
 * delete) are carried out by one manager task, so they never race each
 * other; vCPUs and the shell only ask for them. */
#ifndef AX_VM_H
#define AX_VM_H

#include "ax/addrspace.h"
#include "ax/devbus.h"
#include "ax/spinlock.h"
#include "ax/task.h"
#include "ax/types.h"
#include "ax/vcpu.h"
#include "ax/vm_console.h"
#include "ax/vmconfig.h"

#define VM_MAX 16
#define VM_MAX_VCPUS AX_MAX_CPUS
#define VM_NAME_LEN 32

enum vm_state {
    VM_STATE_LOADING = 0,
    VM_STATE_LOADED,     /* memory and images ready, vCPUs not running */
    VM_STATE_RUNNING,
    VM_STATE_SUSPENDED,
    VM_STATE_STOPPING,
    VM_STATE_STOPPED,
};

const char *vm_state_name(int state);

/* An image the VM loads (from the hypervisor image or, later, the disk). */
struct vm_blob {
    const void *data;
    size_t size;
    uint64_t load_addr;
    bool present;
};

struct vm {
    unsigned id;
    char name[VM_NAME_LEN];
    int state;                       /* enum vm_state */
    struct vm_config *cfg;
    struct vm_blob images[VM_IMG_COUNT];
    struct addrspace as;
    struct devbus bus;
    unsigned nvcpu;
    struct vcpu *vcpus[VM_MAX_VCPUS];
    unsigned vmid;                   /* stage-2 tag */
    uint64_t boot_arg;               /* vCPU 0's first argument (DTB address) */
    /* requests to the manager */
    bool stop_req, reset_req, start_req, delete_req;
    /* frees the image data when the VM is deleted (NULL: built-in data) */
    void (*release_images)(struct vm *vm);
    void *images_ctx;
    const char *stop_reason;
    unsigned resets;
    unsigned vcpus_on;               /* powered-on vCPUs */
    uint64_t start_ns;
    /* console line buffer */
    spinlock_t con_lock;
    char con_line[200];
    size_t con_len;
    /* the console UART for host input; con_dev_lock keeps it alive while
     * input is pushed (taken before the device's own lock) */
    spinlock_t con_dev_lock;
    struct emu_dev *con_dev;
    void *vintc;                     /* the arch's virtual interrupt controller */
    struct vm_arch_data {
        uint64_t vttbr;
    } arch;
};

/* Creating, starting, stopping. Each returns 0 or a negative AX_E* with a
 * message in err. */
struct vm *vm_create(struct vm_config *cfg, const struct vm_blob images[VM_IMG_COUNT], char *err,
                     size_t errlen);
int vm_start(struct vm *vm);
/* Ask for a stop/reset from anywhere (a vCPU, the shell); the manager does it. */
void vm_request_stop(struct vm *vm, const char *reason);
void vm_request_reset(struct vm *vm);
bool vm_should_exit(const struct vm *vm);  /* vCPUs poll this */

/* The manager: runs in the init task until no VM is running (and, with
 * keep-alive on, e.g. once the shell was used, forever). */
void vm_manager_run(void);
void vm_manager_keep_alive(bool on);

/* Control requests (the shell). Each returns 0 when the request was taken
 * (the manager carries it out and logs the result), -AX_EBUSY/-AX_EINVAL
 * when the VM's state does not allow it. delete needs a stopped VM and
 * returns every page and task it had. */
int vm_ctl_start(struct vm *vm);
int vm_ctl_stop(struct vm *vm, const char *why);
int vm_ctl_restart(struct vm *vm);
int vm_ctl_suspend(struct vm *vm);
int vm_ctl_resume(struct vm *vm);
int vm_ctl_delete(struct vm *vm);
bool vm_is_gone(unsigned id);
unsigned vm_running_count(void);
struct vm *vm_by_id(unsigned id);

/* Put an emulated device on the VM's bus and claim its window in the
 * address space; on failure the device is freed and err says why. */
int vm_add_emu_dev(struct vm *vm, struct emu_dev *dev, uint32_t type, char *err, size_t errlen);

/* Guest console, input and focus: see ax/vm_console.h. The VM layer binds
 * the console UART after building the devices and unbinds it before
 * freeing them. */
void vm_console_attach(struct vm *vm);
void vm_console_detach(struct vm *vm);
/* The VMs of the table in table order (stable: a VM keeps its slot until it
 * is deleted); returns how many were stored, at most max. */
unsigned vm_list(struct vm **out, unsigned max);

/* vCPU power (PSCI / SBI HSM / INIT-SIPI all end here). */
int vm_cpu_up(struct vm *vm, unsigned target, uint64_t entry, uint64_t arg);
int vm_cpu_power_state(struct vm *vm, unsigned target); /* enum vcpu_power, -AX_EINVAL */

/* Platform questions the VM layer asks the top level (src/axvisor/). */
bool hv_range_is_host_ram(paddr_t base, uint64_t size);
/* What the arch layer found at boot (DTB, RAM banks); NULL before hv_main. */
const struct boot_info *hv_boot_info(void);
/* A VM is starting (the console multiplexer starts with the first one). */
void hv_vm_starting(struct vm *vm);
/* Map the regions of host DTB node `path` into the VM one to one. */
int hv_passthrough_dtb_node(struct vm *vm, const char *path, char *err, size_t errlen);

/* Hypercall dispatch (src/axvisor/hypercall.c). */
int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t args[6]);

#endif
