#!/bin/sh
# Builds a FAT32 disk image from a directory, without root or loop mounts:
# mkfs.fat formats a (sparse) file and mtools copies the tree into it.
#
#   scripts/mkdisk.sh SRC_DIR OUT.img [SIZE_MB]
#
# SIZE_MB defaults to the tree's size plus room, at least 40 MiB: mtools only
# recognises FAT32 with at least 65525 clusters (about 33 MiB at 512-byte
# clusters), although mkfs.fat -F 32 makes smaller volumes too.
#
# Environment:
#   MKDISK_MBR=1          write an MBR with one FAT32 (LBA, type 0x0C) partition
#                         starting at sector 2048, the volume inside it
#   MKDISK_MKFS_OPTS=...  extra mkfs.fat options (e.g. "-S 4096", "-s 8 -f 1")
#   MKDISK_LABEL=NAME     volume label (default AXVISOR)
set -eu

usage() {
    echo "usage: $0 SRC_DIR OUT.img [SIZE_MB]" >&2
    exit 2
}
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
src=$1
out=$2
[ -d "$src" ] || { echo "mkdisk: $src is not a directory" >&2; exit 1; }

mkfs=$(command -v mkfs.fat 2>/dev/null || true)
for c in /sbin/mkfs.fat /usr/sbin/mkfs.fat; do
    if [ -z "$mkfs" ] && [ -x "$c" ]; then mkfs=$c; fi
done
[ -n "$mkfs" ] || { echo "mkdisk: mkfs.fat not found (apt-get install dosfstools)" >&2; exit 1; }
command -v mcopy >/dev/null || { echo "mkdisk: mcopy not found (apt-get install mtools)" >&2; exit 1; }

if [ $# -eq 3 ]; then
    size_mb=$3
else
    used_kb=$(du -sk "$src" | cut -f1)
    size_mb=$(( used_kb * 5 / 4 / 1024 + 8 ))
    [ "$size_mb" -ge 40 ] || size_mb=40
fi
case $size_mb in ''|*[!0-9]*) usage ;; esac

part_sectors=2048 # 1 MiB: where the partition starts with MKDISK_MBR=1
total=$(( size_mb * 2048 ))

# Little-endian 32-bit value as printf octal escapes.
le32() {
    v=$1
    for _ in 1 2 3 4; do
        printf '\\%03o' $(( v & 255 ))
        v=$(( v >> 8 ))
    done
}

rm -f "$out"
truncate -s "${size_mb}M" "$out"

# mtools names files from the locale's character set: use UTF-8.
LC_ALL=C.UTF-8
MTOOLS_SKIP_CHECK=1
export LC_ALL MTOOLS_SKIP_CHECK

label=${MKDISK_LABEL:-AXVISOR}
log=$out.log
if [ "${MKDISK_MBR:-0}" = 1 ]; then
    [ "$total" -gt $(( part_sectors + 1024 )) ] || { echo "mkdisk: image too small" >&2; exit 1; }
    psize=$(( total - part_sectors ))
    # One entry at offset 446: not bootable, CHS fields maxed (LBA only),
    # type 0x0C, start and size in sectors; then the 0x55AA signature.
    entry="\\000\\376\\377\\377\\014\\376\\377\\377$(le32 $part_sectors)$(le32 $psize)"
    # shellcheck disable=SC2059
    printf "$entry" | dd of="$out" bs=1 seek=446 conv=notrunc status=none
    printf '\125\252' | dd of="$out" bs=1 seek=510 conv=notrunc status=none
    # shellcheck disable=SC2086
    "$mkfs" -F 32 -n "$label" --offset=$part_sectors -h $part_sectors \
        ${MKDISK_MKFS_OPTS:-} "$out" $(( psize / 2 )) >"$log" 2>&1 ||
        { cat "$log" >&2; exit 1; }
    target="$out@@$(( part_sectors * 512 ))"
else
    # shellcheck disable=SC2086
    "$mkfs" -F 32 -n "$label" ${MKDISK_MKFS_OPTS:-} "$out" >"$log" 2>&1 ||
        { cat "$log" >&2; exit 1; }
    target=$out
fi
rm -f "$log"

# Every top-level entry, dot files included, recursively.
find "$src" -mindepth 1 -maxdepth 1 | LC_ALL=C sort | while IFS= read -r f; do
    mcopy -i "$target" -s -p -Q -- "$f" ::/ || { echo "mkdisk: mcopy $f failed" >&2; exit 1; }
done
