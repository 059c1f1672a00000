"""How long `selfverify --help` and `--version` take, wall time, median of N runs.

Target: under 0.3 s. Run: uv run python bench/cli_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def measure(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "selfverify", *args], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    measure(["--version"], 1)  # warm the OS file cache once
    for args in (["--help"], ["--version"]):
        times = measure(args, opts.runs)
        median = statistics.median(times)
        verdict = "OK" if median < 0.3 else "SLOW"
        print(f"selfverify {' '.join(args):<10} median {median * 1000:6.1f} ms  "
              f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, n={opts.runs})  target < 300 ms: {verdict}")
    # the console script, as users run it (without uv's own start-up on top)
    script = Path(sys.executable).parent / "selfverify"
    if script.exists():
        times = []
        for _ in range(opts.runs):
            started = time.perf_counter()
            subprocess.run([str(script), "--help"], check=True, capture_output=True)
            times.append(time.perf_counter() - started)
        print(f"{script.name} --help (script) median {statistics.median(times) * 1000:6.1f} ms")

if __name__ == "__main__":
    main()
