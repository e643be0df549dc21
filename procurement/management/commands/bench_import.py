"""Benchmark: importing N product rows from .csv and from .xlsx, beside a naive baseline.

    python manage.py bench_import --rows 100000 [--baseline-rows 10000] [--json]

Each measurement runs in its own process (so peak memory is its own) inside a
transaction that is rolled back: the database is left as it was. The baseline
is what a Django developer writes first: csv.DictReader and one
``update_or_create`` per row.
"""

from __future__ import annotations

import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

SUPPLIER_USCC = "91510100MA0000001L"
WORDS = [
    ("交联聚乙烯绝缘电力电缆", "YJV22 8.7/15kV 3×{n}", "米"),
    ("聚乙烯给水管材", "PE100 DN{n} SDR11", "米"),
    ("不间断电源", "{n}kVA 在线式", "台"),
    ("可编程控制器", "PLC {n}点 I/O", "套"),
    ("热轧带肋钢筋", "HRB400 Φ{n}", "吨"),
    ("磷酸铁锂储能电池", "{n}Ah 3.2V", "只"),
    ("消防水带", "DN65 {n}米", "盘"),
    ("LED工矿灯", "{n}W IP65", "套"),
]
REGIONS = ["", "510100", "德阳市", "眉山市;资阳市", "雅安市", ""]


class Rollback(Exception):
    pass


def _row(i: int, rng: random.Random) -> list[Any]:
    name, spec, unit = rng.choice(WORDS)
    n = rng.choice([16, 25, 50, 95, 120, 185, 240, 300])
    low = rng.randint(50, 5000)
    return [
        f"B-{i:07d}",
        SUPPLIER_USCC,
        f"{name}{i % 97}",
        "",
        f"{name}，规格齐全，质量可靠，服务成都都市圈重点工程。",
        spec.format(n=n),
        "ISO9001;CCC",
        f"{low:,}",
        f"{low + rng.randint(0, 800):,}",
        unit,
        str(rng.randint(100, 50000)),
        str(rng.randint(3, 45)),
        rng.choice(REGIONS),
    ]


HEADER = [
    "编号",
    "供应商统一社会信用代码",
    "产品名称",
    "产品类别",
    "产品描述",
    "规格型号",
    "认证",
    "最低价",
    "最高价",
    "单位",
    "月产能",
    "供货周期（天）",
    "服务区域",
]
ORG_HEADER = ["uscc", "name", "roles", "region", "badges", "industry_chain", "contact_email"]
ORG_ROW = [
    SUPPLIER_USCC,
    "成都基准测试电缆有限公司",
    "supplier",
    "510100",
    "",
    "",
    "bench@example.com",
]


def write_bundle(folder: Path, rows: int, fmt: str) -> Path:
    rng = random.Random(2026)  # noqa: S311 - synthetic data, not secrets
    if fmt == "csv":
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "organizations.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([ORG_HEADER, ORG_ROW])
        with (folder / "products.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for i in range(rows):
                writer.writerow(_row(i, rng))
        return folder
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    orgs = workbook.create_sheet("organizations")
    orgs.append(ORG_HEADER)
    orgs.append(ORG_ROW)
    products = workbook.create_sheet("products")
    products.append(HEADER)
    for i in range(rows):
        products.append(_row(i, rng))
    path = folder.with_suffix(".xlsx")
    workbook.save(path)
    return path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--baseline-rows", type=int, default=10_000)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--phase", help=argparse_hidden())
        parser.add_argument("--path", help=argparse_hidden())

    def handle(self, *args: Any, **options: Any) -> None:
        if options["phase"]:
            self.stdout.write(json.dumps(self._phase(options["phase"], Path(options["path"]))))
            return
        results = []
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            plan = [
                ("csv", write_bundle(base / "csv", options["rows"], "csv"), options["rows"]),
                ("xlsx", write_bundle(base / "bundle", options["rows"], "xlsx"), options["rows"]),
                (
                    "baseline",
                    write_bundle(base / "small", options["baseline_rows"], "csv"),
                    options["baseline_rows"],
                ),
            ]
            for phase, path, rows in plan:
                out = subprocess.run(
                    [
                        sys.executable,
                        "manage.py",
                        "bench_import",
                        "--phase",
                        phase,
                        "--path",
                        str(path),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                result["rows"] = rows
                result["rows_per_s"] = round(rows / result["seconds"], 1)
                results.append(result)
        for r in results:
            self.stdout.write(
                f"{r['phase']:<9} {r['rows']:>8} rows  {r['seconds']:8.2f} s  "
                f"{r['rows_per_s']:>9.1f} rows/s  peak RSS {r['peak_rss_mb']:7.1f} MB"
            )
        if options["json"]:
            self.stdout.write(json.dumps(results))

    def _phase(self, phase: str, path: Path) -> dict[str, Any]:
        from procurement.imports import bundle_load
        from procurement.spreadsheets import Limits

        start = time.perf_counter()
        try:
            with transaction.atomic():
                if phase == "baseline":
                    _naive_load(path)
                else:
                    report = bundle_load(path, limits=Limits(max_bytes=None, max_rows=None))
                    if not report.ok:
                        raise SystemExit(f"import failed: {report.errors[:3]}")
                elapsed = time.perf_counter() - start
                raise Rollback
        except Rollback:
            pass
        return {
            "phase": phase,
            "seconds": round(elapsed, 3),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }


def _naive_load(folder: Path) -> None:
    """The first thing one writes: a DictReader and update_or_create per row."""
    from decimal import Decimal

    from accounts.models import Organization
    from catalog.models import Product, Region

    supplier, _ = Organization.objects.get_or_create(
        uscc=SUPPLIER_USCC,
        defaults={
            "name": ORG_ROW[1],
            "region": Region.objects.get(code="510100"),
            "roles": ["supplier"],
        },
    )
    with (folder / "products.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Product.objects.update_or_create(
                supplier=supplier,
                ref=row["编号"],
                defaults={
                    "name": row["产品名称"],
                    "description": row["产品描述"],
                    "specs": row["规格型号"],
                    "certifications": row["认证"].split(";"),
                    "price_min": Decimal(row["最低价"].replace(",", "")),
                    "price_max": Decimal(row["最高价"].replace(",", "")),
                    "unit": row["单位"],
                    "monthly_capacity": Decimal(row["月产能"]),
                    "lead_time_days": int(row["供货周期（天）"]),
                    "status": Product.Status.PUBLISHED,
                },
            )


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS
