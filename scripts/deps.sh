#!/bin/sh
# Installs, only when missing, what building and testing AxVisor needs on
# Debian bookworm. Safe to run repeatedly. --quiet prints nothing when all is
# present.
set -e
quiet=0; [ "$1" = "--quiet" ] && quiet=1

# command-or-file : Debian package
NEEDS="
aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu
riscv64-linux-gnu-gcc:gcc-riscv64-linux-gnu
gcc:gcc
make:make
qemu-system-aarch64:qemu-system-arm
qemu-system-riscv64:qemu-system-misc
qemu-system-x86_64:qemu-system-x86
dtc:device-tree-compiler
gdb-multiarch:gdb-multiarch
cpio:cpio
mcopy:mtools
mkfs.fat:dosfstools
clang:clang
python3:python3
/usr/include/cmocka.h:libcmocka-dev
/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
"

missing=""
for n in $NEEDS; do
    what=${n%%:*}; pkg=${n#*:}
    case "$what" in
        /*) [ -e "$what" ] || missing="$missing $pkg" ;;
        *) command -v "$what" >/dev/null 2>&1 || [ -x "/sbin/$what" ] || [ -x "/usr/sbin/$what" ] || missing="$missing $pkg" ;;
    esac
done

if [ -z "$missing" ]; then
    [ $quiet -eq 1 ] || echo "deps: everything is installed"
    exit 0
fi
echo "deps: installing:$missing"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing >/dev/null
echo "deps: done"
