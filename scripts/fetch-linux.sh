#!/bin/sh
# Fetches Debian bookworm's arm64 Linux kernel and busybox-static with
# `apt-get download` and builds a busybox initramfs for the Linux guest.
#
# Usage: scripts/fetch-linux.sh [--refresh]
#   --refresh   re-read the archive index and fetch newer packages if any
#               (otherwise cached .debs are reused and apt is not consulted)
# Environment:
#   LINUX_PKG   kernel package to fetch instead of the one the meta package
#               linux-image-arm64 points at (e.g. linux-image-6.1.0-56-arm64-unsigned)
#
# Everything lives under build/linux/ (never committed):
#   build/linux/apt/        private apt state for arm64 (sources copied from the host)
#   build/linux/debs/       the downloaded .deb files
#   build/linux/aarch64/    Image, initramfs.cpio.gz, config (the kernel's .config),
#                           VERSIONS (package names and versions)
# Idempotent: only missing or outdated pieces are (re)built.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SELF="$ROOT/scripts/fetch-linux.sh"
BASE="$ROOT/build/linux"
APTDIR="$BASE/apt"
DEBS="$BASE/debs"
OUT="$BASE/aarch64"
META_PKG=linux-image-arm64
BUSYBOX_PKG=busybox-static

refresh=0
case "${1:-}" in
    "") ;;
    --refresh) refresh=1 ;;
    *) echo "usage: $0 [--refresh]" >&2; exit 2 ;;
esac

say() { echo "fetch-linux: $*"; }
die() { echo "fetch-linux: error: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb tar cpio gzip od; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (this script needs a Debian host)"
done

# ---- private apt state -----------------------------------------------------

# apt options that point every piece of state at build/linux/apt and make arm64
# the only architecture. Host configuration (apt.conf.d: proxies, keyrings) is
# kept on purpose: it is what makes the archive reachable here.
apt_opts() {
    set -- -o "Dir::State=$APTDIR" -o "Dir::State::Lists=$APTDIR/lists" \
        -o "Dir::State::status=$APTDIR/status" -o "Dir::Cache=$APTDIR/cache" \
        -o "Dir::Etc::SourceList=$APTDIR/etc/sources.list" \
        -o "Dir::Etc::SourceParts=$APTDIR/etc/sources.list.d" \
        -o "Dir::Etc::Preferences=$APTDIR/etc/preferences" \
        -o "Dir::Etc::PreferencesParts=$APTDIR/etc/preferences.d" \
        -o APT::Architecture=arm64 -o APT::Architectures=arm64 \
        -o APT::Get::List-Cleanup=true -o Acquire::Languages=none
    # As root apt drops to _apt for downloads, which cannot write into our tree.
    [ "$(id -u)" -eq 0 ] && set -- "$@" -o APT::Sandbox::User=root
    printf '%s\n' "$@"
}

apt_run() { # apt_run apt-get|apt-cache ARGS...
    cmd=$1; shift
    # Options are one per line and contain no newlines, so split on newlines only.
    old_ifs=$IFS; IFS='
'
    # shellcheck disable=SC2046
    set -- $(apt_opts) "$@"
    IFS=$old_ifs
    "$cmd" "$@"
}

# Copies the host's apt sources (one-line .list and deb822 .sources files; other
# names, e.g. "*.disabled", are ignored by apt and skipped here too).
apt_setup() {
    mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" \
        "$APTDIR/etc/sources.list.d" "$APTDIR/etc/preferences.d"
    [ -f "$APTDIR/status" ] || : > "$APTDIR/status"
    rm -f "$APTDIR/etc/sources.list" "$APTDIR/etc/sources.list.d/"*
    if [ -f /etc/apt/sources.list ]; then
        cp /etc/apt/sources.list "$APTDIR/etc/sources.list"
    else
        : > "$APTDIR/etc/sources.list"
    fi
    found=0
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        cp "$f" "$APTDIR/etc/sources.list.d/"
        found=1
    done
    if [ $found -eq 0 ] && ! grep -q '^[[:space:]]*deb[[:space:]]' "$APTDIR/etc/sources.list"; then
        die "no apt sources found in /etc/apt/sources.list(.d)"
    fi
}

apt_updated=0
apt_update() {
    [ $apt_updated -eq 1 ] && return 0
    apt_setup
    say "apt-get update (arm64, private state in ${APTDIR#"$ROOT"/})"
    apt_run apt-get -q update >"$APTDIR/update.log" 2>&1 ||
        { cat "$APTDIR/update.log" >&2; die "apt-get update failed"; }
    grep -E '^(W|E):' "$APTDIR/update.log" >&2 || true
    apt_updated=1
}

# Prints the candidate version of package $1, or nothing if there is none.
apt_candidate() {
    apt_run apt-cache policy "$1" 2>/dev/null |
        sed -n 's/^[[:space:]]*Candidate:[[:space:]]*//p' | grep -v '^(none)$' || true
}

# The kernel image package: linux-image-arm64 depends on the signed
# linux-image-X-arm64; its twin linux-image-X-arm64-unsigned has the same
# Image without the EFI signature.
resolve_kernel_pkg() {
    if [ -n "${LINUX_PKG:-}" ]; then
        echo "$LINUX_PKG"
        return
    fi
    signed=$(apt_run apt-cache depends "$META_PKG" 2>/dev/null |
        sed -n 's/^[[:space:]]*Depends:[[:space:]]*\(linux-image-[^[:space:]]*\).*/\1/p' | head -n 1)
    [ -n "$signed" ] || die "cannot resolve $META_PKG for arm64"
    case "$signed" in
        *-unsigned) echo "$signed" ;;
        *) if [ -n "$(apt_candidate "$signed-unsigned")" ]; then echo "$signed-unsigned"; else echo "$signed"; fi ;;
    esac
}

