"""The reading layer: real exports in (encodings, column maps, time zones, odd spellings), every line accounted for.

Each fixture under tests/fixtures/reading/ is one kind of input with its asserted outcome, written here by hand
(spellings.csv carries its own expected_* columns, also written by hand). The builds run the staging models only,
through `dbt build`, so the plugin, the parsing macros and the staging tests are all exercised.
"""

from __future__ import annotations

import csv
import os
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROJECT_DIR, DbtBuildError, query, run_dbt
from lifecycle_reading.contracts import CONTRACTS
from lifecycle_reading.files import InputError, ReadOptions, read_batches

FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "reading"
STAGING = ["--select", "staging", "--indirect-selection", "cautious"]
CHINESE_COLUMNS = {
    "order_id": "订单编号",
    "customer_id": "买家会员名",
    "ordered_at": "订单创建时间",
    "status": "订单状态",
    "amount": "买家实际支付金额",
    "refunded_amount": "退款金额",
}
EXAMPLES = int(os.environ.get("LIFECYCLE_HYPOTHESIS_EXAMPLES", "12"))


def build_staging(tmp_path: Path, orders_path: Path | str, **dbt_vars) -> tuple[Path, list[str]]:
    """`dbt build` of the staging models (and their tests) on one file; returns the database and the log lines."""
    db_path = tmp_path / "reading.duckdb"
    messages: list[str] = []
    run_dbt(["build", *STAGING], db_path, {"orders_path": str(orders_path), "metrics_as_of": "2030-01-01", **dbt_vars},
            callbacks=[lambda event: messages.append(event.info.msg)])
    return db_path, messages


def outcomes(db_path: Path) -> dict[int, dict]:
    """Every raw line's outcome by line number: 'valid', 'superseded' or the rejection reason."""
    rows = query(db_path, """
        select
            versions.source_line_number,
            versions.order_id,
            versions.ordered_at,
            versions.amount,
            versions.raw_line,
            case
                when orders.order_id is not null then 'valid'
                when versions.is_superseded then 'superseded'
                else rejected.reason
            end as outcome
        from base_shop__order_versions as versions
        left join stg_shop__orders as orders
            on versions.order_id = orders.order_id and not versions.is_superseded
        left join stg_shop__rejected_orders as rejected
            on versions.source_file = rejected.source_file and versions.source_line_number = rejected.source_line_number
    """)
    return {row["source_line_number"]: row for row in rows}


def reconciliation(db_path: Path) -> dict:
    return query(db_path, """
        select
            (select count(*) from base_shop__order_versions) as raw_rows,
            (select count(*) from stg_shop__orders) as valid_rows,
            (select count(*) from base_shop__order_versions where is_superseded) as superseded_rows,
            (select count(*) from stg_shop__rejected_orders) as rejected_rows
    """)[0]


# --- Every spelling of timestamps and amounts (the README's bad-input table) ------------------------------------


@pytest.fixture(scope="module")
def spellings_db(tmp_path_factory) -> Path:
    db_path, _ = build_staging(tmp_path_factory.mktemp("spellings"), FIXTURES / "spellings.csv")
    return db_path


def spelling_rows() -> list[tuple[int, dict]]:
    with (FIXTURES / "spellings.csv").open(newline="", encoding="utf-8") as handle:
        return [(index + 2, row) for index, row in enumerate(csv.DictReader(handle))]


@pytest.mark.parametrize(("line", "row"), spelling_rows(), ids=lambda value: str(value)[:40])
def test_each_spelling_has_its_outcome(spellings_db, line, row):
    actual = outcomes(spellings_db)[line]
    assert actual["outcome"] == row["expected_outcome"], (row["ordered_at"], row["amount"])
    if row["expected_outcome"] == "valid":
        assert actual["ordered_at"] == datetime.fromisoformat(row["expected_ordered_at_utc"])
        assert actual["amount"] == Decimal(row["expected_amount"])


def test_spellings_reconcile(spellings_db):
    counts = reconciliation(spellings_db)
    expected = [row["expected_outcome"] for _, row in spelling_rows()]
    assert counts == {
        "raw_rows": 76,
        "valid_rows": expected.count("valid"),
        "superseded_rows": expected.count("superseded"),
        "rejected_rows": 76 - expected.count("valid") - expected.count("superseded"),
    }
    assert expected.count("valid") == 36 and expected.count("superseded") == 3


def test_readme_bad_input_table_matches_the_fixture():
    """Every spelling the README's table lists has the outcome the fixture asserts, and every reason staging can
    give is in the table."""
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Bad input", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    fixture: dict[tuple[str, str], set[str]] = {}
    for _, row in spelling_rows():
        for column in ("ordered_at", "amount", "refunded_amount"):
            fixture.setdefault((column, row[column].strip()), set()).add(row["expected_outcome"])
    listed = 0
    for line in table:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        spellings = [part.strip("` ") for part in cells[0].split("`, `")]
        column = cells[1].split(",")[0].strip()
        outcome = cells[-1]
        expected = "valid" if outcome.startswith("read") else outcome.split("`")[1]
        for spelling in spellings:
            if (column, spelling) in fixture:
                listed += 1
                assert expected in fixture[(column, spelling)], (spelling, outcome, fixture[(column, spelling)])
    assert listed >= 40
    reasons_yml = (PROJECT_DIR / "models" / "staging" / "shop" / "_shop__models.yml").read_text()
    reasons = reasons_yml.split("- name: reason", 1)[1].split("values:", 1)[1].split("- name:", 1)[0]
    for reason in [line.strip("- ").strip() for line in reasons.splitlines() if line.strip().startswith("- ")]:
        assert f"`{reason}`" in section, f"README bad-input table lacks the reason {reason!r}"


# --- One fixture per kind of file -------------------------------------------------------------------------------


def test_gb18030_export_with_chinese_headers(tmp_path):
    """Excel on Chinese Windows: GB18030, Chinese headers mapped by orders_columns, Beijing times without offset,
    thousands separators and currency signs, Chinese statuses, an unmapped address column with a quoted comma."""
    db_path, _ = build_staging(
        tmp_path, FIXTURES / "gb18030_chinese_headers.csv",
        orders_encoding="gb18030", orders_timezone="Asia/Shanghai", orders_columns=CHINESE_COLUMNS,
        counted_order_statuses=["交易成功", "卖家已发货"],
    )
    got = {line: (row["order_id"], row["outcome"], row["ordered_at"], row["amount"])
           for line, row in outcomes(db_path).items()}
    assert got == {
        # 17:38 in Beijing is 09:38 UTC: October, not November
        2: ("T1001", "valid", datetime(2025, 10, 31, 9, 38), Decimal("1299")),
        # 07:30 on 1 March in Beijing is still 29 February in UTC
        3: ("T1002", "valid", datetime(2024, 2, 29, 23, 30), Decimal("88.5")),
        4: ("T1003", "status not counted", datetime(2024, 3, 5, 6, 22, 1), Decimal("100")),
        # an explicit offset wins over orders_timezone
        5: ("T1004", "valid", datetime(2024, 3, 5, 6, 22, 1), Decimal("1299")),
        6: ("T1005", "unparseable ordered_at", None, Decimal("10")),
    }
    customers = query(db_path, "select customer_id from stg_shop__orders order by order_id")
    assert [row["customer_id"] for row in customers] == ["张三", "李四", "赵六"]


