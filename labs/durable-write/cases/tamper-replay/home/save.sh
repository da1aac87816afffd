#!/bin/sh
# save.sh VALUE — replace /mnt/lab/settings.conf with VALUE (one line).
# It works... until the power goes out at the wrong moment.
printf '%s\n' "$1" > /mnt/lab/settings.conf
