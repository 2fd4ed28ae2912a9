"""Which connector speaks for each platform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ordermesh.connectors import amazon, shopify, woocommerce
from ordermesh.connectors.model import Account, Connector, PayloadInvalid, Platform
from ordermesh.kit.errors import FieldError, InvalidInput


def connector_for(account: Account) -> Connector:
    if account.platform is Platform.SHOPIFY:
        return shopify.ShopifyConnector(account)
    if account.platform is Platform.WOOCOMMERCE:
        return woocommerce.WooCommerceConnector(account)
    if account.platform is Platform.AMAZON:
        return amazon.AmazonConnector(account)
    raise AssertionError(f"no connector for {account.platform}")


def check_setup(platform: Platform, credentials: Mapping[str, str],
                settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as stored, or a 422 naming each missing or wrong credential/setting."""
    try:
        if platform is Platform.SHOPIFY:
            return shopify.check(credentials, settings)
        if platform is Platform.WOOCOMMERCE:
            return woocommerce.check(credentials, settings)
        if platform is Platform.AMAZON:
            return amazon.check(credentials, settings)
    except PayloadInvalid as exc:
        raise InvalidInput("The connector's credentials or settings are incomplete",
                           errors=[FieldError(f, m) for f, m in exc.errors]) from exc
    raise AssertionError(f"no connector for {platform}")
