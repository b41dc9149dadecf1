#!/usr/bin/python3
"""Operating figures of a real `protean server` (ci/bench_ops.sh).

Against the Redis in REDIS_URL and the PostgreSQL in DATABASE_URL, prints one
JSON line per figure, as ci/bench.sh does:
  server_idle_rss_mb   VmRSS of an idle server with one handler (goal <= 20)
  shutdown_idle_ms     SIGTERM to exit with nothing in flight (goal <= 100)
  metrics_scrape_ms    median GET /metrics with 50 subscriptions (goal <= 5)
Every wait has a deadline; a server that does not start or stop is killed
and the figure reported missing (exit 1).
"""
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

DEADLINE_S = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_domain(folder, handlers, port):
    lines = ["[databases.default]", 'provider = "postgresql"', 'database_uri = "${DATABASE_URL}"',
             "[brokers.default]", 'provider = "redis"', 'URI = "${REDIS_URL}"',
             "[server]", f"worker_threads = {max(8, handlers + 2)}",
             "[server.health]", f"port = {port}"]
    stamp = int(time.time() * 1000)
    for i in range(handlers):
        lines += [f"[handlers.Bench{i}]", f'stream = "bench-ops-{stamp}-{i}"']
    with open(os.path.join(folder, "domain.toml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def get(port, path, timeout=2):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status, r.read()


def start(binary, folder, port):
    proc = subprocess.Popen([binary, "server", "--domain", folder, "--log-format", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        try:
            if get(port, "/readyz", 0.5)[0] == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"server on port {port} never became ready")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def stop_ms(proc):
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeError("server did not stop after SIGTERM")
    return (time.monotonic() - t0) * 1000


def metric(name, value, unit):
    print(json.dumps({"metric": name, "value": round(value, 3), "unit": unit}), flush=True)


def idle_figures(binary):
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        write_domain(folder, 1, port)
        proc = start(binary, folder, port)
        time.sleep(2)  # settled: the first reads and gauge refresh are done
        metric("server_idle_rss_mb", rss_mb(proc.pid), "MB")
        metric("shutdown_idle_ms", stop_ms(proc), "ms")


def scrape_figure(binary):
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        write_domain(folder, 50, port)
        proc = start(binary, folder, port)
        try:
            time.sleep(1)  # the background gauges of 50 subscriptions are in
            times = []
            for _ in range(50):
                t0 = time.monotonic()
                status, body = get(port, "/metrics")
                times.append((time.monotonic() - t0) * 1000)
                if status != 200 or b"protean_subscription_status" not in body:
                    raise RuntimeError("bad /metrics answer")
            metric("metrics_scrape_ms", statistics.median(times), "ms")
        finally:
            stop_ms(proc)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/app/protean"
    failed = []
    for figure in (idle_figures, scrape_figure):
        try:
            figure(binary)
        except (RuntimeError, OSError) as e:
            print(f"bench_ops: {figure.__name__}: {e}", file=sys.stderr)
            failed.append(figure.__name__)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
