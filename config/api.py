"""Shared API plumbing: errors as 400s with field messages, never 500s; upload and export"
" helpers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Services raise Django's ValidationError; the API answers it like a serializer error.
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    from deals.exceptions import TransitionNotAllowed

    if isinstance(exc, TransitionNotAllowed):
        # The request was well formed but the current state forbids the step.
        return Response({"detail": exc.message, "code": exc.code}, status=409)
    return drf_exception_handler(exc, context)


class ExportQuery(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=["xlsx", "csv"], default="xlsx")


def export_format(request: Request) -> str:
    query = ExportQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return str(query.validated_data["format"])


def category_filter(prefix: str, code: str) -> Q:
    """A category and its whole subtree (codes are dotted paths)."""
    return Q(**{f"{prefix}code": code}) | Q(**{f"{prefix}code__startswith": f"{code}."})


def region_prefix(code: str) -> str:
    """510000 → 51, 510100 → 5101, 510114 → 510114: a region and everything inside it."""
    code = code.strip()
    if len(code) != 6 or not code.isdigit():
        raise exceptions.ValidationError({"region": ["Give a 6-digit GB/T 2260 code."]})
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def report_response(report: Any, *, status: int, **extra: Any) -> Response:
    return Response({"report": report.as_dict(), **extra}, status=status)


class UserLanguageMixin:
    """Answer in the signed-in user's language unless the request names one.

    Token-authenticated requests are authenticated in the view, after the
    locale middleware has run, so the user's preference is applied here.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        from django.utils import translation

        language = getattr(request.user, "language", None)
        if language and "HTTP_ACCEPT_LANGUAGE" not in request.META:
            translation.activate(language)
            request.LANGUAGE_CODE = language
