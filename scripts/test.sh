#!/bin/sh
# The whole test suite: host unit tests (ASan+UBSan), then QEMU integration
# tests for the given arches. Ends with one line "N passed, N failed" that
# adds both up. Usage: scripts/test.sh ARCH...
cd "$(dirname "$0")/.." || exit 1
MAKE=${MAKE:-make}
mkdir -p build
status=0

for a in "$@"; do
    if ! $MAKE --no-print-directory ARCH="$a" all; then
        echo "build for $a failed"; status=1
    fi
done

$MAKE --no-print-directory unit 2>&1 | tee build/unit.log
ul=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed' build/unit.log | tail -1)
up=$(echo "$ul" | sed -n 's/^unit: \([0-9]*\) passed.*/\1/p'); uf=$(echo "$ul" | sed -n 's/.*passed, \([0-9]*\) failed.*/\1/p')
if [ -z "$ul" ]; then echo "unit tests did not complete"; up=0; uf=1; fi

python3 tests/integration/run.py --arch "$@" 2>&1 | tee build/itest.log
il=$(grep -E '^itest: [0-9]+ passed, [0-9]+ failed' build/itest.log | tail -1)
ip=$(echo "$il" | sed -n 's/^itest: \([0-9]*\) passed.*/\1/p'); if_=$(echo "$il" | sed -n 's/.*passed, \([0-9]*\) failed.*/\1/p')
if [ -z "$il" ]; then echo "integration tests did not complete"; ip=0; if_=1; fi

failed=$((uf + if_ + status))
echo "$((up + ip)) passed, $failed failed"
[ "$failed" -eq 0 ]
