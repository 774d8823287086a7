/* PCI configuration mechanism #1: the address goes to port 0xCF8, the data
 * moves through port 0xCFC. One lock keeps the two accesses together. */
#include "ax/pci.h"
#include "ax/spinlock.h"
#include "platform.h"

#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc

static spinlock_t pci_lock = SPINLOCK_INIT;

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    return 0x80000000u | (bus & 0xffu) << 16 | (dev & 0x1fu) << 11 | (fn & 7u) << 8 | (off & 0xfcu);
}

bool pci_cfg_available(void) { return true; }

uint32_t pci_cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    unsigned long f = spin_lock_irqsave(&pci_lock);
    outl(PCI_ADDR_PORT, cfg_addr(bus, dev, fn, off));
    uint32_t v = inl(PCI_DATA_PORT);
    spin_unlock_irqrestore(&pci_lock, f);
    return v;
}

void pci_cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t val)
{
    unsigned long f = spin_lock_irqsave(&pci_lock);
    outl(PCI_ADDR_PORT, cfg_addr(bus, dev, fn, off));
    outl(PCI_DATA_PORT, val);
    spin_unlock_irqrestore(&pci_lock, f);
}