def test_typed_parquet_columns_are_read_as_they_are(tmp_path):
    """A Parquet export keeps its types: naive timestamps are wall-clock time in orders_timezone, a timestamp with
    time zone is an instant, numbers are amounts without a text round trip (NaN and infinities unparseable, 10^14
    and more out of range), and only a repeated order_id is ranked among its versions."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def local(text: str) -> datetime:
        return datetime.fromisoformat(text)

    def instant(text: str) -> datetime:
        return datetime.fromisoformat(text)  # with its offset: an aware datetime

    table = pa.table({
        "order_id": ["P1", "P2", "P2", "P2", "P3", "P4", "P5", "P6"],
        "customer_id": ["c1", "c2", "c2", "c2", "c3", "c4", "c5", "c6"],
        "ordered_at": pa.array([local("2025-10-31 17:38:00"), local("2024-03-01 07:30:00"),
                                local("2024-03-01 07:30:00"), local("2024-03-01 07:30:00"),
                                local("2024-05-05 12:00:00"), local("2024-05-05 12:00:00"),
                                local("2024-05-05 12:00:00"), local("2024-05-05 12:00:00")], pa.timestamp("us")),
        "status": ["completed"] * 8,
        "amount": pa.array([1299.0, 10.0, 20.0, 30.0, float("nan"), float("inf"), 1e15, 88.5], pa.float64()),
        "updated_at": pa.array([None, instant("2024-03-02 09:00:00+08:00"), instant("2024-03-02 02:00:00+00:00"),
                                instant("2024-03-01 18:00:00-08:00"), None, None, None, None],
                               pa.timestamp("us", tz="UTC")),
    })
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    db_path, _ = build_staging(tmp_path, path, orders_timezone="Asia/Shanghai")
    got = {line: (row["order_id"], row["outcome"], row["ordered_at"], row["amount"])
           for line, row in outcomes(db_path).items()}
    assert got == {
        # 17:38 in Beijing is 09:38 UTC
        1: ("P1", "valid", datetime(2025, 10, 31, 9, 38), Decimal("1299")),
        # three versions: updated 01:00 UTC, 02:00 UTC and 02:00 UTC (18:00 at -08:00): a tie, the later row wins
        2: ("P2", "superseded", datetime(2024, 2, 29, 23, 30), Decimal("10")),
        3: ("P2", "superseded", datetime(2024, 2, 29, 23, 30), Decimal("20")),
        4: ("P2", "valid", datetime(2024, 2, 29, 23, 30), Decimal("30")),
        5: ("P3", "unparseable amount", datetime(2024, 5, 5, 4, 0), None),
        6: ("P4", "unparseable amount", datetime(2024, 5, 5, 4, 0), None),
        7: ("P5", "amount out of range", datetime(2024, 5, 5, 4, 0), None),
        8: ("P6", "valid", datetime(2024, 5, 5, 4, 0), Decimal("88.5")),
    }


def test_typed_parquet_values_keep_their_text_where_a_row_is_rejected(tmp_path):
    """A typed value is cast to text only where the row is rejected: by a rule (in the base table) or, for an order
    placed at or after metrics_as_of, from its raw line (in the rejected-orders view); a valid order keeps none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "order_id": ["T1", "T2", "T3"],
        "customer_id": ["c1", "c2", "c3"],
        "ordered_at": pa.array([datetime(2024, 5, 5, 12, 0), datetime(2024, 5, 6, 8, 15, 30),
                                datetime(2025, 2, 1, 9, 0)], pa.timestamp("us")),
        "status": ["completed"] * 3,
        "amount": pa.array([Decimal("12.50"), Decimal("-3.00"), Decimal("40.25")], pa.decimal128(10, 2)),
        "updated_at": pa.array([None, None, datetime(2025, 2, 2, 10, 0)], pa.timestamp("us")),
    })
    path = tmp_path / "typed_texts.parquet"
    pq.write_table(table, path)
    db_path, _ = build_staging(tmp_path, path, metrics_as_of="2025-01-01")
    base = query(db_path, """
        select order_id, ordered_at_text, amount_text, updated_at_text
        from base_shop__order_versions order by order_id""")
    assert base == [
        {"order_id": "T1", "ordered_at_text": None, "amount_text": None, "updated_at_text": None},
        {"order_id": "T2", "ordered_at_text": "2024-05-06 08:15:30", "amount_text": "-3.00", "updated_at_text": None},
        {"order_id": "T3", "ordered_at_text": None, "amount_text": None, "updated_at_text": None},
    ]
    rejected = query(db_path, """
        select order_id, reason, ordered_at_text, amount_text, refunded_amount_text, updated_at_text
        from stg_shop__rejected_orders order by order_id""")
    assert rejected == [
        {"order_id": "T2", "reason": "negative amount", "ordered_at_text": "2024-05-06 08:15:30",
         "amount_text": "-3.00", "refunded_amount_text": None, "updated_at_text": None},
        {"order_id": "T3", "reason": "not before metrics_as_of", "ordered_at_text": "2025-02-01 09:00:00",
         "amount_text": "40.25", "refunded_amount_text": None, "updated_at_text": "2025-02-02 10:00:00"},
    ]


def test_gb18030_read_as_utf8_names_the_encoding_var(tmp_path):
    with pytest.raises(DbtBuildError) as failure:
        build_staging(tmp_path, FIXTURES / "gb18030_chinese_headers.csv", orders_columns=CHINESE_COLUMNS)
    assert "is not valid utf-8; set var orders_encoding" in str(failure.value)


