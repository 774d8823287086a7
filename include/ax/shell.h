/* The hypervisor shell: a prompt on the serial console while the hypervisor
 * has the console focus (Ctrl-A 0 or Ctrl-A h), with commands to list,
 * inspect, create, start, stop, suspend, resume, restart and delete VMs,
 * look at the disk (ls, cat), set the log level, show statistics and power
 * the machine off. README.md "Shell" documents every command.
 *
 * The shell runs in its own task. The console multiplexer hands it typed
 * bytes through a small ring (never blocking the console task); the task
 * edits the line (ax/lineedit.h), splits it into words and runs the command.
 *
 * Power-off rule: the machine powers itself off when the last VM stops on
 * its own and the shell was never used. The first command entered turns
 * the VM manager's keep-alive on: from then on only `poweroff` ends it.
 *
 * The word splitting and id parsing below are plain C (shell_parse.c) and
 * tested on the host; shell.c needs the hypervisor. */
#ifndef AX_SHELL_H
#define AX_SHELL_H

#include "ax/types.h"

#define SHELL_PROMPT "axvisor> "
#define SHELL_LINE_MAX 256 /* bytes of a line shell_split accepts */
#define SHELL_MAX_ARGS 8

/* ---- the shell task (shell.c) ---- */

/* Create the shell task and take the hypervisor's console input
 * (idempotent). The console multiplexer must be started separately. */
void shell_start(void);
/* Show the prompt now, as if the hypervisor had just been given the focus
 * (boot with hv.shell=1). */
void shell_engage(void);
/* For log_line_break_hook: true (once) when the shell left the cursor in
 * mid-line (a prompt or a half-typed command); the log then starts its
 * line with a newline and the shell redraws its line afterwards. Chains to
 * the hook that was installed when shell_start() ran. */
bool shell_line_break(void);

/* ---- parsing (shell_parse.c) ---- */

/* A line split into words. */
struct shell_args {
    unsigned argc;
    char *argv[SHELL_MAX_ARGS + 1]; /* argv[argc] == NULL */
    char buf[SHELL_LINE_MAX + 1];
};

/* Splits line into words, separated by spaces or tabs. 'single quotes'
 * keep everything literally; "double quotes" keep spaces, and a backslash
 * in them escapes '"' and '\\' only; outside quotes a backslash makes the
 * next byte literal. Quoted parts join the word around them (a"b c" is the
 * one word `ab c`); "" is an empty word. Returns the number of words, or
 * -AX_EINVAL (unterminated quote, or a backslash at the end of the line),
 * -AX_ERANGE (more than SHELL_MAX_ARGS words, or the line is longer than
 * SHELL_LINE_MAX bytes). line need not outlive the call. */
int shell_split(const char *line, struct shell_args *a);

/* A VM id: a decimal or 0x-prefixed number (ax_strtou64, base 0) that fits
 * in 32 bits. 0, -AX_EINVAL (not a number) or -AX_ERANGE (too large). */
int shell_parse_id(const char *s, unsigned *id);

/* Is this buffer text a terminal can show as it is? (UTF-8 and ASCII
 * printable bytes, tab, CR, LF; no NUL and no other control byte.) */
bool shell_is_text(const uint8_t *p, size_t n);
/* n, less the bytes of a multi-byte UTF-8 character cut off at the end (so
 * a text shown in part ends on a character boundary). */
size_t shell_utf8_trim(const uint8_t *p, size_t n);

#endif
