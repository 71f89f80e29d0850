#!/usr/bin/env bash
# Runs inside ../shared/tools/linux-guest (a real Linux kernel), from the project root.
# Co-processor mode end to end, with real peers on both sides:
#   1. kernel initiator -> k200 host port (emulated drive) -> k200 initiator -> kernel nvmet-tcp
#      target: fio verify, then the kernel target goes away mid-write and comes back; the data
#      written before and across the outage reads back;
#   2. two paths (two kernel target ports) to one namespace: each port in turn goes away under a
#      running fio verify; I/O moves to the survivor, and the lost path comes back;
#   3. card to card: kernel initiator -> k200 (co-processor) -> k200 (standalone): fio verify, on a
#      plain remote namespace and on an erasure-coded 4+2 volume over six remote namespaces.
# Before all that, benchmarks/nvmf-drive.c (the C initiator the target benchmark runs beside
# k200 bench) drives the kernel target, so that it is known to speak NVMe/TCP to a peer not ours.
# Every step prints "STEP <name>" and fails the script on error; GuestCoprocessorIT reads the output.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
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

attach() {  # port nqn
  nvme connect -t tcp -a 127.0.0.1 -s "$1" -n "$2" || fail "nvme connect $1 $2"
  for i in $(seq 1 60); do find_dev "$2" && [ -b "$BLK" ] && DEV=$BLK && return 0; sleep 1; done
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

step "nvmf-drive against the kernel target"
cc -O2 -o /tmp/nvmf-drive benchmarks/nvmf-drive.c || fail "cc nvmf-drive"
for rw in randwrite randread; do
  /tmp/nvmf-drive -p 4421 -n "$KNQN" -w $rw -b 4096 -q 8 -t 2 -r 0 -o "/tmp/drive-$rw.json" \
    || fail "nvmf-drive $rw against the kernel target"
  ios=$(grep -o '"ios": [0-9]*' "/tmp/drive-$rw.json" | grep -o '[0-9]*$')
  [ "$ios" -gt 0 ] || fail "nvmf-drive $rw: no I/O completed"
  echo "nvmf-drive kernel $rw: ios=$ios $(grep -o '"errors": [0-9]*' "/tmp/drive-$rw.json" | sed 's/"errors": /errors=/')"
done

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

step "two paths to the kernel target, one dies"
# A second port of the kernel target on the same subsystem: the card reaches the namespace through
# both (active-active: both ANA optimized), then each port in turn goes away under a running fio.
port2=/sys/kernel/config/nvmet/ports/4423
mkdir "$port2" || fail "cannot add a second kernel port"
echo tcp > "$port2/addr_trtype"; echo ipv4 > "$port2/addr_adrfam"
echo 127.0.0.1 > "$port2/addr_traddr"; echo 4423 > "$port2/addr_trsvcid"
ln -s "/sys/kernel/config/nvmet/subsystems/$KNQN" "$port2/subsystems/$KNQN" || fail "second port link"
cat > /tmp/multipath.yaml <<YAML
mode: coprocessor
clusters: {hostThreads: 2}
bdevs:
  - {name: far0, type: remote, paths: ['127.0.0.1:4421', '127.0.0.1:4423'], subnqn: '$KNQN'}
subsystems:
  - nqn: $DRIVE
    side: host
    namespaces: [{bdev: far0}]
ports: [{port: 0}]
discoveryPort: -1
hostPort: {address: 127.0.0.1, port: 4432}
YAML
"${JAVA[@]}" -jar "$JAR" start -c /tmp/multipath.yaml --management-port 4481 > /tmp/card-multipath.log 2>&1 &
PIDS+=($!)
wait_port 4432
grep -q "bdev far0: 2 paths" /tmp/card-multipath.log || fail "the card did not attach two paths"
attach 4432 "$DRIVE"
# The card's management endpoint (what k200 ctl reads), asked through bash's /dev/tcp: a JVM or
# a python per question takes seconds on this emulated CPU, and the checks below are about timing.
status() {
  local reply
  exec 3<>/dev/tcp/127.0.0.1/4481 || return 1
  printf 'GET /status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  reply=$(cat <&3)
  exec 3<&-
  STATUS=${reply#*$'\r\n\r\n'}
  STATUS=${STATUS//[$' \t\r\n']/}  # the card indents its JSON; no value here has blanks
}
path_field() {  # path-index field -> the field of remote path far0.path<index>
  status || fail "no answer from the management endpoint"
  local entry=${STATUS#*\"bdev\":\"far0.path$1\"}
  entry=${entry%%\}*}
  entry=${entry#*\"$2\":}
  entry=${entry%%,*}
  echo "${entry//\"/}"
}
commands() { path_field "$1" commands; }
state() { path_field "$1" state; }
echo "paths after attach: path 0 $(state 0)/$(commands 0) commands, path 1 $(state 1)/$(commands 1) commands"
for dead in 0 1; do
  live=$((1 - dead))
  link=/sys/kernel/config/nvmet/ports/$((dead == 0 ? 4421 : 4423))/subsystems/$KNQN
  # 6144 writes then 6144 verify reads at 400 IOPS: about 30 s; the path dies early in the writes.
  fio --name=multipath-$dead --filename="$DEV" --direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite \
      --bs=4k --size=24m --offset=$((dead * 32))m --rate_iops=400 --verify=crc32c --verify_state_save=0 \
      --do_verify=1 --verify_fatal=1 --minimal > "/tmp/multipath-$dead" &
  FIO=$!
  # fio takes seconds to start here: the path dies once both paths carry its I/O (active-active).
  BASE0=$(commands 0); BASE1=$(commands 1)
  for i in $(seq 1 600); do
    [ $(($(commands 0) - BASE0)) -ge 100 ] && [ $(($(commands 1) - BASE1)) -ge 100 ] && break
    kill -0 $FIO 2>/dev/null || break
    sleep 0.1
  done
  [ $(($(commands 0) - BASE0)) -ge 100 ] && [ $(($(commands 1) - BASE1)) -ge 100 ] \
      || fail "fio's I/O is not spread over both paths: path 0 $(commands 0), path 1 $(commands 1) commands"
  echo "before path $dead goes away: path 0 $(commands 0), path 1 $(commands 1) commands"
  rm "$link" || fail "cannot take path $dead away"
  for i in $(seq 1 300); do [ "$(state $dead)" != connected ] && break; sleep 0.1; done
  [ "$(state $dead)" != connected ] || fail "path $dead still shows connected"
  DEAD_DOWN=$(commands $dead)
  LIVE_DOWN=$(commands $live)
  echo "path $dead is $(state $dead): path $dead $DEAD_DOWN, path $live $LIVE_DOWN commands"
  kill -0 $FIO 2>/dev/null || fail "fio ended before path $dead went away: the test proves nothing"
  wait $FIO || { cat "/tmp/multipath-$dead"; fail "fio with path $dead dead"; }
  DEAD_END=$(commands $dead)
  LIVE_END=$(commands $live)
  echo "fio multipath-$dead: errors=$(cut -d';' -f5 "/tmp/multipath-$dead"); afterwards path $dead $DEAD_END, path $live $LIVE_END commands"
  [ "$DEAD_END" = "$DEAD_DOWN" ] || fail "I/O sent to path $dead while it was down"
  [ $((LIVE_END - LIVE_DOWN)) -ge 1000 ] || fail "the surviving path $live carried only $((LIVE_END - LIVE_DOWN)) commands"
  echo "path $live carried $((LIVE_END - LIVE_DOWN)) commands while path $dead was down"
  ln -s "/sys/kernel/config/nvmet/subsystems/$KNQN" "$link" || fail "cannot bring path $dead back"
  for i in $(seq 1 120); do [ "$(state $dead)" = connected ] && break; sleep 0.5; done
  [ "$(state $dead)" = connected ] || fail "path $dead did not come back"
  echo "path $dead back: connected"
done
"${JAVA[@]}" -jar "$JAR" ctl paths --port 4481 || fail "k200 ctl paths"
nvme disconnect -n "$DRIVE" || fail "disconnect multipath drive"

step "card to card"
# The remote card serves seven namespaces: nsid 1 is a plain drive, 2-7 are the members of an
# erasure-coded (Reed-Solomon 4+2) volume that the co-processor card builds over the fabric.
FAR=nqn.2014-08.org.k200emu:far
{
  echo "bdevs:"
  echo "  - {name: m0, type: malloc, size: 64MiB}"
  for i in 1 2 3 4 5 6; do echo "  - {name: e$i, type: malloc, size: 32MiB}"; done
  echo "subsystems:"
  echo "  - nqn: $FAR"
  echo "    namespaces: [{bdev: m0}, {bdev: e1}, {bdev: e2}, {bdev: e3}, {bdev: e4}, {bdev: e5}, {bdev: e6}]"
  echo "ports: [{port: 4422}]"
  echo "discoveryPort: -1"
} > /tmp/standalone.yaml
"${JAVA[@]}" -jar "$JAR" start -c /tmp/standalone.yaml --management-port -1 > /tmp/card-standalone.log 2>&1 &
PIDS+=($!)
wait_port 4422
EC_DRIVE=nqn.2014-08.org.k200emu:ec-drive
{
  echo "mode: coprocessor"
  echo "clusters: {hostThreads: 2}"
  echo "bdevs:"
  echo "  - {name: far0, type: remote, address: 127.0.0.1, port: 4422, subnqn: '$FAR', nsid: 1}"
  for i in 1 2 3 4 5 6; do
    echo "  - {name: far$i, type: remote, address: 127.0.0.1, port: 4422, subnqn: '$FAR', nsid: $((i + 1))}"
  done
  echo "  - {name: ec0, type: ec, members: [far1, far2, far3, far4, far5, far6], k: 4, m: 2}"
  echo "subsystems:"
  echo "  - {nqn: $DRIVE, side: host, namespaces: [{bdev: far0}]}"
  echo "  - {nqn: $EC_DRIVE, side: host, namespaces: [{bdev: ec0}]}"
  echo "ports: [{port: 0}]"
  echo "discoveryPort: -1"
  echo "hostPort: {address: 127.0.0.1, port: 4431}"
} > /tmp/card2card.yaml
"${JAVA[@]}" -jar "$JAR" start -c /tmp/card2card.yaml --management-port -1 > /tmp/card-c2c.log 2>&1 &
PIDS+=($!)
wait_port 4431
attach 4431 "$DRIVE"
verify_fio card2card-randwrite "$DEV" 0
nvme disconnect -n "$DRIVE" || fail "disconnect card-to-card drive"

step "erasure-coded volume over six remote namespaces"
attach 4431 "$EC_DRIVE"
echo "EC 4+2 drive: $DEV ($(blockdev --getsize64 "$DEV") bytes)"
verify_fio ec-randwrite "$DEV" 0
fio --name=ec-seq --filename="$DEV" --direct=1 --ioengine=libaio --iodepth=8 --rw=write --bs=128k \
    --offset=32m --size=32m --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --minimal \
    > /tmp/ec-seq || { cat /tmp/ec-seq; fail "fio ec-seq"; }
echo "fio ec-seq: errors=$(cut -d';' -f5 /tmp/ec-seq)"
nvme disconnect -n "$EC_DRIVE" || fail "disconnect EC drive"

step "clean shutdown"
for p in "${PIDS[@]}"; do kill -TERM "$p"; done
for p in "${PIDS[@]}"; do wait "$p" || true; done
grep -q "card stopped" /tmp/card-coproc.log || fail "co-processor card did not stop cleanly"
grep -q "card stopped" /tmp/card-c2c.log || fail "card-to-card card did not stop cleanly"
grep -q "card stopped" /tmp/card-multipath.log || fail "multipath card did not stop cleanly"
trap - EXIT
echo "---- warnings and errors"
grep -hE -A12 " (WARN|ERROR) " /tmp/card*.log | grep -v MacAddressUtil || echo "(none)"
echo "ALL STEPS PASSED"
