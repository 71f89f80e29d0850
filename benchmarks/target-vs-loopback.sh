#!/usr/bin/env bash
# The k200 NVMe/TCP target's performance on this machine's own cores, next to the loopback TCP
# ceiling measured in the same run. Not a test: run it by hand on an otherwise quiet machine.
#
#   benchmarks/target-vs-loopback.sh   (RUNTIME=10 RAMP=2 ROUNDS=1 TARGET_CPU=0 HOST_CPU=1)
#
# ROUNDS=n runs the whole list of jobs n times, round after round (so that a slow spell of this
# shared machine hits every job alike), and reports each job's median round with the spread.
# CC=name (cubic, bbr, reno...) gives the target, the initiator and iperf3 that TCP congestion
# control instead of the system's: on loopback bbr's pacing costs a third of the bandwidth.
# Before and after the ceiling and each job it times a cache line's round trip between the two
# CPUs (benchmarks/CoreToCore.java): on this VM about 50 ns when the host runs the two virtual
# CPUs near each other and about 300 ns when not, and the job's figures move with it.
# The target (null namespace, one host thread that polls) is pinned to TARGET_CPU; `k200 bench`
# (the k200 initiator) to HOST_CPU. Each 4k job with one queue pair then runs again from
# benchmarks/nvmf-drive.c, a small NVMe/TCP initiator in C, against a fresh target: what the target
# serves when the initiator is not Java, and the ratio of the two in the same round. The ceiling:
# iperf3 (bandwidth) and sockperf ping-pong (latency, both sides polling) between the same two CPUs. Writes docs/benchmarks/<UTC time>/ with one JSON per job,
# the target logs, and summary.json; prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${RUNTIME:-10}
[ "$RUNTIME" -ge 4 ] || { echo "RUNTIME must be at least 4 seconds" >&2; exit 2; }
RAMP=${RAMP:-2}
ROUNDS=${ROUNDS:-1}
CC=${CC:-}
CC_K200=(); CC_IPERF=()
[ -z "$CC" ] || { CC_K200=(--tcp-congestion "$CC"); CC_IPERF=(-C "$CC"); }
TARGET_CPU=${TARGET_CPU:-0}
HOST_CPU=${HOST_CPU:-1}
JAR=cli/target/k200.jar
NQN=nqn.2014-08.org.k200emu:bench
STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=docs/benchmarks/$STAMP
JAVA=(java -Xms512m -Xmx512m -XX:+UseParallelGC -XX:+AlwaysPreTouch)

for tool in sockperf iperf3 taskset python3 cc; do
  if ! command -v $tool >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q sockperf iperf3 util-linux gcc >/dev/null
    else
      echo "need $tool (Debian package: sockperf, iperf3, gcc)" >&2; exit 1
    fi
  fi
done
# Always from this checkout: a jar left from an older build would measure older code.
mvn -B -q -o -DskipTests package 2>/dev/null || mvn -B -q -DskipTests package
mkdir -p "$OUT"
# The C initiator that drives the target beside k200 bench (4k jobs with one queue pair).
DRIVE=cli/target/nvmf-drive
cc -O2 -o "$DRIVE" benchmarks/nvmf-drive.c

# The cache line's round trip between the two CPUs, in ns (benchmarks/CoreToCore.java): on a VM
# it tells whether the host put the two virtual CPUs near each other, which moves every figure.
core_to_core() {
  taskset -c "$TARGET_CPU,$HOST_CPU" java benchmarks/CoreToCore.java 2>/dev/null || echo nan
}

# The k200 target started in the background as TGT: until it takes connections, and its end.
await_target() {
  for i in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/4420) 2>/dev/null && return; sleep 0.2; done
}
stop_target() {
  kill -TERM "$TGT"
  wait "$TGT" || true
}

echo "== loopback ceiling (CPU $TARGET_CPU <-> CPU $HOST_CPU)"
core_to_core > "$OUT/c2c-ceiling-before.txt"
# One stream with iperf3's default 128 KiB writes, and one with 1 MiB writes (its largest): the
# target's flushes at 128 KiB are writev calls of up to 2 MiB, and the write size moves the ceiling.
for len in 128K 1M; do
  taskset -c "$TARGET_CPU" iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
  sleep 1
  taskset -c "$HOST_CPU" iperf3 -c 127.0.0.1 -p 5299 -t "$RUNTIME" -l "$len" "${CC_IPERF[@]}" -J > "$OUT/iperf3-$len.json"
  wait
