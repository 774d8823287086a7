# FAT32 + VFS fuzzer. Seeds (tests/fuzz/corpus/fat32/): small mkfs.fat -F 32
# volumes, some populated by the driver's own writer, with their zero tails
# cut (the harness pads the disk with zeros).
FUZZERS += fat32
FZ_SRCS_fat32 := src/axfs/fat32.c src/axfs/vfs.c
