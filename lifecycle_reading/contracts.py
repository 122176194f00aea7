"""The raw contracts of METRICS.md §1 (and later sources): the columns a file must or may carry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Contract:
    """A raw source's columns, in order, each required or optional; `name` is used in messages and vars."""

    name: str
    columns: tuple[tuple[str, bool], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column for column, _ in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column for column, required in self.columns if required)


# Metadata every raw table carries before the contract's columns.
LINE_COLUMNS = ("source_file", "source_line_number", "raw_line", "malformed_reason")

CONTRACTS = {
    "orders": Contract(
        name="orders",
        columns=(
            ("order_id", True),
            ("customer_id", True),
            ("ordered_at", True),
            ("status", False),
            ("amount", True),
            ("refunded_amount", False),
            ("updated_at", False),
        ),
    ),
    # METRICS.md §10: one row per contact of a customer by a campaign (optional source, var campaign_touches_path).
    "campaign_touches": Contract(
        name="campaign_touches",
        columns=(
            ("touch_id", True),
            ("campaign_id", True),
            ("customer_id", True),
            ("touched_at", True),
            ("channel", False),
            ("is_control", False),
            ("cost", False),
        ),
    ),
}

# The loyalty programme (METRICS.md §9): two optional sources, read like orders, each with vars of its own
# (loyalty_members_path / _columns / _encoding / _timezone, the same for loyalty_events).
CONTRACTS["loyalty_members"] = Contract(
    name="loyalty_members",
    columns=(
        ("customer_id", True),
        ("enrolled_at", True),
        ("left_at", False),
    ),
)
CONTRACTS["loyalty_events"] = Contract(
    name="loyalty_events",
    columns=(
        ("event_id", True),
        ("customer_id", True),
        ("occurred_at", True),
        ("event_type", True),
        ("points", True),
    ),
)
