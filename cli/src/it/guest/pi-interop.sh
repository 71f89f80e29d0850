#!/usr/bin/env bash
# Runs inside ../shared/tools/linux-guest (a real Linux kernel), from the project root.
# A card whose namespace is formatted with type 1 protection information (a pi bdev over a
# malloc member), driven by the stock Linux host: nvme-tcp has no metadata support, so the kernel
# sends every Read/Write with PRACT (the card inserts, checks and strips the PI). Then, through
# nvme io-passthru, extended 520-byte blocks with PRACT clear: a block with a good guard reads
# back through the kernel; one stored with a bad guard makes the kernel's read fail.
# Every step prints "STEP <name>" and fails the script on error; GuestPiIT reads the output.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
JAR=${K200_JAR:-cli/target/k200.jar}
NQN=nqn.2014-08.org.k200emu:pi
LOG=/tmp/k200.log
CONF=/tmp/pi-card.yaml
# 64 MiB member: 131072 blocks, of which 129055 are data blocks (64 PI entries per table block).
EXPECTED_BYTES=$((129055 * 512))

step() { echo "STEP $*"; }
fail() {
  echo "FAIL $*"
  echo "---- k200 log"; tail -n 80 "$LOG" || true
  echo "---- kernel log"; dmesg | grep -iE "nvme|blk|protection" | tail -n 40 || true
  exit 1
}

cat > "$CONF" <<YAML
bdevs:
  - {name: m0, type: malloc, size: 64MiB}
  - {name: pi0, type: pi, member: m0, piType: 1}
subsystems:
  - nqn: $NQN
    allowAnyHost: true
    namespaces: [{nsid: 1, bdev: pi0}]
ports:
  - {name: port0, address: 127.0.0.1, port: 4420}
discoveryPort: -1
YAML

modprobe nvme-tcp || fail "modprobe nvme-tcp"
java -Xms256m -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$JAR" start --config "$CONF" > "$LOG" 2>&1 &
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

step "connect"
nvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$NQN" || fail "nvme connect"
for i in $(seq 1 60); do find_dev "$NQN" && [ -b "$BLK" ] && break; sleep 1; done
[ -b "${BLK:-/nonexistent}" ] || fail "no block device after connect"
echo "block device $BLK"

step "id-ns"
nvme id-ns "$BLK" | tee /tmp/idns
grep -Eq "^flbas *: *0x10" /tmp/idns || fail "id-ns flbas: extended LBA expected"
grep -Eq "^dps *: *0x1$" /tmp/idns || fail "id-ns dps: type 1 expected"
grep -Eq "^lbaf +0 *: *ms:8 +lbads:9 .*in use" /tmp/idns || fail "id-ns lbaf 0: ms 8, lbads 9 expected"
echo "id-ns: ms 8, dps 1, extended LBA"
[ "$(blockdev --getsize64 "$BLK")" = "$EXPECTED_BYTES" ] || fail "block device size $(blockdev --getsize64 "$BLK")"

step "fio 4k randwrite verify"
fio --name=pi-verify --filename="$BLK" --direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite \
    --bs=4k --size=16m --verify=crc32c --verify_state_save=0 --do_verify=1 --verify_fatal=1 --minimal \
    > /tmp/fio1 || { cat /tmp/fio1; fail "fio randwrite verify"; }
echo "fio pi randwrite verify: errors=$(cut -d';' -f5 /tmp/fio1)"

step "discard and write zeroes"
# The kernel sends Deallocate (Dataset Management) and Write Zeroes with PRACT and the LBA as
# reference tag; both ranges must read back as zeroes through the checked PRACT read.
dd if=/dev/urandom of="$BLK" bs=1M seek=40 count=2 oflag=direct status=none || fail "dd write before discard"
blkdiscard -o $((40 * 1024 * 1024)) -l $((1024 * 1024)) "$BLK" || fail "blkdiscard"
blkdiscard -z -o $((41 * 1024 * 1024)) -l $((1024 * 1024)) "$BLK" || fail "blkdiscard -z"
head -c $((2 * 1024 * 1024)) /dev/zero > /tmp/zeroes
dd if="$BLK" of=/tmp/back-zeroes bs=1M skip=40 count=2 iflag=direct status=none || fail "read after discard"
cmp /tmp/zeroes /tmp/back-zeroes || fail "discarded / zeroed range does not read back as zeroes"
echo "discard and write zeroes read back as zeroes"

