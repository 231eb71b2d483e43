from __future__ import annotations

import json
from pathlib import Path

import pytest

from minegnk.services.addresses import (
    InvalidAddress,
    bech32_verify_checksum,
    decode_bech32,
    encode_address,
    is_valid_address,
    validate_address,
    CHARSET,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
GOOD = "gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364"


def fixture_addresses() -> list[str]:
    found: set[str] = set()
    participants = json.loads((FIXTURES / "tracker_current_epoch_participants.json").read_text())
    found |= {p["index"] for p in participants["active_participants"]["participants"]}
    found |= {p["index"] for p in json.loads((FIXTURES / "mine_hyperfusion-inference.json").read_text())["participants"]}
    found |= {g["grantee"] for g in json.loads((FIXTURES / "tracker_authz_grants_09ake364.json").read_text())["grants"]}
    found.add(json.loads((FIXTURES / "tracker_hardware_nodes_gonka1sqwpuxk.json").read_text())["nodes"]["participant"])
    return sorted(found)


def code_of(raw: str) -> str:
    with pytest.raises(InvalidAddress) as info:
        validate_address(raw)
    assert info.value.message  # every code comes with an explanation
    return info.value.code


def test_all_real_addresses_validate() -> None:
    addresses = fixture_addresses()
    assert len(addresses) >= 30
    for address in addresses:
        assert validate_address(address) == address
        assert encode_address(decode_bech32(address).payload) == address  # round trip


def test_normalisation() -> None:
    assert validate_address(GOOD.upper()) == GOOD  # all-caps is valid bech32
    assert validate_address(f"  {GOOD}\n") == GOOD
    assert is_valid_address(GOOD) and not is_valid_address(GOOD[:-1])


@pytest.mark.parametrize("position", range(6, 44))
def test_any_single_substitution_breaks_the_checksum(position: int) -> None:
    original = GOOD[position]
    replacement = CHARSET[(CHARSET.index(original) + 1) % 32]
    assert code_of(GOOD[:position] + replacement + GOOD[position + 1:]) == "bad_checksum"


def test_adjacent_swap_breaks_the_checksum() -> None:
    swapped = GOOD[:10] + GOOD[11] + GOOD[10] + GOOD[12:]
    assert swapped != GOOD
    assert code_of(swapped) == "bad_checksum"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364", "mixed_case"),
        ("gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309aKe364", "mixed_case"),
        ("cosmos14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364", "wrong_prefix"),
        ("gonkavaloper14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364", "wrong_prefix"),
        ("4cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364", "wrong_prefix"),
        ("gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309akeb64", "invalid_characters"),  # 'b' is not in bech32
        ("gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake3i4", "invalid_characters"),
        ("gonka14cu38xpsd8pz5zdkk zwf0jwtpc0vv309ake364", "invalid_characters"),
        ("gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake3é4", "invalid_characters"),
        ("gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake36", "wrong_length"),  # a character dropped
        ("gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake3644", "wrong_length"),
        ("gonka1", "wrong_length"),
    ],
)
def test_specific_errors(raw: str, code: str) -> None:
    assert code_of(raw) == code


def test_valid_bech32_with_wrong_payload_size() -> None:
    contract_like = encode_address(bytes(range(32)))  # a valid checksum over 32 bytes
    assert code_of(contract_like) == "wrong_length"


def test_validator_prefix_hint() -> None:
    with pytest.raises(InvalidAddress) as info:
        validate_address("gonkavaloper14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364")
    assert "validator operator" in info.value.message


@pytest.mark.parametrize(
    "vector",
    ["A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
     "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
     "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl"],
)
def test_bip173_valid_checksums(vector: str) -> None:
    lowered = vector.lower()
    sep = lowered.rfind("1")
    assert bech32_verify_checksum(lowered[:sep], [CHARSET.index(c) for c in lowered[sep + 1:]])


@pytest.mark.parametrize("vector", ["pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "10a06t8", "1qzzfhee",
                                    "A1G7SGD8"])
def test_bip173_invalid_strings(vector: str) -> None:
    with pytest.raises(InvalidAddress):
        decode_bech32(vector)
