"""Account ↔ validator operator address and consensus address (gonkavalcons) derivation (doc §2.2 #10, #11).

Expected values come from a small reference bech32 written here (BIP-173, straight from the spec) plus hashlib,
independent of the implementation in minegnk.services.addresses.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from minegnk.services.addresses import (InvalidAddress, account_to_valoper, consensus_address, valoper_to_account)

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
ACCOUNT = "gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364"  # a real mainnet host (tracker recordings)


def _polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _expand(hrp):
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def ref_encode(hrp: str, payload: bytes) -> str:
    bits = "".join(f"{byte:08b}" for byte in payload)
    bits += "0" * (-len(bits) % 5)
    data = [int(bits[i:i + 5], 2) for i in range(0, len(bits), 5)]
    pm = _polymod(_expand(hrp) + data + [0] * 6) ^ 1
    return hrp + "1" + "".join(CHARSET[d] for d in data + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])


def ref_decode(address: str) -> tuple[str, bytes]:
    pos = address.rfind("1")
    hrp, data = address[:pos], [CHARSET.index(c) for c in address[pos + 1:]]
    assert _polymod(_expand(hrp) + data) == 1, "bad checksum"
    bits = "".join(f"{d:05b}" for d in data[:-6])
    return hrp, bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits) - len(bits) % 8, 8))


def test_reference_bech32_round_trips_the_real_address():
    hrp, payload = ref_decode(ACCOUNT)
    assert hrp == "gonka" and len(payload) == 20
    assert ref_encode("gonka", payload) == ACCOUNT


def test_account_and_operator_address_carry_the_same_bytes():
    _, payload = ref_decode(ACCOUNT)
    expected = ref_encode("gonkavaloper", payload)
    assert expected.startswith("gonkavaloper1")
    assert account_to_valoper(ACCOUNT) == expected
    assert valoper_to_account(expected) == ACCOUNT
    # pinned (computed once with the reference above), so a change in either implementation shows up
    assert expected == "gonkavaloper14cu38xpsd8pz5zdkkzwf0jwtpc0vv309pkgkdc"


@pytest.mark.parametrize("payload", [bytes(20), bytes(range(20)), b"\xff" * 20, hashlib.sha256(b"x").digest()[:20]])
def test_operator_round_trip_on_edge_payloads(payload):
    account = ref_encode("gonka", payload)
    assert account_to_valoper(account) == ref_encode("gonkavaloper", payload)
    assert valoper_to_account(account_to_valoper(account)) == account


def test_consensus_address_is_sha256_of_the_pubkey_truncated_to_20_bytes():
    pubkey = bytes(range(32))
    expected = ref_encode("gonkavalcons", hashlib.sha256(pubkey).digest()[:20])
    assert consensus_address(pubkey) == expected
    assert consensus_address(base64.b64encode(pubkey).decode()) == expected  # as the chain serves it
    assert expected == ref_encode("gonkavalcons", bytes.fromhex(hashlib.sha256(pubkey).hexdigest()[:40]))


def test_consensus_address_matches_the_chains_own_hex_addresses():
    # The recorded /v1/epochs/current/participants lists each member's CometBFT consensus address in hex,
    # computed by the chain: the bytes under our gonkavalcons1… must be exactly those.
    recorded = json.loads((FIXTURES / "tracker_current_epoch_participants.json").read_text())
    members = recorded["active_participants"]["participants"]
    assert len(members) == len(recorded["addresses"]) > 0
    for member, hex_address in zip(members, recorded["addresses"]):
        hrp, payload = ref_decode(consensus_address(member["validator_key"]))
        assert hrp == "gonkavalcons" and payload.hex().upper() == hex_address


@pytest.mark.parametrize("bad", ["", "not base64!", base64.b64encode(bytes(31)).decode(),
                                 base64.b64encode(bytes(33)).decode()])
def test_consensus_address_rejects_what_is_not_an_ed25519_key(bad):
    with pytest.raises(ValueError):
        consensus_address(bad)


def test_wrong_prefix_or_checksum_is_rejected():
    valoper = account_to_valoper(ACCOUNT)
    with pytest.raises(InvalidAddress):
        account_to_valoper(valoper)  # already an operator address
    with pytest.raises(InvalidAddress):
        valoper_to_account(ACCOUNT)  # an account, not an operator address
    with pytest.raises(InvalidAddress):
        account_to_valoper(ACCOUNT[:-1] + "5")  # checksum
    with pytest.raises(InvalidAddress):
        account_to_valoper(ref_encode("gonka", bytes(32)))  # 32-byte (contract-style) account
