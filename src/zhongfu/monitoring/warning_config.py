"""The dated configuration of warnings: how long each tier has, which policies find people, which signals
say an enrolled household may no longer qualify. Every figure is an (unverified default) for the city to
confirm; a new version is added with its own `valid_from`, never by editing an old one, so a warning keeps
the rule in force on the day it was raised."""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class WarningConfig:
    valid_from: dt.date
    note: str
    # Working days from the day a warning is raised to the day it is due (zhongfu.workdays).
    due_working_days: dict[str, int]
    # The tier of a warning that is not a risk score: the household's own risk tier when more urgent.
    kind_tier: dict[str, str]
    # Cash policies that find people: eligible with no approved or open case → a warning.
    finds_people: tuple[str, ...]
    # Signal inputs (inputs.INPUTS) that make an enrolled household's eligibility doubtful (DOMAIN_RULES.md:
    # death, vehicles, company roles, property), each with the feed it comes from.
    no_longer_signals: dict[str, str]
    # Duplicate aid (duplicates.py): a household paid by at least `duplicate_aid_min_units` distinct units within
    # the `duplicate_aid_window_days` up to the run's date, counting the sources named here ("funds": the units'
    # disbursements from their fund accounts; "payments": the paid lines of the monthly payment rolls).
    duplicate_aid_window_days: int
    duplicate_aid_min_units: int
    duplicate_aid_sources: tuple[str, ...]
    # Sources whose payments alone never make a candidate: the payment rolls pay the catalogue's policies, whose
    # exclusions and precedence already decide how they combine; at least one payment must come from elsewhere.
    duplicate_aid_not_alone: tuple[str, ...]
    # Codes that name the same unit in both sources (funds use accounts.Unit codes, payment lines the policy's
    # responsible unit): a bureau paying 低保 and disbursing from its own fund is one unit, not two.
    duplicate_aid_same_unit: dict[str, str]
    # At most this many payments are listed in the explanation (the rest are counted in a last line).
    duplicate_aid_max_lines: int


VERSIONS: tuple[WarningConfig, ...] = (
    WarningConfig(
        valid_from=dt.date(2024, 1, 1),
        note=(
            "(unverified default): red 3, orange 7, yellow 15 working days; kinds' tiers and policies as listed; "
            "duplicate aid: 2 or more units within 90 days"
        ),
        due_working_days={"red": 3, "orange": 7, "yellow": 15},
        kind_tier={"eligible_not_enrolled": "yellow", "no_longer_qualifying": "orange", "duplicate_aid": "yellow"},
        finds_people=(
            "extreme_poverty",
            "dibao",
            "marginal",
            "expenditure_poverty",
            "disabled_separate_cover",
            "disability_living_allowance",
            "disability_care_allowance",
        ),
        no_longer_signals={
            "member_deaths_12m": "public_security",
            "company_role_members": "market_regulation",
            "registered_vehicles": "vehicles",
            "property_purchases_12m": "property",
        },
        duplicate_aid_window_days=90,
        duplicate_aid_min_units=2,
        duplicate_aid_sources=("funds", "payments"),
        duplicate_aid_not_alone=("payments",),
        duplicate_aid_same_unit={
            "civil-affairs": "civil_affairs",
            "trade-union": "trade_union",
            "womens-federation": "women_federation",
            "disabled-federation": "disabled_federation",
            "red-cross": "red_cross",
            "youth-league": "youth_league",
            "charity-federation": "charity_federation",
        },
        duplicate_aid_max_lines=12,
    ),
)

TIER_ORDER = ("red", "orange", "yellow")  # most urgent first


def warning_config(on: dt.date) -> WarningConfig:
    """The version in force on `on` (the latest `valid_from` not after it; the first before any)."""
    in_force = [v for v in VERSIONS if v.valid_from <= on]
    return max(in_force, key=lambda v: v.valid_from) if in_force else VERSIONS[0]


def more_urgent(a: str | None, b: str | None) -> str | None:
    tiers = [t for t in (a, b) if t]
    return min(tiers, key=TIER_ORDER.index) if tiers else None
