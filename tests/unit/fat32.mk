# FAT32 driver and VFS unit test. The disk images are built, not committed:
# a source tree generated here is copied into fresh mkfs.fat volumes with
# mtools (scripts/mkdisk.sh), and the test compares what the driver reads
# with the files on the host.
#
#   fat32-main.img  40 MiB, 512-byte sectors and clusters, the whole tree,
#                   plus a fragmented file: a hole punched with mdel, FSInfo's
#                   next-free hint (offset 512 + 492) reset to cluster 2 so
#                   mtools fills the hole first, then continues elsewhere
#   fat32-4k.img    300 MiB sparse, 4096-byte sectors, the whole tree
#   fat32-mbr.img   48 MiB, MBR with one 0x0C partition at sector 2048
#   fat32-tiny.img  64 KiB straight from mkfs.fat -F 32 (94 clusters, empty)
UNIT_TESTS += fat32
UT_SRCS_fat32 := src/axfs/fat32.c src/axfs/vfs.c

FAT32_FIX := $(HOST_BUILD)/fixtures
FAT32_TREE := $(FAT32_FIX)/fat32-src
FAT32_MKFS := $(firstword $(wildcard /sbin/mkfs.fat /usr/sbin/mkfs.fat) mkfs.fat)
FAT32_ENV := LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1
UT_DEPS_fat32 := $(FAT32_FIX)/fat32-main.img $(FAT32_FIX)/fat32-4k.img \
	$(FAT32_FIX)/fat32-mbr.img $(FAT32_FIX)/fat32-tiny.img

# The tree: deep directories, long names with spaces and non-ASCII letters,
# case flags, a 5 MiB file, an empty file and directory, exact multiples of
# the cluster sizes, and a directory of 300 entries spanning many clusters.
$(FAT32_TREE).stamp: tests/unit/fat32.mk
	@echo "  GEN     $(FAT32_TREE)"
	$(Q)set -e; t=$(FAT32_TREE); rm -rf $$t; mkdir -p $$t; \
	printf 'Hello, FAT32!\n' > $$t/hello.txt; \
	printf 'plain 8.3 name\n' > $$t/README.TXT; \
	printf 'mixed\n' > $$t/MixedCase.Txt; \
	printf 'spaces\n' > "$$t/Long Name With Spaces.text"; \
	printf 'unicode\n' > "$$t/Ünïcödé файл.txt"; \
	printf 'cjk\n' > "$$t/日本語のファイル名.txt"; \
	printf 'greek\n' > "$$t/Ελληνικά.txt"; \
	printf 'dot\n' > $$t/.hidden; \
	: > $$t/empty.dat; mkdir $$t/emptydir; \
	n=$$(printf '%0230d' 0 | tr 0 n); printf 'long\n' > "$$t/$$n.txt"; \
	python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + (i >> 9)) & 255 for i in range(5 * 1024 * 1024 + 123)))' > $$t/big.bin; \
	for s in 512 1024 4096 8192 32768; do head -c $$s $$t/big.bin > $$t/exact$$s.bin; done; \
	mkdir -p $$t/a/b/c/d/e/f/g/h/i/j; printf 'deep\n' > $$t/a/b/c/d/e/f/g/h/i/j/deep.txt; \
	mkdir -p "$$t/Dir With Spaces/sub dir"; printf 'nested\n' > "$$t/Dir With Spaces/sub dir/file in sub dir.txt"; \
	mkdir $$t/many; i=0; while [ $$i -lt 300 ]; do \
	  printf '%03d\n' $$i > "$$t/many/entry number $$(printf %03d $$i).txt"; i=$$((i + 1)); done; \
	touch $@

$(FAT32_FIX)/fat32-main.img: $(FAT32_TREE).stamp scripts/mkdisk.sh
	@echo "  MKDISK  $@"
	$(Q)scripts/mkdisk.sh $(FAT32_TREE) $@.tmp 40
	$(Q)set -e; d=$(FAT32_FIX)/fat32-frag; rm -rf $$d; mkdir -p $$d; \
	head -c 20000 $(FAT32_TREE)/big.bin > $$d/gap.bin; printf 'after\n' > $$d/after.txt; \
	tail -c 70000 $(FAT32_TREE)/big.bin > $$d/frag.bin; \
	$(FAT32_ENV) mcopy -i $@.tmp $$d/gap.bin $$d/after.txt ::/; \
	$(FAT32_ENV) mdel -i $@.tmp ::/gap.bin; \
	printf '\002\000\000\000' | dd of=$@.tmp bs=1 seek=1004 conv=notrunc status=none; \
	$(FAT32_ENV) mcopy -i $@.tmp $$d/frag.bin ::/
	$(Q)mv $@.tmp $@

$(FAT32_FIX)/fat32-4k.img: $(FAT32_TREE).stamp scripts/mkdisk.sh
	@echo "  MKDISK  $@"
	$(Q)MKDISK_MKFS_OPTS="-S 4096" scripts/mkdisk.sh $(FAT32_TREE) $@.tmp 300 && mv $@.tmp $@

$(FAT32_FIX)/fat32-mbr.img: scripts/mkdisk.sh tests/unit/fat32.mk
	@echo "  MKDISK  $@"
	$(Q)set -e; d=$(FAT32_FIX)/fat32-mbr-src; rm -rf $$d; mkdir -p $$d/sub; \
	printf 'on a partition\n' > $$d/hello.txt; printf 'x\n' > $$d/sub/x.txt; \
	MKDISK_MBR=1 scripts/mkdisk.sh $$d $@.tmp 48; mv $@.tmp $@

$(FAT32_FIX)/fat32-tiny.img: tests/unit/fat32.mk
	@echo "  MKFS    $@"
	$(Q)mkdir -p $(@D) && rm -f $@.tmp && truncate -s 64K $@.tmp && \
	$(FAT32_MKFS) -F 32 -s 1 -S 512 -i 12345678 $@.tmp >/dev/null 2>&1 && mv $@.tmp $@
