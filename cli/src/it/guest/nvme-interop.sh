#!/usr/bin/env bash
# Runs inside ../shared/tools/linux-guest (a real Linux kernel), from the project root.
# Starts the card on its embedded default configuration and drives it with the stock tools:
# nvme-cli discover/connect/list/id-ctrl/id-ns/smart-log/error-log, the kernel NVMe/TCP
# initiator, and fio with verify; then again with header and data digests (-g -G).
# Every step prints "STEP <name>" and fails the script on error; GuestInteropIT reads the output.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
JAR=${K200_JAR:-cli/target/k200.jar}
NQN=nqn.2014-08.org.k200emu:default
LOG=/tmp/k200.log

step() { echo "STEP $*"; }
fail() {
  echo "FAIL $*"
  echo "---- k200 log"; tail -n 80 "$LOG" || true
  echo "---- kernel log"; dmesg | grep -iE "nvme|blk" | tail -n 40 || true
  echo "---- sysfs"; ls -R /sys/class/nvme-subsystem/ 2>/dev/null | head -n 40 || true
  exit 1
}

modprobe nvme-tcp || fail "modprobe nvme-tcp"
java -Xms256m -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$JAR" start > "$LOG" 2>&1 &
K200_PID=$!
trap 'nvme disconnect-all >/dev/null 2>&1 || true; kill $K200_PID 2>/dev/null || true' EXIT

step "wait for the card"
for i in $(seq 1 600); do
  if (echo > /dev/tcp/127.0.0.1/4420) 2>/dev/null; then break; fi
  kill -0 $K200_PID 2>/dev/null || fail "k200 exited early"
  sleep 1
done
(echo > /dev/tcp/127.0.0.1/4420) 2>/dev/null || fail "k200 did not listen on 4420"
echo "card up after ${i}s"

connect() {
  nvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$NQN" "$@" || fail "nvme connect $*"
  for i in $(seq 1 60); do find_dev "$NQN" && [ -b "$BLK" ] && return 0; sleep 1; done
  fail "no block device after connect"
}

step "discover 4420"
nvme discover -t tcp -a 127.0.0.1 -s 4420 | tee /tmp/disc4420
grep -q "subnqn: *$NQN" /tmp/disc4420 || fail "discovery on 4420 does not list $NQN"
grep -q "trsvcid: *4420" /tmp/disc4420 || fail "discovery entry lacks trsvcid 4420"
step "discover 8009"
nvme discover -t tcp -a 127.0.0.1 -s 8009 | tee /tmp/disc8009
grep -q "subnqn: *$NQN" /tmp/disc8009 || fail "discovery on 8009 does not list $NQN"

step "connect"
connect
echo "block device $BLK controller $CTRL"
step "list"
nvme list | tee /tmp/list
grep -q "$(basename "$BLK")" /tmp/list || fail "nvme list does not show $BLK"
step "id-ctrl"
nvme id-ctrl "$CTRL" | tee /tmp/idctrl
grep -q "^subnqn *: *$NQN" /tmp/idctrl || fail "id-ctrl subnqn"
grep -qi "^mn *: *K200" /tmp/idctrl || fail "id-ctrl model"
step "id-ns"
nvme id-ns "$BLK" | tee /tmp/idns
grep -q "^nsze *: *0x200000" /tmp/idns || fail "id-ns nsze (1 GiB of 512-byte blocks expected)"
step "smart-log"
nvme smart-log "$CTRL" | tee /tmp/smart
grep -qi "critical_warning" /tmp/smart || fail "smart-log"
step "error-log"
nvme error-log "$CTRL" -e 4 | tee /tmp/errlog | head -n 20
step "size"
[ "$(blockdev --getsize64 "$BLK")" = 1073741824 ] || fail "block device size"

step "fio 4k randwrite verify"
fio --name=randwrite-verify --filename="$BLK" --direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite \
    --bs=4k --size=16m --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --output-format=terse --minimal \
    > /tmp/fio1 || { cat /tmp/fio1; fail "fio randwrite verify"; }
echo "fio randwrite verify: errors=$(cut -d';' -f5 /tmp/fio1)"
step "fio 128k sequential verify"
fio --name=seq-verify --filename="$BLK" --direct=1 --ioengine=libaio --iodepth=8 --rw=write \
    --bs=128k --offset=64m --size=32m --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --minimal \
    > /tmp/fio2 || { cat /tmp/fio2; fail "fio 128k sequential verify"; }
echo "fio sequential verify: errors=$(cut -d';' -f5 /tmp/fio2)"

step "data survives reconnect"
head -c $((8 * 1024 * 1024)) /dev/urandom > /tmp/pattern
dd if=/tmp/pattern of="$BLK" bs=1M seek=200 oflag=direct conv=fsync status=none || fail "dd write"
SUM1=$(sha256sum < /tmp/pattern | cut -d' ' -f1)
nvme disconnect -n "$NQN" || fail "disconnect"
sleep 1
find_dev "$NQN" && [ -b "$BLK" ] && fail "block device still there after disconnect"
connect
SUM2=$(dd if="$BLK" bs=1M skip=200 count=8 iflag=direct status=none | sha256sum | cut -d' ' -f1)
[ "$SUM1" = "$SUM2" ] || fail "data changed across reconnect: $SUM1 vs $SUM2"
echo "reconnect read-back identical: $SUM2"
nvme disconnect -n "$NQN" || fail "disconnect"

step "connect with header and data digests"
connect -g -G
fio --name=digest-verify --filename="$BLK" --direct=1 --ioengine=libaio --iodepth=8 --rw=randwrite \
    --bs=4k --size=4m --offset=300m --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --minimal \
    > /tmp/fio3 || { cat /tmp/fio3; fail "fio with digests"; }
echo "fio with digests: errors=$(cut -d';' -f5 /tmp/fio3)"
# 128 KiB transfers with digests: H2CData the target's socket reads straight into its buffers.
fio --name=digest-verify-128k --filename="$BLK" --direct=1 --ioengine=libaio --iodepth=8 --rw=write \
    --bs=128k --size=8m --offset=320m --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --minimal \
    > /tmp/fio4 || { cat /tmp/fio4; fail "fio 128k with digests"; }
echo "fio 128k with digests: errors=$(cut -d';' -f5 /tmp/fio4)"
SUM3=$(dd if="$BLK" bs=1M skip=200 count=8 iflag=direct status=none | sha256sum | cut -d' ' -f1)
[ "$SUM1" = "$SUM3" ] || fail "data read with digests differs"
step "disconnect"
nvme disconnect -n "$NQN" || fail "final disconnect"

step "clean shutdown"
kill -TERM $K200_PID
for i in $(seq 1 60); do kill -0 $K200_PID 2>/dev/null || break; sleep 1; done
kill -0 $K200_PID 2>/dev/null && fail "k200 did not stop on SIGTERM"
wait $K200_PID || true
grep -q "stopped" "$LOG" || fail "no clean shutdown message"
trap - EXIT
echo "---- k200 warnings and errors"
grep -E -A12 " (WARN|ERROR) " "$LOG" | grep -v MacAddressUtil || echo "(none)"
echo "ALL STEPS PASSED"
