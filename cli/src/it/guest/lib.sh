# Sourced by the guest scripts in this directory (after their `set -euo pipefail`).

# find_dev NQN: the controller and namespace block device of subsystem NQN, through sysfs; sets
# CTRL (/dev/nvmeX) and BLK (/dev/nvmeXn1) and returns 0, or returns 1 while there is none yet.
# With native multipath the namespace head (nvmeXn1) sits in the subsystem directory; without
# it, the namespace sits under the controller (/sys/class/nvme/nvmeX).
find_dev() {
  local s c n
  for s in /sys/class/nvme-subsystem/nvme-subsys*; do
    [ -e "$s/subsysnqn" ] || continue
    [ "$(cat "$s/subsysnqn")" = "$1" ] || continue
    c=$(ls "$s" | grep -E '^nvme[0-9]+$' | head -n 1)
    [ -n "$c" ] || continue
    n=$(ls "$s" | grep -E '^nvme[0-9]+n1$' | head -n 1)
    [ -n "$n" ] || n=$(ls "/sys/class/nvme/$c" | grep -E '^nvme[0-9]+n1$' | head -n 1)
    [ -n "$n" ] || return 1
    BLK=/dev/$n
    CTRL=/dev/$c
    return 0
  done
  return 1
}
