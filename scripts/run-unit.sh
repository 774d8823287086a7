#!/bin/sh
# Runs the given cmocka test binaries and prints one summary line
# "unit: N passed, N failed" counted over the individual test cases.
pass=0; fail=0; bad_bins=""
for b in "$@"; do
    out=$("$b" 2>&1); rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' | tail -1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ $rc -ne 0 ] && [ -z "$f" ]; then fail=$((fail + 1)); bad_bins="$bad_bins $b"; fi
done
[ -n "$bad_bins" ] && echo "crashed or failed without a cmocka summary:$bad_bins"
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
