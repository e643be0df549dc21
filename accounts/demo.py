"""The demo world: the development bundle's organizations plus three demo logins.

Loading is idempotent: organizations are matched by USCC, users by email.
A later issue replaces the organization part with the general bundle loader.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.selectors import region_resolve

from . import services
from .models import BADGE_CHINESE_NAMES, BadgeKind, Membership, Organization, User
from .validators import normalise_uscc

DEMO_BUNDLE = Path(settings.BASE_DIR) / "data" / "dev"
DEMO_PASSWORD = "duijie-demo-2026"  # noqa: S105 - public demo logins, printed by `make demo`
DEMO_BADGE_DATE = datetime.date(2026, 1, 1)

_BADGE_BY_NAME = {name: kind for kind, name in BADGE_CHINESE_NAMES.items()} | {
    kind.value: kind for kind in BadgeKind
}


@dataclass
class DemoResult:
    organizations: int
    users: int


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("；", ";").split(";") if part.strip()]


@transaction.atomic
def demo_world_load(*, bundle: Path = DEMO_BUNDLE) -> DemoResult:
    count = 0
    with (bundle / "organizations.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            region = region_resolve(text=row["region"])
            if region is None:
                raise ValueError(f"organizations.csv: unknown region {row['region']!r}")
            org, _created = Organization.objects.update_or_create(
                uscc=normalise_uscc(row["uscc"]),
                defaults={
                    "name": row["name"],
                    "region": region,
                    "roles": _split(row["roles"]),
                    "industry_chain": row.get("industry_chain", ""),
                    "contact_email": row.get("contact_email", ""),
                    "verification_status": Organization.Verification.VERIFIED,
                    "verified_at": timezone.now(),
                },
            )
            for name in _split(row.get("badges", "")):
                services.badge_award(
                    organization=org, kind=_BADGE_BY_NAME[name], awarded_on=DEMO_BADGE_DATE, by=None
                )
            count += 1

    def first(role: str) -> Organization:
        org = Organization.objects.filter(roles__contains=[role]).order_by("pk").first()
        if org is None:
            raise ValueError(f"the demo bundle has no {role} organization")
        return org

    logins = [
        ("operator@demo.duijie.cn", "运营人员", first("operator"), True),
        ("buyer@demo.duijie.cn", "采购经理", first("buyer"), False),
        ("supplier@demo.duijie.cn", "销售经理", first("supplier"), False),
    ]
    for email, name, org, staff in logins:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                name=name,
                is_staff=staff,
                is_superuser=staff,
                email_verified_at=timezone.now(),
            )
        Membership.objects.get_or_create(
            user=user, organization=org, defaults={"role": Membership.Role.ADMIN}
        )
    return DemoResult(organizations=count, users=len(logins))
