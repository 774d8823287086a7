/* PCI configuration space through the platform's mechanism (x86: ports
 * 0xCF8/0xCFC). Platforms without one (aarch64 and riscv64 here: their
 * devices come from the device tree) get the weak defaults in
 * src/drivers/pci.c, which report no access. */
#ifndef AX_PCI_H
#define AX_PCI_H

#include "ax/types.h"

#define PCI_MAX_BUS 256
#define PCI_MAX_DEV 32
#define PCI_MAX_FN 8

/* Whether pci_cfg_read32/write32 reach real configuration space. */
bool pci_cfg_available(void);
/* off: 4-byte aligned, < 256. Reads of absent functions give 0xffffffff. */
uint32_t pci_cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off);
void pci_cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t val);

#endif
