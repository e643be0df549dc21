"""Time `make demo` until its home page answers, then stop it with Ctrl-C.

    python3 benchmarks/demo_startup.py --fresh-clone    # clone HEAD into a temp folder first
    python3 benchmarks/demo_startup.py                  # this tree, as installed

Prints one line per run: the phase, seconds to the first 200 from http://127.0.0.1:8000/,
and whether Ctrl-C left any process behind. DATABASE_URL / REDIS_URL are removed from the
environment, so the embedded services are measured, as a newcomer would run it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except OSError:
        return False


def run_demo(tree: Path, label: str, port: int) -> float:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["PORT"] = str(port)
    log = tree / ".duijie-bench.log"
    start = time.monotonic()
    with log.open("wb") as output:
        demo = subprocess.Popen(
            ["make", "demo"],
            cwd=tree,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}/"
        while not served(url):
            if demo.poll() is not None:
                sys.exit(f"make demo exited early; see {log}")
            time.sleep(0.25)
        elapsed = time.monotonic() - start
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(120)
    leftover = subprocess.run(
        ["pgrep", "-f", str(tree)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    print(
        f"{label:<22} {elapsed:7.1f} s to a served page;"
        f" processes left after Ctrl-C: {len(leftover)}"
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh-clone", action="store_true")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.fresh_clone:
        tree = Path(tempfile.mkdtemp(prefix="duijie-bench-")) / "duijie"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(tree)], check=True)
        run_demo(tree, "fresh clone", args.port)
        run_demo(tree, "installed tree (again)", args.port)
    else:
        run_demo(ROOT, "installed tree", args.port)


if __name__ == "__main__":
    main()
