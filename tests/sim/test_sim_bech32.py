"""Every address the simulator serves is valid bech32 with hrp "gonka" (verified here independently)."""

import httpx

from minegnk.sim import SimServer

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_verify(address: str, hrp: str) -> bool:
    pos = address.rfind("1")
    if address[:pos] != hrp or len(address) - pos - 1 < 6:
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [CHARSET.find(c) for c in address[pos + 1:]]
    if -1 in values[len(hrp) * 2 + 1:]:
        return False
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk == 1


def test_known_real_address_verifies_and_a_typo_does_not():
    assert bech32_verify("gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364", "gonka")
    assert not bech32_verify("gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake365", "gonka")


def test_all_served_addresses_have_valid_checksums():
    with SimServer(speed=0, scripted=False, participants=300) as server:
        url = f"{server.node_urls[0]}/chain-api/productscience/inference/inference/participant"
        rows = httpx.get(url, params={"pagination.limit": 1000}).json()["participant"]
    assert len(rows) == 300
    assert len({r["address"] for r in rows}) == 300
    for row in rows:
        assert row["address"] == row["index"]
        assert bech32_verify(row["address"], "gonka"), row["address"]
        assert len(row["address"]) == len("gonka1") + 32 + 6  # 20-byte payload + checksum
