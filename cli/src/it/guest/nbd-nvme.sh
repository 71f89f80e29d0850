#!/usr/bin/env bash
# Runs inside a linux-guest whose QEMU has an emulated NVMe controller (-device nvme) over an NBD
# drive served by a k200 card on the host (GuestNbdNvmeIT starts the cards and the guest).
# The guest kernel's PCIe nvme driver sees a local NVMe drive whose data lives in the card:
#   guest nvme (PCIe) -> QEMU nvme -> NBD -> k200 co-processor -> k200 initiator -> k200 standalone
# Steps print "STEP <name>"; the host side reads the output. SYNC is a directory shared with the
# host test, which takes the remote card away and brings it back when this script asks.
set -euo pipefail
SYNC=${SYNC:?SYNC must name the directory shared with the host test}
SERIAL=${SERIAL:?SERIAL must be the NVMe serial QEMU was given}

step() { echo "STEP $*"; }
fail() {
  echo "FAIL $*"
  echo "---- kernel log"; dmesg | grep -iE "nvme|blk|I/O error" | tail -n 40 || true
  exit 1
}
wait_for() {  # file seconds
  for i in $(seq 1 "$2"); do [ -e "$SYNC/$1" ] && return 0; sleep 1; done
  fail "the host did not signal $1 within $2 s"
}

step "find the PCIe NVMe drive"
modprobe nvme || fail "modprobe nvme"
CTRL=
for i in $(seq 1 60); do
  for c in /sys/class/nvme/nvme*; do
    [ -e "$c/transport" ] || continue
    if [ "$(cat "$c/transport")" = pcie ] && [ "$(tr -d ' ' < "$c/serial")" = "$SERIAL" ]; then CTRL=$(basename "$c"); fi
  done
  [ -n "$CTRL" ] && [ -b "/dev/${CTRL}n1" ] && break
  sleep 1
done
[ -n "$CTRL" ] && [ -b "/dev/${CTRL}n1" ] || fail "no PCIe NVMe controller with serial $SERIAL"
DEV=/dev/${CTRL}n1
echo "drive: $DEV transport=$(cat /sys/class/nvme/$CTRL/transport) model=$(cat /sys/class/nvme/$CTRL/model | xargs)" \
     "serial=$(cat /sys/class/nvme/$CTRL/serial | xargs) address=$(cat /sys/class/nvme/$CTRL/address)" \
     "size=$(blockdev --getsize64 "$DEV")"

fio_verify() {  # name rw bs offset size iodepth
  fio --name="$1" --filename="$DEV" --direct=1 --ioengine=libaio --iodepth="$6" --rw="$2" --bs="$3" \
      --offset="$4" --size="$5" --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --minimal \
      > "/tmp/$1" || { cat "/tmp/$1"; fail "fio $1"; }
  echo "fio $1: errors=$(cut -d';' -f5 "/tmp/$1") read_kb=$(cut -d';' -f6 "/tmp/$1") write_kb=$(cut -d';' -f47 "/tmp/$1")"
}

step "fio 4k random write with crc32c verify"
fio_verify randwrite-4k randwrite 4k 0 16m 16
step "fio 128k sequential write with crc32c verify"
fio_verify seq-128k write 128k 32m 16m 8

step "region written in the guest"
head -c $((4 * 1024 * 1024)) /dev/urandom > /tmp/region
dd if=/tmp/region of="$DEV" bs=1M seek=64 oflag=direct conv=fsync status=none || fail "dd region"
echo "GUEST_SHA256 $(sha256sum < /tmp/region | cut -d' ' -f1)"
[ "$(dd if="$DEV" bs=1M skip=64 count=4 iflag=direct status=none | sha256sum | cut -d' ' -f1)" = \
  "$(sha256sum < /tmp/region | cut -d' ' -f1)" ] || fail "region reads back different in the guest"

step "remote card killed and restarted mid-write"
touch "$SYNC/ready-for-outage"
wait_for remote-killed 120
# Written while the remote card is gone: the co-processor card holds the I/O until it reconnects.
touch "$SYNC/writing"
start=$(date +%s)
fio_verify outage-4k randwrite 4k 128m 8m 16
echo "outage write took $(( $(date +%s) - start )) s"
[ -e "$SYNC/remote-restarting" ] || fail "fio finished before the remote card was started again"

step "done"
sync
echo "ALL STEPS PASSED"
