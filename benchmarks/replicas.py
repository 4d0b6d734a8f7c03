"""Time and peak memory of generating each offline replica, each in a fresh process.

    python benchmarks/replicas.py

Targets (issue 2): the largest replica in under 30 s and under 2 GiB. Prints one line per
replica and a last line ``largest_seconds=<s> largest_peak_rss_gib=<g>``.
"""

import json
import subprocess
import sys

CHILD = """
import json, resource, time
from genomics_hybrid.datasets import load
start = time.perf_counter()
ds = load({name!r}, source="replica")
seconds = time.perf_counter() - start
print(json.dumps({{"shape": ds.X.shape, "positives": int(ds.y.sum()), "seconds": seconds,
                  "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}}))
"""


def main() -> None:
    results = {}
    for name in ("gse72056", "tcga_brca", "encsr000aed"):
        out = subprocess.run([sys.executable, "-c", CHILD.format(name=name)], check=True,
                             capture_output=True, text=True).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
        r = results[name]
        print(f"{name:12s} {r['shape'][0]:>6} x {r['shape'][1]:<6} positives={r['positives']:<5} "
              f"seconds={r['seconds']:.2f} peak_rss_gib={r['peak_rss_gib']:.2f}")
    largest = max(results.values(), key=lambda r: r["shape"][0] * r["shape"][1])
    print(f"largest_seconds={largest['seconds']:.2f} "
          f"largest_peak_rss_gib={largest['peak_rss_gib']:.2f}")


if __name__ == "__main__":
    main()
