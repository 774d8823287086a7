/* Defaults for platforms without port-based PCI configuration access; an
 * arch that has it (x86_64) defines the strong versions. */
#include "ax/pci.h"

__attribute__((weak)) bool pci_cfg_available(void) { return false; }

__attribute__((weak)) uint32_t pci_cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    (void)bus;
    (void)dev;
    (void)fn;
    (void)off;
    return 0xffffffffu;
}

__attribute__((weak)) void pci_cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t val)
{
    (void)bus;
    (void)dev;
    (void)fn;
    (void)off;
    (void)val;
}
