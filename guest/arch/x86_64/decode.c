/* The hypervisor's MOV decoder, reused by the runtime to skip a faulting
 * instruction (KIT_FAULT_SKIP needs its length). */
#include "../../../src/arch/x86_64/x86_decode.c"
