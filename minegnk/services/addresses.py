"""Gonka account address validation: bech32 (BIP-173) with prefix `gonka` and a verified checksum.

A short local copy of the BIP-173 reference algorithm (checksum + 5→8-bit conversion) instead of a dependency.
Account addresses carry 20 bytes: "gonka1" + 32 data chars + 6 checksum chars = 44 characters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

ADDRESS_PREFIX = "gonka"
ADDRESS_BYTES = 20
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(CHARSET)}
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CHECKSUM_LEN = 6
_MAX_LENGTH = 90  # BIP-173 limit
_MAX_PREFIX_SHOWN = 20  # a wrong prefix is quoted back at most this long
ADDRESS_LENGTH = len(ADDRESS_PREFIX) + 1 + (ADDRESS_BYTES * 8 + 4) // 5 + _CHECKSUM_LEN  # 44


class InvalidAddress(ValueError):
    """`code` names the rule that failed (for translation), `params` what exactly failed (a character and its
    1-based position, the prefix found, the length found and expected); `message` is a developer-facing English
    explanation. Plain-language wording for users is in minegnk.i18n.address_errors."""

    def __init__(self, code: str, message: str, **params: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params: dict[str, Any] = params


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            if (top >> i) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_verify_checksum(hrp: str, data: list[int]) -> bool:
    return _polymod(_hrp_expand(hrp) + data) == 1


def bech32_create_checksum(hrp: str, data: list[int]) -> list[int]:
    polymod = _polymod(_hrp_expand(hrp) + data + [0] * _CHECKSUM_LEN) ^ 1
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(_CHECKSUM_LEN)]


def bech32_encode(hrp: str, data: list[int]) -> str:
    return hrp + "1" + "".join(CHARSET[d] for d in data + bech32_create_checksum(hrp, data))


def convert_bits(data: list[int], from_bits: int, to_bits: int, pad: bool) -> list[int] | None:
    """Regroup bits; None when the input has non-zero padding or out-of-range values (BIP-173 rule)."""
    acc = bits = 0
    result: list[int] = []
    max_value = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            return None
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((acc >> bits) & max_value)
    if pad:
        if bits:
            result.append((acc << (to_bits - bits)) & max_value)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & max_value):
        return None
    return result


def encode_address(payload: bytes, prefix: str = ADDRESS_PREFIX) -> str:
    """Bytes -> bech32 address (used by tests and for deriving addresses from keys)."""
    data = convert_bits(list(payload), 8, 5, pad=True)
    assert data is not None
    return bech32_encode(prefix, data)


@dataclass(frozen=True, slots=True)
class DecodedAddress:
    prefix: str
    payload: bytes


def decode_bech32(address: str) -> DecodedAddress:
    """Decode any bech32 string (any prefix, any length) or raise InvalidAddress."""
    if not address:
        raise InvalidAddress("empty", "The address is empty.")
    _check_printable_ascii(address)
    _check_case(address)
    address = address.lower()
    if len(address) > _MAX_LENGTH:
        raise InvalidAddress("wrong_length", f"The address is longer than {_MAX_LENGTH} characters.",
                             length=len(address), expected=_MAX_LENGTH)
    separator = address.rfind("1")
    if separator < 1:
        raise InvalidAddress("wrong_prefix", "The address has no prefix (it should start with 'gonka1').", prefix="")
    hrp, data_part = address[:separator], address[separator + 1 :]
    _check_data_characters(data_part, separator + 1)
    if len(data_part) < _CHECKSUM_LEN:
        raise InvalidAddress("wrong_length", "The address is too short.", length=len(address),
                             expected=separator + 1 + _CHECKSUM_LEN)
    data = [_CHARSET_INDEX[c] for c in data_part]
    if not bech32_verify_checksum(hrp, data):
        raise InvalidAddress("bad_checksum", "The address checksum does not match: a character is wrong or missing.")
    payload = convert_bits(data[:-_CHECKSUM_LEN], 5, 8, pad=False)
    if payload is None:
        raise InvalidAddress("wrong_length", "The address has an invalid length.", length=len(address),
                             expected=ADDRESS_LENGTH)
    return DecodedAddress(hrp, bytes(payload))


def validate_address(raw: str) -> str:
    """Return the normalised (trimmed, lower-case) gonka account address or raise InvalidAddress.

    Checks run from the most to the least obvious mistake, so the message names what the user can fix.
    Length is checked before the checksum: a dropped character fails both, and "wrong length" is the better hint.
    """
    if raw is None or not raw.strip():
        raise InvalidAddress("empty", "The address is empty.")
    text = raw.strip()
    _check_printable_ascii(text)
    _check_case(text)
    text = text.lower()
    if not text.startswith(ADDRESS_PREFIX + "1"):
        separator = text.rfind("1")
        found = text[: separator + 1] if 0 < separator <= _MAX_PREFIX_SHOWN else text[:_MAX_PREFIX_SHOWN]
        validator = found.startswith(ADDRESS_PREFIX + "val")
        hint = " (that is a validator operator address)" if validator else ""
        raise InvalidAddress("wrong_prefix", f"The address must start with '{ADDRESS_PREFIX}1'{hint}.",
                             prefix=found, validator=validator)
    separator = len(ADDRESS_PREFIX)
    _check_data_characters(text[separator + 1 :], separator + 1)
    if len(text) != ADDRESS_LENGTH:
        raise InvalidAddress(
            "wrong_length", f"A gonka address has {ADDRESS_LENGTH} characters; this one has {len(text)}.",
            length=len(text), expected=ADDRESS_LENGTH)
    decoded = decode_bech32(text)  # raises bad_checksum
    if len(decoded.payload) != ADDRESS_BYTES:
        raise InvalidAddress("wrong_length", "The address does not encode a 20-byte account.",
                             length=len(text), expected=ADDRESS_LENGTH)
    return text


def _check_printable_ascii(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if ord(char) < 33 or ord(char) > 126:
            raise InvalidAddress("invalid_characters",
                                 f"The address contains a space or a non-ASCII character at position {position}.",
                                 char=char, position=position, chars=_shown(char))


def _check_case(text: str) -> None:
    if text.lower() != text and text.upper() != text:
        raise InvalidAddress("mixed_case", "The address mixes upper- and lower-case letters.")


def _check_data_characters(data_part: str, offset: int) -> None:
    """bech32's alphabet after the separator; ``offset`` is the separator's 1-based position in the address."""
    bad = [(i, c) for i, c in enumerate(data_part, start=offset + 1) if c not in _CHARSET_INDEX]
    if bad:
        position, char = bad[0]
        raise InvalidAddress(
            "invalid_characters", f"Invalid character {char!r} at position {position}: bech32 never uses it.",
            char=char, position=position, chars=" ".join(sorted({_shown(c) for _, c in bad})))


def _shown(char: str) -> str:
    return char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"


def is_valid_address(raw: str) -> bool:
    try:
        validate_address(raw)
    except InvalidAddress:
        return False
    return True


# ------------------------------------------------------------------------------------------------- validator addresses
# A participant's validator operator address carries the same 20 bytes as its account under another prefix; the
# consensus address (slashing signing info key) is sha256 of the ed25519 consensus pubkey, first 20 bytes (doc §2.2).

VALOPER_PREFIX = ADDRESS_PREFIX + "valoper"
VALCONS_PREFIX = ADDRESS_PREFIX + "valcons"
ED25519_PUBKEY_BYTES = 32


def _reprefix(address: str, expected: str, target: str) -> str:
    decoded = decode_bech32(address.strip())
    if decoded.prefix != expected:
        raise InvalidAddress("wrong_prefix", f"Expected a '{expected}1' address, got '{decoded.prefix}1'.")
    if len(decoded.payload) != ADDRESS_BYTES:
        raise InvalidAddress("wrong_length", f"The address does not encode {ADDRESS_BYTES} bytes.")
    return encode_address(decoded.payload, target)


def account_to_valoper(address: str) -> str:
    """gonka1… → gonkavaloper1… (same bytes); raises InvalidAddress."""
    return _reprefix(address, ADDRESS_PREFIX, VALOPER_PREFIX)


def valoper_to_account(valoper: str) -> str:
    """gonkavaloper1… → gonka1… (same bytes); raises InvalidAddress."""
    return _reprefix(valoper, VALOPER_PREFIX, ADDRESS_PREFIX)


def consensus_address(pubkey: bytes | str) -> str:
    """ed25519 consensus pubkey (raw bytes or base64, as the chain serves it) → gonkavalcons1….

    Raises ValueError for anything that is not a 32-byte key.
    """
    if isinstance(pubkey, str):
        try:
            pubkey = base64.b64decode(pubkey, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("consensus pubkey is not valid base64") from exc
    if len(pubkey) != ED25519_PUBKEY_BYTES:
        raise ValueError(f"an ed25519 pubkey has {ED25519_PUBKEY_BYTES} bytes, got {len(pubkey)}")
    return encode_address(hashlib.sha256(pubkey).digest()[:ADDRESS_BYTES], VALCONS_PREFIX)
