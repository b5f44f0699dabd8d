#!/usr/bin/env python3
"""Profiles the sidecar under the benchmark's load with JDK Flight Recorder and prints where it spends CPU, what it
allocates and where threads block. Usage (after run.sh has installed the tools once):

    python3 bench/load/jfr_profile.py [--qps 2000] [--seconds 30] [--app sidecar/target/quarkus-app]

Keeps the recording (`.jfr`) and the summary in tools/bench/profile/ (gitignored). Same rules as the benchmark: 127.0.0.1 only, bounded, every process killed on exit.
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadbench as lb  # noqa: E402

JFR_TOOL = os.path.join(os.path.dirname(os.path.realpath(shutil.which("java") or "/usr/bin/java")), "jfr")


# first match from the leaf frame upwards wins, so e.g. Jackson called by the audit log counts as audit log
COST_BUCKETS = [
    ("regex (RE2J): policy `matches` conditions, schema `pattern`", ["com/google/re2j", "com.google.re2j"]),
    ("JSON Schema validation (networknt)", ["com/networknt", "com.networknt"]),
    ("audit line: JSON, canonical args, SHA-256", ["AuditLog", "sidecar/CanonicalJson", "sidecar.CanonicalJson"]),
    ("metrics (Micrometer)", ["ToolCallMetrics", "io/micrometer", "io.micrometer"]),
    ("policy engine, rest", ["dev/toolgate/policy", "dev.toolgate.policy"]),
    ("request JSON-RPC parse", ["JsonRpcParser", "ToolCallExtractor"]),
    ("header copy", ["HopByHopHeaders"]),
    ("logging (JBoss LogManager)", ["org/jboss/logmanager", "org/jboss/logging"]),
]


def jfr_events(recording, event):
    res = subprocess.run([JFR_TOOL, "print", "--json", "--stack-depth", "64", "--events", event, recording], capture_output=True, text=True,
                         timeout=600)
    if res.returncode != 0:
        raise SystemExit(f"profile: jfr print {event} failed: {res.stderr[:500]}")
    return json.loads(res.stdout)["recording"]["events"]


def frame_name(frame):
    m = frame["method"]
    return f"{m['type']['name']}.{m['name']}"


def top(counter, total, n, title):
    lines = [f"{title} (total {total})"]
    for name, count in counter.most_common(n):
        lines.append(f"  {100.0 * count / max(total, 1):5.1f}%  {name}")
    return "\n".join(lines)


def summarize(recording, own_prefixes=("dev.toolgate.",)):
    out = []
    samples = jfr_events(recording, "jdk.ExecutionSample")
    leaf, own, inclusive = collections.Counter(), collections.Counter(), collections.Counter()
    for ev in samples:
        frames = ev["values"]["stackTrace"]["frames"] if ev["values"].get("stackTrace") else []
        if not frames:
            continue
        leaf[frame_name(frames[0])] += 1
        seen = set()
        for f in frames:
            name = frame_name(f)
            if name not in seen:
                inclusive[name] += 1
                seen.add(name)
        for f in frames:
            if frame_name(f).startswith(own_prefixes):
                own[frame_name(f)] += 1
                break
    out.append(top(leaf, len(samples), 25, "CPU samples by leaf method"))
    out.append(top(inclusive, len(samples), 40, "CPU samples by method incl. callees"))
    out.append(top(own, len(samples), 20, "CPU samples attributed to the nearest Toolgate frame"))
    buckets, loop_samples = collections.Counter(), 0
    for ev in samples:
        v = ev["values"]
        if "eventloop" not in ((v.get("sampledThread") or {}).get("javaName") or ""):
            continue
        loop_samples += 1
        names = [frame_name(f) for f in (v["stackTrace"]["frames"] if v.get("stackTrace") else [])]
        label = next((label for name in names for label, keys in COST_BUCKETS if any(k in name for k in keys)),
                     "Netty/Vert.x I/O, routing, proxy glue")
        buckets[label] += 1
    out.append(top(buckets, loop_samples, 20, "Event-loop CPU by component (nearest component from the leaf)"))

    allocs = jfr_events(recording, "jdk.ObjectAllocationSample")
    by_site, by_class = collections.Counter(), collections.Counter()
    total_weight = 0
    for ev in allocs:
        v = ev["values"]
        weight = v.get("weight", 0)
        total_weight += weight
        by_class[v["objectClass"]["name"]] += weight
        frames = v["stackTrace"]["frames"] if v.get("stackTrace") else []
        site = next((frame_name(f) for f in frames if frame_name(f).startswith(own_prefixes)),
                    frame_name(frames[0]) if frames else "?")
        by_site[site] += weight
    mib = lambda w: f"{w / 1048576:.0f} MiB"  # noqa: E731
    out.append(f"Allocation (sampled weight {mib(total_weight)}) by class:\n" + "\n".join(
        f"  {mib(w):>9}  {c}" for c, w in by_class.most_common(15)))
    out.append("Allocation by nearest Toolgate frame (else leaf):\n" + "\n".join(
        f"  {mib(w):>9}  {c}" for c, w in by_site.most_common(20)))

    blocked = collections.Counter()
    for event in ("jdk.JavaMonitorEnter", "jdk.ThreadPark", "jdk.FileWrite", "jdk.SocketWrite"):
        try:
            evs = jfr_events(recording, event)
        except SystemExit:
            continue
        for ev in evs:
            v = ev["values"]
            thread = (v.get("eventThread") or {}).get("javaName", "?")
            if "eventloop" not in thread:
                continue
            frames = v["stackTrace"]["frames"] if v.get("stackTrace") else []
            site = next((frame_name(f) for f in frames if frame_name(f).startswith(own_prefixes)),
                        frame_name(frames[0]) if frames else "?")
            blocked[f"{event} on event loop ← {site}"] += 1
    out.append(top(blocked, sum(blocked.values()), 15, "Blocking events (over JFR's thresholds) on event-loop threads"))
    # where the process's CPU went by thread (JIT compiler and GC threads are not in the execution samples)
    per_thread = collections.defaultdict(float)
    for ev in jfr_events(recording, "jdk.ThreadCPULoad"):
        v = ev["values"]
        name = (v.get("eventThread") or {}).get("javaName") or (v.get("eventThread") or {}).get("osName") or "?"
        per_thread[re.sub(r"\d+", "#", name)] += float(v.get("user", 0)) + float(v.get("system", 0))
    total_load = sum(per_thread.values()) or 1.0
    out.append("CPU by thread group (share of the process's CPU, from jdk.ThreadCPULoad):\n" + "\n".join(
        f"  {100 * load / total_load:5.1f}%  {name}" for name, load in sorted(per_thread.items(), key=lambda kv: -kv[1])[:12]))
    gcs = jfr_events(recording, "jdk.GarbageCollection")
    pause = 0.0
    for ev in gcs:
        m = re.fullmatch(r"PT(?:(\d+)M)?([\d.]+)S", str(ev["values"].get("sumOfPauses", "")))
        if m:
            pause += int(m.group(1) or 0) * 60 + float(m.group(2))
    out.append(f"GC: {len(gcs)} collections, {pause * 1000:.0f} ms of pauses in the recording")
    return "\n\n".join(out), pause


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qps", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=15)
    parser.add_argument("--app", default=lb.SIDECAR_APP)
    parser.add_argument("--java-opts", default=" ".join(lb.CFG["sidecar_java_opts"]))
    parser.add_argument("--out", default=os.path.join(lb.ROOT, "tools", "bench", "profile"))
    args = parser.parse_args()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda n, f: sys.exit(128 + n))  # so `finally` stops what was started
    lb.WORK = tempfile.mkdtemp(prefix="toolgate-profile-")
    os.chmod(lb.WORK, 0o755)
    os.makedirs(args.out, exist_ok=True)
    try:
        lb.APP_COPY = os.path.join(lb.WORK, "sidecar-app")
        shutil.copytree(args.app, lb.APP_COPY)
        policy_dir = os.path.join(lb.WORK, "policy")  # alone: the sidecar watches the policy file's directory
        os.makedirs(policy_dir)
        subprocess.run([sys.executable, os.path.join(lb.HERE, "make_policy.py"), policy_dir], check=True, timeout=60)
        policy = os.path.join(policy_dir, "policy.json")
        body = os.path.join(policy_dir, "body-update_customer.json")
        up_port, sc_port, mgmt = lb.free_ports(3)
        lb.start_upstream(up_port)
        recording = os.path.join(lb.WORK, "sidecar.jfr")
        opts = args.java_opts.split()
        sc = lb.start_sidecar("sidecar-profiled", "java", lb.APP_COPY, opts, f"http://127.0.0.1:{up_port}", policy,
                              sc_port, mgmt)
        lb.wait_ready(mgmt, sc)
        url = f"http://127.0.0.1:{sc_port}/mcp"
        lb.check_passes("sidecar", url, body)
        lb.fortio("profile-warmup", url, body, args.qps, 16, args.warmup)
        # record only the measured window: a smaller file, and no warm-up in the figures
        subprocess.run(["jcmd", str(sc.pid), "JFR.start", "name=bench", "settings=profile"], capture_output=True,
                       timeout=60, check=True)
        run = lb.measured_run("profile", sc, url, body, args.qps, 16, args.seconds)
        subprocess.run(["jcmd", str(sc.pid), "JFR.stop", "name=bench", f"filename={recording}"], capture_output=True,
                       timeout=120, check=True)
        sc.stop()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = os.path.join(args.out, f"sidecar-{stamp}.jfr")
        shutil.copy(recording, kept)
        text, _ = summarize(kept)
        header = (f"Sidecar profile: {run['actual_qps']} rps of {args.qps} requested for {args.seconds}s after "
                  f"{args.warmup}s warm-up; p50 {lb.fmt(run['p50_ms'])} ms p99 {lb.fmt(run['p99_ms'])} ms; "
                  f"CPU {run['cpu_s_per_1k_req']} s per 1k requests; RSS max {run['rss_mib_max']} MiB; "
                  f"JVM options {args.java_opts}; load average {lb.loadavg()}")
        with open(os.path.join(args.out, f"summary-{stamp}.txt"), "w") as f:
            f.write(header + "\n\n" + text + "\n")
        print(header + "\n\n" + text)
    finally:
        lb.stop_all()
        shutil.rmtree(lb.WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