done
# Both sides poll (non-blocking sockets, zero iomux timeout), as the target and k200 bench do.
taskset -c "$TARGET_CPU" sockperf sr --tcp -i 127.0.0.1 -p 11111 --nonblocked --timeout 0 >/dev/null 2>&1 &
SP=$!
sleep 1
taskset -c "$HOST_CPU" sockperf pp --tcp -i 127.0.0.1 -p 11111 -m 64 -t "$RUNTIME" --full-rtt --nonblocked \
  --timeout 0 > "$OUT/sockperf.txt" 2>&1 || true
kill $SP 2>/dev/null || true
wait 2>/dev/null || true
core_to_core > "$OUT/c2c-ceiling-after.txt"

# name rw bs iodepth numjobs
JOBS=(
  "randread-4k-qd32 randread 4k 32 1"
  "randwrite-4k-qd32 randwrite 4k 32 1"
  "randread-4k-qd128x4 randread 4k 128 4"
  "read-128k-qd16 read 128k 16 1"
  "write-128k-qd16 write 128k 16 1"
  "randread-4k-qd1 randread 4k 1 1"
)
status_window() {  # prefix: the target's /status (k200 ctl's endpoint) around the measured window
  python3 - "$1" "$RAMP" "$RUNTIME" <<'PY'
import json, sys, time, urllib.request
prefix, ramp, runtime = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def status():
    return json.load(urllib.request.urlopen("http://127.0.0.1:4480/status", timeout=5))
deadline = time.time() + 60
while status()["ioCommands"] == 0:
    if time.time() > deadline:
        sys.exit("the target served no I/O within 60 s")
    time.sleep(0.05)
time.sleep(ramp + 1)
json.dump(status(), open(prefix + "-start.json", "w"))
time.sleep(runtime - 2)
json.dump(status(), open(prefix + "-end.json", "w"))
PY
}
for round in $(seq 1 "$ROUNDS"); do
for j in "${JOBS[@]}"; do
  read -r name rw bs depth jobs <<< "$j"
  [ "$ROUNDS" = 1 ] || name="$name-r$round"
  echo "== $name"
  core_to_core > "$OUT/c2c-$name-before.txt"
  taskset -c "$TARGET_CPU" "${JAVA[@]}" -jar "$JAR" start -c benchmarks/null-target.yaml --cpus "$TARGET_CPU" "${CC_K200[@]}" \
    > "$OUT/target-$name.log" 2>&1 &
  TGT=$!
  await_target
  taskset -c "$HOST_CPU" "${JAVA[@]}" -jar "$JAR" bench --name "$name" --target 127.0.0.1:4420 --subnqn "$NQN" \
    --rw "$rw" --bs "$bs" --iodepth "$depth" --numjobs "$jobs" --runtime "$RUNTIME" --ramp_time "$RAMP" \
    --io-threads 1 --cpus "$HOST_CPU" "${CC_K200[@]}" -q -o "$OUT" --base "$name" | sed -n '2,4p' &
  BENCH=$!
  # The target's allocation in steady state: its status read 1 s into the measured window (the
  # first I/O, then the ramp) and 1 s before its end; start-up and connection set-up stay outside.
  status_window "$OUT/target-$name-status"
  wait $BENCH
  stop_target
  core_to_core > "$OUT/c2c-$name-after.txt"
  # The same job from the C initiator (benchmarks/nvmf-drive.c, one queue) against a fresh target:
  # what the target serves when the initiator is not Java.
  if [ "$jobs" = 1 ] && [ "$bs" = 4k ]; then
    echo "== $name, nvmf-drive (C)"
    taskset -c "$TARGET_CPU" "${JAVA[@]}" -jar "$JAR" start -c benchmarks/null-target.yaml --cpus "$TARGET_CPU" \
      "${CC_K200[@]}" --management-port -1 > "$OUT/target-c-$name.log" 2>&1 &
    TGT=$!
    await_target
    taskset -c "$HOST_CPU" "$DRIVE" -a 127.0.0.1 -p 4420 -n "$NQN" -w "$rw" -b 4096 -q "$depth" -t "$RUNTIME" \
      -r "$RAMP" -c "$HOST_CPU" ${CC:+-C "$CC"} -o "$OUT/c-$name.json" >/dev/null
    stop_target
  fi
