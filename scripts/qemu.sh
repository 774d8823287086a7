#!/bin/sh
# Boots a hypervisor image in QEMU the way DESIGN.md describes.
# Usage: scripts/qemu.sh ARCH IMAGE [extra QEMU args...]
# Environment: SMP (4), MEM (2G), GIC (3; aarch64 only), DISK (a disk image).
# From a terminal the serial console is interactive (Ctrl-A X quits QEMU);
# without one QEMU runs until the machine powers itself off.
arch=$1; image=$2; shift 2
SMP=${SMP:-4}; MEM=${MEM:-2G}; GIC=${GIC:-3}
# QEMU's own escape key is moved to Ctrl-T (Ctrl-T x quits, Ctrl-T c opens
# its monitor) so Ctrl-A reaches the hypervisor's console multiplexer.
if [ -t 0 ]; then serial="-serial mon:stdio -echr 0x14"; else serial="-serial stdio -monitor none"; fi
# DISK=image.img attaches a raw disk image as the machine's virtio-blk
# device (virtio-mmio version 2 on aarch64/riscv64, virtio-pci on x86_64).
disk=""
if [ -n "${DISK:-}" ]; then
    [ -f "$DISK" ] || { echo "qemu.sh: DISK=$DISK: no such file" >&2; exit 2; }
    drive="-drive file=$DISK,if=none,format=raw,id=hd0"
    case "$arch" in
    x86_64) disk="$drive -device virtio-blk-pci,drive=hd0" ;;
    *) disk="-global virtio-mmio.force-legacy=false $drive -device virtio-blk-device,drive=hd0" ;;
    esac
fi
case "$arch" in
aarch64)
    exec qemu-system-aarch64 -M virt,virtualization=on,gic-version="$GIC" -cpu cortex-a72 \
        -smp "$SMP" -m "$MEM" -display none $serial -kernel "$image" $disk "$@" ;;
riscv64)
    exec qemu-system-riscv64 -M virt -smp "$SMP" -m "$MEM" -display none $serial \
        -bios default -kernel "$image" $disk "$@" ;;
x86_64)
    exec qemu-system-x86_64 -M q35 -cpu EPYC -smp "$SMP" -m "$MEM" -display none $serial \
        -kernel "$image" -device isa-debug-exit,iobase=0xf4,iosize=4 $disk "$@" ;;
*)
    echo "qemu.sh: unknown arch '$arch'" >&2; exit 2 ;;
esac
