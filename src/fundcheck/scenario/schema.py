"""The scenario schema: the inputs of a program, typed, with a unit and a source on every number.

A scenario holds inputs only (FAST: foundation apart from workings). Money is USD, power MW, rates are
annual fractions, months are ``YYYY-MM`` (held as months since year 0, see ``quantities``).
Cross-references (an instrument naming an entity, a lease naming a site) are checked in ``validate``.
Every ``Month`` field must lie inside the horizon (the loader finds them by type, see ``months``); a field
that may lie outside on one side says so with ``OutsideHorizon`` in its annotation and in its description.

Bounds (``yamlio.LIMITS``, listed there): months are text ``YYYY-MM`` in the years 1900 to 2200 (a number or a
YAML date is refused with its own message), every amount is at most 1e15 in size, names (``Name``) are at most
200 characters, other text at most 2,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from fundcheck import errors
from fundcheck.scenario.quantities import AmountTooLargeError, month_str, parse_amount, parse_month
from fundcheck.scenario.uncertain import Uncertain, parse_uncertain, split_dist
from fundcheck.scenario.yamlio import LIMITS, YamlDate

__all__ = [
    "Alternative",
    "Amount",
    "CashFlow",
    "Correlations",
    "Credit",
    "Default",
    "Defaults",
    "Delay",
    "Entity",
    "Equity",
    "Fraction",
    "Horizon",
    "Lease",
    "Loan",
    "Month",
    "Name",
    "Offtake",
    "OutsideHorizon",
    "Phase",
    "Raise",
    "RateShift",
    "Repayment",
    "Scenario",
    "SignedAmount",
    "Site",
    "UncertaintySpec",
]


def _month(raw: object) -> int:
    """A month from its text 'YYYY-MM'; a YAML date, a number (even one that looks like a month count) or a year
    outside ``LIMITS.first_year``..``LIMITS.last_year`` is refused, each with its own message."""
    if isinstance(raw, YamlDate):
        raise ValueError(errors.msg_date_as_month(str(raw), raw.real))
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raise ValueError(errors.msg_month_number(raw))
    try:
        month = parse_month(raw)
    except ValueError:
        raise ValueError(errors.msg_bad_month(raw)) from None
    if not LIMITS.first_year <= month // 12 <= LIMITS.last_year:
        raise ValueError(errors.msg_month_year(month_str(month), LIMITS.first_year, LIMITS.last_year))
    return month


Month = Annotated[int, BeforeValidator(_month),
                  WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$",
                                  "description": "YYYY-MM (years 1900 to 2200), inside the horizon unless the "
                                  "field says otherwise"})]
"""A month ``YYYY-MM``, held as months since year 0. The loader checks every field of this type against the horizon."""


def _name(text: str) -> str:
    if len(text) > LIMITS.name_chars:
        raise ValueError(errors.msg_name_too_long(len(text), LIMITS.name_chars))
    return text


Name = Annotated[str, AfterValidator(_name), WithJsonSchema({"type": "string", "maxLength": LIMITS.name_chars})]
"""A name (program, phase, instrument, contract, body, matter, deal, alternative): at most 200 characters."""


@dataclass(frozen=True)
class OutsideHorizon:
    """Marks a ``Month`` field that may lie outside the horizon on one side: ``Annotated[Month, OutsideHorizon(...)]``.

    The loader's horizon check still holds the field to the other side. `why` is for readers of the schema.
    """

    before_start: bool = False
    after_end: bool = False
    why: str = ""


_AMOUNT_JSON = {"anyOf": [{"type": "number"}, {"type": "string", "description": "e.g. '$19B', '180k', '7.5%'"}]}


def _unit(unit: str, description: str) -> Any:
    """A required field with its unit and meaning."""
    return Field(description=description, json_schema_extra={"unit": unit})


def _opt(unit: str, description: str) -> Any:
    """An optional field (default None) with its unit and meaning."""
    return Field(None, description=description, json_schema_extra={"unit": unit})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Sourced(_Model):
    """A number with the source it comes from (a facts.md row, a dataset row, or 'assumption: why')."""

    value: Annotated[float, WithJsonSchema(_AMOUNT_JSON)]
    source: str | None = Field(None, description="facts.md row ID, dataset row, or 'assumption: <why>'")
    note: str | None = None
    uncertain: Uncertain | None = Field(None, description="its distribution, written beside `value` "
                                        "(dist, p10, p90, ...; see fundcheck.scenario.uncertain)")

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "uncertain" in raw:
            raise ValueError("unknown field 'uncertain'; write the distribution's fields (dist, p10, p90, ...) "
                             "beside `value`")
        raw, dist = split_dist(raw)
        if not isinstance(raw, dict):
            raw = {"value": raw}
        if dist is not None:
            raw = {**raw, "uncertain": dist}
            if "value" not in raw:
                try:
                    point = parse_uncertain(dist).point()
                except (ValueError, ValidationError):
                    point = 0.0  # the distribution's own problem is reported at its field
                if point is None:
                    raise ValueError("a choice needs `value`: the central value, used by a deterministic run")
                raw["value"] = point
        if "value" in raw:
            try:
                raw = {**raw, "value": parse_amount(raw["value"])}
            except AmountTooLargeError as exc:
                raise ValueError(errors.msg_amount_too_large(exc.found, LIMITS.amount)) from None
            except ValueError:
                raise ValueError(errors.msg_bad_amount(raw["value"])) from None
        return raw


class SignedAmount(Sourced):
    """An amount that may be negative (a cash flow out)."""


class Amount(Sourced):
    """A non-negative amount."""

    @model_validator(mode="after")
    def _non_negative(self) -> Amount:
        if self.value < 0:
            raise ValueError(errors.msg_negative(self.value))
        return self


class Fraction(Sourced):
    """A share or rate between 0 and 1; '40%' is read as 0.4."""

    @model_validator(mode="after")
    def _unit_interval(self) -> Fraction:
        if not 0.0 <= self.value <= 1.0:
            raise ValueError(errors.msg_fraction(self.value))
        return self


class Delay(Sourced):
    """Months a phase's whole schedule slips on a path: a distribution (or a reference class) with point value 0.

    The point value must be 0, so a deterministic run keeps the plan's schedule (move `start` to change it)."""

    @model_validator(mode="before")
    @classmethod
    def _zero_point(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "value" not in raw:
            raw = {**raw, "value": 0}
        return raw

    @model_validator(mode="after")
    def _planned(self) -> Delay:
        if self.value != 0:
            raise ValueError(f"found value {self.value:g}; a delay's point value is 0 (the plan's schedule); "
                             "move `start` to change the plan")
        return self


class Default(_Model):
    """A partner that may stop paying: from its default month it pays no equity call and lends nothing more."""

    hazard_per_year: Fraction | None = _opt("1/yr", "constant default intensity: P(default within t years) = "
                                           "1 - exp(-h t), from the horizon start")
    probability: Fraction | None = _opt("fraction", "probability that it defaults in month `at`")
    at: Month | None = Field(None, description="the month of a dated default (with `probability`)")
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Default:
        if (self.hazard_per_year is None) == (self.probability is None):
            raise ValueError("expected exactly one of hazard_per_year and probability (with at)")
        if self.probability is not None and self.at is None:
            raise ValueError("a dated default needs `at`: the month it defaults in")
        if self.hazard_per_year is not None and self.at is not None:
            raise ValueError("`at` goes with probability; a hazard rate runs from the horizon start")
        return self


class Horizon(_Model):
    """The months the model covers, both ends included."""

    start: Month
    end: Month


class Accounting(_Model):
    """Book and tax accounting for the statements and returns (`fundcheck.finance.statements`). The liquidity
    run does not use it: taxes are computed and accrued, not paid, in this version."""

    facility_life_years: Amount | None = _opt("yr", "straight-line life of facility capex (shell, power, cooling)")
    it_life_years: Amount | None = _opt("yr", "straight-line life of IT capex (servers, GPUs, network)")
    depreciation: Literal["straight_line", "macrs"] = Field(
        "straight_line", description="straight_line over the lives above, or MACRS (half-year convention): IT "
        "as 5-year property, facility as 15-year property; book and tax depreciation are the same")
    tax_rate: Fraction | None = _opt("fraction", "corporate income tax rate on each year's taxable income")
    tax_rates: dict[str, Fraction] = Field(default_factory=dict, description="entity -> its own tax rate (0 for a "
                                           "pass-through), overriding tax_rate")
    nol_limit: Fraction | None = _opt("fraction", "share of a year's taxable income that losses carried forward "
                                      "may offset")
    discount_rate: Fraction | None = _opt("1/yr", "annual rate at which NPVs are taken")
    source: str | None = None
    note: str | None = None


class Operations(_Model):
    """Running the sites: each site's operator pays, per MW of IT online and paid for, its power (PUE x 730
    hours x the power price) and its other operating costs, from the site's first energization."""

    power_price_per_mwh: Amount | None = _opt("USD/MWh", "price of electricity")
    other_opex_per_mw_year: Amount | None = _opt("USD/MW-yr", "operations, maintenance, staff, insurance and "
                                                 "property tax per MW of IT a year")
    escalator: Fraction | None = _opt("1/yr", "annual increase of both")
    gpu_refresh_years: Amount | None = _opt("yr", "IT (servers, GPUs, network) is bought again this many years "
                                            "after each phase energized (rounded to whole months), and every as "
                                            "many years after, as new capex of its IT owner; needs gap_policy: "
                                            "defer; none: never within the horizon")
    gpu_refresh_cost_share: Fraction | None = _opt("fraction", "each refresh's cost as a share of the phase's "
                                                   "first IT capex; default 1")
    operators: dict[str, str] = Field(default_factory=dict, description="site -> the entity that runs it and pays "
                                      "its operating costs; default: the tenant of the site's one lease, else "
                                      "the site's IT owner")
    source: str | None = None
    note: str | None = None


class Defaults(_Model):
    """Program-wide unit costs used by phases that give no capex of their own."""

    facility_capex_per_mw: Amount | None = _opt("USD/MW-IT", "shell, power and cooling capex per MW of IT load")
    it_capex_per_mw: Amount | None = _opt("USD/MW-IT", "servers, GPUs and network capex per MW of IT load")
    gpus_per_mw: Amount | None = _opt("GPU/MW-IT", "GPUs installed per MW of IT load")
    pue: Amount | None = _opt("ratio", "power usage effectiveness: facility MW / IT MW")


class CashFlow(_Model):
    """An entity's own free cash flow over a span of months: positive in, negative out (a need)."""

    start: Month
    end: Month
    usd_per_year: SignedAmount | None = _opt("USD/yr", "a yearly rate, spread evenly over the months")
    usd: SignedAmount | None = _opt("USD", "a total for the whole span, spread evenly over its months")
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> CashFlow:
        if (self.usd_per_year is None) == (self.usd is None):
            raise ValueError("expected exactly one of usd_per_year and usd")
        if self.end < self.start:
            raise ValueError("the cash flow ends before it starts; expected end on or after start")
        return self

    def monthly_usd(self) -> float:
        """The amount per month of the span, USD."""
        if self.usd is not None:
            return self.usd.value / (self.end - self.start + 1)
        return self.usd_per_year.value / 12.0  # type: ignore[union-attr]


class Credit(_Model):
    """An undrawn credit line (revolver) the entity can draw from outside lenders."""

    limit: Amount = _unit("USD", "most that can be outstanding")
    rate: Fraction = _unit("1/yr", "annual interest rate on drawn amounts")
    start: Month | None = None
    end: Month | None = None
    source: str | None = None
    note: str | None = None


class Raise(_Model):
    """New money the entity can still raise from outside investors (equity or debt capacity)."""

    amount: Amount = _unit("USD", "the most it can raise over the horizon")
    start: Month | None = None
    rate: Fraction | None = _opt("1/yr", "coupon on what it has raised and not repaid, paid monthly from the "
                                 "month after; none: free money, an upper bound")
    maturity: Month | None = Field(None, description="the month everything raised is repaid (a bullet, debt); "
                                   "nothing more is raised from then on; none: not repaid within the horizon")
    source: str | None = None
    note: str | None = None


EntityKind = Literal["company", "jv", "spv", "lender", "vendor", "public", "nonprofit", "investor"]
SOURCE_WORDS = ("cash", "equity", "debt", "credit", "raise")


class Entity(_Model):
    """A party with a balance sheet and the liquidity it can pay from."""

    kind: EntityKind
    cash: Amount | None = _opt("USD", "opening cash at the horizon start")
    outside: bool | None = Field(None, description="an outside party with no modelled limit on what it can pay; "
                                 "default: true for lenders, vendors and public bodies with no cash given")
    cash_flow: list[CashFlow] = Field(default_factory=list)
    credit: Credit | None = None
    can_raise: Raise | None = None
    funding_priority: list[str] | None = Field(
        None, description="order of sources to fund needs: 'cash', 'equity', 'debt', 'credit', 'raise' or an "
        "instrument name ('equity' and 'debt' then mean the others); default: cash, equity, debt, credit, raise")
    order_of_claims: Literal["month_order", "commitments_first"] = Field(
        "month_order", description="seniority of claims on its cash: 'month_order' (the default) pays what falls "
        "due in the engine's month order (upfront investments, own costs, contract bills, debt service, capex "
        "and capital calls); 'commitments_first' holds back cash for what it still owes on its equity "
        "commitments called as needed, so its other claims see only the cash above that")
    description: str | None = None
    source: str | None = None
    note: str | None = None

    @property
    def is_outside(self) -> bool:
        """True when the party's own liquidity is not modelled (it pays whatever it is asked)."""
        if self.outside is not None:
            return self.outside
        return self.kind in ("lender", "vendor", "public") and self.cash is None


Curve = Literal["s", "linear", "front", "back"]


class Phase(_Model):
    """One stage of a site's build: its size, cost, schedule and spending curve."""

    name: Name
    it_mw: Amount = _unit("MW", "IT (critical) load")
    pue: Amount | None = _opt("ratio", "facility MW / IT MW; default from `defaults.pue`")
    gpus: Amount | None = _opt("GPU", "accelerators installed; default `defaults.gpus_per_mw` x it_mw")
    gpu: Name | None = Field(None, description="GPU generation, e.g. GB200")
    facility_capex: Amount | None = _opt("USD", "shell, power, cooling; default defaults x it_mw")
    it_capex: Amount | None = _opt("USD", "servers, GPUs, network; default defaults x it_mw")
    start: Month = Field(description="first month of construction spending")
    months: int = Field(ge=1, le=240, description="construction months over which facility capex is spent")
    curve: Curve = Field("s", description="shape of facility spending: s, linear, front or back loaded")
    # A phase may be planned to energize after the horizon end: the engine then reports it as not energized by
    # the end (and its IT capex falls outside the modelled months), just as when the default start + months or a
    # funding delay carries it past the end. Before the horizon start it cannot be: it follows `start`.
    energization: Annotated[Month, OutsideHorizon(after_end=True, why="energizes after the modelled months")] | None = (
        Field(None, description="planned first month of power; default start + months. On or after `start` and "
              "the horizon start; it may fall after the horizon end (the phase then comes online after the "
              "modelled months)"))
    it_months: int = Field(3, ge=1, le=60, description="months over which IT capex is paid from energization")
    delay: Delay | None = _opt("months", "Monte Carlo: months the whole schedule slips (a distribution or "
                               "reference class; point value 0)")
    source: str | None = None
    note: str | None = None


class Site(_Model):
    """A physical build: who owns it, who pays for its IT, and its phases."""

    owner: str = Field(description="entity that pays facility capex")
    it_owner: str | None = Field(None, description="entity that pays IT capex; default the owner")
    location: Name | None = None
    phases: list[Phase] = Field(min_length=1, description="at most 20,000 phases in all sites together")
    source: str | None = None
    note: str | None = None


class _Instrument(_Model):
    name: Name | None = Field(None, description="unique among instruments; default: made from kind, payer and payee "
                             "('construction loan Bank -> JV'), with ' #2', ' #3' for later repeats")
    from_: str = Field(alias="from", description="entity that provides the money")
    to: str = Field(description="entity that receives it")
    start: Month | None = Field(None, description="first month it can be drawn; default horizon start")
    end: Month | None = Field(None, description="last month it can be drawn; default horizon end")
    source: str | None = None
    note: str | None = None


class Equity(_Instrument):
    """An equity commitment: `from` pays up to `amount` into `to` when called, for `stake` of it."""

    kind: Literal["equity"]
    amount: Amount = _unit("USD", "committed equity")
    stake: Fraction | None = _opt("fraction", "ownership share of `to` it buys")
    call: Literal["as_needed", "upfront"] = Field(
        "as_needed", description="as_needed: called pro rata with the other equity when `to` needs money; "
        "upfront: the whole amount is paid in at `start`")


class Conversion(_Model):
    """Construction-to-term conversion at a phase's energization."""

    site: str = Field(description="the site whose energization converts the loan")
    phase: Name | None = Field(None, description="the phase whose energization converts it; default the site's "
                               "last phase")


class Covenants(_Model):
    """DSCR tests of a loan, each December from its first full calendar year of repayment: the borrower's cash
    from operations that year (leases and offtake received, own income, less leases, offtake, own and
    operating costs paid) over the debt service due that year on all its loans (interest, fees, scheduled
    principal; prepayments aside)."""

    lockup_dscr: Amount | None = _opt("ratio", "below this, cash is locked up for the next twelve months: all "
                                      "the borrower's cash at each month's end prepays this loan (a dated event)")
    default_dscr: Amount | None = _opt("ratio", "below this, an event of default (a dated event; the lenders' "
                                       "remedies are not modelled)")
    source: str | None = None


class Repayment(_Model):
    """How drawn principal is paid back after the availability window."""

    kind: Literal["amortizing", "equal_principal", "level_payment", "bullet", "sculpted"] = Field(
        "amortizing", description="amortizing or equal_principal: the same principal every month; level_payment: "
        "the same principal + interest every month (an annuity); bullet: everything at the end; sculpted: "
        "principal + interest = the borrower's base-case cash available for debt service / `dscr`, and the "
        "limit cut to the debt that cash carries")
    months: int = Field(240, ge=1, le=600, description="amortizing: months of equal principal payments after the "
                        "window ends; bullet: months after the window ends when all of it is due")
    dscr: Amount | None = _opt("ratio", "sculpted: the debt service cover ratio targeted every month (at least 1)")


LoanKind = Literal["construction_loan", "term_loan", "bridge_loan", "vendor_financing", "bond", "revolver"]


class Loan(_Instrument):
    """A loan facility: drawn up to `limit` inside its window, interest at `rate`, repaid after."""

    kind: LoanKind
    limit: Amount = _unit("USD", "most that can be outstanding, capitalised interest and fees included")
    rate: Fraction = _unit("1/yr", "annual interest rate, accrued monthly (rate / 12)")
    upfront_fee: Fraction | None = _opt("fraction", "fee on the limit, added to principal in the first month")
    commitment_fee: Fraction | None = _opt("1/yr", "annual fee on the undrawn limit inside the window")
    capitalise_interest: bool = Field(True, description="add interest to principal inside the window (IDC)")
    max_ltc: Fraction | None = _opt("fraction", "loan-to-cost cap: the borrower's total loan principal "
                                     "(all its facilities) at most this share of its capex spent so far")
    draw: Literal["as_needed", "upfront"] = Field("as_needed", description="upfront: the whole limit is drawn at "
                                                  "start (a bond); as_needed: drawn when the borrower needs it")
    repay: Repayment = Field(default_factory=Repayment)
    sweep: Fraction | None = _opt("fraction", "cash sweep: the share of the borrower's cash at each month's end, "
                                  "from the month after the window, that prepays this loan (latest instalments "
                                  "first)")
    covenants: Covenants | None = Field(None, description="DSCR lock-up and default tests (dated events)")
    reserve_months: int | None = Field(None, ge=1, le=60, description="debt-service reserve account: after each "
                                       "month's debt service the borrower sets aside this many months of the "
                                       "loan's scheduled service (interest, fees, principal) from its cash, for "
                                       "debt service only")
    convert_at: Conversion | None = Field(
        None, description="construction-to-term conversion: drawing stops the month before this phase energizes "
        "on the path (or at `end`, if that is earlier) and repayment starts in the month it energizes; a phase "
        "that never energizes converts the loan at `end`")
    refinances: str | None = Field(
        None, description="name of a loan of the same borrower that this one refinances: inside its window it "
        "is drawn only to repay that loan's principal as it falls due (up to its limit), paid straight to that "
        "loan's lender, and it is never in the borrower's funding order. What it cannot cover stays due from the "
        "borrower")


class Lease(_Model):
    """A tenant pays a landlord per MW of a site's IT load online, from energization, for `term_years`."""

    kind: Literal["lease"]
    name: Name | None = Field(None, description="unique among contracts; default: made from kind, parties and site, "
                             "with ' #2', ' #3' for later repeats")
    tenant: str
    landlord: str
    site: str
    rate_per_mw_month: Amount = _unit("USD/MW-month", "rent per MW of IT load online")
    bill: Literal["funded_it", "built"] = Field(
        "funded_it", description="funded_it: bill only the IT capacity whose IT capex is paid (a hall with a "
        "third of its GPUs bills a third); built: every energized MW, GPUs or not")
    term_years: float = Field(gt=0, le=60)
    escalator: Fraction | None = _opt("1/yr", "annual rent increase")
    source: str | None = None
    note: str | None = None


class Offtake(_Model):
    """A buyer pays a seller for compute: per MW or GPU-hour of a site online, or a fixed amount a year."""

    kind: Literal["offtake"]
    name: Name | None = Field(None, description="unique among contracts; default: made from kind, parties and site, "
                             "with ' #2', ' #3' for later repeats")
    buyer: str
    seller: str
    site: str | None = Field(None, description="site whose capacity is bought; none for a fixed-price contract")
    rate_per_mw_month: Amount | None = _opt("USD/MW-month", "price per MW of the site's IT load online")
    bill: Literal["funded_it", "built"] = Field(
        "funded_it", description="per MW: funded_it bills only IT capacity whose IT capex is paid; built bills "
        "every energized MW")
    rate_per_gpu_hour: Amount | None = _opt("USD/GPU-hour", "price per GPU-hour of the site's GPUs online")
    utilization: Fraction | None = _opt("fraction", "share of GPU-hours billed; default 1")
    usd_per_year: Amount | None = _opt("USD/yr", "fixed payments from `start`, spread evenly over months")
    start: Month | None = Field(None, description="first month billed; default the site's first energization")
    term_years: float = Field(gt=0, le=60)
    escalator: Fraction | None = _opt("1/yr", "annual price increase")
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_price(self) -> Offtake:
        prices = [p for p in ("rate_per_mw_month", "rate_per_gpu_hour", "usd_per_year") if getattr(self, p)]
        if len(prices) != 1:
            raise ValueError("expected exactly one of rate_per_mw_month, rate_per_gpu_hour, usd_per_year; "
                             f"found {len(prices)}" + (f" ({', '.join(prices)})" if prices else ""))
        if self.usd_per_year is None and self.site is None:
            raise ValueError("a price per MW or per GPU-hour needs `site`; expected a site name")
        if self.usd_per_year is not None and self.start is None and self.site is None:
            raise ValueError("a fixed-price offtake needs `start` or `site`")
        return self


class Alternative(_Model):
    """A documented alternative to a central value, to compare with `--alt NAME` or sample later."""

    name: Name
    description: str
    source: str
    set: dict[str, Any] = Field(default_factory=dict, description="scenario paths (dotted) and the values "
                                "they take under this alternative; empty for a structural alternative")


class Hurdle(_Model):
    """A return target: an IRR (annual, effective) or a multiple of capital."""

    irr: Fraction | None = _opt("1/yr", "internal rate of return to reach")
    multiple: Amount | None = _opt("x", "total received / capital to reach")

    @model_validator(mode="after")
    def _one(self) -> Hurdle:
        if (self.irr is None) == (self.multiple is None):
            raise ValueError("expected exactly one of irr and multiple")
        return self


TierKind = Literal["return_of_capital", "preferred_return", "catch_up", "split"]


class TierSpec(_Model):
    """One tier of a distribution waterfall."""

    kind: TierKind
    investors: list[str] | None = Field(None, description="parties the tier tests and pays; default: every "
                                        "party except the catch-up party and the beneficiary")
    until: Hurdle | None = Field(None, description="preferred_return: the hurdle; split: optional ceiling")
    gp: str | None = Field(None, description="catch_up: the party catching up")
    gp_share: Fraction | None = _opt("fraction", "catch_up: share of the tier to the GP (1 = full catch-up)")
    carry: Fraction | None = _opt("fraction", "catch_up: the GP's target share of profit")
    shares: dict[str, Fraction] = Field(default_factory=dict, description="split: named parties' shares; "
                                        "the rest goes to the investors")
    by: Literal["capital", "stake"] = Field("capital", description="how investors share their part of a split")
    source: str | None = None
    note: str | None = None


class Exit(_Model):
    """A distribution: `value` paid out in `month`."""

    month: Month
    value: Amount = _unit("USD", "amount distributed")
    source: str | None = None


class Deal(_Model):
    """One deal of an American (deal-by-deal) waterfall: its own capital and its own exit."""

    name: Name
    contributions: dict[str, Amount] = Field(description="party -> capital put into this deal")
    start: Month = Field(description="month the capital goes in")
    exit: Exit
    source: str | None = None


class WaterfallSpec(_Model):
    """How an entity's distributions are shared: tiers, caps and where capped excess goes."""

    style: Literal["european", "american"] = "european"
    parties: list[str]
    tiers: list[TierSpec] = Field(min_length=1)
    caps: dict[str, Amount] = Field(default_factory=dict, description="party -> cap as a multiple of its "
                                    "capital; receipts above it go to the beneficiary")
    beneficiary: str | None = None
    exit: Exit | None = Field(None, description="the distribution to model (european); --exit-value overrides")
    deals: list[Deal] = Field(default_factory=list, description="american: the deals")
    source: str | None = None
    note: str | None = None


Quota = Annotated[str | float, Field(description="'majority' (more than half), 'unanimous', a share such as "
                                     "'2/3', '75%' or 0.75 (at least that share), or a whole number of votes")]


class BodySpec(_Model):
    """A decision-making body: who votes with what weight, and what it takes to decide."""

    name: Name
    weights: Literal["stake", "seats"] | dict[str, Amount] = Field(
        "stake", description="stake: ownership; seats: board seats shared out by stake; or fixed votes")
    seats: int | None = Field(None, ge=1, le=1000, description="weights: seats: number of seats")
    quota: Quota = "majority"
    source: str | None = None
    note: str | None = None


class MatterSpec(_Model):
    """A kind of decision: the bodies that must all approve it and the parties that can veto it."""

    name: Name
    bodies: list[str] = Field(min_length=1)
    vetoes: list[str] = Field(default_factory=list)
    source: str | None = None
    note: str | None = None


class GovernanceSpec(_Model):
    """Who controls an entity, and how stakes move when capital calls are paid or missed."""

    dilution: Literal["none", "pro_rata", "punitive"] = Field(
        "pro_rata", description="none: stakes as committed; pro_rata: stakes follow the share of each "
        "commitment paid; punitive: a missed dollar costs `punitive_factor` dollars of credited capital")
    punitive_factor: Amount | None = _opt("x", "punitive dilution factor (default 2)")
    chair: str | None = None
    bodies: list[BodySpec] = Field(min_length=1)
    matters: list[MatterSpec] = Field(min_length=1)
    source: str | None = None
    note: str | None = None


class RateShift(_Model):
    """An interest-rate path: from `start`, the annual rate of the loans moves by `annual` (one draw per path,
    common to the loans it applies to)."""

    start: Month = Field(description="first month of the new rate")
    annual: SignedAmount = _unit("1/yr", "change in the annual rate, e.g. {dist: normal, mean: 0, sd: 1%}")
    loans: list[str] | None = Field(None, description="instrument names; default every loan (credit lines too)")
    source: str | None = None
    note: str | None = None


class UncertaintySpec(_Model):
    """Monte Carlo options of the program: a default phase delay, a rate path, dates for shortfall
    probabilities."""

    phase_delay: Delay | None = _opt("months", "the delay of every phase that gives none of its own (drawn "
                                     "independently per phase)")
    rate_shift: RateShift | None = None
    defaults: dict[str, Default] = Field(default_factory=dict, description="entity -> its default: a hazard rate "
                                         "or a dated probability (its equity calls and loans stop from that month)")
    dates: list[Month] = Field(default_factory=list, description="months at which to report P(short by then)")
    source: str | None = None
    note: str | None = None


class Correlations(_Model):
    """Rank (Spearman) correlations between named uncertain inputs."""

    inputs: list[str] = Field(min_length=2, max_length=1000, description="input names (their `name:` or path)")
    matrix: list[list[float]] = Field(description="rank correlation matrix, one row and column per input")
    copula: Literal["gaussian", "t", "iman-conover"] = Field(
        "gaussian", description="gaussian: Gaussian copula; t: Student t copula (tail dependence, `df`); "
        "iman-conover: rank reordering of independent samples")
    df: int = Field(4, ge=1, le=1000, description="t copula: degrees of freedom (lower: more tail dependence)")
    source: str | None = None
    note: str | None = None


Instrument = Annotated[Equity | Loan, Field(discriminator="kind")]
Contract = Annotated[Lease | Offtake, Field(discriminator="kind")]


class Scenario(_Model):
    """A whole program: its parties, builds, money and contracts, with a source on every number."""

    program: Name
    description: str | None = None
    horizon: Horizon = Field(description="at most 1,200 months (100 years) from start to end")
    gap_policy: Literal["defer", "record"] = Field(
        "defer", description="defer: unfunded capex moves to the next month and energization slips; "
        "record: build on schedule and record the gap")
    capex_shortfall: Literal["file_order", "pro_rata"] = Field(
        "file_order", description="how an owner short of money in a month spreads what it found over the capex "
        "its phases are due: file_order pays its phases in file order (facility before IT), so the earliest "
        "finish first; pro_rata pays each of its phases the same share of its due, so all slip together")
    defaults: Defaults = Field(default_factory=Defaults)
    accounting: Accounting = Field(default_factory=Accounting)
    operations: Operations | None = None
    entities: dict[str, Entity] = Field(description="at most 2,000, each name at most 200 characters")
    sites: dict[str, Site] = Field(default_factory=dict, description="at most 2,000")
    instruments: list[Instrument] = Field(default_factory=list, description="at most 10,000")
    contracts: list[Contract] = Field(default_factory=list, description="at most 10,000")
    waterfalls: dict[str, WaterfallSpec] = Field(default_factory=dict, description="distributing entity -> "
                                                 "its waterfall")
    governance: dict[str, GovernanceSpec] = Field(default_factory=dict, description="entity -> its governance")
    alternatives: list[Alternative] = Field(default_factory=list, description="at most 100")
    uncertainty: UncertaintySpec | None = None
    correlations: Correlations | None = None
    _origin: str = PrivateAttr("<scenario>")
    _applied: tuple[str, ...] = PrivateAttr(())

    def instrument_name(self, index: int) -> str:
        """The name of the instrument at `index` (see ``instrument_names``)."""
        return self.instrument_names()[index]

    def instrument_names(self) -> list[str]:
        """Every instrument's name in file order: its own `name`, or one made from kind, payer and payee.

        A made name that an earlier instrument's made name already took gets " #2", " #3", ... in file order, so
        unnamed instruments between the same parties stay apart; the first keeps the plain name. The loader
        rejects a scenario in which two instruments still share a name.
        """
        return _numbered([(ins.name, f"{ins.kind.replace('_', ' ')} {ins.from_} -> {ins.to}")
                          for ins in self.instruments])

    def contract_name(self, index: int) -> str:
        """The name of the contract at `index` (see ``contract_names``)."""
        return self.contract_names()[index]

    def contract_names(self) -> list[str]:
        """Every contract's name in file order: its own `name`, or one made from kind and parties (and site),
        numbered " #2", " #3", ... like ``instrument_names``."""
        made = []
        for c in self.contracts:
            if isinstance(c, Lease):
                made.append((c.name, f"lease {c.tenant} -> {c.landlord} ({c.site})"))
            else:
                made.append((c.name, f"offtake {c.buyer} -> {c.seller}" + (f" ({c.site})" if c.site else "")))
        return _numbered(made)


def _numbered(items: list[tuple[str | None, str]]) -> list[str]:
    """Names from (own name or None, made name) pairs: own names as given, repeated made names numbered."""
    seen: dict[str, int] = {}
    out = []
    for own, made in items:
        if own:
            out.append(own)
            continue
        seen[made] = seen.get(made, 0) + 1
        out.append(made if seen[made] == 1 else f"{made} #{seen[made]}")
    return out
