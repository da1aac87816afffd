#!/bin/sh
set -e
printf '%s\n' "$1" > /mnt/lab/settings.conf.tmp
mv -f /mnt/lab/settings.conf.tmp /mnt/lab/settings.conf
