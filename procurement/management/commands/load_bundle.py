from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from procurement.imports import bundle_load
from procurement.spreadsheets import Limits


class Command(BaseCommand):
    help = (
        "Load a data bundle (a folder of CSV files or one .xlsx): organizations, products,"
        " procurement lists and opportunity batches. All or nothing unless --skip-invalid;"
        " loading the same bundle again updates rows by ref."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--skip-invalid", action="store_true", help="load the valid rows, report the others"
        )
        parser.add_argument("--max-mb", type=int, default=500, help="largest file accepted (MB)")
        parser.add_argument("--max-rows", type=int, default=1_000_000, help="most rows per file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        bars: dict[str, tqdm[Any]] = {}
        show = not options["no_progress"] and options["verbosity"] > 0

        def progress(kind: str, step: int) -> None:
            if not show:
                return
            if kind not in bars:
                for bar in bars.values():
                    bar.close()
                bars[kind] = tqdm(desc=kind, unit=" rows", file=self.stderr._out, leave=True)
            bars[kind].update(step)

        limits = Limits(max_bytes=options["max_mb"] * 1024 * 1024, max_rows=options["max_rows"])
        report = bundle_load(
            path, skip_invalid=options["skip_invalid"], limits=limits, progress=progress
        )
        for bar in bars.values():
            bar.close()
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
        for error in report.errors:
            self.stderr.write(self.style.ERROR(str(error)))
        self.stdout.write(report.summary())
        if report.errors and not options["skip_invalid"]:
            raise CommandError(
                f"{len(report.errors)} invalid rows: nothing was written (use --skip-invalid to"
                f" load the rest)"
            )
        if report.errors:
            self.stdout.write(self.style.WARNING(f"{len(report.errors)} invalid rows were skipped"))
        self.stdout.write(self.style.SUCCESS("bundle loaded"))
