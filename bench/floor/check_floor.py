#!/usr/bin/env python3
"""Checks that the floor proxies forward correctly, so their benchmark figures are for a working proxy.

Run by hand after run.sh has compiled them (nothing else runs it):
    python3 bench/floor/check_floor.py [classes-dir] [lib-dir]
Defaults: tools/bench/floor-classes and sidecar/target/quarkus-app/lib/main. Starts a small Python upstream and each
proxy on free 127.0.0.1 ports (Netty with paranoid leak detection), checks the cases below, and exits 1 on any failure.
"""
import http.client
import http.server
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CLASSES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tools", "bench", "floor-classes")
LIB = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "sidecar", "target", "quarkus-app", "lib", "main")
CANNED = b'{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}],"isError":false}}'
CHUNKS = [b"first chunk;", b"x" * 5000, b";last chunk"]


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked responses are allowed

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/echo":  # the request as received: body, and the headers a proxy must (not) pass
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("X-Seen-Host", self.headers.get("Host", ""))
            self.send_header("X-Seen-Connection", self.headers.get("Connection", "") or "-")
            self.send_header("X-Seen-Custom", self.headers.get("X-Custom", "") or "-")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/mcp":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(CANNED)))
            self.end_headers()
            self.wfile.write(CANNED)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for c in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/broken":  # promises 1000 bytes, sends 10, hangs up
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.send_error(404)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, log):
    for _ in range(500):
        if proc.poll() is not None:
            raise SystemExit(f"proxy exited at startup: {open(log).read()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"proxy not listening on {port} within 10 s")


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def exchange_raw(port, data, timeout=3.0):
    """Sends raw bytes, then reads until the proxy closes or `timeout` passes without data; returns what came."""
    with socket.create_connection(("127.0.0.1", port), timeout) as sock:
        sock.sendall(data)
        got = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            pass
        return got


FAILURES = []


def check(label, ok, detail=""):
    print(f"  {'ok  ' if ok else 'FAIL'} {label}{'' if ok else ': ' + detail}")
    if not ok:
        FAILURES.append(label)


def check_proxy(name, main_class, upstream_port, down_port, workdir):
    print(f"{name}:")
    procs = []

    def start(target_port, extra):
        port = free_port()
        log = os.path.join(workdir, f"{name}-{target_port}.log")
        p = subprocess.Popen(["java", *extra, "-cp", f"{CLASSES}:{LIB}/*", main_class, str(port), str(target_port)],
                             stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        procs.append((p, log))
        wait_listening(port, p, log)
        return port

    extra = ["-Dio.netty.leakDetection.level=paranoid"]
    try:
        port = start(upstream_port, extra)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        body = bytes(range(256)) * 4  # 1 KiB, every byte value
        status, headers, got = request(conn, "POST", "/echo", body, {"Content-Type": "application/octet-stream",
                                                                      "X-Custom": "kept", "Keep-Alive": "timeout=5",
                                                                      "Connection": "keep-alive"})
        check("POST 1 KiB: 200 and the same bytes back", status == 200 and got == body, f"{status} {got[:80]!r}")
        check("end-to-end header passed, hop-by-hop not, Host rewritten",
              headers.get("x-seen-custom") == "kept" and headers.get("x-seen-connection") == "-"
              and headers.get("x-seen-host") == f"127.0.0.1:{upstream_port}", str(headers))
        sock_before = conn.sock
        for i in range(20):
            status, _, got = request(conn, "POST", "/mcp", b'{"jsonrpc":"2.0","id":1,"method":"tools/call"}',
                                     {"Content-Type": "application/json"})
            if status != 200 or got != CANNED:
                break
        check("20 more requests on the same keep-alive connection", status == 200 and got == CANNED
              and conn.sock is sock_before, f"{status} {got[:80]!r}")
        status, headers, got = request(conn, "POST", "/chunked", b"")
        check("chunked upstream response relayed whole", status == 200 and got == b"".join(CHUNKS),
              f"{status} {len(got)} bytes")
        status, headers, got = request(conn, "POST", "/mcp", b"{}", {"Connection": "close"})
        check("Connection: close answered with close", status == 200 and got == CANNED
              and headers.get("connection", "").lower() == "close", str(headers))
        conn.close()

        one = b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        last = one.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n")
        raw = exchange_raw(port, one + one + last)  # pipelined: three requests in one write
        check("3 pipelined requests answered in order", raw.count(b"HTTP/1.1 200") == 3 and raw.count(CANNED) == 3,
              repr(raw[:300]))
        raw = exchange_raw(port, b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n" + b"x" * 1000)
        check("body over 4 MiB declared: 413", raw.startswith(b"HTTP/1.1 413"), repr(raw[:200]))
        raw = exchange_raw(port, b"POST /mcp HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}")
        check("HTTP/1.0 without keep-alive: answered, then closed", raw.startswith(b"HTTP/1.") and raw.endswith(CANNED),
              repr(raw[:300]))

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        started = time.monotonic()
        try:
            status, headers, got = request(conn, "POST", "/broken", b"x")
            outcome = f"HTTP {status}, {len(got)} bytes"
            ok = status == 502
        except (http.client.IncompleteRead, ConnectionError, http.client.RemoteDisconnected) as e:
            outcome, ok = f"{type(e).__name__}", True  # headers were already relayed: the connection is cut
        check(f"upstream hangs up mid-response: 502 or cut connection ({outcome})",
              ok and time.monotonic() - started < 3, outcome)
        conn.close()

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        status, _, got = request(conn, "POST", "/mcp", b"{}")
        check("still forwarding after the failure", status == 200 and got == CANNED, f"{status}")
        conn.close()

        down = start(down_port, extra)
        conn = http.client.HTTPConnection("127.0.0.1", down, timeout=8)
        started = time.monotonic()
        try:
            status, headers, got = request(conn, "POST", "/mcp", b"{}")
        except OSError as e:
            status, headers, got = None, {}, str(e).encode()
        elapsed = time.monotonic() - started
        check(f"upstream down: 502 in {elapsed:.2f} s, connection closed after it",
              status == 502 and elapsed < 2 and headers.get("connection", "").lower() == "close", f"{status} {got[:100]!r}")
        conn.close()
        # leaks are reported when the leaked buffer is collected: collect, then allocate again through the proxy
        for p, _ in procs:
            subprocess.run(["jcmd", str(p.pid), "GC.run"], capture_output=True, timeout=30)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for _ in range(5):
            request(conn, "POST", "/echo", body)
        conn.close()
        time.sleep(0.3)
    finally:
        for p, _ in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
    logs = "".join(open(log, errors="replace").read() for _, log in procs)
    check("no ByteBuf leak reported (paranoid leak detection)", "LEAK:" not in logs, logs[-1500:])
    check("nothing else logged", not [l for l in logs.splitlines() if l.strip() and "SLF4J" not in l], logs[-1500:])


def main():
    if not os.path.isfile(os.path.join(CLASSES, "NettyFloorProxy.class")):
        raise SystemExit(f"check_floor: no compiled floor proxies in {CLASSES}; run bench/load/run.sh first")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    down_port = free_port()  # nothing listens there
    with tempfile.TemporaryDirectory(prefix="floor-check-") as workdir:
        for name, main_class in (("floor-vertx", "VertxFloorProxy"), ("floor-netty", "NettyFloorProxy")):
            check_proxy(name, main_class, server.server_address[1], down_port, workdir)
    server.shutdown()
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed: {', '.join(FAILURES)}")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
