"""Cosmos staking validators (doc §2.2 #10) and slashing signing info (#11): parsing and malformed payloads."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from minegnk.upstream.schemas import SchemaError, parse_signing_info, parse_staking_validators

# Shaped like the Cosmos SDK v0.50 REST gateway: every field present, int64 and Dec as strings.
VALIDATORS = {
    "validators": [
        {
            "operator_address": "gonkavaloper14cu38xpsd8pz5zdkkzwf0jwtpc0vv309pkgkdc",
            "consensus_pubkey": {"@type": "/cosmos.crypto.ed25519.PubKey",
                                 "key": "Y+sAwFpAU50lwxqskBwChJFj7yjpTcB3m8oEsgXyVrI="},
            "jailed": True,
            "status": "BOND_STATUS_UNBONDING",
            "tokens": "37778",
            "delegator_shares": "37778.000000000000000000",
            "description": {"moniker": "host-a", "identity": "ABCDEF0123456789", "website": "https://a.example",
                            "security_contact": "", "details": ""},
            "unbonding_height": "0",
            "unbonding_time": "1970-01-01T00:00:00Z",
            "commission": {"commission_rates": {"rate": "0.1", "max_rate": "0.2", "max_change_rate": "0.01"},
                           "update_time": "2025-08-01T00:00:00Z"},
            "min_self_delegation": "1",
            "unbonding_on_hold_ref_count": "0",
            "unbonding_ids": [],
        },
        {
            "operator_address": "gonkavaloper1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqxxxxxx",
            "consensus_pubkey": {"@type": "/cosmos.crypto.ed25519.PubKey", "key": "AAAA"},
            "jailed": False,
            "tokens": "0",
            "description": {"moniker": "", "identity": "", "website": ""},
        },
    ],
    "pagination": {"next_key": "b2Zmc2V0OjI=", "total": "3"},
}

SIGNING_INFO = {"val_signing_info": {
    "address": "gonkavalcons1abc",
    "start_height": "1234",
    "index_offset": "98765",
    "jailed_until": "2025-12-08T14:10:28.426061722Z",
    "tombstoned": False,
    "missed_blocks_counter": "17",
}}


def test_validators_page_parses_the_fields_the_portal_reads():
    page = parse_staking_validators(VALIDATORS)
    assert page.next_key == "b2Zmc2V0OjI=" and page.total == 3
    first, second = page.validators
    assert first.operator_address.startswith("gonkavaloper1")
    assert first.consensus_pubkey == "Y+sAwFpAU50lwxqskBwChJFj7yjpTcB3m8oEsgXyVrI="
    assert first.consensus_pubkey_type == "/cosmos.crypto.ed25519.PubKey"
    assert first.jailed is True and first.tokens == 37778 and isinstance(first.tokens, int)
    assert (first.moniker, first.identity, first.website) == ("host-a", "ABCDEF0123456789", "https://a.example")
    assert second.jailed is False and second.tokens == 0
    assert (second.moniker, second.identity, second.website) == (None, None, None)  # "" is "not set"


def test_last_page_and_optional_parts():
    payload = {"validators": [{"operator_address": "gonkavaloper1x", "jailed": False, "tokens": 5}],
               "pagination": {"next_key": None, "total": "0"}}
    page = parse_staking_validators(payload)
    assert page.next_key is None and page.total == 0
    v = page.validators[0]
    assert v.consensus_pubkey is None and v.moniker is None and v.tokens == 5
    assert parse_staking_validators({"validators": []}).validators == ()  # no pagination object at all


def test_unknown_keys_are_ignored():
    payload = copy.deepcopy(VALIDATORS)
    payload["validators"][0]["something_new"] = {"x": 1}
    payload["block_height"] = "42"
    assert len(parse_staking_validators(payload).validators) == 2


@pytest.mark.parametrize("breakage", [
    lambda p: p.pop("validators"),
    lambda p: p.update(validators={"not": "a list"}),
    lambda p: p["validators"].append("not an object"),
    lambda p: p["validators"][1].pop("operator_address"),
    lambda p: p["validators"][1].update(operator_address=""),
    lambda p: p["validators"][1].pop("jailed"),
    lambda p: p["validators"][1].update(jailed="false"),
    lambda p: p["validators"][1].pop("tokens"),
    lambda p: p["validators"][1].update(tokens="12.5"),
    lambda p: p["validators"][1].update(tokens="-1"),
    lambda p: p["validators"][1].update(consensus_pubkey="AAAA"),
    lambda p: p["validators"][1].update(consensus_pubkey={"key": 7}),
    lambda p: p["validators"][1].update(description=["x"]),
    lambda p: p.update(pagination=[]),
    lambda p: p.update(pagination={"next_key": 5}),
])
def test_malformed_validators_reject_the_whole_payload(breakage):
    payload = copy.deepcopy(VALIDATORS)
    breakage(payload)
    with pytest.raises(SchemaError):
        parse_staking_validators(payload)


@pytest.mark.parametrize("payload", [None, [], "text", 3])
def test_validators_payload_that_is_not_an_object(payload):
    with pytest.raises(SchemaError):
        parse_staking_validators(payload)


def test_signing_info_parses_and_truncates_nanoseconds():
    info = parse_signing_info(SIGNING_INFO)
    assert info.address == "gonkavalcons1abc"
    assert (info.start_height, info.index_offset, info.missed_blocks_counter) == (1234, 98765, 17)
    assert info.tombstoned is False
    assert info.jailed_until == datetime(2025, 12, 8, 14, 10, 28, 426061, tzinfo=UTC)


@pytest.mark.parametrize("never", ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000000Z", "0001-01-01T00:00:00Z",
                                   None, ""])
def test_signing_info_epoch_zero_means_never_jailed(never):
    payload = copy.deepcopy(SIGNING_INFO)
    payload["val_signing_info"]["jailed_until"] = never
    assert parse_signing_info(payload).jailed_until is None


def test_signing_info_tolerates_omitted_counters():
    info = parse_signing_info({"val_signing_info": {"address": "gonkavalcons1abc", "tombstoned": True}})
    assert (info.start_height, info.index_offset, info.missed_blocks_counter) == (0, 0, 0)
    assert info.tombstoned is True and info.jailed_until is None


@pytest.mark.parametrize("breakage", [
    lambda s: s.clear(),
    lambda s: s.update(val_signing_info=None),
    lambda s: s.update(val_signing_info=["x"]),
    lambda s: s["val_signing_info"].pop("address"),
    lambda s: s["val_signing_info"].update(jailed_until="next tuesday"),
    lambda s: s["val_signing_info"].update(jailed_until=1700000000),
    lambda s: s["val_signing_info"].update(tombstoned="no"),
    lambda s: s["val_signing_info"].update(missed_blocks_counter="many"),
])
def test_malformed_signing_info_is_rejected(breakage):
    payload = copy.deepcopy(SIGNING_INFO)
    breakage(payload)
    with pytest.raises(SchemaError):
        parse_signing_info(payload)
