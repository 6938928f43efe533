"""Money is integer fen everywhere; yuan only on display."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput


def yuan_to_fen(value, *, field: str = "amount") -> int:
    """Parse a yuan amount ('1300', '1,300.5', 1300.50) into fen; more than 2 decimals is refused."""
    text = str(value).replace(",", "").replace("，", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(_("Not an amount of money: %(value)s"), field=field, value=text) from None
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(_("An amount has at most two decimals (fen)."), field=field)
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def fen_to_yuan_text(fen: int | None) -> str:
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"
