from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc as stdnum_uscc


def normalise_uscc(value: str) -> str:
    """Upper-case and strip spaces, full-width characters included."""
    import unicodedata

    return str(stdnum_uscc.compact(unicodedata.normalize("NFKC", value or "")))


def validate_uscc(value: str) -> None:
    """Validate a Unified Social Credit Code (统一社会信用代码, GB 32100-2015)."""
    try:
        stdnum_uscc.validate(normalise_uscc(value))
    except stdnum_errors.InvalidLength:
        raise ValidationError(
            _("A Unified Social Credit Code has 18 characters; %(value)s has %(length)d."),
            code="uscc_length",
            params={"value": value, "length": len(normalise_uscc(value))},
        ) from None
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _(
                "The check digit of Unified Social Credit Code %(value)s is wrong:"
                " please check the code on the business licence."
            ),
            code="uscc_checksum",
            params={"value": value},
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _(
                "%(value)s is not a valid Unified Social Credit Code: it may contain only"
                " digits and capital letters other than I, O, Z, S and V."
            ),
            code="uscc_format",
            params={"value": value},
        ) from None
