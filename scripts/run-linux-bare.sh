#!/bin/sh
# Boots the Debian arm64 kernel + busybox initramfs from scripts/fetch-linux.sh
# directly on QEMU (no hypervisor), as a reference for the Linux guest.
# Usage: scripts/run-linux-bare.sh [extra QEMU args...]
# Environment: SMP (2), MEM (512M), GIC (QEMU's default, 2; or 3),
#              APPEND (kernel command line; default below).
# The shell prompt is "/ # "; `poweroff` exits QEMU (PSCI SYSTEM_OFF), `reboot`
# resets the machine and boots again (pass -no-reboot to make it exit instead).
# From a terminal, Ctrl-A X quits QEMU.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
K="$ROOT/build/linux/aarch64"
if [ ! -f "$K/Image" ] || [ ! -f "$K/initramfs.cpio.gz" ]; then
    "$ROOT/scripts/fetch-linux.sh" >&2
fi
SMP=${SMP:-2}; MEM=${MEM:-512M}
APPEND=${APPEND:-"console=ttyAMA0 earlycon=pl011,0x09000000 rdinit=/sbin/init"}
machine=virt
[ -z "${GIC:-}" ] || machine="virt,gic-version=$GIC"
if [ -t 0 ]; then serial="-serial mon:stdio"; else serial="-serial stdio -monitor none"; fi
# shellcheck disable=SC2086
exec qemu-system-aarch64 -M "$machine" -cpu cortex-a72 -smp "$SMP" -m "$MEM" \
    -display none $serial -kernel "$K/Image" -initrd "$K/initramfs.cpio.gz" \
    -append "$APPEND" "$@"
