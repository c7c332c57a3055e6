#!/bin/sh
# check_logs.sh LOG_DIR: after the sanitizer build's ctest run (make sanitize), prints every
# sanitizer report the tests left in LOG_DIR and fails if there is one. The logs catch
# what an exit status cannot: a finding in a keel run whose test expects keel to fail.
set -u
dir=$1
found=0
for f in "$dir"/*; do
    [ -f "$f" ] || continue
    found=$((found + 1))
    echo "==== sanitizer report $f:"
    cat "$f"
done
if [ "$found" -ne 0 ]; then
    echo "make sanitize: $found sanitizer report(s) in $dir (above)" >&2
    exit 1
fi
echo "make sanitize: no sanitizer reports"