def test_a_mapped_header_that_is_not_in_the_file_is_named(tmp_path):
    with pytest.raises(DbtBuildError) as failure:
        build_staging(tmp_path, FIXTURES / "gb18030_chinese_headers.csv", orders_encoding="gbk",
                      orders_columns={**CHINESE_COLUMNS, "order_id": "订单号"})
    assert "orders_columns maps order_id to '订单号', which is not a header of" in str(failure.value)


@pytest.mark.parametrize(("name", "encoding"), [("utf16_bom.csv", "utf-16"), ("utf8_bom.csv", "utf-8")])
def test_utf16_and_bom(tmp_path, name, encoding):
    db_path, _ = build_staging(tmp_path, FIXTURES / name, orders_encoding=encoding)
    got = {line: (row["order_id"], row["outcome"]) for line, row in outcomes(db_path).items()}
    # U2's amount has an unquoted thousands separator: one field too many.
    assert got == {2: ("U1", "valid"), 3: (None, "wrong number of fields")}
    assert query(db_path, "select customer_id from stg_shop__orders") == [{"customer_id": "客户甲"}]
    assert outcomes(db_path)[3]["raw_line"] == "U2,Zoë,2024-05-02 09:30:00,¥1,299.00"


def test_crlf_quoted_newlines_ragged_and_repeated_header(tmp_path):
    db_path, messages = build_staging(tmp_path, FIXTURES / "crlf_quoted_ragged_repeated.csv")
    got = {line: (row["order_id"], row["outcome"], row["amount"]) for line, row in outcomes(db_path).items()}
    assert got == {
        2: ("A1", "valid", Decimal("10")),
        3: ("A2", "valid", Decimal("1200.5")),  # its note spans lines 3 and 4
        5: (None, "wrong number of fields", None),
        6: (None, "wrong number of fields", None),
        7: (None, "blank line", None),
        8: (None, "repeated header line", None),
        9: ("A5", "valid", Decimal("11")),  # lines 9 to 11
        12: ("A6", "valid", Decimal("12")),
    }
    assert outcomes(db_path)[3]["raw_line"] == (
        'A2,c2,2024-01-06 10:00,completed,"1,200.50","a note, with a comma\r\nand a line break"'
    )
    assert reconciliation(db_path) == {"raw_rows": 8, "valid_rows": 4, "superseded_rows": 0, "rejected_rows": 4}
    # Said out loud: the summary line, and the warn-severity test with the count and the top reasons.
    summary = ("4 of 8 raw rows rejected (wrong number of fields 2; blank line 1; repeated header line 1)"
               " -> stg_shop__rejected_orders")
    assert summary in messages
    assert any(message.startswith("WARN rejected rows above rejected_rows_warn_share (0.01): " + summary)
               for message in messages)


def test_rejected_share_under_the_var_does_not_warn(tmp_path):
    _, messages = build_staging(tmp_path, FIXTURES / "crlf_quoted_ragged_repeated.csv", rejected_rows_warn_share=0.5)
    assert not any(message.startswith("WARN rejected rows") for message in messages)


@pytest.mark.parametrize(("name", "message"), [
    ("empty.csv", "is empty: it has no header line"),
    ("header_only.csv", "has a header but no rows"),
])
def test_empty_and_header_only_files_stop_with_one_line(tmp_path, name, message):
    with pytest.raises(DbtBuildError) as failure:
        build_staging(tmp_path, FIXTURES / name)
    text = str(failure.value)
    assert message in text
    line = next(line for line in text.splitlines() if message in line)
    assert str(FIXTURES / name) in line


# --- The reader alone, and random messy files ---------------------------------------------------------------


def read_all(path: Path, **options) -> list[dict]:
    schema, batches = read_batches(ReadOptions(contract=CONTRACTS["orders"], path=str(path), **options))
    rows = []
    for batch in batches:
        rows.extend(batch.to_pylist())
    return rows


def test_reader_keeps_unmapped_columns_out_and_numbers_lines():
    rows = read_all(FIXTURES / "crlf_quoted_ragged_repeated.csv")
    assert [row["source_line_number"] for row in rows] == [2, 3, 5, 6, 7, 8, 9, 12]
    assert "note" not in rows[0]
    assert rows[1]["amount"] == "1,200.50"