done
done

echo "== memory: default configuration, 16 queue pairs at QD128, target heap capped at 256 MiB"
taskset -c "$TARGET_CPU" java -Xmx256m -XX:MaxDirectMemorySize=2g -XX:+UseParallelGC \
  -Xlog:gc:file="$OUT/target-memory-gc.log" -jar "$JAR" start "${CC_K200[@]}" \
  --management-port -1 > "$OUT/target-memory.log" 2>&1 &
TGT=$!
await_target
taskset -c "$HOST_CPU" "${JAVA[@]}" -jar "$JAR" bench --name memory-16x128 --target 127.0.0.1:4420 --rw randrw \
  --bs 4k --iodepth 128 --numjobs 16 --runtime "$RUNTIME" --ramp_time "$RAMP" --size 256m --io-threads 1 \
  "${CC_K200[@]}" -q \
  -o "$OUT" --base memory-16x128 | sed -n '2,3p'
stop_target

python3 - "$OUT" "$RUNTIME" "$ROUNDS" "$CC" <<'PY'
import json, re, sys, os, platform, datetime, statistics
out, runtime, rounds, cc = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if not cc:
    cc = open("/proc/sys/net/ipv4/tcp_congestion_control").read().strip() + " (the system's)"
iperf = {n: json.load(open(f"{out}/iperf3-{n}.json"))["end"]["sum_received"]["bits_per_second"] / 8e6
         for n in ("128K", "1M")}
# The ceiling is the better of the two streams.
ceiling_mbps = max(iperf.values())
sp = open(f"{out}/sockperf.txt").read()
def pct(p):
    m = re.search(r"percentile %s\s*=\s*([0-9.]+)" % re.escape(p), sp)
    return float(m.group(1)) if m else float("nan")
m = re.search(r"avg-rtt=([0-9.]+)", sp) or re.search(r"avg-latency=([0-9.]+)", sp)
rtt = {"mean": float(m.group(1)) if m else float("nan"), "p99": pct("99.000"), "p99.9": pct("99.900")}
def job(name):
    r = json.load(open(f"{out}/{name}.json"))["jobs"][0]
    log = open(f"{out}/target-{name}.log").read()
    a = re.search(r"([0-9.]+) bytes per I/O command", log)
    s0 = json.load(open(f"{out}/target-{name}-status-start.json"))
    s1 = json.load(open(f"{out}/target-{name}-status-end.json"))
    steady = ((s1["hostThreadsAllocatedBytes"] - s0["hostThreadsAllocatedBytes"])
              / max(1, s1["ioCommands"] - s0["ioCommands"]))
    bs = 4096 if "4k" in name else 131072
    def c2c(when):
        path = f"{out}/c2c-{name}-{when}.txt"
        return float(open(path).read()) if os.path.exists(path) else float("nan")
    c_path = f"{out}/c-{name}.json"
    c = json.load(open(c_path)) if os.path.exists(c_path) else None
    return {"job": name, "core_to_core_ns": [c2c("before"), c2c("after")], "iops": r["iops"], "mbps": r["mbps"],
            "c_initiator": c,
            "lat_mean_us": r["latency"]["meanUs"], "lat_p99_us": r["latency"]["p99Us"],
            "lat_p999_us": r["latency"]["p999Us"], "errors": r["errors"],
            "ratio_to_ceiling": r["mbps"] / ceiling_mbps,
            "ceiling_iops_at_bs": ceiling_mbps * 1e6 / bs,
            "target_alloc_bytes_per_io": float(a.group(1)) if a else None,
            "target_steady_alloc_bytes_per_io": steady,
            "initiator_alloc_bytes_per_io": r.get("allocatedBytesPerIo")}
