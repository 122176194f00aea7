"""Read a shop export into Arrow record batches: one row per line of the file, none dropped.

CSV files are decoded here (UTF-8 with or without a BOM, UTF-16, GB18030/GBK as Excel saves on Chinese Windows,
Latin-1), so no engine needs an encoding extension and the user never runs iconv. Each data line becomes one row
with its file, its line number and its raw text; a line that cannot be a row (a wrong number of fields, a header
repeated inside the file, a blank line, bytes that are not valid in the encoding) is still a row, with a
`malformed_reason`, so that staging rejects it out loud. Values stay text: parsing and validation are SQL's job,
in staging, the same on every engine.

Parquet files keep their column types; their rows are numbered in file order.

Errors that make the whole input unusable (no file, an empty file, a missing required column, an unknown
encoding) raise `InputError` with one line that says what to change.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lifecycle_reading.contracts import LINE_COLUMNS, Contract

# Encodings a user may name in `<source>_encoding`, and the Python codec that reads them. GBK files are read with
# GB18030, its superset, so that a stray character outside GBK does not reject the line.
ENCODINGS = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "gb18030": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "cp1252": "cp1252",
}

MALFORMED_FIELDS = "wrong number of fields"
MALFORMED_HEADER = "repeated header line"
MALFORMED_BLANK = "blank line"
MALFORMED_BYTES = "undecodable bytes"

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet",)


class InputError(Exception):
    """The input cannot be read at all; the message is one line that names the file and the fix."""


@dataclass
class ReadOptions:
    """How to read one source: `path` (a file or a glob), `columns` (contract column -> the file's header),
    `encoding` (of CSV files) and the batch size."""

    contract: Contract
    path: str
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    batch_rows: int = 200_000

    def var(self, suffix: str) -> str:
        return f"{self.contract.name}_{suffix}"


def input_files(options: ReadOptions) -> list[str]:
    """The files named by `path`: one file, or every file a glob matches, sorted by name."""
    path = os.path.expanduser(str(options.path).strip())
    if not path:
        raise InputError(f"{options.var('path')} is empty")
    if glob.has_magic(path):
        files = sorted(name for name in glob.glob(path, recursive=True) if os.path.isfile(name))
        if not files:
            raise InputError(f"{options.var('path')} '{path}' matches no file")
    else:
        file_kind(path, options)
        if not os.path.isfile(path):
            raise InputError(f"{options.var('path')} '{path}' is not a file")
        files = [path]
    kinds = {file_kind(name, options) for name in files}
    if len(kinds) > 1:
        raise InputError(f"{options.var('path')} '{path}' mixes CSV and Parquet files; use one format")
    return files


def file_kind(name: str, options: ReadOptions) -> str:
    lower = name.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if lower.endswith(CSV_SUFFIXES):
        return "csv"
    raise InputError(
        f"{options.var('path')} must name a .csv, .csv.gz or .parquet file (or a glob of them), got '{name}'"
    )


def codec_for(options: ReadOptions) -> str:
    name = str(options.encoding or "utf-8").strip().lower().replace("_", "-")
    if name not in ENCODINGS:
        raise InputError(
            f"{options.var('encoding')} '{options.encoding}' is not supported; use one of "
            + ", ".join(("utf-8", "utf-16", "gb18030", "gbk", "latin-1"))
        )
    return ENCODINGS[name]


def validate_column_map(options: ReadOptions) -> dict[str, str]:
    """`columns` as contract column -> header, checked against the contract."""
    mapping = options.columns or {}
    if not isinstance(mapping, dict):
        raise InputError(
            f"{options.var('columns')} must map contract columns to headers, e.g. {{order_id: 订单编号}}"
        )
    unknown = sorted(str(column) for column in mapping if column not in options.contract.names)
    if unknown:
        raise InputError(
            f"{options.var('columns')} maps unknown column(s) {', '.join(unknown)}; the contract's columns are "
            + ", ".join(options.contract.names)
        )
    return {str(column): str(header) for column, header in mapping.items() if header not in (None, "")}


def normalize_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


def locate_columns(headers: list[str], options: ReadOptions, file_name: str) -> dict[str, int]:
    """Contract column -> index of its header in the file. A column the map names must exist; an unmapped
    contract column is found under its own name; other headers are ignored."""
    mapping = validate_column_map(options)
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        positions.setdefault(normalize_header(header), index)
    located: dict[str, int] = {}
    for column in options.contract.names:
        if column in mapping:
            wanted = normalize_header(mapping[column])
            if wanted not in positions:
                shown = ", ".join(header.replace("\ufeff", "").strip() for header in headers)
                raise InputError(
                    f"{options.var('columns')} maps {column} to '{mapping[column]}', which is not a header of "
                    f"{file_name} (headers: {shown})"
                )
            located[column] = positions[wanted]
        elif column in positions:
            located[column] = positions[column]
    missing = [column for column in options.contract.required if column not in located]
    if missing:
        raise InputError(
            f"raw {options.contract.name} input {file_name} lacks required column(s): {', '.join(missing)}"
            f" (map the file's headers with var {options.var('columns')})"
        )
    return located


def read_batches(options: ReadOptions, files: list[str] | None = None) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The schema and the record batches of every file `options.path` names (or of `files`, some of them: an
    incremental load reads only the files it has not loaded yet). The files are checked (exist, readable header,
    required columns) before this returns, so errors come early and as one line."""
    files = input_files(options) if files is None else files
    kind = file_kind(files[0], options)
    if kind == "parquet":
        return _parquet_batches(files, options)
    return _csv_batches(files, options)


def input_schema(options: ReadOptions) -> pa.Schema:
    """The schema `read_batches` yields, from the files' headers (CSV) or metadata (Parquet) only: for engines that
    plan a read before running it (the Spark data source)."""
    files = input_files(options)
    if file_kind(files[0], options) == "parquet":
        schema, _ = _parquet_batches(files, options)  # the batches are a generator: nothing is read yet
        return schema
    return _csv_plan(files, options)[0]


# --- Parquet ------------------------------------------------------------------------------------------------


def _parquet_batches(files: list[str], options: ReadOptions) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    plans = []
    schema = None
    for name in files:
        try:
            # pre_buffer=False: with pre-buffering, the reader keeps every row group's raw bytes it has read until
            # it is closed, so its memory grows with the file (1.7 GB of a 98M-line file; 33 MB without)
            parquet = pq.ParquetFile(name, pre_buffer=False)
        except Exception as error:  # noqa: BLE001 - any reader error is one line for the user
            raise InputError(f"{options.var('path')} file {name} is not readable Parquet: {error}") from None
        located = locate_columns(list(parquet.schema_arrow.names), options, name)
        file_schema = pa.schema(
            [
                pa.field("source_file", pa.string()),
                pa.field("source_line_number", pa.int64()),
                pa.field("raw_line", pa.string()),
                pa.field("malformed_reason", pa.string()),
                *(
                    pa.field(column, parquet.schema_arrow.field(located[column]).type)
                    for column in options.contract.names
                    if column in located
                ),
            ]
        )
        if schema is None:
            schema = file_schema
        elif not schema.equals(file_schema):
            raise InputError(
                f"{options.var('path')}: {name} does not have the same columns and types as {files[0]}"
            )
        plans.append((name, parquet, located))
    assert schema is not None

    def batches() -> Iterator[pa.RecordBatch]:
        for name, parquet, located in plans:
            source_names = [parquet.schema_arrow.names[located[c]] for c in options.contract.names if c in located]
            row = 0
            for batch in parquet.iter_batches(batch_size=options.batch_rows, columns=source_names):
                size = batch.num_rows
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.repeat(pa.scalar(name, pa.string()), size),
                        pa.array(np.arange(row + 1, row + size + 1, dtype=np.int64)),
                        pa.nulls(size, pa.string()),
                        pa.nulls(size, pa.string()),
                        *batch.columns,
                    ],
                    schema=schema,
                )
                row += size

    return schema, batches()


