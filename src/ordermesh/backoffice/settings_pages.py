"""Settings, read only, for admins: the channels with their money settings, the
locations, the carrier accounts and the names of the API keys, as the API's lists answer
them (``list_channels``, ``list_locations``, ``list_accounts``, ``list_api_keys``).
Nothing secret is shown: no key, key prefix, carrier credential or webhook secret (only
whether one is set). Changing them is done through the API for now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from ordermesh.apikeys.service import list_api_keys
from ordermesh.backoffice.model import Permission
from ordermesh.backoffice.web import PageContext, need
from ordermesh.channels.service import channel_money, list_channels
from ordermesh.locations.service import list_locations
from ordermesh.shipping.accounts import list_accounts

router = APIRouter()
Admin = Annotated[PageContext, Depends(need(Permission.SETTINGS_VIEW))]


@router.get("/settings")
def settings(page: Admin) -> HTMLResponse:
    with page.read() as uow:
        channels = [(ch, channel_money(uow, ch.id)) for ch in list_channels(uow)]
        data = {"channels": channels, "locations": list_locations(uow),
                "carriers": list_accounts(uow), "keys": list_api_keys(uow)}
    return page.render("settings.html", **data)