rows = []
for name in ["randread-4k-qd32", "randwrite-4k-qd32", "randread-4k-qd128x4", "read-128k-qd16",
             "write-128k-qd16", "randread-4k-qd1"]:
    if rounds == 1:
        rows.append(job(name))
        continue
    runs = [job(f"{name}-r{i}") for i in range(1, rounds + 1)]
    # The median round by IOPS (for QD1, by mean latency), with every round's figures beside it.
    key = (lambda x: -x["lat_mean_us"]) if name.endswith("qd1") else (lambda x: x["iops"])
    median = dict(sorted(runs, key=key)[(rounds - 1) // 2])
    median["job"] = name
    median["rounds"] = {"iops": [x["iops"] for x in runs], "lat_mean_us": [x["lat_mean_us"] for x in runs],
                        "core_to_core_ns": [x["core_to_core_ns"] for x in runs],
                        "errors": sum(x["errors"] for x in runs)}
    # The best round: what the code does when the shared machine leaves it alone.
    median["best"] = max(runs, key=key)
    if all(x["c_initiator"] for x in runs):
        # The C initiator's round right after each k200 bench round: the ratio within each pair of
        # rounds, then the median of those ratios (a spell that takes one side of a pair only skews
        # that pair's ratio, which the median then leaves aside).
        qd1 = name.endswith("qd1")
        ratios = sorted((x["c_initiator"]["lat_mean_us"] / x["lat_mean_us"]) if qd1
                        else (x["iops"] / x["c_initiator"]["iops"]) for x in runs)
        median["c_rounds"] = [x["c_initiator"] for x in runs]
        median["ratio_to_c_rounds"] = ratios
        median["ratio_to_c"] = ratios[(rounds - 1) // 2]
        median["c_best"] = (min if qd1 else max)((x["c_initiator"] for x in runs),
                                                 key=lambda c: c["lat_mean_us"] if qd1 else c["iops"])
    rows.append(median)
gc = open(f"{out}/target-memory-gc.log").read() if os.path.exists(f"{out}/target-memory-gc.log") else ""
heap = [(int(a), int(b)) for a, b in re.findall(r"(\d+)M->(\d+)M\(", gc)]
memory = {"heap_limit_mb": 256, "gcs": len(heap),
          "max_heap_before_gc_mb": max((a for a, b in heap), default=None),
          "max_heap_after_gc_mb": max((b for a, b in heap), default=None)}
m = json.load(open(f"{out}/memory-16x128.json"))["jobs"][0] if os.path.exists(f"{out}/memory-16x128.json") else None
if m:
    memory.update({"iops": m["iops"], "errors": m["errors"]})
summary = {"date": datetime.datetime.utcnow().isoformat() + "Z", "runtime_s": int(runtime), "memory": memory,
           "machine": {"cpus": os.cpu_count(), "kernel": platform.release(), "python_platform": platform.platform()},
           "rounds": rounds, "tcp_congestion": cc,
           "core_to_core_ns_around_ceiling": [float(open(f"{out}/c2c-ceiling-{w}.txt").read()) for w in ("before", "after")],
           "loopback": {"iperf3_mbps": ceiling_mbps, "iperf3_mbps_by_write_size": iperf, "sockperf_rtt_us": rtt},
           "jobs": rows}
json.dump(summary, open(f"{out}/summary.json", "w"), indent=2)
print()
print(f"TCP congestion control: {cc}")
print(f"loopback ceiling: iperf3 {ceiling_mbps:.0f} MB/s (one stream: {iperf['128K']:.0f} with 128 KiB writes,"
      f" {iperf['1M']:.0f} with 1 MiB); sockperf round trip mean {rtt['mean']:.1f} us,"
      f" p99 {rtt['p99']:.1f} us, p99.9 {rtt['p99.9']:.1f} us"
      + "; the CPUs' cache-line round trip before/after: "
      + "/".join(f"{x:.0f}" for x in summary["core_to_core_ns_around_ceiling"]) + " ns")
print(f"{'job':22} {'IOPS':>10} {'MB/s':>9} {'of ceiling':>10} {'mean us':>8} {'p99 us':>8} {'p99.9 us':>9}"
      f" {'B/IO tgt':>9} {'steady':>7} {'B/IO ini':>9}")
for r in rows:
    alloc = "" if r["target_alloc_bytes_per_io"] is None else f"{r['target_alloc_bytes_per_io']:.1f}"
    ini = "" if r["initiator_alloc_bytes_per_io"] is None else f"{r['initiator_alloc_bytes_per_io']:.1f}"
    print(f"{r['job']:22} {r['iops']:>10.0f} {r['mbps']:>9.1f} {r['ratio_to_ceiling']:>10.2f} "
          f"{r['lat_mean_us']:>8.1f} {r['lat_p99_us']:>8.1f} {r['lat_p999_us']:>9.1f} {alloc:>9}"
          f" {r['target_steady_alloc_bytes_per_io']:>7.1f} {ini:>9}")
if rounds == 1:
    print("the CPUs' cache-line round trip before/after each job, ns: "
          + ", ".join(f"{r['job']} {r['core_to_core_ns'][0]:.0f}/{r['core_to_core_ns'][1]:.0f}" for r in rows))
if rounds > 1:
    print(f"each job: the median of {rounds} rounds; every round's IOPS (QD1: mean us), with the CPUs'"
          f" cache-line round trip in ns before/after it:")
    for r in rows:
        figures = r["rounds"]["lat_mean_us"] if r["job"].endswith("qd1") else r["rounds"]["iops"]
        b = r["best"]
        best = f"{b['lat_mean_us']:.1f} us" if r["job"].endswith("qd1") else f"{b['iops'] / 1000:.0f}k IOPS, {b['mbps']:.0f} MB/s"
        print(f"  {r['job']:22} " + " ".join((f"{x:.1f}" if r["job"].endswith("qd1") else f"{x / 1000:.0f}k")
                                               + f"({c[0]:.0f}/{c[1]:.0f})"
                                               for x, c in zip(figures, r["rounds"]["core_to_core_ns"]))
              + f"  errors {r['rounds']['errors']}; best {best}")
c_rows = [r for r in rows if r.get("c_initiator")]
if c_rows:
    print("the same target driven by nvmf-drive (C, one queue) right after each k200 bench round;"
          " ratio: k200 bench to nvmf-drive in the same round (QD1: inverse of mean latency), median over the rounds:")
    for r in c_rows:
        c = r["c_initiator"] if rounds == 1 else r["c_best"]
        ratio = (r["c_initiator"]["lat_mean_us"] / r["lat_mean_us"] if r["job"].endswith("qd1")
                 else r["iops"] / r["c_initiator"]["iops"]) if rounds == 1 else r["ratio_to_c"]
        what = "" if rounds == 1 else "best round "
        print(f"  {r['job']:22} nvmf-drive {what}{c['iops'] / 1000:.0f}k IOPS, mean {c['lat_mean_us']:.1f} us,"
              f" p99 {c['lat_p99_us']:.1f} us, errors {c['errors']}; k200 bench / nvmf-drive {ratio:.2f}")
print("B/IO: heap bytes allocated per I/O command; tgt: the target over its whole life (start-up and"
      " connection set-up included), steady: the target within the measured window, ini: the initiator's")
qd1 = rows[-1]
print(f"QD1 latency vs loopback round trip: mean {qd1['lat_mean_us'] / rtt['mean']:.2f}x,"
      f" p99 {qd1['lat_p99_us'] / rtt['p99']:.2f}x, p99.9 {qd1['lat_p999_us'] / rtt['p99.9']:.2f}x"
      + (f" (best round: mean {qd1['best']['lat_mean_us'] / rtt['mean']:.2f}x)" if "best" in qd1 else ""))
gcs = (f"{memory['gcs']} GCs, heap at most {memory['max_heap_before_gc_mb']} MiB before a GC and "
       f"{memory['max_heap_after_gc_mb']} MiB after" if memory["gcs"] else "no garbage collection")
print(f"memory: default configuration, 16 queue pairs at QD128 with the target's heap capped at 256 MiB: "
      f"{memory.get('iops', 0):.0f} IOPS, errors {memory.get('errors')}, {gcs}")
print(f"wrote {out}/summary.json")
PY
