#!/usr/bin/env bash
# Runs inside ../shared/tools/linux-guest (a real Linux kernel), from the project root.
# Co-processor mode end to end, with real peers on both sides:
#   1. kernel initiator -> k200 host port (emulated drive) -> k200 initiator -> kernel nvmet-tcp
#      target: fio verify, then the kernel target goes away mid-write and comes back; the data
#      written before and across the outage reads back;
#   2. card to card: kernel initiator -> k200 (co-processor) -> k200 (standalone): fio verify.
# Every step prints "STEP <name>" and fails the script on error; GuestCoprocessorIT reads the output.
set -euo pipefail
JAR=${K200_JAR:-cli/target/k200.jar}
JAVA=(java -Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
KNQN=nqn.2014-08.org.k200emu:kernel-peer
DRIVE=nqn.2014-08.org.k200emu:drive0
PIDS=()

step() { echo "STEP $*"; }
fail() {
  echo "FAIL $*"
  for f in /tmp/card*.log; do echo "---- $f"; tail -n 60 "$f" || true; done
  echo "---- kernel log"; dmesg | grep -iE "nvme|blk" | tail -n 40 || true
  exit 1
}
cleanup() {
  nvme disconnect-all >/dev/null 2>&1 || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_port() {
  for i in $(seq 1 600); do
    (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 1
  done
  fail "nothing listens on $1"
}

# The block device of subsystem $1 (see nvme-interop.sh for the sysfs layout).
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
    DEV=/dev/$n
    return 0
  done
  return 1
}

attach() {  # port nqn
  nvme connect -t tcp -a 127.0.0.1 -s "$1" -n "$2" || fail "nvme connect $1 $2"
  for i in $(seq 1 60); do find_dev "$2" && [ -b "$DEV" ] && return 0; sleep 1; done
  fail "no block device for $2"
}

coproc_config() {  # file remote-port remote-nqn host-port
  cat > "$1" <<YAML
mode: coprocessor
clusters: {hostThreads: 2}
bdevs:
  - {name: far0, type: remote, address: 127.0.0.1, port: $2, subnqn: '$3', holdTimeoutMs: 60000}
subsystems:
  - nqn: $DRIVE
    side: host
    namespaces: [{bdev: far0}]
ports: [{port: 0}]
discoveryPort: -1
hostPort: {address: 127.0.0.1, port: $4}
YAML
}

verify_fio() {  # name dev offset
  fio --name="$1" --filename="$2" --direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite --bs=4k \
      --size=16m --offset="$3" --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --minimal \
      > "/tmp/$1" || { cat "/tmp/$1"; fail "fio $1"; }
  echo "fio $1: errors=$(cut -d';' -f5 "/tmp/$1")"
}

modprobe nvme-tcp || fail "modprobe nvme-tcp"

step "kernel target on 4421"
# The kernel peer script, staged into the project by the test (../shared may not be visible here).
PORT=4421 SERVE_ONLY=1 NQN=$KNQN bash "${KERNEL_PEER:-../shared/tools/kernel-nvmet-peer.sh}" || fail "kernel nvmet"

step "card in co-processor mode over the kernel target"
coproc_config /tmp/coproc.yaml 4421 "$KNQN" 4430
"${JAVA[@]}" -jar "$JAR" start -c /tmp/coproc.yaml > /tmp/card-coproc.log 2>&1 &
PIDS+=($!)
wait_port 4430
grep -q "attached $KNQN" /tmp/card-coproc.log || fail "the card did not attach the kernel target"

step "attach the emulated drive"
attach 4430 "$DRIVE"
echo "emulated drive: $DEV ($(blockdev --getsize64 "$DEV") bytes)"
nvme list | grep -q "$(basename "$DEV")" || fail "nvme list does not show $DEV"

step "fio through the chain"
verify_fio chain-randwrite "$DEV" 0
fio --name=chain-seq --filename="$DEV" --direct=1 --ioengine=libaio --iodepth=8 --rw=write --bs=128k \
    --offset=64m --size=32m --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --minimal \
    > /tmp/chain-seq || { cat /tmp/chain-seq; fail "fio chain-seq"; }
echo "fio chain-seq: errors=$(cut -d';' -f5 /tmp/chain-seq)"

step "remote target goes away mid-write and comes back"
head -c $((4 * 1024 * 1024)) /dev/urandom > /tmp/before
dd if=/tmp/before of="$DEV" bs=1M seek=300 oflag=direct conv=fsync status=none || fail "dd before"
head -c $((16 * 1024 * 1024)) /dev/urandom > /tmp/across
port_link=/sys/kernel/config/nvmet/ports/4421/subsystems/$KNQN
rm "$port_link" || fail "cannot take the kernel target away"
echo "kernel target removed from its port"
# Written while the remote is away: the card holds the I/O and sends it after reconnecting.
dd if=/tmp/across of="$DEV" bs=64k seek=$((400 * 16)) oflag=direct conv=fsync status=none &
DD=$!
sleep 4
ln -s "/sys/kernel/config/nvmet/subsystems/$KNQN" "$port_link" || fail "cannot bring the kernel target back"
echo "kernel target back"
wait $DD || fail "the write across the outage failed"
for i in $(seq 1 30); do grep -q "reconnected" /tmp/card-coproc.log && break; sleep 1; done
grep -q "reconnected" /tmp/card-coproc.log || fail "the card did not reconnect"
SUM_BEFORE=$(dd if="$DEV" bs=1M skip=300 count=4 iflag=direct status=none | sha256sum | cut -d' ' -f1)
[ "$SUM_BEFORE" = "$(sha256sum < /tmp/before | cut -d' ' -f1)" ] || fail "data written before the outage changed"
SUM_ACROSS=$(dd if="$DEV" bs=64k skip=$((400 * 16)) count=256 iflag=direct status=none | sha256sum | cut -d' ' -f1)
[ "$SUM_ACROSS" = "$(sha256sum < /tmp/across | cut -d' ' -f1)" ] || fail "data written across the outage differs"
echo "outage: data before and across read back identical"
nvme disconnect -n "$DRIVE" || fail "disconnect drive"

step "card to card"
"${JAVA[@]}" -jar "$JAR" start -p 4422 --discovery-port -1 > /tmp/card-standalone.log 2>&1 &
PIDS+=($!)
wait_port 4422
coproc_config /tmp/card2card.yaml 4422 nqn.2014-08.org.k200emu:default 4431
"${JAVA[@]}" -jar "$JAR" start -c /tmp/card2card.yaml > /tmp/card-c2c.log 2>&1 &
PIDS+=($!)
wait_port 4431
attach 4431 "$DRIVE"
verify_fio card2card-randwrite "$DEV" 0
nvme disconnect -n "$DRIVE" || fail "disconnect card-to-card drive"

step "clean shutdown"
for p in "${PIDS[@]}"; do kill -TERM "$p"; done
for p in "${PIDS[@]}"; do wait "$p" || true; done
grep -q "card stopped" /tmp/card-coproc.log || fail "co-processor card did not stop cleanly"
grep -q "card stopped" /tmp/card-c2c.log || fail "card-to-card card did not stop cleanly"
trap - EXIT
echo "---- warnings and errors"
grep -hE -A12 " (WARN|ERROR) " /tmp/card*.log | grep -v MacAddressUtil || echo "(none)"
echo "ALL STEPS PASSED"
