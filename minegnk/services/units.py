"""Coin units and per-day conversion. Money is int ngonka everywhere; GNK only at the edge (doc §3.1).

1 GNK = 10**9 ngonka. Nothing here uses float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

NGONKA_PER_GNK = 10**9
GNK_DECIMALS = 9
SECONDS_PER_DAY = 86_400

# 1e18 ngonka (total supply) needs 19 digits; a generous precision keeps every intermediate exact.
_PRECISION = 60


def ngonka_to_gnk(ngonka: int) -> Decimal:
    """Exact: scaleb moves the decimal point without rounding."""
    if isinstance(ngonka, bool) or not isinstance(ngonka, int):
        raise TypeError("ngonka must be an int")
    return Decimal(ngonka).scaleb(-GNK_DECIMALS)


def gnk_to_ngonka(gnk: Decimal | str | int) -> int:
    """Parse a GNK amount. More than 9 decimals cannot be represented in ngonka and is rejected."""
    if isinstance(gnk, float) or isinstance(gnk, bool):
        raise TypeError("pass GNK as Decimal, str or int, never float")
    try:
        value = Decimal(gnk.strip().replace("_", "")) if isinstance(gnk, str) else Decimal(gnk)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {gnk!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {gnk!r}")
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -GNK_DECIMALS:
        raise ValueError(f"more than {GNK_DECIMALS} decimals: {gnk!r}")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return int(value.scaleb(GNK_DECIMALS))


def format_gnk(ngonka: int, places: int = 2, *, grouping: bool = True, unit: bool = False) -> str:
    """e.g. format_gnk(38_627_452_617_213) -> "38,627.45". Rounds half-even at `places` decimals.

    Locale-aware formatting (separators per language) belongs to the UI layer; this is the neutral form.
    """
    if not 0 <= places <= GNK_DECIMALS:
        raise ValueError(f"places must be 0..{GNK_DECIMALS}")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        amount = ngonka_to_gnk(ngonka).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = f"{amount:,.{places}f}" if grouping else f"{amount:.{places}f}"
    if text.startswith("-") and amount == 0:
        text = text[1:]  # "-0.00" after rounding a tiny negative reads as a loss
    return f"{text} GNK" if unit else text


def _to_decimal(value: Decimal | int | str | float, name: str) -> Decimal:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number")
    # Block time is a measurement, not money: accepting a float is fine, via its short repr.
    result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not result.is_finite() or result <= 0:
        raise ValueError(f"{name} must be positive")
    return result


def epochs_per_day(epoch_length_blocks: int, avg_block_time_s: Decimal | int | str | float) -> Decimal:
    """≈0.93-0.97 on mainnet (15,391 blocks × 5.8-6.0 s)."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        seconds_per_epoch = _to_decimal(epoch_length_blocks, "epoch_length_blocks") * _to_decimal(
            avg_block_time_s, "avg_block_time_s"
        )
        return Decimal(SECONDS_PER_DAY) / seconds_per_epoch


def per_day(
    per_epoch: int | Decimal,
    epoch_length_blocks: int,
    avg_block_time_s: Decimal | int | str | float,
) -> int | Decimal:
    """per_day = per_epoch × 86400 / (epoch_length × avg_block_time)  (doc §3.2).

    An int (ngonka, or a count) gives an int rounded half-even to a whole unit - banker's rounding so that
    summing many converted figures carries no upward bias. A Decimal input gives the unrounded Decimal.
    """
    if isinstance(per_epoch, bool) or not isinstance(per_epoch, (int, Decimal)):
        raise TypeError("per_epoch must be int (ngonka) or Decimal")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        value = Decimal(per_epoch) * epochs_per_day(epoch_length_blocks, avg_block_time_s)
        if isinstance(per_epoch, int):
            return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))
        return value