# --- CSV ----------------------------------------------------------------------------------------------------


@dataclass
class _Record:
    line_number: int
    raw_line: str
    fields: list[str]


def _open_text(name: str, codec: str) -> io.TextIOWrapper:
    raw = gzip.open(name, "rb") if name.lower().endswith(".gz") else open(name, "rb")  # noqa: SIM115
    # newline="" keeps \r\n inside quoted fields for the csv module; surrogateescape keeps undecodable bytes
    # visible so that their line can be rejected instead of failing the whole file.
    return io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape", newline="")


def _records(text: io.TextIOBase, delimiter: str) -> Iterator[_Record]:
    """Each CSV record with the number of the physical line it starts on and its raw text (quoted line
    breaks stay inside one record)."""
    consumed: list[str] = []
    count = 0

    def lines() -> Iterator[str]:
        nonlocal count
        for line in text:
            count += 1
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # An unterminated quote runs to the end of the file: one malformed record.
            fields = None
        first_line = count - len(consumed) + 1
        raw_line = "".join(consumed).rstrip("\r\n")
        consumed.clear()
        yield _Record(first_line, raw_line, fields if fields is not None else ["\x00"])
        if fields is None:
            return


def _has_undecodable(text: str) -> bool:
    return any("\udc80" <= character <= "\udcff" for character in text)


def _printable(text: str) -> str:
    """Undecodable bytes shown as U+FFFD so the raw line can be stored as text."""
    if not _has_undecodable(text):
        return text
    return "".join("\ufffd" if "\udc80" <= character <= "\udcff" else character for character in text)


def _sniff_delimiter(header_line: str) -> str:
    """Comma, unless the header has tabs and no commas (Excel's "Unicode text" export) or semicolons only."""
    if "\t" in header_line and "," not in header_line:
        return "\t"
    if ";" in header_line and "," not in header_line:
        return ";"
    return ","