step "extended blocks through passthru"
# Block 100001: 512 bytes of 0xAB with correct PI (guard CRC-16 T10-DIF, app tag 0, ref tag = LBA);
# block 100000: the same data under a guard with one bit flipped.
python3 - <<'PY'
import struct
def crc(d):
    c = 0
    for b in d:
        c ^= b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x8BB7) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c
data = bytes([0xAB]) * 512
open('/tmp/data.bin', 'wb').write(data)
open('/tmp/good.bin', 'wb').write(data + struct.pack('>HHI', crc(data), 0, 100001))
open('/tmp/bad.bin', 'wb').write(data + struct.pack('>HHI', crc(data) ^ 1, 0, 100000))
PY
PRCHK_GUARD_REF=$(( (1 << 28) | (1 << 26) ))
nvme io-passthru "$BLK" -o 0x01 -n 1 -l 520 -w --cdw10=100001 --cdw12=$PRCHK_GUARD_REF --cdw14=100001 \
    -i /tmp/good.bin || fail "passthru write of a good extended block"
dd if="$BLK" of=/tmp/back-good.bin bs=512 skip=100001 count=1 iflag=direct status=none \
    || fail "kernel read of the good block"
cmp /tmp/data.bin /tmp/back-good.bin || fail "good block read back differs"
echo "good extended block read back through the kernel"
if nvme io-passthru "$BLK" -o 0x01 -n 1 -l 520 -w --cdw10=100000 --cdw12=$PRCHK_GUARD_REF --cdw14=100000 \
    -i /tmp/bad.bin > /tmp/pt-bad 2>&1; then
  fail "a write with a bad guard and the guard checked was accepted"
fi
cat /tmp/pt-bad
echo "checked write with a bad guard refused"

step "bad guard on the medium"
# Unchecked (PRCHK 0) the controller stores the PI as given: the block now has a bad guard.
nvme io-passthru "$BLK" -o 0x01 -n 1 -l 520 -w --cdw10=100000 --cdw12=0 -i /tmp/bad.bin \
    || fail "unchecked passthru write"
nvme io-passthru "$BLK" -o 0x02 -n 1 -l 520 -r --cdw10=100000 --cdw12=0 -b > /tmp/back-bad.bin \
    || fail "unchecked passthru read"
cmp /tmp/bad.bin /tmp/back-bad.bin || fail "stored extended block differs"
rm -f /tmp/back-data.bin
if dd if="$BLK" of=/tmp/back-data.bin bs=512 skip=100000 count=1 iflag=direct status=none 2> /tmp/dd-err; then
  fail "the kernel read a block with a bad guard without an error"
fi
echo "kernel read of the corrupted block failed: $(cat /tmp/dd-err)"
[ -s /tmp/back-data.bin ] && fail "data was returned for the corrupted block"
dmesg | grep -iE "protection|guard|nvme.*error" | tail -n 5 || true
echo "bad guard: read failed, no data returned"
dd if="$BLK" of=/tmp/back-good2.bin bs=512 skip=100001 count=1 iflag=direct status=none \
    || fail "the neighbouring block no longer reads"
cmp /tmp/data.bin /tmp/back-good2.bin || fail "neighbouring block differs"

step "disconnect"
nvme disconnect -n "$NQN" || fail "disconnect"
kill -TERM $K200_PID
for i in $(seq 1 60); do kill -0 $K200_PID 2>/dev/null || break; sleep 1; done
kill -0 $K200_PID 2>/dev/null && fail "k200 did not stop on SIGTERM"
wait $K200_PID || true
trap - EXIT
echo "---- k200 warnings and errors"
grep -E -A12 " (WARN|ERROR) " "$LOG" | grep -v MacAddressUtil || echo "(none)"
echo "ALL STEPS PASSED"
