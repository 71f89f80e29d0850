#!/usr/bin/env bash
# Throughput of the storage services per core (one thread), each printed beside a well-known
# implementation of the same work measured in the same run, as a ratio: AES-256-XTS and
# SHA-256 / SHA3-256 beside the JDK's own AES and MessageDigest, RAID 5/6 parity and EC encode /
# decode beside a plain XOR of the same data. Not a test: run it by hand on a quiet machine.
#
#   benchmarks/services-throughput.sh            (SECONDS_PER_CASE=2 CPU=1)
#
# Writes docs/benchmarks/services-<UTC time>/ with each program's output and summary.json.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_CASE=${SECONDS_PER_CASE:-2}
CPU=${CPU:-1}
OUT=docs/benchmarks/services-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
mvn -B -q -DskipTests install -pl emulator-core -am
mvn -B -q test-compile -pl emulator-core
mvn -B -q dependency:build-classpath -pl emulator-core -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$OUT/classpath.txt"
CP="emulator-core/target/classes:emulator-core/target/test-classes:$(cat "$OUT/classpath.txt")"
run() {  # name class args...
  local name=$1 cls=$2; shift 2
  echo "== $name"
  taskset -c "$CPU" java -Xmx1g -cp "$CP" "$cls" "$@" | tee "$OUT/$name.txt"
}
run crypto org.k200emu.bdev.crypto.CryptoThroughput "$SECONDS_PER_CASE"
run raid org.k200emu.bdev.raid.RaidThroughput "$SECONDS_PER_CASE"
run ec org.k200emu.bdev.ec.EcThroughput
rm -f "$OUT/classpath.txt"
python3 - "$OUT" <<'PY'
import json, os, sys, platform, datetime
out = sys.argv[1]
runs = {n: [l.rstrip() for l in open(f"{out}/{n}.txt") if l.strip()] for n in ("crypto", "raid", "ec")}
json.dump({"date": datetime.datetime.utcnow().isoformat() + "Z", "cpus": os.cpu_count(),
           "kernel": platform.release(), "output": runs}, open(f"{out}/summary.json", "w"), indent=2)
print(f"wrote {out}/summary.json")
PY