def _csv_header(name: str, codec: str, options: ReadOptions) -> tuple[list[str], str]:
    with _open_text(name, codec) as text:
        try:
            first = text.readline()
        except UnicodeError as error:
            raise InputError(
                f"{options.var('path')} file {name} cannot be decoded as {options.encoding}: {error}; "
                f"set var {options.var('encoding')} (utf-8, utf-16, gb18030)"
            ) from None
    if not first.replace("\ufeff", "").strip():
        raise InputError(f"{options.var('path')} file {name} is empty: it has no header line")
    if _has_undecodable(first):
        raise InputError(
            f"{options.var('path')} file {name}: its header line is not valid {options.encoding}; "
            f"set var {options.var('encoding')} (utf-8, utf-16, gb18030)"
        )
    delimiter = _sniff_delimiter(first)
    headers = next(csv.reader([first.rstrip("\r\n")], delimiter=delimiter))
    return headers, delimiter


def _csv_plan(files: list[str], options: ReadOptions) -> tuple[pa.Schema, list, tuple[str, ...]]:
    """The schema of the rows and, per file, its header, delimiter and contract columns (headers only)."""
    codec = codec_for(options)
    plans = []
    present: tuple[str, ...] | None = None
    for name in files:
        headers, delimiter = _csv_header(name, codec, options)
        located = locate_columns(headers, options, name)
        columns = tuple(column for column in options.contract.names if column in located)
        if present is None:
            present = columns
        elif present != columns:
            raise InputError(
                f"{options.var('path')}: {name} has columns {', '.join(columns)} but {files[0]} has "
                + ", ".join(present)
            )
        plans.append((name, headers, delimiter, located))
    assert present is not None
    schema = pa.schema(
        [pa.field(column, pa.int64() if column == "source_line_number" else pa.string()) for column in LINE_COLUMNS]
        + [pa.field(column, pa.string()) for column in present]
    )
    return schema, plans, present


def _csv_batches(files: list[str], options: ReadOptions) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    codec = codec_for(options)
    schema, plans, present = _csv_plan(files, options)

    def batches() -> Iterator[pa.RecordBatch]:
        data_rows = 0
        for name, headers, delimiter, located in plans:
            header_key = [normalize_header(header) for header in headers]
            width = len(headers)
            positions = [located[column] for column in present]
            buffer: dict[str, list] = {column: [] for column in schema.names}
            with _open_text(name, codec) as text:
                records = _records(text, delimiter)
                next(records)  # the header line
                for record in records:
                    data_rows += 1
                    fields = record.fields
                    reason = None
                    if _has_undecodable(record.raw_line):
                        reason = MALFORMED_BYTES
                    elif not fields:
                        reason = MALFORMED_BLANK
                    elif len(fields) != width:
                        reason = MALFORMED_FIELDS
                    elif [normalize_header(value) for value in fields] == header_key:
                        reason = MALFORMED_HEADER
                    buffer["source_file"].append(name)
                    buffer["source_line_number"].append(record.line_number)
                    buffer["raw_line"].append(_printable(record.raw_line))
                    buffer["malformed_reason"].append(reason)
                    for column, position in zip(present, positions):
                        value = fields[position] if reason is None else None
                        buffer[column].append(value)
                    if len(buffer["source_file"]) >= options.batch_rows:
                        yield pa.RecordBatch.from_pydict(buffer, schema=schema)
                        buffer = {column: [] for column in schema.names}
            if buffer["source_file"]:
                yield pa.RecordBatch.from_pydict(buffer, schema=schema)
        if data_rows == 0:
            shown = files[0] if len(files) == 1 else f"'{options.path}' ({len(files)} files)"
            raise InputError(f"{options.var('path')} {shown} has a header but no rows")

    return schema, _checked_first(schema, batches())


def _checked_first(schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Pull the first batch now, so that a header-only input fails before anything is written."""
    try:
        first = next(batches)
    except StopIteration:
        first = None

    def chained() -> Iterator[pa.RecordBatch]:
        if first is not None:
            yield first
        yield from batches

    return chained()


def reader(options: ReadOptions, files: list[str] | None = None) -> pa.RecordBatchReader:
    """The input (or the given files of it) as one Arrow stream (what DuckDB scans and what the warehouse loaders
    write)."""
    schema, batches = read_batches(options, files)
    return pa.RecordBatchReader.from_batches(schema, batches)


@dataclass(frozen=True)
class FileStamp:
    """What an incremental load remembers of a file it has read: a file whose size or modification time differs
    from its stamp has changed since."""

    source_file: str
    file_size: int
    file_modified_ns: int


def file_stamps(options: ReadOptions) -> list[FileStamp]:
    """The stamp of every file `options.path` names, in name order."""
    stamps = []
    for name in input_files(options):
        stat = os.stat(name)
        stamps.append(FileStamp(name, stat.st_size, stat.st_mtime_ns))
    return stamps

