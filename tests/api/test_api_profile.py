"""Profile through the API: read, partial update, all-or-nothing validation naming each field."""

from __future__ import annotations

from minegnk.api.schemas import ProfileOut

URL = '/api/v1/profile'


async def test_get_profile(client, alice):
    body = ProfileOut.model_validate((await client.get(URL, headers=alice.headers)).json())
    assert body.email == 'alice@example.com' and body.currency == 'USD' and body.role == 'user'
    assert body.notification_prefs['node_down'] == ['in_app', 'email']  # the defaults


async def test_put_changes_given_fields_and_keeps_the_others(client, alice):
    first = await client.put(URL, headers=alice.headers, json={'telegram': '@alice_gpu', 'currency': 'eur'})
    assert first.status_code == 200
    assert first.json()['telegram'] == 'alice_gpu' and first.json()['currency'] == 'EUR'
    second = await client.put(URL, headers=alice.headers, json={'timezone': 'Europe/Berlin', 'language': 'ru',
                                                                'notification_prefs': {'node_down': ['telegram']}})
    body = second.json()
    assert body['telegram'] == 'alice_gpu' and body['currency'] == 'EUR' and body['timezone'] == 'Europe/Berlin'
    assert body['language'] == 'ru' and body['notification_prefs']['node_down'] == ['telegram']
    cleared = (await client.put(URL, headers=alice.headers, json={'telegram': None})).json()
    assert cleared['telegram'] is None and cleared['currency'] == 'EUR'
    assert (await client.get(URL, headers=alice.headers)).json() == cleared


async def test_put_refuses_everything_when_any_field_is_invalid(client, alice):
    response = await client.put(URL, headers=alice.headers, json={
        'telegram': 'ok_handle', 'currency': 'BTC', 'timezone': 'Mars/Base', 'discord': 'A..B'})
    assert response.status_code == 422
    fields = {d['field']: d['code'] for d in response.json()['error']['details']}
    assert fields == {'currency': 'currency_invalid', 'timezone': 'timezone_invalid', 'discord': 'discord_invalid'}
    assert (await client.get(URL, headers=alice.headers)).json()['telegram'] is None  # nothing changed


async def test_put_validation_of_types_and_notification_prefs(client, alice):
    for payload, field in [({'notification_prefs': {'node_down': ['pigeon']}}, 'notifications'),
                           ({'notification_prefs': None}, 'notification_prefs'),
                           ({'email': 'x@example.com'}, 'email'), ({'currency': 5}, 'currency')]:
        response = await client.put(URL, headers=alice.headers, json=payload)
        assert response.status_code == 422, payload
        assert response.json()['error']['details'][0]['field'] == field, payload
