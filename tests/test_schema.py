"""The OpenAPI schema documents every endpoint without warnings."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(path))
    text = path.read_text()
    for route in (
        "/api/v1/products/",
        "/api/v1/products/upload/",
        "/api/v1/procurement-lists/{id}/publish/",
        "/api/v1/procurement-lists/upload/",
        "/api/v1/procurement-items/",
        "/api/v1/opportunity-batches/",
        "/api/v1/opportunities/export/",
        "/api/v1/categories/",
        "/api/v1/regions/",
        "/api/v1/organizations/{id}/members/",
        "/api/v1/matches/",
        "/api/v1/matches/{id}/interest/",
        "/api/v1/matches/{id}/shortlist/",
        "/api/v1/deals/",
        "/api/v1/stats/",
    ):
        assert route in text, route
    assert "2027年第一季度房建项目物资集中采购清单" in text  # request examples are included
