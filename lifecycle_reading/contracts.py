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
