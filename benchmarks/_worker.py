"""A Celery worker started by a benchmark script, waited for, and stopped again."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def celery_worker(name: str, concurrency: int) -> Iterator[subprocess.Popen[bytes]]:
    from config.celery import app

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env={**os.environ},
    )
    try:
        while not app.control.ping(timeout=1):
            time.sleep(0.5)
        yield worker
    finally:
        worker.terminate()
        worker.wait(30)
