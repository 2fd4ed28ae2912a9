"""Payment providers by name. A real gateway is one more class registered here."""

from __future__ import annotations

from ordermesh.kit.errors import InvalidInput
from ordermesh.payments.model import PaymentProvider
from ordermesh.payments.providers.http_gateway import HttpGateway
from ordermesh.payments.providers.manual import ManualProvider
from ordermesh.payments.providers.store_credit import StoreCreditProvider
from ordermesh.payments.providers.test import TestGateway

_REGISTRY: dict[str, PaymentProvider] = {}


def register(provider: PaymentProvider) -> None:
    """Make ``provider`` available under its ``name`` (replacing one of the same name).

    Providers hold no state between calls (the test gateway keeps its state in the
    database), so one instance per process serves every request."""
    _REGISTRY[provider.name] = provider


def use_http_gateway(base_url: str | None, timeout_s: float, api_key: str | None) -> None:
    """Register the HTTP gateway (provider ``gateway``) at ``base_url``; None: none."""
    if base_url is None:
        _REGISTRY.pop(HttpGateway.name, None)
        return
    register(HttpGateway(base_url, timeout_s, api_key))


def get_provider(name: str, field_name: str = "provider") -> PaymentProvider:
    provider = _REGISTRY.get(name)
    if provider is None:
        known = ", ".join(sorted(_REGISTRY))
        raise InvalidInput.for_field(
            field_name, f"Unknown payment provider '{name}' (known: {known})",
            "unknown_provider")
    return provider


def provider_names() -> list[str]:
    return sorted(_REGISTRY)


register(ManualProvider())
register(TestGateway())
register(StoreCreditProvider())
