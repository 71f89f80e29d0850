#!/usr/bin/env bash
# Where each side's core spends its time during a target benchmark job: the k200 target and
# `k200 bench` pinned as benchmarks/target-vs-loopback.sh pins them, both CPUs sampled with perf
# (timer sampling is enough: no hardware counters needed) in the middle of the measured window.
# Not a test: run it by hand on an otherwise quiet machine.
#
#   benchmarks/where-time-goes.sh [JOB...]   (RUNTIME=10 RAMP=2 CC=cubic TARGET_CPU=0 HOST_CPU=1)
#   benchmarks/where-time-goes.sh --report DIR   (the report again, from a directory it wrote)
#
# JOB is name:rw:bs:iodepth, default randread-4k-qd32:randread:4k:32 and
# randwrite-4k-qd32:randwrite:4k:32. For each side, the share of its core's samples and the
# microseconds per I/O in: sending (the writev system call, and of it the kernel's copy of the
# data into socket buffers), receiving (recvfrom, and its copy), waiting for events (epoll_wait,
# which a polling event loop calls in every turn, so it is also the idle time), other kernel work,
# Java code, the JVM itself, libc; samples of other processes on that CPU (this shared machine's
# noise); and the Java methods with most samples. Writes docs/benchmarks/where-<UTC time>/ with
# each job's bench JSON and split.json. With DRIVER=c the initiator is benchmarks/nvmf-drive.c
# (randread and randwrite only) instead of `k200 bench`: it polls its socket with recv, not
# epoll, so its idle time shows under receiving, not waiting, and its own code under libc.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${RUNTIME:-10}
[ "$RUNTIME" -ge 6 ] || { echo "RUNTIME must be at least 6 seconds" >&2; exit 2; }
RAMP=${RAMP:-2}
CC=${CC:-cubic}
TARGET_CPU=${TARGET_CPU:-0}
HOST_CPU=${HOST_CPU:-1}
JAR=cli/target/k200.jar
DRIVER=${DRIVER:-k200}
[ "$DRIVER" = k200 ] || [ "$DRIVER" = c ] || { echo "DRIVER must be k200 or c" >&2; exit 2; }
NQN=nqn.2014-08.org.k200emu:bench
OUT=docs/benchmarks/where-$(date -u +%Y%m%d-%H%M%S)
# Frame pointers and a symbol map at exit, so that perf can walk and name the JIT's frames.
JAVA=(java -Xms512m -Xmx512m -XX:+UseParallelGC -XX:+AlwaysPreTouch -XX:+PreserveFramePointer
      -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit)
# The report, from a directory this script wrote (run alone with --report DIR).
report() {
python3 - "$1" <<'PY'
import collections, gzip, json, os, sys
out = sys.argv[1]
window, tcpu, hcpu = (int(x) for x in open(f"{out}/params.txt").read().split())
HZ = 999
CATS = ["send", "send_copy", "receive", "receive_copy", "wait", "kernel_other", "java", "jvm", "libc",
        "other_processes"]

def samples(path):
    """Yields (pid, cpu, frames leaf first as (symbol, dso))."""
    head, frames = None, []
    for line in gzip.open(path, "rt", errors="replace"):
        line = line.rstrip("\n")
        if not line.strip():
            if head:
                yield head[0], head[1], frames
            head, frames = None, []
        elif not line.startswith("\t"):
            # A sample's first line (its PID right-aligned, so it may start with spaces).
            pid, cpu = line.split()[:2]
            head = (int(pid), int(cpu.strip("[]")))
        else:
            parts = line.strip().split(" ", 1)
            rest = parts[1] if len(parts) > 1 else ""
            sym, _, dso = rest.rpartition(" (")
            frames.append((sym, dso.rstrip(")")))
    if head:
        yield head[0], head[1], frames

SEND = ("__GI___writev", "writev", "__writev")
RECEIVE = ("__libc_recv", "recv", "__recv", "__libc_recvfrom")
WAIT = ("epoll_wait", "__GI_epoll_wait", "epoll_pwait")

def category(frames):
    """By the leaf frame, and for kernel time by the system call it serves (the first frame
    outside the kernel); kernel time entered from no system call (interrupts) is kernel_other."""
    if not frames:
        return "kernel_other"
    leaf_sym, leaf_dso = frames[0]
    if "kernel.kallsyms" in leaf_dso:
        entry = next((s for s, d in frames if "kernel.kallsyms" not in d), "")
        if entry in SEND:
            return "send_copy" if leaf_sym == "_copy_from_iter" else "send"
        if entry in RECEIVE:
            return "receive_copy" if leaf_sym == "_copy_to_iter" else "receive"
        if entry in WAIT:
            return "wait"
        return "kernel_other"
    if leaf_sym in WAIT:
        return "wait"
    if leaf_dso.startswith("/tmp/perf-") or leaf_dso.startswith("[JIT]"):
        return "java"
    if "libjvm" in leaf_dso:
        return "jvm"
    return "libc"

result = {"window_s": window, "sample_hz": HZ, "jobs": []}
for line in open(f"{out}/jobs.txt"):
    name, tpid, bpid = line.split()
    bench = json.load(open(f"{out}/{name}.json"))
    bench = bench["jobs"][0] if "jobs" in bench else bench  # k200 bench's session, or nvmf-drive's one result
    ios = bench["iops"] * window
    sides = {"target": (tcpu, int(tpid)), "initiator": (hcpu, int(bpid))}
    counts = {side: collections.Counter() for side in sides}
    methods = {side: collections.Counter() for side in sides}
    for pid, cpu, frames in samples(f"{out}/samples-{name}.txt.gz"):
        for side, (c, p) in sides.items():
            if cpu != c:
                continue
            if pid != p:
                counts[side]["other_processes"] += 1
                continue
            cat = category(frames)
            counts[side][cat] += 1
            if cat == "java":
                methods[side][frames[0][0]] += 1
    # The round trip, when it was measured (runs before the script recorded it have none; a
    # failed measurement wrote "nan"): JSON gets null for both.
    c2c_path = f"{out}/c2c-{name}.txt"
    c2c = float(open(c2c_path).read()) if os.path.exists(c2c_path) else float("nan")
    c2c = None if c2c != c2c else c2c
    job = {"job": name, "iops": bench["iops"], "core_to_core_ns": c2c, "sides": {}}
    trip = "not measured" if c2c is None else f"{c2c:.0f} ns"
    print(f"\n{name}: {bench['iops'] / 1e3:.0f}k IOPS, the CPUs' cache-line round trip {trip} before it;"
          " share of each core's samples, and us per I/O")
    print(f"{'':10}" + "".join(f"{c:>16}" for c in CATS))
    for side in sides:
        total = sum(counts[side].values()) or 1
        share = {c: counts[side][c] / total for c in CATS}
        us = {c: counts[side][c] / HZ / ios * 1e6 for c in CATS}
        job["sides"][side] = {"samples": total, "share": share, "us_per_io": us,
                              "top_java": methods[side].most_common(8)}
        print(f"{side:10}" + "".join(f"{share[c] * 100:>9.1f}% {us[c]:>5.2f}" for c in CATS))
    for side in sides:
        print(f"  {side} Java methods with most samples:")
        for m, n in methods[side].most_common(8):
            print(f"    {n / job['sides'][side]['samples'] * 100:5.1f}%  {m[:110]}")
    result["jobs"].append(job)
json.dump(result, open(f"{out}/split.json", "w"), indent=2)
PY
}
if [ "${1:-}" = --report ]; then
  [ -f "${2:-}/params.txt" ] || { echo "usage: $0 --report DIR (a directory this script wrote)" >&2; exit 2; }
  report "$2"
  exit 0
