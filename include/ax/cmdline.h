/* The hypervisor's command line (/chosen/bootargs, or the boot loader's):
 * space-separated words, "key=value" or "key". Recognised keys:
 *   hv.log=error|warn|info|debug|trace   console log level
 *   hv.test=fault                        after the self-checks, fault on the
 *                                        last CPU on purpose (tests the dump)
 *   hv.test=vmcycle                      create/start/stop/delete the first
 *                                        built-in VM 100 times and check that
 *                                        every page comes back
 *   hv.shell=1                           stay up with the shell in focus even
 *                                        with no VM
 */
#ifndef AX_CMDLINE_H
#define AX_CMDLINE_H

#include "ax/types.h"

/* Finds key in cmdline; on success points *val at its value (len in *vlen,
 * 0 for a bare key) and returns true. */
bool cmdline_get(const char *cmdline, const char *key, const char **val, size_t *vlen);
/* true when key=value (exactly) is present */
bool cmdline_is(const char *cmdline, const char *key, const char *value);

#endif