def test_reader_rejects_an_unknown_encoding_and_a_mixed_glob(tmp_path):
    with pytest.raises(InputError, match="orders_encoding 'ebcdic' is not supported"):
        read_all(FIXTURES / "utf8_bom.csv", encoding="ebcdic")
    (tmp_path / "a.csv").write_text("order_id,customer_id,ordered_at,amount\n1,c,2024-01-01,1\n")
    (tmp_path / "b.parquet").write_bytes(b"")
    with pytest.raises(InputError, match="mixes CSV and Parquet"):
        read_all(tmp_path / "*")


def test_reading_parquet_holds_a_few_row_groups_not_the_file(tmp_path):
    """A large Parquet export streams: while its batches are read, Arrow holds a few row groups, not every row group
    read so far (pyarrow's pre-buffering kept them all: 1.7 GB of a 98M-line file, 4.2 GB for the build's load)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    lines, group_lines = 1_000_000, 10_000
    pq.write_table(pa.table({
        "order_id": [f"o{number}" for number in range(lines)],
        "customer_id": [f"c{number % 50_000}" for number in range(lines)],
        "ordered_at": pa.array(range(lines), pa.int64()).cast(pa.timestamp("s")),
        "status": ["completed"] * lines,
        "amount": pa.array(range(lines), pa.float64()),
    }), tmp_path / "orders.parquet", row_group_size=group_lines)
    metadata = pq.ParquetFile(tmp_path / "orders.parquet").metadata
    group_bytes = max(metadata.row_group(index).total_byte_size for index in range(metadata.num_row_groups))
    _, batches = read_batches(ReadOptions(CONTRACTS["orders"], str(tmp_path / "orders.parquet"), batch_rows=group_lines))
    before, peak, read = pa.total_allocated_bytes(), 0, 0
    for batch in batches:
        read += batch.num_rows
        peak = max(peak, pa.total_allocated_bytes() - before)
        del batch
    assert read == lines and metadata.num_row_groups == 100
    assert peak < 10 * group_bytes, f"{peak:,} bytes held while reading row groups of {group_bytes:,} bytes"


def test_a_glob_reads_every_file_in_name_order(tmp_path):
    for day in (2, 1):
        (tmp_path / f"orders_{day}.csv").write_text(f"order_id,customer_id,ordered_at,amount\no{day},c,2024-01-0{day},1\n")
    rows = read_all(tmp_path / "orders_*.csv")
    assert [(Path(row["source_file"]).name, row["order_id"]) for row in rows] == [
        ("orders_1.csv", "o1"), ("orders_2.csv", "o2")]


FIELD_TEXT = st.text(alphabet=st.sampled_from(list("abc xyz,\"\n\r客户é¥1234567890.-/:")), max_size=12)


@st.composite
def messy_csv(draw) -> tuple[str, str, list[tuple[int, str | None]]]:
    """A random export: well-formed rows (fields with commas, quotes and line breaks), ragged rows, repeated
    headers and blank lines, in a random encoding and line ending. Returns (text, encoding, expected lines), the
    expected lines being (first line number, malformed reason or None) as the file was written."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]))
    header = ["order_id", "customer_id", "ordered_at", "status", "amount", "note"]
    lines = [",".join(header)]
    expected: list[tuple[int, str | None]] = []
    line_number = 2
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["row", "row", "row", "ragged", "header", "blank"]))
        if kind == "row":
            fields = [
                draw(st.sampled_from(["o1", "o2", "o3", "", "o4"])),
                draw(st.sampled_from(["c1", "c2", "客户", ""])),
                draw(st.sampled_from(["2024-01-05 10:00", "2024/1/5 9:05", "2024-02-30", "2024-01-05T10:00+08:00", "x"])),
                draw(st.sampled_from(["completed", "Paid", "cancelled", ""])),
                draw(st.sampled_from(["10.00", "1,299.00", "¥5", "12,5", "NaN", "-1", "0", ""])),
                draw(FIELD_TEXT),
            ]
            text = ",".join('"' + field.replace('"', '""') + '"' for field in fields)
            reason = None
        elif kind == "ragged":
            width = draw(st.sampled_from([1, 2, 5, 7, 9]))
            text = ",".join(f"v{index}" for index in range(width))
            reason = "wrong number of fields"
        elif kind == "header":
            text = ",".join(header)
            reason = "repeated header line"
        else:
            text = ""
            reason = "blank line"
        expected.append((line_number, reason))
        lines.append(text)
        line_number += len(re.findall(r"\r\n|\r|\n", text)) + 1
    body = newline.join(lines) + newline
    return body, encoding, expected


