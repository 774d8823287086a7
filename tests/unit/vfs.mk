# VFS unit test over a mock filesystem (FAT32 through the VFS: fat32.mk).
UNIT_TESTS += vfs
UT_SRCS_vfs := src/axfs/vfs.c
