/* Virtual GIC (vgic.c): the model's state and its hooks into the vCPU code. */
#ifndef AARCH64_VGIC_H
#define AARCH64_VGIC_H

#include "ax/fdt.h"
#include "ax/spinlock.h"
#include "ax/types.h"
#include "ax/vm.h"

#define VGIC_NR_SPIS 96 /* SPI INTIDs 32..127 */
#define VGIC_MAX_LR 16

struct virq {
    uint8_t prio;
    uint8_t targets;    /* GICv2 ITARGETSR */
    bool enabled, edge, group1;
    bool pending;       /* latched, waiting for a list register */
    bool level;         /* input line (level-sensitive sources) */
    int8_t lr;          /* list register holding it, or -1 */
    uint8_t lr_vcpu;
    int8_t queued_on;   /* vCPU whose pend bitmap has it, or -1 */
    uint64_t irouter;   /* GICv3 IROUTER */
    uint16_t host_intid; /* passthrough: the physical interrupt behind it, 0 = none */
};

#define VGIC_MAX_PT_IRQS 8
struct vgic_pt_irq {
    struct vgic *g;
    uint32_t intid;     /* same number on the host and in the guest */
};

struct vgic_cpu {
    struct virq priv[32];          /* SGIs and PPIs */
    uint64_t pend[2];              /* INTIDs 0..127 waiting for a list register */
    uint8_t sgi_src[16];
    uint32_t lr_used;              /* list registers we filled */
    uint16_t lr_intid[VGIC_MAX_LR];
    uint64_t lr_saved[VGIC_MAX_LR];
    uint64_t vmcr, apr0, apr1;
    bool waker_asleep;
};

struct vgic {
    struct vm *vm;
    unsigned version;
    unsigned ncpu;
    uint64_t gicd_base, gicr_base, gicc_base;
    uint32_t ctlr;
    spinlock_t lock;
    uint32_t bad_logs;
    uint64_t stats_injected, stats_overflows;
    struct virq spi[VGIC_NR_SPIS];
    struct vgic_pt_irq pt[VGIC_MAX_PT_IRQS];
    unsigned npt;
    struct vgic_cpu cpu[VM_MAX_VCPUS];
};

int vgic_host_init(const struct fdt_platform *p);
int vgic_create(struct vm *vm, const struct vm_emu_device *cfg, char *err, size_t errlen);
void vgic_flush(struct vcpu *v);
void vgic_sync(struct vcpu *v);
void vgic_save(struct vcpu *v);
void vgic_restore(struct vcpu *v);
bool vgic_vcpu_pending(struct vcpu *v);
void vgic_inject_private(struct vcpu *v, uint32_t intid);
void vgic_sgi1r_write(struct vcpu *v, uint64_t val);
int vgic_bind_host_irq(struct vm *vm, uint32_t intid, char *err, size_t errlen);
void vgic_describe(struct vm *vm, unsigned *version, uint64_t *gicd, uint64_t *gicr_or_gicc);

#endif