@settings(max_examples=max(EXAMPLES * 4, 20), deadline=None, derandomize=bool(os.environ.get("CI")))
@given(messy_csv())
def test_reader_numbers_every_record_of_a_messy_file(tmp_path_factory, case):
    text, encoding, expected = case
    path = tmp_path_factory.mktemp("messy") / "orders.csv"
    path.write_bytes(text.encode(encoding))
    var_encoding = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    if not expected:
        with pytest.raises(InputError, match="has a header but no rows"):
            read_all(path, encoding=var_encoding)
        return
    rows = read_all(path, encoding=var_encoding)
    assert [(row["source_line_number"], row["malformed_reason"]) for row in rows] == expected


@settings(max_examples=max(2, EXAMPLES // 3), deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(messy_csv())
def test_messy_files_reconcile_through_dbt(tmp_path_factory, case):
    """raw lines = valid + superseded + rejected on random messy files, every line numbered as written, and the
    build either succeeds or stops with a documented one-line error."""
    text, encoding, expected = case
    work = tmp_path_factory.mktemp("messy_dbt")
    path = work / "orders.csv"
    path.write_bytes(text.encode(encoding))
    var_encoding = {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    if not expected:
        # a header and no rows: the documented one-line error, naming the file
        with pytest.raises(DbtBuildError) as failure:
            build_staging(work, path, orders_encoding=var_encoding)
        assert f"orders_path {path} has a header but no rows" in str(failure.value)
        return
    db_path, messages = build_staging(work, path, orders_encoding=var_encoding)
    counts = reconciliation(db_path)
    assert counts["raw_rows"] == len(expected)
    assert counts["raw_rows"] == counts["valid_rows"] + counts["superseded_rows"] + counts["rejected_rows"]
    lines = outcomes(db_path)
    assert sorted(lines) == [line for line, _ in expected]
    for line, reason in expected:
        if reason is not None:
            assert lines[line]["outcome"] == reason
    assert any(" raw rows rejected" in message for message in messages)


# --- Volume --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("last_day_orders", "status"), [(40, "warn"), (12, "pass"), (4, "warn")])
def test_volume_check_warns_outside_the_band_around_the_28_day_median(tmp_path, last_day_orders, status):
    """29 days of 10 orders, then a last complete day of 40, 12 or 4: the median is 10 and the band [5, 15]."""
    lines = ["order_id,customer_id,ordered_at,amount"]
    for day in range(1, 30):
        lines += [f"o{day}_{n},c{n},2024-01-{day:02d} 12:00,10" for n in range(10)]
    lines += [f"o30_{n},c{n},2024-01-30 12:00,10" for n in range(last_day_orders)]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    result = run_dbt(["build", *STAGING], tmp_path / "volume.duckdb",
                     {"orders_path": str(path), "metrics_as_of": "2024-01-31"})
    statuses = {node.node.name: str(node.status) for node in result.result.results}
    assert statuses["warn_orders_volume_out_of_band"] == status
    if status == "warn":
        rows = query(tmp_path / "volume.duckdb", "select count(*) as orders from stg_shop__orders")
        assert rows == [{"orders": 290 + last_day_orders}]


def test_an_empty_source_file_follows_its_contracts_columns(tmp_path, monkeypatch):
    """The zero-row file an absent optional source reads has exactly the contract's columns, all text, and a
    contract with other columns gets its own file: a file left in the temp folder by an older version whose
    contract had other columns is never reused."""
    import pyarrow.parquet as pq

    from lifecycle_reading.contracts import Contract
    from lifecycle_reading.options import empty_input

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)  # tempfile reads TMPDIR again
    older = Contract(name="orders", columns=(("order_id", True), ("amount", True)))
    older_path = empty_input(older)
    current_path = empty_input(CONTRACTS["orders"])
    assert older_path != current_path
    assert str(tmp_path) in current_path
    schema = pq.read_schema(current_path)
    assert schema.names == ["order_id", "customer_id", "ordered_at", "status", "amount", "refunded_amount",
                            "updated_at"]
    assert {str(field.type) for field in schema} == {"string"}
    assert pq.read_schema(older_path).names == ["order_id", "amount"]
    assert pq.read_metadata(current_path).num_rows == 0
