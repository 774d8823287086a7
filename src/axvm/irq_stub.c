/* Device interrupt lines before (or without) an interrupt controller model:
 * the line goes nowhere. The arch's virtual interrupt controller provides the
 * real vm_irq_set_level, which overrides this weak one at link time. */
#include "ax/vm_console.h"

__attribute__((weak)) void vm_irq_set_level(struct vm *vm, uint32_t intid, bool level)
{
    (void)vm;
    (void)intid;
    (void)level;
}
