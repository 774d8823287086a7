# Shell input fuzzer: line editor (echo replayed on a VT100 model, shadow
# editor), word splitting (quote round trip), id parsing, UTF-8 helpers.
FUZZERS += shell
FZ_SRCS_shell := src/lib/lineedit.c src/axvisor/shell_parse.c src/lib/parse.c
