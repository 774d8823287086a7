#!/bin/sh
# Fills the folder `make disk` turns into a FAT32 image: every kit guest of
# ARCH under guest/images/ and the given VM configs under guest/vm_default/
# (where the hypervisor looks for VMs at boot). Each config is validated
# with the host checker first, so a bad one fails here with its message.
#   scripts/disk-tree.sh CHECKER ARCH DIR CONFIG...
set -eu
tool=$1; arch=$2; dir=$3; shift 3
for c in "$@"; do
    "$tool" check "$c" > /dev/null
done
rm -rf "$dir"
mkdir -p "$dir/guest/images" "$dir/guest/vm_default"
cp build/guest/"$arch"/*.bin "$dir/guest/images/"
for c in "$@"; do
    cp "$c" "$dir/guest/vm_default/"
done
