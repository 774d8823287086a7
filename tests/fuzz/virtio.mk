# virtio drivers against a device whose every answer comes from the input
# (used ring entries, status bytes, silence) or whose PCI configuration
# space does (capability list, BARs). Seeds: tests/fuzz/corpus/virtio/.
FUZZERS += virtio
FZ_SRCS_virtio := src/drivers/virtqueue.c src/drivers/virtio_mmio.c src/drivers/virtio_pci.c \
	src/drivers/virtio_blk.c src/axalloc/frame.c src/lib/format.c src/lib/strerror.c
