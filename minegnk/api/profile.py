"""The caller's profile: contact handles, currency, timezone, language and notification choices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from minegnk.api.deps import CurrentUser, db_call
from minegnk.api.errors import ApiError, ApiRoute, invalid, responses
from minegnk.api.schemas import ProfileIn, ProfileOut
from minegnk.services import profile as profile_service
from minegnk.services.accounts import AccountError
from minegnk.services.profile import ProfileView

router = APIRouter(prefix='/profile', tags=['profile'], route_class=ApiRoute)
PREFERENCE_FIELDS = ('telegram', 'discord', 'currency', 'timezone', 'language')


def profile_out(view: ProfileView) -> ProfileOut:
    return ProfileOut(email=view.email, role=view.role, telegram=view.telegram, discord=view.discord,
                      currency=view.currency, timezone=view.timezone, language=view.language,
                      notification_prefs=view.notification_prefs, created_at=view.created_at,
                      last_login_at=view.last_login_at)


def _update(db, user_id: int, given: dict[str, Any], prefs: dict | None) -> ProfileView:  # noqa: ANN001
    current = profile_service.get_profile(db, user_id)
    values = {name: given[name] if name in given else getattr(current, name) for name in PREFERENCE_FIELDS}
    view = profile_service.update_preferences(db, user_id, **values)
    if prefs is not None:
        view = profile_service.set_notification_prefs(db, user_id, prefs)
    return view


def _raise(e: AccountError) -> None:
    if e.code == 'not_found':
        raise ApiError(401, 'token_revoked') from None
    raise invalid(getattr(e, 'errors', None) or {e.field or 'body': e.code}) from None


@router.get('', response_model=ProfileOut, responses=responses(401, 429), summary="The caller's profile")
async def get_profile(principal: CurrentUser) -> ProfileOut:
    try:
        return profile_out(await db_call(profile_service.get_profile, principal.user_id))
    except AccountError as e:
        _raise(e)


@router.put('', response_model=ProfileOut, responses=responses(401, 422, 429),
            summary='Change handles and preferences (fields left out keep their value); all or nothing')
async def put_profile(body: ProfileIn, principal: CurrentUser) -> ProfileOut:
    given = {name: body.__dict__[name] for name in PREFERENCE_FIELDS if name in body.model_fields_set}
    prefs = body.notification_prefs if 'notification_prefs' in body.model_fields_set else None
    if 'notification_prefs' in body.model_fields_set and prefs is None:
        raise invalid({'notification_prefs': 'notifications_invalid'})
    try:
        return profile_out(await db_call(_update, principal.user_id, given, prefs))
    except AccountError as e:
        _raise(e)
