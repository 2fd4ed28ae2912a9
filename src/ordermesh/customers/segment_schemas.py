"""Request and response bodies of the segment routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.customers.segments import SegmentRules, Spend
from ordermesh.http.schemas import CountryCode, CurrencyCode, IsoDate, MoneyOut, MoneyString

Code = Annotated[str, Field(min_length=1, max_length=64)]
RfmBucket = Literal["prospect", "new", "champion", "loyal", "active", "at_risk", "lapsed"]


class SpendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: CurrencyCode
    min: MoneyString | None = Field(None, description="At least this much, net of refunds")
    max: MoneyString | None = Field(None, description="At most this much")


class ConsentRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(max_length=20, examples=["marketing"])
    medium: str = Field(max_length=10, examples=["email"])


class SegmentRulesIn(BaseModel):
    """Every rule given must hold; a list holds when any of its values does."""

    model_config = ConfigDict(extra="forbid")
    rfm: list[RfmBucket] | None = Field(None, max_length=7, description="RFM buckets "
                                        "(docs/customers.md#rfm)")
    channels: list[Code] | None = Field(None, max_length=50,
                                        description="Bought on any of these channels")
    countries: list[CountryCode] | None = Field(None, max_length=250,
                                                description="Shipped to any of these")
    lifetime_spend: SpendIn | None = Field(None, description="Net of refunds, in that "
                                           "currency (orders in others do not count)")
    last_order_after: IsoDate | None = Field(None, description="Last order on or after "
                                             "this day (UTC)")
    last_order_before: IsoDate | None = Field(None, description="Last order before this "
                                              "day (UTC); customers without orders do not "
                                              "match")
    bought: list[Code] | None = Field(None, max_length=100,
                                      description="SKUs: bought any of them (not cancelled)")
    consent: ConsentRuleIn | None = Field(None, description="May be contacted for this "
                                          "purpose by this medium now")

    def to_rules(self) -> SegmentRules:
        spend = self.lifetime_spend
        return SegmentRules(
            rfm=tuple(self.rfm or ()), channels=tuple(self.channels or ()),
            countries=tuple(self.countries or ()), bought=tuple(self.bought or ()),
            lifetime_spend=Spend(spend.currency, spend.min, spend.max) if spend else None,
            last_order_after=self.last_order_after, last_order_before=self.last_order_before,
            consent=(self.consent.purpose, self.consent.medium) if self.consent else None)


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120, examples=["German champions"])
    rules: SegmentRulesIn


class SegmentRead(BaseModel):
    id: str
    name: str
    rules: dict[str, Any] = Field(description="The rules as saved (only those given)")
    created_at: datetime
    created_by: str


class SegmentMember(BaseModel):
    customer_id: str
    name: str | None
    email: str | None
    rfm_segment: str
    orders: int = Field(description="Orders not cancelled (of every record of the person)")
    last_order_at: datetime | None
    channels: list[str]
    countries: list[str] = Field(description="Countries their orders were shipped to")
    lifetime_value_net: list[MoneyOut] = Field(description="Per currency, most used first")


class SegmentMembers(BaseModel):
    segment_id: str
    items: list[SegmentMember]
    scanned: int = Field(description="Customers looked at for this page")
    next_cursor: str | None = Field(description="Continues the scan; null when every "
                                    "customer was looked at")