fi
JOBS=("$@")
[ ${#JOBS[@]} -gt 0 ] || JOBS=(randread-4k-qd32:randread:4k:32 randwrite-4k-qd32:randwrite:4k:32)
for j in "${JOBS[@]}"; do
  [[ "$j" =~ ^[a-z0-9-]+:[a-z]+:[0-9]+[kKmM]?:[0-9]+$ ]] || { echo "bad job '$j': want name:rw:bs:iodepth" >&2; exit 2; }
done
for tool in perf taskset python3; do
  if ! command -v $tool >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q linux-perf util-linux >/dev/null
    else
      echo "need $tool (Debian package: linux-perf)" >&2; exit 1
    fi
  fi
done
mvn -B -q -o -DskipTests package 2>/dev/null || mvn -B -q -DskipTests package
mkdir -p "$OUT"
DRIVE=cli/target/nvmf-drive
[ "$DRIVER" = k200 ] || cc -O2 -o "$DRIVE" benchmarks/nvmf-drive.c
WINDOW=$((RUNTIME - 4))
echo "$WINDOW $TARGET_CPU $HOST_CPU" > "$OUT/params.txt"

for j in "${JOBS[@]}"; do
  IFS=: read -r name rw bs depth <<< "$j"
  echo "== $name"
  # The cache line's round trip between the CPUs (see benchmarks/CoreToCore.java), before the job.
  taskset -c "$TARGET_CPU,$HOST_CPU" java benchmarks/CoreToCore.java > "$OUT/c2c-$name.txt" 2>/dev/null || echo nan > "$OUT/c2c-$name.txt"
  taskset -c "$TARGET_CPU" "${JAVA[@]}" -jar "$JAR" start -c benchmarks/null-target.yaml --cpus "$TARGET_CPU" \
    --management-port -1 --tcp-congestion "$CC" > "$OUT/target-$name.log" 2>&1 &
  TGT=$!
  for i in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/4420) 2>/dev/null && break; sleep 0.2; done
  if [ "$DRIVER" = c ]; then
    bytes=$(numfmt --from=iec "${bs^^}")
    taskset -c "$HOST_CPU" "$DRIVE" -a 127.0.0.1 -p 4420 -n "$NQN" -w "$rw" -b "$bytes" -q "$depth" \
      -t "$RUNTIME" -r "$RAMP" -c "$HOST_CPU" -C "$CC" -o "$OUT/$name.json" > "$OUT/bench-$name.txt" 2>&1 &
  else
    taskset -c "$HOST_CPU" "${JAVA[@]}" -jar "$JAR" bench --name "$name" --target 127.0.0.1:4420 --subnqn "$NQN" \
      --rw "$rw" --bs "$bs" --iodepth "$depth" --runtime "$RUNTIME" --ramp_time "$RAMP" --io-threads 1 \
      --cpus "$HOST_CPU" --tcp-congestion "$CC" -q -o "$OUT" --base "$name" > "$OUT/bench-$name.txt" 2>&1 &
  fi
  BENCH=$!
  # The middle of the measured window: 2 s after the ramp, 2 s before the end.
  sleep $((RAMP + 2))
  perf record -q -F 999 -g -C "$TARGET_CPU,$HOST_CPU" -o "$OUT/perf-$name.data" -- sleep "$WINDOW" >/dev/null 2>&1
  wait $BENCH
  kill -TERM $TGT
  wait $TGT || true
  # The symbol maps are written at exit, so perf script runs after both processes ended.
  perf script -i "$OUT/perf-$name.data" -F pid,cpu,ip,sym,dso 2>/dev/null | gzip > "$OUT/samples-$name.txt.gz"
  rm -f "$OUT/perf-$name.data"
  echo "$name $TGT $BENCH" >> "$OUT/jobs.txt"
done

report "$OUT"
echo "results in $OUT"
