from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from deals.exports import stats_workbook
from deals.stats import programme_stats


class Command(BaseCommand):
    help = "Write the programme's figures as an Excel report (one sheet per table)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, help="the .xlsx file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        report = programme_stats()
        path = Path(options["output"])
        path.write_bytes(stats_workbook(report))
        self.stdout.write(f"{len(report.tables)} tables → {path}")
