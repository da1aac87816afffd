#!/bin/sh
# The reference solution: one group for both programs, the ticket's limits, both moved in, then
# wait for the group's OOM killer to end bloat.
set -e
cpu=$(awk '/^crunch:/ {print $4+0}' /run/lab/ticket)
mem=$(awk '/^bloat:/ {print $4}' /run/lab/ticket)
G=/sys/fs/cgroup/lab/jobs/batch
mkdir -p $G
echo "$((cpu * 1000)) 100000" > $G/cpu.max
echo "${mem}M" > $G/memory.max
echo "$(pidof crunch)" > $G/cgroup.procs
echo "$(pidof bloat)" > $G/cgroup.procs
i=0
until grep -q '^oom_kill [1-9]' $G/memory.events; do
  i=$((i + 1))
  [ $i -lt 150 ] || { echo "no OOM kill after 30 s" >&2; exit 1; }
  sleep 0.2
done
