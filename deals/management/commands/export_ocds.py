from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from deals.exports import ocds_release_package


class Command(BaseCommand):
    help = (
        "Write an OCDS 1.1 release package: each published procurement list as a tender,"
        " each deal as an award and a contract."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, help="the .json file to write ('-': stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        package = ocds_release_package()
        text = json.dumps(package, ensure_ascii=False, indent=1)
        if options["output"] == "-":
            self.stdout.write(text)
            return
        path = Path(options["output"])
        path.write_text(text, encoding="utf-8")
        self.stderr.write(f"{len(package['releases'])} releases → {path}")
