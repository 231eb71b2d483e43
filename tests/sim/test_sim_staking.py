"""The simulator serves Cosmos staking validators and slashing signing infos that agree with its tracker's jail view."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest

from minegnk.services.addresses import account_to_valoper, consensus_address
from minegnk.sim import SimServer
from minegnk.upstream import node_api as node_api_module
from minegnk.upstream.node_api import NodeApiClient
from minegnk.upstream.schemas import parse_signing_info, parse_staking_validators

STAKING = "/chain-api/cosmos/staking/v1beta1/validators"
SIGNING = "/chain-api/cosmos/slashing/v1beta1/signing_infos"


@pytest.fixture(scope="module")
def server():
    with SimServer(participants=60, speed=0, scripted=False, seed=11) as s:
        yield s


@pytest.fixture(scope="module")
def scenarios(server):
    return httpx.get(f"{server.control_url}/scenarios").json()


def get(url: str, **params) -> httpx.Response:
    return httpx.get(url, params=params, timeout=10)


def all_validators(base: str, limit: int = 200) -> list[dict]:
    rows, key = [], None
    for _ in range(50):
        params = {"pagination.limit": limit} | ({"pagination.key": key} if key else {})
        body = get(base + STAKING, **params).json()
        parse_staking_validators(body)  # the portal's parser accepts every page
        rows += body["validators"]
        key = body["pagination"]["next_key"]
        if not key:
            return rows
    raise AssertionError("pagination never ended")


def tracker_participants(server) -> dict[str, dict]:
    body = get(f"{server.tracker_url}/api/v1/inference/current").json()
    return {p["address"]: p for p in body["participants"]}


def test_validators_are_served_under_every_node_prefix_and_host(server, scenarios):
    host = f"{server.tracker_url}/host/{scenarios['healthy']}"
    lists = [all_validators(base) for base in [*server.node_urls, host]]
    assert lists[0] and all(rows == lists[0] for rows in lists)
    v = lists[0][0]
    assert v["consensus_pubkey"]["@type"] == "/cosmos.crypto.ed25519.PubKey"
    assert len(base64.b64decode(v["consensus_pubkey"]["key"])) == 32
    assert isinstance(v["jailed"], bool) and v["tokens"].isdigit()


def test_pagination_by_key_returns_every_validator_once(server):
    base = server.node_urls[0]
    whole = all_validators(base)
    first = get(base + STAKING, **{"pagination.limit": 7}).json()
    assert len(first["validators"]) == 7 and first["pagination"]["next_key"]
    assert first["pagination"]["total"] == str(len(whole))  # counted on the first page, like Cosmos
    paged = all_validators(base, limit=7)
    assert [v["operator_address"] for v in paged] == [v["operator_address"] for v in whole]
    assert len({v["operator_address"] for v in paged}) == len(paged)
    assert get(base + STAKING, **{"pagination.key": "!!"}).status_code == 400


def test_jail_data_matches_the_trackers_view(server):
    validators = {v["operator_address"]: v for v in all_validators(server.node_urls[0])}
    tracked = tracker_participants(server)
    seen = {"jailed": 0, "free": 0, "no_validator": 0, "zero_tokens": 0}
    for address, p in tracked.items():
        v = validators.get(account_to_valoper(address))
        if p["is_jailed"] is None:  # the tracker knows no validator with tokens for it
            assert v is None or v["tokens"] == "0"
            seen["zero_tokens" if v else "no_validator"] += 1
            continue
        assert v is not None and int(v["tokens"]) > 0
        assert v["jailed"] is p["is_jailed"]
        assert v["consensus_pubkey"]["key"] == p["validator_key"]
        info = get(f"{server.node_urls[1]}{SIGNING}/{consensus_address(v['consensus_pubkey']['key'])}").json()
        parsed = parse_signing_info(info)
        if p["is_jailed"]:
            seen["jailed"] += 1
            assert info["val_signing_info"]["jailed_until"] == p["jailed_until"]
            assert parsed.jailed_until is not None
        else:
            seen["free"] += 1
            assert info["val_signing_info"]["jailed_until"] == "1970-01-01T00:00:00Z" and parsed.jailed_until is None
    assert seen["jailed"] >= 1 and seen["free"] >= 1 and seen["no_validator"] >= 1 and seen["zero_tokens"] >= 1


def test_jail_and_unjail_incidents_show_in_staking_and_signing_info(server, scenarios):
    address = scenarios["healthy"]
    base = server.node_urls[2]

    def mine() -> dict:
        return next(v for v in all_validators(base) if v["operator_address"] == account_to_valoper(address))

    valcons = consensus_address(mine()["consensus_pubkey"]["key"])
    assert mine()["jailed"] is False
    httpx.post(f"{server.control_url}/incident", json={"address": address, "kind": "jail", "blocks": 50})
    try:
        assert mine()["jailed"] is True
        until = get(f"{base}{SIGNING}/{valcons}").json()["val_signing_info"]["jailed_until"]
        assert until == tracker_participants(server)[address]["jailed_until"] and not until.startswith("1970")
    finally:
        httpx.post(f"{server.control_url}/incident", json={"address": address, "kind": "unjail"})
    assert mine()["jailed"] is False


def test_signing_info_unknown_or_malformed_address(server):
    unknown = consensus_address(hashlib.sha256(b"nobody").digest())
    response = get(f"{server.node_urls[0]}{SIGNING}/{unknown}")
    assert response.status_code == 404 and response.json()["code"] == 5
    assert get(f"{server.node_urls[0]}{SIGNING}/gonka1notanaddress").status_code == 400


async def test_portal_client_pages_through_the_validators(server, monkeypatch):
    monkeypatch.setattr(node_api_module, "VALIDATORS_PAGE_LIMIT", 25)
    httpx.post(f"{server.control_url}/stats/reset")
    async with NodeApiClient(server.node_urls, retries=0) as client:
        validators = await client.validators()
        assert len(validators) == len(all_validators(server.node_urls[0]))
        jailed = next(v for v in validators if v.jailed and v.tokens > 0)
        info = await client.signing_info(consensus_address(jailed.consensus_pubkey))
        assert info is not None and info.jailed_until is not None
        assert await client.signing_info(consensus_address(bytes(32))) is None  # 404 is an answer, no failover
    stats = httpx.get(f"{server.control_url}/stats").json()["by_prefix_template"]
    pages = -(-len(validators) // 25)
    assert stats.get(f"n1 {STAKING}") == pages + 1  # the client's pages plus all_validators' one page above
    assert sum(n for key, n in stats.items() if SIGNING in key) == 2
