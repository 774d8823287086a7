# virtio drivers (virtqueue, virtio-mmio, virtio-pci, virtio-blk) against
# the fake device in tests/unit/fake_virtio.h; one case mounts the FAT32
# fixture built by fat32.mk through the driver.
UNIT_TESTS += virtio
UT_SRCS_virtio := src/drivers/virtqueue.c src/drivers/virtio_mmio.c src/drivers/virtio_pci.c \
	src/drivers/virtio_blk.c src/axalloc/frame.c src/lib/format.c src/lib/strerror.c \
	src/axfs/fat32.c src/axfs/vfs.c
UT_DEPS_virtio := $(HOST_BUILD)/fixtures/fat32-mbr.img tests/unit/fake_virtio.h