# ---- downloads ----------------------------------------------------------------

# Newest cached .deb of package $1 (a file name glob is fine), or nothing.
cached_deb() {
    # shellcheck disable=SC2012,SC2086 # $1 is a glob on purpose
    ls -t "$DEBS"/$1_*_arm64.deb 2>/dev/null | head -n 1
}

# Downloads package $1 unless the candidate version is already cached. The file
# lands in a temporary directory first so an interrupted download never looks cached.
download() { # package [glob of the package's older names to delete]
    pkg=$1; old=${2:-$1}
    ver=$(apt_candidate "$pkg")
    [ -n "$ver" ] || die "package $pkg not found for arm64"
    # apt names files with the version's ':' written as %3a.
    want="$DEBS/${pkg}_$(echo "$ver" | sed 's/:/%3a/g')_arm64.deb"
    if [ -f "$want" ]; then
        touch "$want"
        return 0
    fi
    say "downloading $pkg $ver"
    tmp=$(mktemp -d "$DEBS/.dl.XXXXXX")
    (cd "$tmp" && apt_run apt-get -q download "$pkg:arm64" >/dev/null) ||
        { rm -rf "$tmp"; die "apt-get download $pkg failed"; }
    for f in "$tmp"/*.deb; do
        dpkg-deb --info "$f" >/dev/null || { rm -rf "$tmp"; die "bad package file $f"; }
        mv "$f" "$DEBS/"
    done
    rm -rf "$tmp"
    [ -f "$want" ] || die "expected $want after download"
    # Older versions (and older kernel ABIs) are dead weight.
    # shellcheck disable=SC2231 # $old is a glob on purpose
    for f in "$DEBS"/${old}_*_arm64.deb; do
        [ "$f" = "$want" ] || rm -f "$f"
    done
}

mkdir -p "$DEBS" "$OUT"

kernel_deb=$(cached_deb 'linux-image-*-arm64*')
busybox_deb=$(cached_deb "$BUSYBOX_PKG")
if [ $refresh -eq 1 ] || [ -z "$kernel_deb" ] || [ -z "$busybox_deb" ] ||
    { [ -n "${LINUX_PKG:-}" ] && [ -z "$(cached_deb "$LINUX_PKG")" ]; }; then
    apt_update
    kpkg=$(resolve_kernel_pkg)
    download "$kpkg" 'linux-image-*-arm64*'
    download "$BUSYBOX_PKG"
    kernel_deb=$(cached_deb "$kpkg")
    busybox_deb=$(cached_deb "$BUSYBOX_PKG")
elif [ -n "${LINUX_PKG:-}" ]; then
    kernel_deb=$(cached_deb "$LINUX_PKG")
fi
if [ -z "$kernel_deb" ] || [ -z "$busybox_deb" ]; then die "packages missing after download"; fi

# ---- kernel Image -------------------------------------------------------------

# Reads the little-endian u64 at byte offset $2 of file $1, printed as 0x%x.
read_u64() {
    od -A n -t x8 -j "$2" -N 8 "$1" | tr -d ' \n' | sed 's/^0*//; s/^$/0/; s/^/0x/'
}

# Only ./boot is unpacked: the full package (modules) is ten times larger.
extract_image() {
    tmp=$(mktemp -d "$OUT/.img.XXXXXX")
    dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$tmp" --wildcards './boot/*' ||
        { rm -rf "$tmp"; die "cannot unpack $kernel_deb"; }
    vmlinuz=$(find "$tmp/boot" -name 'vmlinuz-*' | head -n 1)
    [ -n "$vmlinuz" ] || { rm -rf "$tmp"; die "no /boot/vmlinuz-* in $kernel_deb"; }
    # Debian's arm64 vmlinuz has been shipped both raw and gzip-compressed.
    if [ "$(od -A n -t x1 -N 2 "$vmlinuz" | tr -d ' ')" = "1f8b" ]; then
        gzip -dc "$vmlinuz" > "$tmp/Image"
    else
        cp "$vmlinuz" "$tmp/Image"
    fi
    # arm64 Image header: "ARM\x64" at byte 56.
    if [ "$(od -A n -c -j 56 -N 4 "$tmp/Image" | tr -d ' ')" != 'ARMd' ]; then
        rm -rf "$tmp"
        die "$vmlinuz is not an arm64 Image"
    fi
    cp "$tmp"/boot/config-* "$OUT/config" 2>/dev/null || true
    mv "$tmp/Image" "$OUT/Image"
    rm -rf "$tmp"
}

