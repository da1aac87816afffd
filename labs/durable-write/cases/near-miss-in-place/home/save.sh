#!/bin/sh
set -e
printf '%s\n' "$1" > /mnt/lab/settings.conf
fsync /mnt/lab/settings.conf
fsync /mnt/lab
