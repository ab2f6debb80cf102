#!/usr/bin/env python3
"""Time from `leakscope-cli attach PID` to the first census over the socket,
on a plain Python process holding about 100,000 gc objects (target: under 2 s).

Baselines measured in the same run, on the same process:
  - gdb's own attach + detach (`gdb -p PID --batch -nx`, no commands), with
    the flags the attach uses (--readnever: ELF symbols only, no DWARF; the
    floor any gdb-based attach pays) and with gdb's defaults;
  - one census through the socket of the already attached agent (what
    `snapshot --pid` pays once the agent serves).

usage: bench/attach_bench.py [--cli build/bin/leakscope-cli] [--python /usr/bin/python3]
                             [--objects 100000] [--repeat 5]
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TARGET = r"""
import sys, time
class Item:
    def __init__(self, i):
        self.i = i
        self.tags = [i]
N = int(sys.argv[1])
_KEPT = [Item(i) for i in range(N // 2)]
print("ready", flush=True)
while True:
    time.sleep(0.01)
"""


def census(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.sendall(b'{"id": 1, "op": "census"}\n')
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("agent closed the connection")
            buf += chunk
    reply = json.loads(buf)
    if "result" not in reply:
        raise RuntimeError(reply)
    return reply["result"]["gc_objects"]


def run(cmd, env):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - t, p


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(here, "..", "build", "bin", "leakscope-cli"))
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--objects", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    gdb = shutil.which("gdb")
    if not gdb:
        sys.exit("attach_bench: gdb is not installed (Debian package gdb)")

    tmp = tempfile.mkdtemp(prefix="leakscope-attach-bench-")
    sockets = os.path.join(tmp, "sockets")
    os.mkdir(sockets, 0o700)
    env = dict(os.environ, LEAKSCOPE_SOCKET_DIR=sockets, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
    env.pop("PYTHONPATH", None)
    script = os.path.join(tmp, "target.py")
    with open(script, "w") as f:
        f.write(TARGET)
    target = subprocess.Popen([args.python, script, str(args.objects)], stdout=subprocess.PIPE, env=env)
    try:
        target.stdout.readline()
        pid = target.pid
        gdb_times, gdb_default, attach_times, first_census, totals, census_times = [], [], [], [], [], []
        objects = 0
        # One attach first, so the agent is unpacked into the cache (as it is
        # after any earlier use of Leakscope); then the measured rounds.
        t, p = run([args.cli, "attach", str(pid)], env)
        if p.returncode != 0:
            sys.exit("attach failed: " + p.stderr.strip())
        run([args.cli, "detach", str(pid)], env)
        for _ in range(args.repeat):
            t_gdb, _ = run([gdb, "-p", str(pid), "--batch", "-nx", "--readnever", "-iex",
                            "set debuginfod enabled off", "-iex", "set auto-solib-add off"], env)
            gdb_times.append(t_gdb)
            t_gdb, _ = run([gdb, "-p", str(pid), "--batch", "-nx", "-iex", "set debuginfod enabled off"], env)
            gdb_default.append(t_gdb)
            start = time.perf_counter()
            t_attach, p = run([args.cli, "attach", str(pid)], env)
            if p.returncode != 0:
                sys.exit("attach failed: " + p.stderr.strip())
            path = p.stdout.strip()
            t0 = time.perf_counter()
            objects = census(path)
            first = time.perf_counter() - t0
            totals.append(time.perf_counter() - start)
            attach_times.append(t_attach)
            first_census.append(first)
            t0 = time.perf_counter()
            census(path)
            census_times.append(time.perf_counter() - t0)
            t, p = run([args.cli, "detach", str(pid)], env)
            if p.returncode != 0:
                sys.exit("detach failed: " + p.stderr.strip())
        med = statistics.median
        print("attach_bench: %s, %d gc objects in the target, median of %d rounds"
              % (args.python, objects, args.repeat))
        print("  gdb attach+detach, gdb's defaults    %6.3f s" % med(gdb_default))
        print("  gdb attach+detach alone (baseline)   %6.3f s   (--readnever, as attach runs it)" % med(gdb_times))
        print("  leakscope-cli attach                 %6.3f s   (%.2fx gdb alone)"
              % (med(attach_times), med(attach_times) / med(gdb_times)))
        print("  first census after attach            %6.3f s" % med(first_census))
        print("  later census (baseline)              %6.3f s" % med(census_times))
        print("  attach -> first census               %6.3f s   (%.2fx gdb alone; target < 2 s: %s)"
              % (med(totals), med(totals) / med(gdb_times), "met" if med(totals) < 2.0 else "MISSED"))
    finally:
        target.kill()
        target.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
