#!/usr/bin/env python3
"""The caller step's cost under load: the sidecar with the trusted header beside the sidecar verifying an RS256 bearer
JWT (keys from a JWKS the upstream nginx serves), same policy, same upstream, interleaved runs. An agent reuses its
token, so after the first call the sidecar answers from its remembered tokens; the per-signature cost is in
bench/jmh (TokenVerifyBenchmark). Needs what bench/load/run.sh installs (Fortio, nginx, the built sidecar) and python3's
`cryptography`. Usage: python3 bench/load/identity.py  (BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS as in loadbench)."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadbench as lb  # noqa: E402

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n):
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def token_and_jwks(issuer, audience, subject):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "kid": "bench-1", "use": "sig", "alg": "RS256", "n": uint(pub.n), "e": uint(pub.e)}]}
    now = int(time.time())
    header = b64(json.dumps({"alg": "RS256", "kid": "bench-1", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"iss": issuer, "aud": audience, "sub": subject, "iat": now, "exp": now + 3600}).encode())
    signature = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{b64(signature)}", json.dumps(jwks, separators=(",", ":"))


def main():
    lb.WORK = tempfile.mkdtemp(prefix="toolgate-identitybench-")
    os.chmod(lb.WORK, 0o755)
    rounds = lb.env_int("BENCH_ROUNDS", 2)
    try:
        app = os.path.join(lb.WORK, "sidecar-app")
        shutil.copytree(lb.SIDECAR_APP, app)
        policy_dir = os.path.join(lb.WORK, "policy")
        os.makedirs(policy_dir)
        subprocess.run([sys.executable, os.path.join(lb.HERE, "make_policy.py"), policy_dir, "--limit-window", "second"],
                       check=True, timeout=60)
        policy = os.path.join(policy_dir, "policy.json")
        body = os.path.join(policy_dir, "body-update_customer.json")
        up_port, = lb.free_ports(1)
        issuer = f"http://127.0.0.1:{up_port}/issuer"
        token, jwks = token_and_jwks(issuer, "toolgate-bench", "agent-1")
        upstream = lb.start_nginx("upstream-nginx", up_port, 1, f"""server {{
    listen 127.0.0.1:{up_port};
    location = /mcp {{ default_type application/json; return 200 '{lb.UPSTREAM_RESPONSE}'; }}
    location = /issuer/jwks {{ default_type application/json; return 200 '{jwks}'; }}
  }}""")
        variants = {
            "header": ({"TOOLGATE_IDENTITY_HEADER": "X-Agent-Id"}, ["X-Agent-Id: agent-1"]),
            "jwt": ({"TOOLGATE_IDENTITY_JWT_ISSUER": issuer, "TOOLGATE_IDENTITY_JWT_AUDIENCES": "toolgate-bench",
                     "TOOLGATE_IDENTITY_JWT_JWKS_URL": issuer + "/jwks"}, [f"Authorization: Bearer {token}"]),
        }
        targets = {}
        for name, (env, headers) in variants.items():
            port, mgmt = lb.free_ports(2)
            saved = dict(os.environ)
            os.environ.update(env)
            try:
                proc = lb.start_sidecar(name, lb.JAVA17, app, lb.CFG["sidecar_java_opts"], f"http://127.0.0.1:{up_port}",
                                        policy, port, mgmt)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            lb.wait_ready(mgmt, proc)
            url = f"http://127.0.0.1:{port}/mcp"
            status, _, text = lb.post(url, open(body).read(), dict(h.split(": ", 1) for h in headers))
            if status != 200 or text.strip() != lb.UPSTREAM_RESPONSE:
                raise SystemExit(f"identity bench: {name} did not pass the call: HTTP {status}: {text[:300]}")
            targets[name] = (proc, url, headers)
        for name, (proc, url, headers) in targets.items():
            lb.log(f"warming {name} up for {lb.CFG['warmup_s']}s")
            lb.fortio(f"{name}-warmup", url, body, 0, lb.CFG["max_connections"], lb.CFG["warmup_s"], headers)
        runs = {}
        for r in range(rounds):
            for rate in [1000, 0]:
                for name, (proc, url, headers) in targets.items():
                    label = f"{name}@{rate or 'max'}#{r + 1}"
                    runs[label] = lb.measured_run(label, proc, url, body, rate, lb.CFG["connections"] if rate else lb.CFG["max_connections"],
                                                  lb.CFG["duration_s"], headers)
        print("| run | header | jwt | jwt / header |")
        print("|---|---:|---:|---:|")
        for r in range(rounds):
            for rate in ["1000", "max"]:
                h, j = runs[f"header@{rate}#{r + 1}"], runs[f"jwt@{rate}#{r + 1}"]
                for metric in (["actual_qps", "cpu_s_per_1k_req"] if rate == "max" else ["p50_ms", "p99_ms", "cpu_s_per_1k_req"]):
                    if h.get(metric) and j.get(metric) is not None:
                        print(f"| {rate} #{r + 1} {metric} | {h[metric]:.4g} | {j[metric]:.4g} | {j[metric] / h[metric]:.3f} |")
        for name, (proc, _, _) in targets.items():
            if any(v["non_200"] for k, v in runs.items() if k.startswith(name)):
                raise SystemExit(f"identity bench: {name} answered non-200s")
            proc.stop()
        upstream.stop()
    finally:
        lb.stop_all()


if __name__ == "__main__":
    main()
