from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandParser

from matching.selectors import match_export_rows


class Command(BaseCommand):
    help = "Write the active matches as JSON lines (the bundle contract's export format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["jsonl"], default="jsonl")
        parser.add_argument("--top", type=int, default=None, help="at most N offers per need")
        parser.add_argument("--output", "-o", default="-", help="a file, or - for standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["output"] == "-":
            self._write(sys.stdout, options["top"])
        else:
            with open(options["output"], "w", encoding="utf-8") as out:
                self._write(out, options["top"])

    def _write(self, out: TextIO, top: int | None) -> None:
        for row in match_export_rows(top=top):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
