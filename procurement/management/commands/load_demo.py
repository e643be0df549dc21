from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from procurement.demo import demo_world_load


class Command(BaseCommand):
    help = "Load the demo world (organizations and demo logins). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_world_load()
        self.stdout.write(result.report.summary())
        self.stdout.write(self.style.SUCCESS(f"demo world loaded; {result.users} demo logins"))
