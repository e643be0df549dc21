"""The demo world: the development bundle (organizations, products, procurement
lists, an opportunity batch) loaded through the import service, plus three demo
logins. Idempotent: the bundle upserts by ref and USCC, users are found by email.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User

from .imports import ImportReport

DEMO_BUNDLE = Path(settings.BASE_DIR) / "data" / "dev"
DEMO_PASSWORD = "duijie-demo-2026"  # noqa: S105 - public demo logins, printed by `make demo`


@dataclass
class DemoResult:
    organizations: int
    users: int
    report: ImportReport


@transaction.atomic
def demo_world_load(*, bundle: Path = DEMO_BUNDLE) -> DemoResult:
    """The dev bundle through the real import service, then the demo logins."""
    from .imports import bundle_load

    report = bundle_load(bundle)
    if not report.ok:
        raise ValueError("the demo bundle is invalid:\n" + "\n".join(str(e) for e in report.errors))

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
    organizations = next(f for f in report.files if f.kind == "organizations")
    return DemoResult(organizations=organizations.rows, users=len(logins), report=report)
