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
    measure_uv_run(opts.runs)


def measure_uv_run(runs: int) -> None:
    """The README's own command, `uv run selfverify --help`, from the project folder: uv's sync
    check included, and no "Bytecode compiled" line (uv recompiling on every run) allowed."""
    import shutil

    uv = shutil.which("uv")
    if uv is None:
        print("uv run selfverify --help: uv not found, not measured")
        return
    root = Path(__file__).resolve().parents[1]
    subprocess.run([uv, "run", "selfverify", "--help"], cwd=root, check=True, capture_output=True)  # first run may sync
    times, compiled = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([uv, "run", "selfverify", "--help"], cwd=root, check=True, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        compiled += "Bytecode compiled" in done.stderr
    median = statistics.median(times)
    verdict = "OK" if median < 0.3 and not compiled else "SLOW"
    print(f"uv run selfverify --help median {median * 1000:6.1f} ms  (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, "
          f"n={runs}; runs that recompiled bytecode: {compiled})  target < 300 ms, none recompiled: {verdict}")

if __name__ == "__main__":
    main()
