#!/usr/bin/env python3
"""The report of one benchmark mode, from its CSV (mode,case,server,round,metric,value).

For every case and metric: the median over rounds of each server, with the round-to-round
spread ((max - min) / median, in %), and actnet's ratio to every peer (actnet / peer); per
metric, a final row with the geometric mean of those ratios over all cases. Whether a ratio
above 1 is good depends on the metric (higher is better for throughput, lower for latency,
CPU, memory and errors); the table says which.

Prints the table aligned, writes <csv minus .csv>.md (the same table in Markdown) and, when
gnuplot is installed, <csv minus .csv>.png: grouped bars of the mode's main metric.

    python3 benchmarks/report.py benchmarks/results/echo.csv
"""

import csv
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HIGHER_IS_BETTER = {"msgs_per_s", "mb_per_s", "rps", "ops_per_s"}
LOWER_IS_BETTER = {"cpu_us_per_msg", "cpu_us_per_req", "cpu_us_per_op", "p50_ms", "p99_ms", "p50_us", "p99_us", "p999_us", "rss_kib_per_conn",
                   "rss_base_kib", "errors", "eventfd_writes_per_1000"}
MAIN_METRICS = ["msgs_per_s", "rps", "ops_per_s", "rss_kib_per_conn"]
SERVER_ORDER = ["actnet", "actnet-2loops", "asio", "libuv", "libevent", "epoll", "nginx", "redis-server"]
METRIC_ORDER = ["msgs_per_s", "rps", "ops_per_s", "mb_per_s", "p50_us", "p99_us", "p999_us",
                "cpu_us_per_msg", "rss_kib_per_conn", "rss_base_kib", "errors"]
SUBJECT = "actnet"


def ordered(items, order):
    known = [x for x in order if x in items]
    return known + sorted(x for x in items if x not in order)


def load(path):
    """{(case, metric, server): [values by round]}, and the names seen, in first-seen order."""
    values, cases, metrics, servers = {}, [], set(), set()
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            try:
                v = float(row["value"])
            except (TypeError, ValueError):
                continue
            if math.isnan(v):
                continue
            key = (row["case"], row["metric"], row["server"])
            values.setdefault(key, []).append(v)
            if row["case"] not in cases:
                cases.append(row["case"])
            metrics.add(row["metric"])
            servers.add(row["server"])
    return values, cases, ordered(metrics, METRIC_ORDER), ordered(servers, SERVER_ORDER)


def direction(metric):
    if metric in HIGHER_IS_BETTER:
        return "higher is better"
    if metric in LOWER_IS_BETTER:
        return "lower is better"
    return "direction unknown"


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if v == int(v) and a < 1e4:
        return str(int(v))
    if a >= 1e6:
        return f"{v / 1e6:.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:.1f}k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def build_rows(values, cases, metrics, servers):
    """Header and rows (lists of strings) of the whole report."""
    # Variants of the subject (e.g. "actnet-2loops") get medians, not ratio columns.
    peers = [s for s in servers if not s.startswith(SUBJECT)]
    have_subject = SUBJECT in servers
    header = ["case", "metric"] + servers
    if have_subject:
        header += [f"{SUBJECT}/{p}" for p in peers]
    rows = []
    for metric in metrics:
        ratios = {p: [] for p in peers}
        for case in cases:
            medians, cells = {}, []
            for server in servers:
                vs = values.get((case, metric, server))
                if not vs:
                    medians[server] = None
                    cells.append("-")
                    continue
                m = statistics.median(vs)
                medians[server] = m
                spread = (max(vs) - min(vs)) / m * 100 if m != 0 else 0.0
                cells.append(f"{fmt(m)} ±{spread:.0f}%" if len(vs) > 1 else fmt(m))
            if all(m is None for m in medians.values()):
                continue
            row = [case, metric] + cells
            if have_subject:
                for p in peers:
                    r = ratio(medians[SUBJECT], medians[p])
                    if r is not None and r > 0:
                        ratios[p].append(r)
                    row.append("-" if r is None else f"{r:.2f}")
            rows.append(row)
        if have_subject and any(ratios.values()):
            row = ["geomean", f"{metric} ({direction(metric)})"] + [""] * len(servers)
            for p in peers:
                rs = ratios[p]
                row.append(f"{math.exp(sum(map(math.log, rs)) / len(rs)):.2f}" if rs else "-")
            rows.append(row)
    return header, rows


def text_table(header, rows):
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def markdown_table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---", "---"] + ["---:"] * (len(header) - 2)) + "|"]
    for r in rows:
        cells = [f"**{c}**" if r[0] == "geomean" and c else c for c in r]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def plot(values, cases, metrics, servers, png):
    """Grouped bars of the main metric: one group per case, one bar per server."""
    if shutil.which("gnuplot") is None:
        return False
    main = next((m for m in MAIN_METRICS if m in metrics), metrics[0] if metrics else None)
    if main is None:
        return False
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as data:
        data.write("case " + " ".join(servers) + "\n")
        for case in cases:
            cells = []
            for s in servers:
                vs = values.get((case, main, s))
                cells.append(str(statistics.median(vs)) if vs else "0")
            data.write(case + " " + " ".join(cells) + "\n")
    columns = ", ".join(
        f"'{data.name}' using {i + 2}:xtic(1) title columnheader({i + 2})"
        for i in range(len(servers)))
    script = f"""
set terminal pngcairo size 1200,600 noenhanced
set output '{png}'
set title '{os.path.basename(png)[:-4]}: {main} (median over rounds, {direction(main)})'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right top
set xtics rotate by -30
set grid ytics
set yrange [0:*]
plot {columns}
"""
    try:
        result = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True,
                                timeout=60)
    finally:
        os.unlink(data.name)
    if result.returncode != 0:
        print(f"report: gnuplot failed: {result.stderr.strip()}", file=sys.stderr)
        return False
    return True


def main(argv):
    if len(argv) != 2 or not argv[1].endswith(".csv"):
        print("usage: report.py RESULTS.csv", file=sys.stderr)
        return 2
    path = argv[1]
    values, cases, metrics, servers = load(path)
    if not values:
        print(f"report: no results in {path}", file=sys.stderr)
        return 1
    header, rows = build_rows(values, cases, metrics, servers)
    mode = os.path.basename(path)[:-4]
    note = (f"Medians over rounds, ±spread = (max-min)/median; {SUBJECT}/peer ratios: above 1 "
            "is better for msgs_per_s, mb_per_s, rps, ops_per_s, below 1 for latency, CPU, "
            "memory and errors.")
    print(f"== {mode}\n{text_table(header, rows)}\n{note}")
    base = path[:-4]
    with open(base + ".md", "w") as f:
        f.write(f"### {mode}\n\n{markdown_table(header, rows)}\n\n{note}\n")
    written = [base + ".md"]
    if plot(values, cases, metrics, servers, base + ".png"):
        written.append(base + ".png")
    print("report: wrote " + ", ".join(written), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
