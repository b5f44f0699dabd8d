#!/usr/bin/env python3
"""Toolgate load benchmark: the same constant-rate load against the upstream directly, nginx as a plain reverse proxy,
the sidecar, and two JVM "floor" proxies that only forward (bench/floor); a realism run against server-everything;
startup to ready on JDK 17 and JDK 25 (+AOT cache).

Started by run.sh, which installs the tools first. Every process it starts runs in its own session on 127.0.0.1 and is
killed on exit; every loop is bounded in count and time. Results: bench/results/latest.{md,json}.
"""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RESULTS = os.path.join(ROOT, "bench", "results")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_MIB = 1 / 1024  # VmRSS is in kB


def env_int(name, default):
    return int(os.environ.get(name, default))


def env_list(name, default):
    return [x for x in os.environ.get(name, default).split(",") if x]


QUICK = os.environ.get("BENCH_QUICK") == "1"
CFG = {
    "duration_s": env_int("BENCH_DURATION", 3 if QUICK else 15),
    "warmup_s": env_int("BENCH_WARMUP", 3 if QUICK else 30),
    # then at the first measured rate: going from full speed to 1,000 rps makes C2 recompile (~0.5 s of compiler CPU)
    "rate_warmup_s": env_int("BENCH_RATE_WARMUP", 2 if QUICK else 15),
    "rates": [int(r) for r in env_list("BENCH_RATES", "1000,5000")],
    "connections": env_int("BENCH_CONNECTIONS", 16),
    "max_connections": env_int("BENCH_MAX_CONNECTIONS", 16),
    # sidecar-redis: the sidecar with its counters in a local redis-server (scripts/redis-server.sh), beside the
    # sidecar with its in-memory counters
    "targets": env_list("BENCH_TARGETS", "direct,nginx,sidecar,sidecar-redis,floor-vertx,floor-netty"),
    "everything_rate": env_int("BENCH_EVERYTHING_RATE", 200),
    "startup_runs": env_int("BENCH_STARTUP_RUNS", 2 if QUICK else 5),
    # the options the sidecar image runs with (helm/README.md): small heap, serial GC, a 32 MiB code cache (12.7 MiB
    # used after warm-up) and the JVM handing freed native memory back every second
    "sidecar_java_opts": os.environ.get("BENCH_SIDECAR_JAVA_OPTS",
                                        "-Xms16m -Xmx64m -Xss256k -XX:+UseSerialGC -XX:ReservedCodeCacheSize=32m "
                                        "-XX:TrimNativeHeapInterval=1000").split(),
    "nginx_proxy_workers": env_int("BENCH_NGINX_WORKERS", os.cpu_count() or 2),
    "limit_window": os.environ.get("BENCH_LIMIT_WINDOW", "second"),
    # extra sidecar targets differing only in JVM options: "name=opts;name2=opts"
    "sidecar_variants": os.environ.get("BENCH_SIDECAR_VARIANTS",
                                       "untuned=-Xms16m -Xmx64m -Xss256k -XX:+UseSerialGC"),
    "skip": set(env_list("BENCH_SKIP", "")),  # any of: everything, startup, aot
}
# Optional priority boost for everything the benchmark starts (all alike, so ratios stay fair): on a machine shared
# with builds, `BENCH_NICE=-10` makes the figures less about the neighbours. Needs root for negative values.
NICE = int(os.environ.get("BENCH_NICE", "0"))


def with_priority():
    if NICE:
        os.setpriority(os.PRIO_PROCESS, 0, NICE)


FORTIO = os.environ.get("FORTIO", os.path.join(ROOT, "tools", "bin", "fortio"))
JAVA17 = os.environ.get("BENCH_JAVA17", "java")
JDK25 = os.environ.get("BENCH_JDK25", "/usr/lib/jvm/temurin-25-jdk-amd64")
SIDECAR_APP = os.environ.get("BENCH_SIDECAR_APP", os.path.join(ROOT, "sidecar", "target", "quarkus-app"))
AOT_APP = os.environ.get("BENCH_AOT_APP", "")  # a quarkus-app dir with app.aot, built by run.sh
# the floor proxies (bench/floor), compiled by run.sh against the sidecar's lib/main; target name -> main class
FLOOR_CLASSES = os.environ.get("BENCH_FLOOR_CLASSES", os.path.join(ROOT, "tools", "bench", "floor-classes"))
FLOORS = {"floor-vertx": "VertxFloorProxy", "floor-netty": "NettyFloorProxy"}
WORK = None
APP_COPY = None
APP_BUILT = None
UPSTREAM_RESPONSE = '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}],"isError":false}}'
ACCEPT = "application/json, text/event-stream"


