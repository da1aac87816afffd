#!/bin/sh
# save.sh VALUE — replace /mnt/lab/settings.conf with VALUE, durably and atomically.
set -e
dir=/mnt/lab
tmp=$dir/.settings.conf.tmp.$$
printf '%s\n' "$1" > "$tmp"
fsync "$tmp"                       # the new data is on the disk
mv -f "$tmp" "$dir/settings.conf"  # atomic replace: readers see old or new, never half
fsync "$dir"                       # the rename itself is on the disk