# Stamps name what each output was built from (.deb mtimes come from the
# archive's Last-Modified, so they cannot be compared with -nt).
stamp_ok() { [ -f "$1" ] && [ -f "$1.stamp" ] && [ "$(cat "$1.stamp")" = "$2" ]; }

kstamp=$(basename "$kernel_deb")
if ! stamp_ok "$OUT/Image" "$kstamp"; then
    say "extracting Image from $kstamp"
    extract_image
    echo "$kstamp" > "$OUT/Image.stamp"
fi

# ---- initramfs ----------------------------------------------------------------

# Writes one newc cpio header (+ padded name) for an entry without data.
# cpio cannot archive device nodes we cannot mknod without root, so /dev/console
# (which the kernel opens for init before devtmpfs is mounted) is written here.
newc_entry() { # name mode(octal) rdevmajor rdevminor ino
    name=$1; namesize=$((${#1} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        "$5" "$(printf '%d' "0$2")" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0
    printf '%s\0' "$name"
    pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    [ $pad -eq 0 ] || head -c $pad /dev/zero
}

write_tree() { # dir
    d=$1
    mkdir -p "$d/bin" "$d/sbin" "$d/usr/bin" "$d/usr/sbin" "$d/etc/init.d" \
        "$d/dev" "$d/proc" "$d/sys" "$d/tmp" "$d/root" "$d/mnt" "$d/run"
    chmod 1777 "$d/tmp"
    dpkg-deb --fsys-tarfile "$busybox_deb" | tar -x -O ./bin/busybox > "$d/bin/busybox"
    chmod 755 "$d/bin/busybox"
    # The applets needed before rcS runs `busybox --install -s` for the rest
    # (the arm64 binary cannot be run here to list them).
    for a in sh cttyhack mount umount mkdir echo cat nproc; do ln -s busybox "$d/bin/$a"; done
    for a in init poweroff reboot halt; do ln -s ../bin/busybox "$d/sbin/$a"; done
    # /init is what the kernel runs by default: busybox's init (it is PID 1,
    # so poweroff/reboot signal it and it ends in the reboot syscall).
    ln -s bin/busybox "$d/init"

    cat > "$d/etc/inittab" <<'EOF'
::sysinit:/etc/init.d/rcS
::respawn:/bin/cttyhack /bin/sh -l
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sync
::restart:/sbin/init
EOF
    cat > "$d/etc/init.d/rcS" <<'EOF'
#!/bin/sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
hostname linux
echo "AXVISOR-LINUX-READY cpus=$(nproc)"
EOF
    chmod 755 "$d/etc/init.d/rcS"
    cat > "$d/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
export PS1='\w # '
EOF
    echo 'root:x:0:0:root:/root:/bin/sh' > "$d/etc/passwd"
    echo 'root:x:0:' > "$d/etc/group"
}

build_initramfs() {
    stage="$OUT/initramfs.d"
    rm -rf "$stage"
    mkdir -p "$stage"
    write_tree "$stage"
    find "$stage" -exec touch -h -d @0 {} + # same inputs, same archive
    tmp="$OUT/.initramfs.cpio.gz.tmp"
    {
        (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
            cpio -o -H newc -R 0:0 --reproducible --quiet)
        # A second archive; the kernel unpacks concatenated archives in order.
        newc_entry dev/console 20600 5 1 900001
        newc_entry TRAILER!!! 0 0 0 0
    } | gzip -n -9 > "$tmp"
    mv "$tmp" "$OUT/initramfs.cpio.gz"
    rm -rf "$stage"
}

# The initramfs layout is defined by this script, so its checksum is part of the stamp.
istamp="$(basename "$busybox_deb") $(cksum < "$SELF" | cut -d' ' -f1)"
if ! stamp_ok "$OUT/initramfs.cpio.gz" "$istamp"; then
    say "building initramfs.cpio.gz with $(basename "$busybox_deb")"
    build_initramfs
    echo "$istamp" > "$OUT/initramfs.cpio.gz.stamp"
fi

# ---- report -------------------------------------------------------------------

{
    for deb in "$kernel_deb" "$busybox_deb"; do
        echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
    done
} > "$OUT/VERSIONS.tmp"
mv "$OUT/VERSIONS.tmp" "$OUT/VERSIONS"

size() { wc -c < "$1" | tr -d ' '; }
rel() { echo "${1#"$ROOT"/}"; }
say "packages: $(tr '\n' ';' < "$OUT/VERSIONS" | sed 's/;$//; s/;/, /g')"
say "$(rel "$OUT/Image")  $(size "$OUT/Image") bytes (text_offset $(read_u64 "$OUT/Image" 8), image_size $(read_u64 "$OUT/Image" 16))"
say "$(rel "$OUT/initramfs.cpio.gz")  $(size "$OUT/initramfs.cpio.gz") bytes"
