#!/usr/bin/env python3
"""Time scanners side by side on the same corpora (see docs/benchmarks/scan.md).

usage: peer_timing.py RUNS_OURS RUNS_PICKLESCAN RUNS_MODELSCAN NAME=PATH... -- TOOL=CMD...
Each TOOL is a command prefix (split on spaces) to which the corpus path is
appended. The tools run round-robin, one run each in turn, so that all see
the same load. Reported per tool and corpus: the minimum and median wall
time of the whole process (start-up included) and its mean CPU time (user +
system, children included), then every peer's ratio to every other tool.
Tools whose name starts with "picklescan" or "modelscan" get the peer run
counts; the rest get RUNS_OURS.
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def one(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return w, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main():
    ours, pick, model = (int(x) for x in sys.argv[1:4])
    sep = sys.argv.index("--")
    corpora = [a.split("=", 1) for a in sys.argv[4:sep]]
    tools = [a.split("=", 1) for a in sys.argv[sep + 1 :]]
    runs = {
        t: pick if t.startswith("picklescan") else model if t.startswith("modelscan") else ours
        for t, _ in tools
    }
    peers = [t for t, _ in tools if t.startswith(("picklescan", "modelscan"))]
    print("load average before:", " ".join(open("/proc/loadavg").read().split()[:3]))
    for name, path in corpora:
        if os.path.isfile(path):
            subprocess.run(["cat", path], stdout=subprocess.DEVNULL)
        data = {t: [] for t, _ in tools}
        for i in range(max(runs.values())):
            for t, cmd in tools:
                if i < runs[t]:
                    data[t].append(one(cmd.split() + [path]))
        res = {}
        for t, _ in tools:
            ws = [x[0] for x in data[t]]
            cs = [x[1] for x in data[t]]
            res[t] = (min(ws), statistics.median(ws), statistics.mean(cs))
            print(
                f"{name:10} {t:12} wall min {min(ws) * 1000:9.2f} ms  median "
                f"{statistics.median(ws) * 1000:9.2f} ms  cpu mean {statistics.mean(cs) * 1000:9.2f} ms  (n={len(ws)})"
            )
        for p in peers:
            for t, _ in tools:
                if t in peers:
                    continue
                a, b = res[p], res[t]
                print(
                    f"{'':10} {p}/{t}: min-wall {a[0] / b[0]:.1f}x  median-wall {a[1] / b[1]:.1f}x  cpu {a[2] / b[2]:.1f}x"
                )
    print("load average after:", " ".join(open("/proc/loadavg").read().split()[:3]))


if __name__ == "__main__":
    main()
