#!/usr/bin/env python3
"""benchmarks/report.py, and the bench scripts' server rotation and binaries, on made-up results whose
medians, ratios, spreads and geometric means are known in advance.

    python3 tests/bench/report_test.py SOURCE_DIR WORK_DIR

Exits non-zero with a message on the first wrong figure.
"""

import math
import os
import subprocess
import sys


def fail(message):
    print(f"report_test: {message}", file=sys.stderr)
    sys.exit(1)


def expect(what, got, want):
    if got != want:
        fail(f"{what}: got {got!r}, want {want!r}")


def main(source, work):
    os.makedirs(work, exist_ok=True)
    csv_path = os.path.join(work, "made_up.csv")
    # Two cases; actnet, a variant of it and two peers; 3 rounds, rounds out of order.
    rows = ["mode,case,server,round,metric,value"]
    data = {
        ("c1", "actnet"): [200, 100, 300],      # median 200, spread (300-100)/200 = 100%
        ("c1", "actnet-2loops"): [50, 50, 50],
        ("c1", "peer-a"): [100, 100, 100],      # actnet/peer-a 2.00
        ("c1", "peer-b"): [400, 400, 400],      # 0.50
        ("c2", "actnet"): [800, 800, 800],
        ("c2", "actnet-2loops"): [10, 10, 10],
        ("c2", "peer-a"): [100, 100, 100],      # 8.00 -> geomean with 2.00 is 4.00
        ("c2", "peer-b"): [200, 200, 200],      # 4.00 -> geomean with 0.50 is sqrt(2)
    }
    for (case, server), values in data.items():
        for rnd, v in zip([3, 1, 2], values):
            rows.append(f"echo,{case},{server},{rnd},msgs_per_s,{v}")
    rows.append("echo,c1,actnet,1,cpu_us_per_req,nan")  # nan is skipped, not a crash
    with open(csv_path, "w") as f:
        f.write("\n".join(rows) + "\n")

    report = os.path.join(source, "benchmarks", "report.py")
    result = subprocess.run([sys.executable, report, csv_path], capture_output=True, text=True,
                            timeout=120)
    expect("exit status", result.returncode, 0)
    md_path = csv_path[:-4] + ".md"
    if not os.path.exists(md_path):
        fail(f"no {md_path}")
    table = {}
    header = None
    for line in open(md_path):
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        table[(cells[0], cells[1].split(" ")[0])] = dict(zip(header, cells))
    expect("columns", header, ["case", "metric", "actnet", "actnet-2loops", "peer-a", "peer-b",
                               "actnet/peer-a", "actnet/peer-b"])
    c1 = table[("c1", "msgs_per_s")]
    expect("c1 actnet median and spread", c1["actnet"], "200 ±100%")
    expect("c1 variant median", c1["actnet-2loops"], "50 ±0%")
    expect("c1 ratio to peer-a", c1["actnet/peer-a"], "2.00")
    expect("c1 ratio to peer-b", c1["actnet/peer-b"], "0.50")
    expect("c2 ratio to peer-a", table[("c2", "msgs_per_s")]["actnet/peer-a"], "8.00")
    geo = table[("geomean", "msgs_per_s")]
    expect("geomean to peer-a", geo["actnet/peer-a"], "4.00")
    expect("geomean to peer-b", geo["actnet/peer-b"], f"{math.sqrt(2):.2f}")
    if "(higher is better)" not in open(md_path).read():
        fail("msgs_per_s is not said to be higher-is-better")

    # The rotation: every server first once in every len(servers) rounds.
    script = os.path.join(source, "benchmarks", "run", "proto_common.sh")
    firsts = []
    for rnd in range(1, 7):
        out = subprocess.run(
            ["bash", "-c", f'source "{script}" >/dev/null 2>&1; servers_for_round {rnd} a b c'],
            capture_output=True, text=True, timeout=60).stdout.split()
        expect(f"round {rnd} names", sorted(out), ["a", "b", "c"])
        firsts.append(out[0])
    expect("first servers of rounds 1-6", firsts, ["a", "b", "c", "a", "b", "c"])

    # The protocol modes use the binaries scripts/bench.sh built: its ACTNET_BIN, as the echo
    # modes do (once they looked in build/bin, so `bench.sh http` found no actnet-http).
    def bench_bin(env):
        full = {k: v for k, v in os.environ.items() if k not in ("ACTNET_BIN", "BENCH_BUILD")}
        full.update(env)
        return subprocess.run(["bash", "-c", f'source "{script}" >/dev/null 2>&1; echo "$bench_bin"'],
                              capture_output=True, text=True, timeout=60, env=full).stdout.strip()
    expect("bench_bin from ACTNET_BIN", bench_bin({"ACTNET_BIN": "/x/bin"}), "/x/bin")
    expect("bench_bin from BENCH_BUILD", bench_bin({"BENCH_BUILD": "/y"}), "/y/bin")
    expect("bench_bin by default", bench_bin({}), os.path.join(source, "build", "bench", "bin"))
    print("report_test: medians, spreads, ratios, geometric means, rotation and binaries are right")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: report_test.py SOURCE_DIR WORK_DIR")
    main(sys.argv[1], sys.argv[2])