def log(msg):
    print(f"[loadbench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes

class Proc:
    """A child process in its own session; stop() ends the whole process group (nginx workers, JVM, node)."""
    live = []

    def __init__(self, name, argv, logfile, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.log = open(logfile, "ab")
        self.started = time.perf_counter()
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                  start_new_session=True, preexec_fn=with_priority)
        self.pid = self.p.pid
        Proc.live.append(self)
        with open(os.path.join(WORK, "pids"), "a") as f:
            f.write(f"{self.pid}\n")

    def alive(self):
        return self.p.poll() is None

    def stop(self, grace=5.0):
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(5)
        # a process group can outlive its leader (nginx workers): sweep it too
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.log.close()
        pid_file = os.path.join(WORK, "pids")
        if os.path.exists(pid_file):  # run.sh's trap kills what is still listed; this group is gone
            with open(pid_file) as f:
                rest = [line for line in f if line.strip() != str(self.pid)]
            with open(pid_file, "w") as f:
                f.writelines(rest)
        if self in Proc.live:
            Proc.live.remove(self)

    def tree(self):
        """pid of the leader plus its direct children (nginx master + workers)."""
        pids = [self.pid]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.pid:
                        pids.append(int(entry))
                except (OSError, IndexError, ValueError):
                    pass
        return pids


def stop_all():
    for proc in reversed(list(Proc.live)):
        try:
            proc.stop(grace=3)
        except Exception as e:  # keep cleaning up the others
            log(f"stopping {proc.name}: {e}")


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def wait_tcp(port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise SystemExit(f"loadbench: {proc.name} exited during startup; see {proc.log.name}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"loadbench: {proc.name} did not listen on 127.0.0.1:{port} within {timeout}s")


def http_status(url, timeout=0.5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def wait_ready(mgmt_port, proc, timeout=60.0, interval=0.01):
    """Seconds from the process's spawn to the first 200 from /q/health/ready."""
    url = f"http://127.0.0.1:{mgmt_port}/q/health/ready"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise SystemExit(f"loadbench: {proc.name} exited before ready; see {proc.log.name}")
        if http_status(url) == 200:
            return time.perf_counter() - proc.started
        time.sleep(interval)
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            why = r.read().decode()
    except urllib.error.HTTPError as e:
        why = e.read().decode(errors="replace")
    except OSError as e:
        why = str(e)
    raise SystemExit(f"loadbench: {proc.name} not ready on {url} within {timeout}s: {why[:1000]}")


# ---------------------------------------------------------------- /proc sampling

def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
        except (OSError, IndexError):
            pass
    return total / CLK_TCK


def rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total * PAGE_MIB


class RssSampler(threading.Thread):
    def __init__(self, pids, interval=0.2, max_seconds=600):
        super().__init__(daemon=True)
        self.pids, self.interval, self.max_samples = pids, interval, int(max_seconds / interval)
        self.samples = []
        self.halt = threading.Event()

    def run(self):
        for _ in range(self.max_samples):
            self.samples.append(rss_mib(self.pids))
            if self.halt.wait(self.interval):
                break

    def finish(self):
        self.halt.set()
        self.join(5)
        return max(self.samples) if self.samples else None


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


# ---------------------------------------------------------------- fortio

def fortio(label, url, body, qps, connections, duration_s, headers=(), out_dir=None):
    out = os.path.join(out_dir or WORK, f"fortio-{label}.json")
    argv = [FORTIO, "load", "-quiet", "-json", out, "-qps", str(qps), "-c", str(connections), "-t", f"{duration_s}s",
            "-r", "0.00001", "-p", "50,90,99,99.9", "-timeout", "5s", "-payload-file", body,
            "-content-type", "application/json", "-H", f"Accept: {ACCEPT}"]
    if qps > 0:
        argv.append("-uniform")  # spread the connections' send times instead of bursting them together
    for h in headers:
        argv += ["-H", h]
    argv.append(url)
    res = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 60, preexec_fn=with_priority)
    if res.returncode != 0 or not os.path.exists(out):
        raise SystemExit(f"loadbench: fortio {label} failed ({res.returncode}): {res.stderr[-2000:]}")
    with open(out) as f:
        data = json.load(f)
    hist = data["DurationHistogram"]
    pct = {p["Percentile"]: p["Value"] * 1000 for p in hist.get("Percentiles", [])}
    codes = {str(k): v for k, v in data.get("RetCodes", {}).items()}
    return {
        "requested_qps": qps, "actual_qps": round(data["ActualQPS"], 1), "requests": hist["Count"],
        "connections": connections, "sockets": data.get("SocketCount"), "duration_s": duration_s,
        "p50_ms": pct.get(50), "p90_ms": pct.get(90), "p99_ms": pct.get(99), "p999_ms": pct.get(99.9),
        "avg_ms": hist["Avg"] * 1000, "max_ms": hist["Max"] * 1000,
        "codes": codes, "non_200": hist["Count"] - codes.get("200", 0),
        "response_bytes": [data["Sizes"]["Min"], data["Sizes"]["Max"]] if data.get("Sizes") else None,
    }


def measured_run(label, proc, url, body, qps, connections, duration_s, headers=()):
    """One fortio run with CPU and RSS of `proc` (and its children) measured around it."""
    pids = proc.tree() if proc else []
    la = loadavg()
    cpu0 = cpu_seconds(pids)
    sampler = RssSampler(pids, max_seconds=duration_s + 30)
    sampler.start()
    result = fortio(label, url, body, qps, connections, duration_s, headers)
    rss = sampler.finish()
    cpu = cpu_seconds(pids) - cpu0
    if proc:
        result["cpu_s"] = round(cpu, 3)
        result["cpu_s_per_1k_req"] = round(cpu / result["requests"] * 1000, 4) if result["requests"] else None
        result["rss_mib_max"] = round(rss, 1)
    result["loadavg_1m_before"] = la[0]
    log(f"{label}: {result['actual_qps']} qps, p50 {fmt(result['p50_ms'])} p99 {fmt(result['p99_ms'])} ms, "
        f"non-200 {result['non_200']}, cpu/1k {result.get('cpu_s_per_1k_req')}, rss {result.get('rss_mib_max')}")
    return result


def fmt(v, digits=3):
    return "—" if v is None else f"{v:.{digits}f}"


# ---------------------------------------------------------------- servers

def nginx_conf(dirpath, port, workers, server_block):
    for d in ("cb", "px", "fc", "uw", "sc"):
        os.makedirs(os.path.join(dirpath, d), exist_ok=True)
    conf = f"""
worker_processes {workers};
daemon off;
pid {dirpath}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path {dirpath}/cb; proxy_temp_path {dirpath}/px; fastcgi_temp_path {dirpath}/fc;
  uwsgi_temp_path {dirpath}/uw; scgi_temp_path {dirpath}/sc;
  {server_block}
}}
"""
    path = os.path.join(dirpath, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def start_nginx(name, port, workers, server_block):
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    conf = nginx_conf(d, port, workers, server_block)
    proc = Proc(name, ["nginx", "-p", d, "-c", conf, "-e", os.path.join(d, "error.log")], os.path.join(d, "out.log"))
    wait_tcp(port, proc)
    return proc


def start_upstream(port):
    # The fast MCP endpoint: a canned JSON-RPC result for POST /mcp, so the proxy hop's cost dominates.
    block = f"""server {{
    listen 127.0.0.1:{port};
    location = /mcp {{ default_type application/json; return 200 '{UPSTREAM_RESPONSE}'; }}
  }}"""
    return start_nginx("upstream-nginx", port, 1, block)


def start_nginx_proxy(port, upstream_port, workers):
    block = f"""upstream mcp {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://mcp; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}"""
    return start_nginx("proxy-nginx", port, workers, block)


def sidecar_argv(java, app_dir, java_opts):
    return [java, *java_opts, "-jar", os.path.join(app_dir, "quarkus-run.jar")]


def start_sidecar(name, java, app_dir, java_opts, upstream_url, policy, port, mgmt_port, extra_env=None):
    env = dict(os.environ, TOOLGATE_UPSTREAM=upstream_url, TOOLGATE_POLICY_FILE=policy,
               QUARKUS_HTTP_PORT=str(port), QUARKUS_HTTP_HOST="127.0.0.1",
               QUARKUS_MANAGEMENT_PORT=str(mgmt_port), QUARKUS_MANAGEMENT_HOST="127.0.0.1", **(extra_env or {}))
    # cwd = the app dir: the AOT cache is only valid when the jar is launched from where it was recorded
    return Proc(name, sidecar_argv(java, app_dir, java_opts), os.path.join(WORK, f"{name}.log"), env=env, cwd=app_dir)


def start_redis(port):
    """A redis-server on loopback for the sidecar-redis target, nothing persisted (scripts/redis-server.sh)."""
    proc = Proc("redis", ["bash", os.path.join(ROOT, "scripts", "redis-server.sh"), str(port)], os.path.join(WORK, "redis.log"))
    wait_tcp(port, proc)
    return proc


def start_floor(name, port, upstream_port):
    """A floor proxy (bench/floor) on the sidecar's JVM options and its copy's libraries (same Vert.x, same Netty)."""
    main_class = FLOORS[name]
    if not os.path.exists(os.path.join(FLOOR_CLASSES, f"{main_class}.class")):
        raise SystemExit(f"loadbench: {main_class}.class not in {FLOOR_CLASSES}; run.sh compiles bench/floor")
    classpath = f"{FLOOR_CLASSES}:{os.path.join(APP_COPY, 'lib', 'main', '*')}"
    proc = Proc(name, [JAVA17, *CFG["sidecar_java_opts"], "-cp", classpath, main_class, str(port), str(upstream_port)],
                os.path.join(WORK, f"{name}.log"))
    wait_tcp(port, proc)
    return proc


def post(url, body, headers=None, timeout=5):
    req = urllib.request.Request(url, data=body.encode() if isinstance(body, str) else body, method="POST",
                                 headers={"Content-Type": "application/json", "Accept": ACCEPT, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode(errors="replace")


def check_passes(label, url, body_path, attempts=10):
    """The benchmark is void if the proxy answers instead of the upstream (a denial is also HTTP 200). A few attempts:
    the Redis target connects to Redis while it starts."""
    with open(body_path) as f:
        body = f.read()
    for _ in range(attempts):
        status, _, text = post(url, body)
        if status == 200 and text.strip() == UPSTREAM_RESPONSE:
            return
        time.sleep(0.5)
    if status != 200 or text.strip() != UPSTREAM_RESPONSE:
        raise SystemExit(f"loadbench: {label} did not pass the call to the upstream: HTTP {status}: {text[:500]}")


def scrape_decisions(mgmt_port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{mgmt_port}/q/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError as e:
        return {"error": str(e)}
    out = {}
    for line in text.splitlines():
        if line.startswith("toolgate_tool_calls_total{"):
            labels, value = line.rsplit(" ", 1)
            out[labels[len("toolgate_tool_calls_total"):]] = float(value)
        elif line.startswith(("toolgate_counter_store_errors_total{", "toolgate_counter_store_unavailable_total{")):
            series, value = line.rsplit(" ", 1)
            out[series] = float(value)  # the Redis target: store failures, and calls the fail mode decided
    return out


# ---------------------------------------------------------------- scenarios

def sidecar_variants():
    """("sidecar", opts) plus ("sidecar-<name>", opts) for each BENCH_SIDECAR_VARIANTS entry `name=opts;...`."""
    out = [("sidecar", CFG["sidecar_java_opts"])] if "sidecar" in CFG["targets"] else []
    for spec in filter(None, (v.strip() for v in CFG["sidecar_variants"].split(";"))):
        name, _, opts = spec.partition("=")
        out.append((f"sidecar-{name.strip()}", opts.split()))
    return out


def floor_targets():
    return [name for name in FLOORS if name in CFG["targets"]]


def load_scenarios(policy, body, results):
    up_port, nx_port = free_ports(2)
    upstream = start_upstream(up_port)
    targets = {}
    if "direct" in CFG["targets"]:
        targets["direct"] = (upstream, f"http://127.0.0.1:{up_port}/mcp")
    if "nginx" in CFG["targets"]:
        nx = start_nginx_proxy(nx_port, up_port, CFG["nginx_proxy_workers"])
        targets["nginx"] = (nx, f"http://127.0.0.1:{nx_port}/mcp")
        results["idle"]["nginx"] = {"rss_mib": round(rss_mib(nx.tree()), 1)}
    mgmt = {}
    jvms = []  # every JVM target, warmed up alike
    for name, opts in sidecar_variants():
        sc_port, sc_mgmt = free_ports(2)
        sc = start_sidecar(name, JAVA17, APP_COPY, opts, f"http://127.0.0.1:{up_port}", policy, sc_port, sc_mgmt)
        ready = wait_ready(sc_mgmt, sc)
        time.sleep(1.0)
        results["idle"][name] = {"rss_mib": round(rss_mib([sc.pid]), 1), "ready_s": round(ready, 3),
                                 "java_opts": " ".join(opts)}
        targets[name] = (sc, f"http://127.0.0.1:{sc_port}/mcp")
        mgmt[name] = sc_mgmt
        jvms.append(name)
    redis = None
    if "sidecar-redis" in CFG["targets"]:
        redis_port, sc_port, sc_mgmt = free_ports(3)
        redis = start_redis(redis_port)
        name = "sidecar-redis"
        sc = start_sidecar(name, JAVA17, APP_COPY, CFG["sidecar_java_opts"], f"http://127.0.0.1:{up_port}", policy, sc_port,
                           sc_mgmt, {"TOOLGATE_COUNTERS_BACKEND": "redis",
                                     "TOOLGATE_COUNTERS_REDIS_URL": f"redis://127.0.0.1:{redis_port}",
                                     "TOOLGATE_COUNTERS_REDIS_KEY_PREFIX": "toolgate:bench"})
        ready = wait_ready(sc_mgmt, sc)
        time.sleep(1.0)
        results["idle"][name] = {"rss_mib": round(rss_mib([sc.pid]), 1), "ready_s": round(ready, 3),
                                 "java_opts": " ".join(CFG["sidecar_java_opts"]), "counters": "redis"}
        targets[name] = (sc, f"http://127.0.0.1:{sc_port}/mcp")
        mgmt[name] = sc_mgmt
        jvms.append(name)
    for name in floor_targets():
        port = free_ports(1)[0]
        floor = start_floor(name, port, up_port)
        time.sleep(1.0)
        results["idle"][name] = {"rss_mib": round(rss_mib([floor.pid]), 1),
                                 "java_opts": " ".join(CFG["sidecar_java_opts"])}
        targets[name] = (floor, f"http://127.0.0.1:{port}/mcp")
        jvms.append(name)
    for name, (_, url) in targets.items():
        check_passes(name, url, body)
    for name in jvms:
        # JIT warm-up at full speed, so C2 has compiled the hot path before anything is measured
        log(f"warming {name} up for {CFG['warmup_s']}s")
        fortio(f"{name}-warmup", targets[name][1], body, 0, CFG["max_connections"], CFG["warmup_s"])
        results["idle"][name]["rss_mib_after_warmup"] = round(rss_mib([targets[name][0].pid]), 1)
    for name in jvms:
        # The load's shape changes what C2 compiles: the first seconds at a low rate after the full-speed warm-up show
        # a recompilation burst (p99 ~1 ms). Warm up at the measured rate too, and report that phase on its own.
        rate = CFG["rates"][0]
        log(f"warming {name} up at {rate} rps for {CFG['rate_warmup_s']}s")
        r = fortio(f"{name}-warmup-{rate}", targets[name][1], body, rate, CFG["connections"], CFG["rate_warmup_s"])
        results.setdefault("rate_warmup", {})[name] = {"rate": rate, "duration_s": CFG["rate_warmup_s"],
                                                       "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"]}
    # interleave targets within each phase so slow drift of the machine's load hits them alike
    for rate in CFG["rates"]:
        for name, (proc, url) in targets.items():
            results["runs"][f"{name}@{rate}"] = measured_run(f"{name}@{rate}", proc, url, body, rate,
                                                             CFG["connections"], CFG["duration_s"])
    for name, (proc, url) in targets.items():
        results["runs"][f"{name}@max"] = measured_run(f"{name}@max", proc, url, body, 0, CFG["max_connections"],
                                                      CFG["duration_s"])
    for name, port in mgmt.items():
        results.setdefault("sidecar_decisions", {})[name] = scrape_decisions(port)
    for name, (proc, _) in targets.items():
        if proc is not upstream:
            proc.stop()
    if redis:
        redis.stop()
    return upstream


def node_binary():
    bundled = os.path.join(ROOT, "tools", "node", "node_modules", ".bin", "node")
    return bundled if os.path.exists(bundled) else "node"


def curl_mcp(url, payload, session=None, protocol=None):
    """One MCP POST with curl; returns (status, headers dict lower-cased, body)."""
    argv = ["curl", "-sS", "-m", "10", "-D", "-", "-X", "POST", url, "-H", "Content-Type: application/json",
            "-H", f"Accept: {ACCEPT}", "--data-binary", payload]
    if session:
        argv += ["-H", f"Mcp-Session-Id: {session}"]
    if protocol:
        argv += ["-H", f"MCP-Protocol-Version: {protocol}"]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    if res.returncode != 0:
        raise SystemExit(f"loadbench: curl {url} failed: {res.stderr}")
    head, _, body = res.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:]) if k}
    return status, headers, body


def mcp_session(url):
    init = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "toolgate-loadbench", "version": "1"}}})
    status, headers, body = curl_mcp(url, init)
    session = headers.get("mcp-session-id")
    if status != 200 or not session:
        raise SystemExit(f"loadbench: initialize via {url} failed: HTTP {status} {headers} {body[:300]}")
    m = re.search(r'"protocolVersion"\s*:\s*"([^"]+)"', body)
    protocol = m.group(1) if m else "2025-06-18"
    status, _, body = curl_mcp(url, json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                               session, protocol)
    if status not in (200, 202):
        raise SystemExit(f"loadbench: notifications/initialized via {url} failed: HTTP {status} {body[:300]}")
    return session, protocol


