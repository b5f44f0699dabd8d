#!/usr/bin/env python3
"""Sidecar builds side by side with nginx under the same load, taking turns, reusing bench/load/loadbench.py.

usage: python3 sidecar/perf/ab.py before=/path/quarkus-app after=/path/quarkus-app[,extra JVM options] ...
env: AB_WARM (s, 15), AB_DUR (s, 10), AB_RATES (0 = max, "1000,0"), AB_ROUNDS (1), AB_JFR (variant names to record
with jcmd after the warm-up into /tmp/tgperf/<name>.jfr), AB_JAVA, AB_OPTS. Prints rps, percentiles, CPU us/request, RSS.
"""
import os, sys, tempfile, shutil, subprocess, signal, json, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "load"))
import loadbench as lb

JAVA = os.environ.get("AB_JAVA", "java")
RATES = [int(x) for x in os.environ.get("AB_RATES", "1000,0").split(",")]
DUR = int(os.environ.get("AB_DUR", "10"))
WARM = int(os.environ.get("AB_WARM", "15"))
ROUNDS = int(os.environ.get("AB_ROUNDS", "1"))
JFR = os.environ.get("AB_JFR")  # name of variant to record
OPTS = os.environ.get("AB_OPTS", "-Xms16m -Xmx64m -Xss256k -XX:+UseSerialGC").split()

def conns(port):
    out = subprocess.run(["ss", "-tn", "state", "established", f"( dport = :{port} )"], capture_output=True, text=True).stdout
    return max(0, len(out.strip().splitlines()) - 1)

def main():
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda n, f: sys.exit(1))
    lb.WORK = tempfile.mkdtemp(prefix="tgab-"); os.chmod(lb.WORK, 0o755)
    os.makedirs("/tmp/tgperf", exist_ok=True)
    variants = []
    for a in sys.argv[1:]:
        name, rest = a.split("=", 1)
        app, _, extra = rest.partition(",")
        variants.append((name, app, extra.split() if extra else []))
    res = {}
    try:
        pd = os.path.join(lb.WORK, "policy"); os.makedirs(pd)
        subprocess.run([sys.executable, os.path.join(lb.HERE, "make_policy.py"), pd], check=True)
        policy = os.path.join(pd, "policy.json"); body = os.path.join(pd, "body-update_customer.json")
        up, nxp = lb.free_ports(2)
        lb.start_upstream(up)
        nx = lb.start_nginx_proxy(nxp, up, 2)
        targets = [("nginx", nx, f"http://127.0.0.1:{nxp}/mcp")]
        for name, app, extra in variants:
            sp, mp = lb.free_ports(2)
            opts = OPTS + extra
            p = lb.start_sidecar(name, JAVA, app, opts, f"http://127.0.0.1:{up}", policy, sp, mp)
            lb.wait_ready(mp, p)
            url = f"http://127.0.0.1:{sp}/mcp"
            lb.check_passes(name, url, body)
            targets.append((name, p, url))
        for name, p, url in targets[1:]:
            lb.fortio(f"warm-{name}", url, body, 0, 16, WARM)
        for name, p, url in targets[1:]:
            if JFR and name in JFR.split(","):
                subprocess.run(["jcmd", str(p.pid), "JFR.start", "name=ab", "settings=profile"], check=True, capture_output=True)
        for rnd in range(ROUNDS):
            for rate in RATES:
                for name, p, url in targets:
                    r = lb.measured_run(f"{name}-{rate}-{rnd}", p, url, body, rate, 16, DUR)
                    r["upstream_conns"] = conns(up)
                    res.setdefault(f"{name}@{rate}", []).append(r)
        for name, p, url in targets[1:]:
            if JFR and name in JFR.split(","):
                subprocess.run(["jcmd", str(p.pid), "JFR.stop", "name=ab", f"filename=/tmp/tgperf/{name}.jfr"], check=True, capture_output=True)
            th = {}
            for t in os.listdir(f"/proc/{p.pid}/task"):
                try:
                    comm = open(f"/proc/{p.pid}/task/{t}/comm").read().strip()
                    st = open(f"/proc/{p.pid}/task/{t}/stat").read().rsplit(")", 1)[1].split()
                    key = "".join(ch for ch in comm if not ch.isdigit())
                    th[key] = th.get(key, 0) + (int(st[11]) + int(st[12])) / lb.CLK_TCK
                except OSError:
                    pass
            print(name, "thread CPU s (whole life):", sorted(((round(v, 1), k) for k, v in th.items()), reverse=True)[:6])
            with open(os.path.join(lb.WORK, f"{name}.log"), errors="replace") as f:
                lines = f.readlines()
            print(name, "log lines", len(lines), "last:", lines[-1][:300] if lines else "")
    finally:
        lb.stop_all()
    print(f"loadavg {lb.loadavg()}")
    print(f"{'target':24} {'rps':>8} {'p50':>7} {'p90':>7} {'p99':>8} {'cpu_us/req':>10} {'rss':>6} socks")
    for k, runs in res.items():
        for r in runs:
            print(f"{k:24} {r['actual_qps']:8} {r['p50_ms']:7.3f} {r['p90_ms']:7.3f} {r['p99_ms']:8.3f} {r.get('cpu_s_per_1k_req',0)*1000:10.1f} {r.get('rss_mib_max',0):6} {r.get('sockets')} la={r['loadavg_1m_before']}")
    shutil.rmtree(lb.WORK, ignore_errors=True)

main()