def everything_scenario(policy, body, results):
    ev_port, sc_port, sc_mgmt = free_ports(3)
    entry = os.path.join(ROOT, "tools", "node", "node_modules", "@modelcontextprotocol", "server-everything", "dist",
                         "index.js")
    if not os.path.exists(entry):
        raise SystemExit(f"loadbench: {entry} missing; run scripts/mcp-deps.sh")
    ev = Proc("server-everything", [node_binary(), entry, "streamableHttp"], os.path.join(WORK, "everything.log"),
              env=dict(os.environ, PORT=str(ev_port)))
    wait_tcp(ev_port, ev, 30)
    sc = start_sidecar("sidecar-everything", JAVA17, APP_COPY, CFG["sidecar_java_opts"],
                       f"http://127.0.0.1:{ev_port}", policy, sc_port, sc_mgmt)
    wait_ready(sc_mgmt, sc)
    with open(body) as f:
        payload = f.read()
    rate = CFG["everything_rate"]
    for name, url, proc in (("everything-direct", f"http://127.0.0.1:{ev_port}/mcp", ev),
                            ("everything-sidecar", f"http://127.0.0.1:{sc_port}/mcp", sc)):
        session, protocol = mcp_session(url)
        status, headers, text = curl_mcp(url, payload, session, protocol)
        ctype = headers.get("content-type", "")
        if status != 200 or "hello from the toolgate load benchmark" not in text:
            raise SystemExit(f"loadbench: {name} echo call failed: HTTP {status} {text[:300]}")
        hdrs = [f"Mcp-Session-Id: {session}", f"MCP-Protocol-Version: {protocol}"]
        # a short warm-up (JIT of the sidecar, V8 of node), then the measured run
        fortio(f"{name}-warmup", url, body, rate, 4, max(2, CFG["warmup_s"] // 3), hdrs)
        run = measured_run(name, sc if name.endswith("sidecar") else None, url, body, rate, 4, CFG["duration_s"],
                           hdrs)
        run["response_content_type"] = ctype.split(";")[0]
        results["runs"][f"{name}@{rate}"] = run
    sc.stop()
    ev.stop()


def startup_scenario(policy, upstream_port, results):
    c1 = ["-XX:TieredStopAtLevel=1"]  # C2 compiler threads compete with startup for the CPUs
    java25 = os.path.join(JDK25, "bin", "java")
    # the benchmark's 202-entry policy, and the one-entry Stripe seed policy (what a typical McpPolicy renders to)
    seed = os.path.join(HERE, "stripe-update_customer.json")
    variants = [("jdk17", JAVA17, APP_COPY, CFG["sidecar_java_opts"], policy),
                ("jdk17-c1", JAVA17, APP_COPY, CFG["sidecar_java_opts"] + c1, policy),
                ("jdk25", java25, APP_COPY, CFG["sidecar_java_opts"], policy)]
    if AOT_APP and "aot" not in CFG["skip"]:
        aot = ["-XX:AOTCache=app.aot", *CFG["sidecar_java_opts"]]
        variants += [("jdk25-aot", java25, AOT_APP, aot, policy),
                     ("jdk25-aot-c1", java25, AOT_APP, aot + c1, policy),
                     ("jdk25-aot-seed", java25, AOT_APP, aot, seed),
                     ("jdk25-aot-c1-seed", java25, AOT_APP, aot + c1, seed)]
    for label, java, app, opts, policy in variants:
        runs, rss, cpu = [], [], []
        for i in range(CFG["startup_runs"]):
            port, mgmt = free_ports(2)
            proc = start_sidecar(f"startup-{label}-{i}", java, app, opts, f"http://127.0.0.1:{upstream_port}",
                                 policy, port, mgmt)
            try:
                runs.append(wait_ready(mgmt, proc, timeout=30, interval=0.002))
                cpu.append(cpu_seconds([proc.pid]))  # less sensitive than wall time to a busy machine
                rss.append(rss_mib([proc.pid]))
            finally:
                proc.stop()
        results["startup"][label] = {
            "java_opts": " ".join(opts), "policy": os.path.basename(policy), "runs_s": [round(r, 3) for r in runs],
            "median_s": round(statistics.median(runs), 3), "min_s": round(min(runs), 3),
            "cpu_s_to_ready": round(statistics.median(cpu), 2), "rss_at_ready_mib": round(statistics.median(rss), 1)}
        log(f"startup {label}: median {results['startup'][label]['median_s']}s of {len(runs)}")


# ---------------------------------------------------------------- report

def derive(results):
    runs = results["runs"]
    head = {}
    for rate in CFG["rates"] + ["max"]:
        d = runs.get(f"direct@{rate}")
        for name in [k.split("@")[0] for k in runs if k.endswith(f"@{rate}") and not k.startswith("direct")]:
            r = runs.get(f"{name}@{rate}")
            if d and r and rate != "max":
                for p in ("p50", "p90", "p99", "p999"):
                    r[f"added_{p}_ms"] = round(r[f"{p}_ms"] - d[f"{p}_ms"], 4)
    nx, sc = runs.get("nginx@max"), runs.get("sidecar@max")
    for key, r in runs.items():
        if key.endswith("@max") and not key.startswith("direct"):
            if nx:
                r["throughput_ratio_vs_nginx"] = round(r["actual_qps"] / nx["actual_qps"], 3)
            if runs.get("direct@max"):
                r["throughput_ratio_vs_direct"] = round(r["actual_qps"] / runs["direct@max"]["actual_qps"], 3)
    names = ["sidecar"] + sorted({k.split("@")[0] for k in runs if k.startswith("sidecar-")})
    for name in names:
        suffix = "" if name == "sidecar" else f"|{name}"
        s1k, smax = runs.get(f"{name}@1000"), runs.get(f"{name}@max")
        if s1k and "added_p50_ms" in s1k:
            for p, target in (("p50", 0.1), ("p99", 0.4)):
                added = s1k[f"added_{p}_ms"]
                # a negative difference means the direct run caught more noise than the proxied one: no verdict
                head[f"added_{p}_ms_at_1000" + suffix] = {"value": round(added, 3), "target": target,
                                                          "met": None if added < 0 else added <= target}
        if smax and "throughput_ratio_vs_nginx" in smax:
            head["max_throughput_vs_nginx" + suffix] = {"value": smax["throughput_ratio_vs_nginx"], "target": 0.8,
                                                        "met": smax["throughput_ratio_vs_nginx"] >= 0.8}
        rss = [r["rss_mib_max"] for k, r in runs.items() if k.startswith(f"{name}@") and "rss_mib_max" in r]
        if rss:
            head["sidecar_rss_under_load_mib" + suffix] = {"value": max(rss), "target": 128, "met": max(rss) <= 128}
    local1k, redis1k = runs.get("sidecar@1000"), runs.get("sidecar-redis@1000")
    if local1k and redis1k:
        # the same sidecar, counters in Redis (same machine) instead of in memory: what the shared store costs
        for p, target in (("p50", None), ("p99", 0.3)):
            added = round(redis1k[f"{p}_ms"] - local1k[f"{p}_ms"], 3)
            head[f"redis_added_{p}_ms_over_local_at_1000"] = {"value": added, "target": target,
                                                              "met": None if target is None or added < 0 else added <= target}
    for label in ("jdk25-aot", "jdk25-aot-c1", "jdk25-aot-seed", "jdk25-aot-c1-seed"):
        if label in results["startup"]:
            v = results["startup"][label]["median_s"]
            head["startup_ready_s_" + label.removeprefix("jdk25-").replace("-", "_")] = {"value": v, "target": 0.6, "met": v <= 0.6}
    results["headline"] = head
    floor = floor_figures(runs)
    if floor:
        results["floor"] = floor


def floor_figures(runs):
    """Per floor proxy: where it stands against nginx, and where the sidecar stands against it (no targets: a floor
    is a measurement of the stack, not a goal)."""
    sc1k, scmax = runs.get("sidecar@1000"), runs.get("sidecar@max")
    out = {}
    for name in FLOORS:
        f1k, fmax, f = runs.get(f"{name}@1000"), runs.get(f"{name}@max"), {}
        if fmax:
            if "throughput_ratio_vs_nginx" in fmax:
                f["max_throughput_vs_nginx"] = fmax["throughput_ratio_vs_nginx"]
            if scmax and fmax["actual_qps"]:
                f["sidecar_max_throughput_vs_floor"] = round(scmax["actual_qps"] / fmax["actual_qps"], 3)
            f["cpu_ms_per_req_at_max"] = fmax.get("cpu_s_per_1k_req")  # s per 1k requests = ms per request
            if scmax and scmax.get("cpu_s_per_1k_req") is not None and fmax.get("cpu_s_per_1k_req") is not None:
                f["sidecar_cpu_ms_per_req_above_floor_at_max"] = round(scmax["cpu_s_per_1k_req"] - fmax["cpu_s_per_1k_req"], 4)
        if f1k and "added_p50_ms" in f1k:
            f["added_p50_ms_at_1000"] = round(f1k["added_p50_ms"], 3)
            f["added_p99_ms_at_1000"] = round(f1k["added_p99_ms"], 3)
            if sc1k and "added_p50_ms" in sc1k:
                f["sidecar_added_p50_ms_above_floor_at_1000"] = round(sc1k["added_p50_ms"] - f1k["added_p50_ms"], 3)
        if f:
            out[name] = f
    return out


def markdown(results):
    m, runs = results["meta"], results["runs"]
    out = ["# Toolgate load benchmark — latest run", "",
           f"{m['finished_utc']} · commit `{m['commit']}` · {m['cpus']} CPUs · load average before "
           f"{'/'.join(map(str, m['loadavg_before']))}, after {'/'.join(map(str, m['loadavg_after']))} "
           f"(1/5/15 min) · {m['duration_s']} s per run, {m['connections']} keep-alive connections "
           f"({m['max_connections']} for max throughput) · {m['warmup_s']} s JIT warm-up per JVM at full speed, then "
           f"{m.get('rate_warmup_s', 0)} s at the first rate · "
           f"1 KiB `tools/call` body · sidecar JVM "
           f"`{m['sidecar_java_opts']}` on {m['java17']}; sidecar built {m['sidecar_app_built_utc']} UTC"
           + (f"; every benchmark process at nice {m['nice']}" if m["nice"] else ""), ""]
    if m.get("noisy"):
        out += [f"> **Noisy machine:** the 1-minute load average was {m['loadavg_before'][0]} before the run "
                f"(2 CPUs, other builds running); latency percentiles above p90 are not trustworthy.", ""]
    names = {"added_p50_ms_at_1000": "Added p50 latency at 1,000 rps (ms)",
             "added_p99_ms_at_1000": "Added p99 latency at 1,000 rps (ms)",
             "max_throughput_vs_nginx": "Max throughput, sidecar / nginx",
             "sidecar_rss_under_load_mib": "Sidecar RSS under load (MiB)",
             "redis_added_p50_ms_over_local_at_1000": "Counters in Redis: added p50 over in-memory counters at 1,000 rps (ms)",
             "redis_added_p99_ms_over_local_at_1000": "Counters in Redis: added p99 over in-memory counters at 1,000 rps (ms)",
             "startup_ready_s_aot": "Startup to ready, JDK 25 + AOT cache (s)",
             "startup_ready_s_aot_c1": "Startup to ready, JDK 25 + AOT cache, C1 only (s)",
             "startup_ready_s_aot_seed": "Startup to ready, JDK 25 + AOT cache, Stripe seed policy (s)",
             "startup_ready_s_aot_c1_seed": "Startup to ready, JDK 25 + AOT cache, C1 only, Stripe seed policy (s)"}
    out += ["## Headline", "", "| figure | measured | target | met |", "|---|---:|---:|:---:|"]
    for k, v in results["headline"].items():
        base, _, variant = k.partition("|")
        label = names[base] + (f" — `{variant}`" if variant else "")
        out.append(f"| {label} | {v['value']} | {'—' if v['target'] is None else ('≥' if base == 'max_throughput_vs_nginx' else '≤')} "
                   f"{'' if v['target'] is None else v['target']} "
                   f"| {'noise' if v['met'] is None else 'yes' if v['met'] else '**no**'} |")
    floor = results.get("floor")
    if floor:
        rows = [("max_throughput_vs_nginx", "Max throughput, floor / nginx", 2),
                ("sidecar_max_throughput_vs_floor", "Max throughput, sidecar / floor", 2),
                ("cpu_ms_per_req_at_max", "CPU ms per request at max throughput", 4),
                ("sidecar_cpu_ms_per_req_above_floor_at_max", "Sidecar's CPU ms per request above the floor's, at max", 4),
                ("added_p50_ms_at_1000", "Added p50 latency at 1,000 rps (ms)", 3),
                ("added_p99_ms_at_1000", "Added p99 latency at 1,000 rps (ms)", 3),
                ("sidecar_added_p50_ms_above_floor_at_1000", "Sidecar's added p50 above the floor's, at 1,000 rps (ms)", 3)]
        floor_names = list(floor)
        out += ["", "## JVM floor: proxies that only forward, on the sidecar's stack and JVM options (`bench/floor`)", "",
                "| figure | " + " | ".join(f"`{n}`" for n in floor_names) + " |", "|---|" + "---:|" * len(floor_names)]
        for key, label, digits in rows:
            if any(key in floor[n] for n in floor_names):
                out.append(f"| {label} | " + " | ".join(fmt(floor[n].get(key), digits) for n in floor_names) + " |")
        out += ["", "Floor / nginx is what the JVM HTTP stack itself costs; sidecar / floor is what Toolgate's "
                "per-request work costs on top of it."]
    out += ["", "## Latency at a constant rate (ms)", "",
            "| target | rate | achieved rps | p50 | p90 | p99 | p99.9 | added p50 | added p99 | non-200 | "
            "CPU s / 1k req | RSS max MiB |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, r in runs.items():
        if key.endswith("@max") or key.startswith("everything"):
            continue
        name, rate = key.split("@")
        saturated = r["actual_qps"] < 0.97 * r["requested_qps"]
        out.append(f"| {name} | {rate} | {r['actual_qps']}{' ⚠' if saturated else ''} | {fmt(r['p50_ms'])} | {fmt(r['p90_ms'])} | "
                   f"{fmt(r['p99_ms'])} | {fmt(r['p999_ms'])} | {fmt(r.get('added_p50_ms'))} | "
                   f"{fmt(r.get('added_p99_ms'))} | {r['non_200']} | {fmt(r.get('cpu_s_per_1k_req'), 4)} | "
                   f"{fmt(r.get('rss_mib_max'), 1)} |")
    out += ["", "⚠ = could not sustain the requested rate: its percentiles include queueing in the load generator."]
    out += ["", "## Maximum throughput (`-qps 0`)", "",
            "| target | rps | vs nginx | vs direct | p50 | p99 | non-200 | CPU s / 1k req | RSS max MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key, r in runs.items():
        if key.endswith("@max"):
            out.append(f"| {key[:-4]} | {r['actual_qps']} | {fmt(r.get('throughput_ratio_vs_nginx'), 2)} | "
                       f"{fmt(r.get('throughput_ratio_vs_direct'), 2)} | {fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} | "
                       f"{r['non_200']} | {fmt(r.get('cpu_s_per_1k_req'), 4)} | {fmt(r.get('rss_mib_max'), 1)} |")
    ev = {k: r for k, r in runs.items() if k.startswith("everything")}
    if ev:
        out += ["", "## Realism: server-everything (Node, streamable HTTP, SSE responses)", "",
                "| path | rate | achieved rps | response | p50 | p90 | p99 | p99.9 | non-200 |",
                "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
        for key, r in ev.items():
            name, rate = key.split("@")
            out.append(f"| {name} | {rate} | {r['actual_qps']} | {r.get('response_content_type')} | "
                       f"{fmt(r['p50_ms'])} | {fmt(r['p90_ms'])} | {fmt(r['p99_ms'])} | {fmt(r['p999_ms'])} | "
                       f"{r['non_200']} |")
    if results["startup"]:
        out += ["", "## Startup to ready (spawn → first 200 from `/q/health/ready`)", "",
                "| JVM | policy | median s | min s | CPU s until ready | RSS at ready MiB | JVM options |",
                "|---|---|---:|---:|---:|---:|---|"]
        for label, s in results["startup"].items():
            out.append(f"| {label} | {s.get('policy', '')} | {s['median_s']} | {s['min_s']} | {s['cpu_s_to_ready']} | "
                       f"{s['rss_at_ready_mib']} | `{s['java_opts']}` |")
    if results.get("rate_warmup"):
        w = next(iter(results["rate_warmup"].values()))
        out += ["", f"Warm-up at {w['rate']} rps after the full-speed warm-up ({w['duration_s']} s, not in the tables above; "
                    "C2 recompiles for the new load shape): " + ", ".join(
                        f"{k} p50 {fmt(v['p50_ms'])} / p99 {fmt(v['p99_ms'])} ms" for k, v in results["rate_warmup"].items())]
    idle = results["idle"]
    if idle:
        out += ["", "Idle RSS (MiB): " + ", ".join(
            f"{k} {v['rss_mib']}" + (f" (after warm-up {v['rss_mib_after_warmup']})" if "rss_mib_after_warmup" in v
                                     else "") for k, v in idle.items())]
        by_opts = {}  # the floors run on the sidecar's options: one line for all who share them
        for k, v in idle.items():
            if "java_opts" in v:
                by_opts.setdefault(v["java_opts"], []).append(f"`{k}`")
        out += [f"JVM options of {', '.join(ks)}: `{opts}`" for opts, ks in by_opts.items()]
    for name, decisions in results.get("sidecar_decisions", {}).items():
        counted = {k: int(v) for k, v in decisions.items() if isinstance(v, float) and v > 0}
        out += ["", f"Decisions counted by {name} (`toolgate_tool_calls_total`, non-zero, warm-up included): " + (", ".join(
            f"`{k}` {v}" for k, v in counted.items()) or "none")]
    out += ["", "How each figure is computed: `bench/load/README.md`."]
    return "\n".join(out) + "\n"


def app_built(app_dir):
    jar = os.path.join(app_dir, "app", "toolgate-sidecar-0.1.0-SNAPSHOT.jar")
    path = jar if os.path.exists(jar) else os.path.join(app_dir, "quarkus-run.jar")
    if not os.path.exists(path):
        return None
    return datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


def git_commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def java_version(java):
    res = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    return res.stderr.splitlines()[0] if res.stderr else "unknown"


def main():
    global WORK, APP_COPY, APP_BUILT
    WORK = os.environ.get("BENCH_WORK") or tempfile.mkdtemp(prefix="toolgate-loadbench-")
    os.chmod(WORK, 0o755)  # nginx workers run as nobody
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    results = {"meta": {}, "idle": {}, "runs": {}, "startup": {}}
    try:
        la0 = loadavg()
        if sidecar_variants() or floor_targets() or "everything" not in CFG["skip"] or "startup" not in CFG["skip"]:
            if not os.path.exists(os.path.join(SIDECAR_APP, "quarkus-run.jar")):
                raise SystemExit(f"loadbench: no sidecar at {SIDECAR_APP}; build it (run.sh does)")
            # a private copy: the sidecar's own target/ may be rebuilt while we measure
            APP_COPY = os.path.join(WORK, "sidecar-app")
            shutil.copytree(SIDECAR_APP, APP_COPY)
            APP_BUILT = app_built(APP_COPY)
        # the policy in a directory of its own: the sidecar watches the policy file's directory, and log writes
        # next to it would trigger a re-read per audit line
        policy_dir = os.path.join(WORK, "policy")
        os.makedirs(policy_dir)
        subprocess.run([sys.executable, os.path.join(HERE, "make_policy.py"), policy_dir, "--limit-window",
                        CFG["limit_window"]], check=True, timeout=60)
        policy = os.path.join(policy_dir, "policy.json")
        body = os.path.join(policy_dir, "body-update_customer.json")
        log(f"work dir {WORK}; load average {la0}; config {json.dumps({k: (sorted(v) if isinstance(v, set) else v) for k, v in CFG.items()})}")
        upstream = load_scenarios(policy, body, results)
        if "everything" not in CFG["skip"]:
            everything_scenario(policy, os.path.join(policy_dir, "body-echo.json"), results)
        if "startup" not in CFG["skip"]:
            up_port = int(re.search(r"listen 127.0.0.1:(\d+)", open(os.path.join(WORK, "upstream-nginx",
                                                                                  "nginx.conf")).read()).group(1))
            startup_scenario(policy, up_port, results)
        upstream.stop()
        results["meta"] = {
            "finished_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git_commit(), "cpus": os.cpu_count(), "loadavg_before": la0, "loadavg_after": loadavg(),
            "noisy": la0[0] > 1.0, "duration_s": CFG["duration_s"], "warmup_s": CFG["warmup_s"],
            "rate_warmup_s": CFG["rate_warmup_s"],
            "connections": CFG["connections"], "max_connections": CFG["max_connections"],
            "sidecar_java_opts": " ".join(CFG["sidecar_java_opts"]), "java17": java_version(JAVA17),
            "jdk25": java_version(os.path.join(JDK25, "bin", "java")),
            "fortio": subprocess.run([FORTIO, "version"], capture_output=True, text=True).stdout.strip(),
            "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
            "nginx_proxy_workers": CFG["nginx_proxy_workers"], "policy_tool_entries": len(
                json.load(open(policy))["tools"]), "limit_window": CFG["limit_window"], "quick": QUICK,
            "nice": NICE, "aot_app": AOT_APP or None, "sidecar_app": SIDECAR_APP,
            "floor_classes": FLOOR_CLASSES if floor_targets() else None,
            "sidecar_app_built_utc": APP_BUILT}
        derive(results)
        md = markdown(results)
        out_md = os.environ.get("BENCH_OUT_MD", os.path.join(RESULTS, "latest.md"))
        out_json = os.environ.get("BENCH_OUT_JSON", os.path.join(RESULTS, "latest.json"))
        os.makedirs(os.path.dirname(out_md), exist_ok=True)
        with open(out_md, "w") as f:
            f.write(md)
        with open(out_json, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
        print(md)
        log(f"wrote {out_md} and {out_json}")
    finally:
        stop_all()
        if not os.environ.get("BENCH_KEEP_WORK") and not os.environ.get("BENCH_WORK"):
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
