"""Exact-output tests for pollama.cli.format (Ollama's format package, Go time, tablewriter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollama.cli.format import (
    _title,
    display_width,
    human_time,
    processor_column,
    render_table,
    until_column,
)
from pollama.duration import go_duration, parse_go_duration, parse_go_duration_ns
from pollama.humanize import human_bytes, human_bytes2, human_number
from pollama.timefmt import rfc3339_nano

NOW = datetime(2025, 5, 10, 15, 6, 48, 639712, tzinfo=UTC)
GO_ZERO = datetime(1, 1, 1, tzinfo=UTC)
INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)


# --- human_bytes / human_bytes2 / human_number ---------------------------------------------------

HUMAN_BYTES = {
    "zero": (0, "0 B"),
    "one": (1, "1 B"),
    "999": (999, "999 B"),
    "negative": (-5, "-5 B"),
    "1 KB": (1000, "1 KB"),
    "1024 is 1.0 KB": (1024, "1.0 KB"),
    "1.5 KB": (1500, "1.5 KB"),
    "1.2 KB": (1234, "1.2 KB"),
    "9999 rounds to 10.0 KB": (9999, "10.0 KB"),
    "10 KB": (10_000, "10 KB"),
    "999 KB truncates": (999_999, "999 KB"),
    "1 MB": (1_000_000, "1 MB"),
    "1.5 MB": (1_500_000, "1.5 MB"),
    "1.2 MB": (1_234_567, "1.2 MB"),
    "999 MB": (999_999_999, "999 MB"),
    "1 GB": (1_000_000_000, "1 GB"),
    "1.5 GB": (1_500_000_000, "1.5 GB"),
    "4.7 GB": (4_661_224_676, "4.7 GB"),
    "42 GB": (42_000_000_001, "42 GB"),
    "999 GB": (999_999_999_999, "999 GB"),
    "1 TB": (1_000_000_000_000, "1 TB"),
    "1.5 TB": (1_500_000_000_000, "1.5 TB"),
    "2.0 TB": (1_999_999_999_999, "2.0 TB"),
    "1000 TB": (10**15, "1000 TB"),
}


@pytest.mark.parametrize(("n", "want"), list(HUMAN_BYTES.values()), ids=list(HUMAN_BYTES))
def test_human_bytes(n: int, want: str) -> None:
    assert human_bytes(n) == want


HUMAN_BYTES2 = {
    "zero": (0, "0 B"),
    "1023 B": (1023, "1023 B"),
    "1.0 KiB": (1024, "1.0 KiB"),
    "1.5 KiB": (1536, "1.5 KiB"),
    "1024.0 KiB": (1_048_575, "1024.0 KiB"),
    "1.0 MiB": (1_048_576, "1.0 MiB"),
    "1.5 MiB": (1_572_864, "1.5 MiB"),
    "1024.0 MiB": (1_073_741_823, "1024.0 MiB"),
    "1.0 GiB": (1_073_741_824, "1.0 GiB"),
    "1.5 GiB": (1_610_612_736, "1.5 GiB"),
    "2.0 GiB": (2_147_483_648, "2.0 GiB"),
}


@pytest.mark.parametrize(("n", "want"), list(HUMAN_BYTES2.values()), ids=list(HUMAN_BYTES2))
def test_human_bytes2(n: int, want: str) -> None:
    assert human_bytes2(n) == want


HUMAN_NUMBER = {
    "zero": (0, "0"),
    "999": (999, "999"),
    "1K": (1000, "1K"),
    "1001 is 1K": (1001, "1K"),
    "1500 rounds half to even": (1500, "2K"),
    "2500 rounds half to even": (2500, "2K"),
    "1M": (1_000_000, "1M"),
    "1.50M keeps zeros": (1_500_000, "1.50M"),
    "125M": (125_000_000, "125M"),
    "133.70M": (133_700_000, "133.70M"),
    "SmolLM2 134.52M": (134_515_008, "134.52M"),
    "500.50M": (500_500_000, "500.50M"),
    "500.55M": (500_550_000, "500.55M"),
    "1B": (1_000_000_000, "1B"),
    "2.8B": (2_800_000_000, "2.8B"),
    "2.9B": (2_850_000_000, "2.9B"),
    "7B": (7_000_000_000, "7B"),
    "7.6B": (7_615_616_512, "7.6B"),
    "1000B": (1_000_000_000_000, "1000B"),
}


@pytest.mark.parametrize(("n", "want"), list(HUMAN_NUMBER.values()), ids=list(HUMAN_NUMBER))
def test_human_number(n: int, want: str) -> None:
    assert human_number(n) == want


# --- human_time ----------------------------------------------------------------------------------

S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

AGO = {
    "now": (timedelta(0), "Less than a second"),
    "999ms": (timedelta(milliseconds=999), "Less than a second"),
    "1s": (S, "1 second"),
    "1.9s": (timedelta(milliseconds=1900), "1 second"),
    "2s": (2 * S, "2 seconds"),
    "59.999s": (timedelta(milliseconds=59_999), "59 seconds"),
    "60s": (M, "About a minute"),
    "119s": (119 * S, "About a minute"),
    "2m": (2 * M, "2 minutes"),
    "59m59s": (59 * M + 59 * S, "59 minutes"),
    "60m": (H, "About an hour"),
    "89m59s rounds down": (89 * M + 59 * S, "About an hour"),
    "90m rounds up": (90 * M, "2 hours"),
    "24h": (24 * H, "24 hours"),
    "47h29m": (47 * H + 29 * M, "47 hours"),
    "47h30m rounds to 48h": (47 * H + 30 * M, "2 days"),
    "48h": (48 * H, "2 days"),
    "13d": (13 * D, "13 days"),
    "14d": (14 * D, "2 weeks"),
    "59d": (59 * D, "8 weeks"),
    "60d": (60 * D, "2 months"),
    "729d": (729 * D, "24 months"),
    "730d": (730 * D, "2 years"),
    "20y": (20 * 365 * D, "20 years"),
}


@pytest.mark.parametrize(("delta", "want"), list(AGO.values()), ids=list(AGO))
def test_human_time_past(delta: timedelta, want: str) -> None:
    assert human_time(NOW - delta, NOW) == want + " ago"


@pytest.mark.parametrize(("delta", "want"), list(AGO.values()), ids=list(AGO))
def test_human_time_future(delta: timedelta, want: str) -> None:
    expected = want + " from now" if delta else "Less than a second ago"
    assert human_time(NOW + delta, NOW) == expected


FOREVER = {
    "200 years ahead": (200 * 365 * D, "Forever"),
    "21 years of 365 days ahead": (21 * 365 * D, "Forever"),
    "just under 21 years ahead": (21 * 365 * D - H, "20 years from now"),
    "20 years ahead": (20 * 365 * D, "20 years from now"),
    "800ms ahead": (timedelta(milliseconds=800), "Less than a second from now"),
    "4m30s ahead": (4 * M + 30 * S, "4 minutes from now"),
}


@pytest.mark.parametrize(("delta", "want"), list(FOREVER.values()), ids=list(FOREVER))
def test_human_time_far_future(delta: timedelta, want: str) -> None:
    assert human_time(NOW + delta, NOW) == want


def test_human_time_zero_values() -> None:
    assert human_time(None, NOW) == "Never"
    assert human_time(GO_ZERO, NOW) == "Never"
    assert human_time(GO_ZERO, NOW, "never") == "never"
    assert human_time(datetime(1, 1, 1), NOW.replace(tzinfo=None), "") == ""


def test_human_time_offsets_and_naive() -> None:
    pacific = timezone(timedelta(hours=-7))
    assert human_time((NOW - 2 * D).astimezone(pacific), NOW) == "2 days ago"
    naive_now = NOW.replace(tzinfo=None)
    assert human_time(naive_now - 3 * 7 * D, naive_now) == "3 weeks ago"


def test_human_time_saturates_like_go() -> None:
    # Go's Time.Sub saturates at about 292 years.
    assert human_time(datetime(1, 1, 2, tzinfo=UTC), NOW) == "292 years ago"


# --- ps columns ----------------------------------------------------------------------------------

PROCESSOR = {
    "no vram": (1000, 0, "100% CPU"),
    "zero size no vram": (0, 0, "100% CPU"),
    "all vram": (1000, 1000, "100% GPU"),
    "more vram than size": (1000, 1001, "Unknown"),
    "zero size with vram": (0, 5, "Unknown"),
    "split": (1000, 520, "48%/52% CPU/GPU"),
    "half rounds away": (1000, 995, "1%/99% CPU/GPU"),
    "tiny cpu share": (1000, 999, "0%/100% CPU/GPU"),
}


@pytest.mark.parametrize(("size", "vram", "want"), list(PROCESSOR.values()), ids=list(PROCESSOR))
def test_processor_column(size: int, vram: int, want: str) -> None:
    assert processor_column(size, vram) == want


UNTIL = {
    "expired": (NOW - S, "Stopping..."),
    "go zero time is in the past": (GO_ZERO, "Stopping..."),
    "absent": (None, "Never"),
    "in 4 minutes": (NOW + 4 * M + 59 * S, "4 minutes from now"),
    "keep alive forever": (NOW + 300 * 365 * D, "Forever"),
    "exactly now": (NOW, "Less than a second ago"),
}


@pytest.mark.parametrize(("expires", "want"), list(UNTIL.values()), ids=list(UNTIL))
def test_until_column(expires: datetime | None, want: str) -> None:
    assert until_column(expires, NOW) == want


# --- Go durations --------------------------------------------------------------------------------

GO_DURATION = {
    "zero": (0, "0s"),
    "1ns": (1, "1ns"),
    "999ns": (999, "999ns"),
    "1µs": (1000, "1µs"),
    "1.5µs": (1500, "1.5µs"),
    "850µs": (850_000, "850µs"),
    "1ms": (1_000_000, "1ms"),
    "130.079ms": (130_079_000, "130.079ms"),
    "999.999999ms": (999_999_999, "999.999999ms"),
    "1s": (1_000_000_000, "1s"),
    "4.232710041s": (4_232_710_041, "4.232710041s"),
    "1m0s": (60_000_000_000, "1m0s"),
    "2m5.1s": (125_100_000_000, "2m5.1s"),
    "1h0m0s": (3_600_000_000_000, "1h0m0s"),
    "1h2m3.000000004s": (3_723_000_000_004, "1h2m3.000000004s"),
    "negative": (-1500, "-1.5µs"),
    "negative minutes": (-90_000_000_000, "-1m30s"),
    "max int64": (INT64_MAX, "2562047h47m16.854775807s"),
    "min int64": (INT64_MIN, "-2562047h47m16.854775808s"),
}


@pytest.mark.parametrize(("ns", "want"), list(GO_DURATION.values()), ids=list(GO_DURATION))
def test_go_duration(ns: int, want: str) -> None:
    assert go_duration(ns) == want


# Go's own parseDurationTests, as facts.
PARSE_OK = {
    "0": ("0", 0),
    "5s": ("5s", 5 * 10**9),
    "1478s": ("1478s", 1478 * 10**9),
    "-5s": ("-5s", -5 * 10**9),
    "+5s": ("+5s", 5 * 10**9),
    "-0": ("-0", 0),
    "+0": ("+0", 0),
    "5.0s": ("5.0s", 5 * 10**9),
    "5.6s": ("5.6s", 5_600_000_000),
    "5.s": ("5.s", 5 * 10**9),
    ".5s": (".5s", 500_000_000),
    "1.004s": ("1.004s", 1_004_000_000),
    "100.00100s": ("100.00100s", 100_001_000_000),
    "10ns": ("10ns", 10),
    "11us": ("11us", 11_000),
    "12µs micro sign": ("12µs", 12_000),
    "12μs greek mu": ("12μs", 12_000),
    "13ms": ("13ms", 13_000_000),
    "15m": ("15m", 15 * 60 * 10**9),
    "16h": ("16h", 16 * 3600 * 10**9),
    "3h30m": ("3h30m", (3 * 60 + 30) * 60 * 10**9),
    "10.5s4m": ("10.5s4m", 4 * 60 * 10**9 + 10_500_000_000),
    "-2m3.4s": ("-2m3.4s", -(2 * 60 * 10**9 + 3_400_000_000)),
    "1h2m3s4ms5us6ns": ("1h2m3s4ms5us6ns", 3_723_004_005_006),
    "39h9m14.425s": ("39h9m14.425s", 140_954_425_000_000),
    "1.5h": ("1.5h", 5400 * 10**9),
    "one third of an hour": ("0.3333333333333333333h", 20 * 60 * 10**9),
    "2^53+1 ns": ("9007199254740993ns", (1 << 53) + 1),
    "max int64 ns": ("9223372036854775807ns", INT64_MAX),
    "max int64 us": ("9223372036854775.807us", INT64_MAX),
    "max int64 mixed": ("9223372036s854ms775us807ns", INT64_MAX),
    "min int64 ns": ("-9223372036854775808ns", INT64_MIN),
    "min int64 us": ("-9223372036854775.808us", INT64_MIN),
    "min int64 hours": ("-2562047h47m16.854775808s", INT64_MIN),
    "long fraction": ("0.100000000000000000000h", 6 * 60 * 10**9),
    "precise fraction": ("0.830103483285477580700h", 49 * 60 * 10**9 + 48 * 10**9 + 372_539_827),
}


@pytest.mark.parametrize(("text", "ns"), list(PARSE_OK.values()), ids=list(PARSE_OK))
def test_parse_go_duration_ns(text: str, ns: int) -> None:
    assert parse_go_duration_ns(text) == ns


PARSE_ERRORS = {
    "empty": ("", 'time: invalid duration ""'),
    "bare number": ("300", 'time: missing unit in duration "300"'),
    "bare 3": ("3", 'time: missing unit in duration "3"'),
    "sign only": ("-", 'time: invalid duration "-"'),
    "unit only": ("s", 'time: invalid duration "s"'),
    "dot": (".", 'time: invalid duration "."'),
    "minus dot": ("-.", 'time: invalid duration "-."'),
    "dot unit": (".s", 'time: invalid duration ".s"'),
    "plus dot unit": ("+.s", 'time: invalid duration "+.s"'),
    "letters": ("x", 'time: invalid duration "x"'),
    "days": ("1d", 'time: unknown unit "d" in duration "1d"'),
    "trailing number": ("1h30", 'time: missing unit in duration "1h30"'),
    "non-ascii unit": ("3µ", 'time: unknown unit "\\xc2\\xb5" in duration "3\\xc2\\xb5"'),
    "quote escaped": ('1"', 'time: unknown unit "\\"" in duration "1\\""'),
    "overflow ns": ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
    "overflow us": ("9223372036854775.808us", 'time: invalid duration "9223372036854775.808us"'),
    "overflow negative": (
        "-9223372036854775809ns",
        'time: invalid duration "-9223372036854775809ns"',
    ),
    "overflow hours": ("3000000h", 'time: invalid duration "3000000h"'),
    "huge integer": ("99999999999999999999s", 'time: invalid duration "99999999999999999999s"'),
}


@pytest.mark.parametrize(("text", "message"), list(PARSE_ERRORS.values()), ids=list(PARSE_ERRORS))
def test_parse_go_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_go_duration(text)
    assert str(info.value) == message


PARSE_SECONDS = {
    "5m": ("5m", 300.0),
    "1h30m": ("1h30m", 5400.0),
    "-1s": ("-1s", -1.0),
    "300ms": ("300ms", 0.3),
    "2us": ("2us", 2e-6),
    "2µs": ("2µs", 2e-6),
    "0": ("0", 0.0),
}


@pytest.mark.parametrize(("text", "seconds"), list(PARSE_SECONDS.values()), ids=list(PARSE_SECONDS))
def test_parse_go_duration_seconds(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds, rel=1e-15)


@given(st.integers(min_value=INT64_MIN, max_value=INT64_MAX))
def test_go_duration_round_trips(ns: int) -> None:
    text = go_duration(ns)
    assert parse_go_duration_ns(text) == ns
    assert parse_go_duration(text) == ns / 1e9


@given(st.text(max_size=12))
def test_parse_go_duration_is_total(text: str) -> None:
    try:
        ns = parse_go_duration_ns(text)
    except ValueError as err:
        assert str(err).startswith("time: ")
    else:
        assert INT64_MIN <= ns <= INT64_MAX


# --- RFC 3339 ------------------------------------------------------------------------------------

PACIFIC = timezone(timedelta(hours=-7))
RFC3339 = {
    "utc whole second": (datetime(2025, 5, 10, 8, 6, 48, tzinfo=UTC), 0, "2025-05-10T08:06:48Z"),
    "utc micro trimmed": (
        datetime(2025, 5, 10, 8, 6, 48, 100000, tzinfo=UTC),
        0,
        "2025-05-10T08:06:48.1Z",
    ),
    "offset with nanos": (
        datetime(2025, 5, 10, 8, 6, 48, 639712, tzinfo=PACIFIC),
        648,
        "2025-05-10T08:06:48.639712648-07:00",
    ),
    "nanos only": (datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), 7, "2025-01-02T03:04:05.000000007Z"),
    "positive half hour": (
        datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        0,
        "2024-12-31T23:59:59.999999+05:30",
    ),
    "zero offset non-utc zone": (
        datetime(2025, 1, 1, tzinfo=timezone(timedelta(0), "GMT")),
        0,
        "2025-01-01T00:00:00Z",
    ),
    "offset seconds dropped": (
        datetime(2025, 1, 1, tzinfo=timezone(timedelta(minutes=-90, seconds=-30))),
        0,
        "2025-01-01T00:00:00-01:30",
    ),
    "go zero time": (GO_ZERO, 0, "0001-01-01T00:00:00Z"),
}


@pytest.mark.parametrize(("dt", "extra", "want"), list(RFC3339.values()), ids=list(RFC3339))
def test_rfc3339_nano(dt: datetime, extra: int, want: str) -> None:
    assert rfc3339_nano(dt, extra) == want


def test_rfc3339_nano_rejects_naive_and_bad_nanos() -> None:
    with pytest.raises(ValueError):
        rfc3339_nano(datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        rfc3339_nano(NOW, 1000)


# --- tables --------------------------------------------------------------------------------------


def test_list_fixture() -> None:
    """Spec §1.10: the exact `ollama list` output (cmd_test.go TestListHandler)."""
    models = [
        ("model1", "sha256:abc123", 1024, NOW - 24 * H),
        ("model2", "sha256:def456", 2048, NOW - 48 * H),
    ]
    rows = [
        [name, digest[:12], human_bytes(size), human_time(mod, NOW)]
        for name, digest, size, mod in models
    ]
    assert render_table(["NAME", "ID", "SIZE", "MODIFIED"], rows) == (
        "NAME      ID              SIZE      MODIFIED     \n"
        "model1    sha256:abc12    1.0 KB    24 hours ago    \n"
        "model2    sha256:def45    2.0 KB    2 days ago      \n"
    )


def test_header_only_table() -> None:
    assert (
        render_table(["NAME", "ID", "SIZE", "MODIFIED"], []) == "NAME    ID    SIZE    MODIFIED \n"
    )


def test_ps_table() -> None:
    header = ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    row = ["llama3.2:latest", "a80c4f17acd5", "4.0 GB", "100% GPU", "4096", "4 minutes from now"]
    assert render_table(header, [row]) == (
        "NAME               ID              SIZE      PROCESSOR    CONTEXT    UNTIL              \n"
        "llama3.2:latest    a80c4f17acd5    4.0 GB    100% GPU     4096       "
        "4 minutes from now    \n"
    )


def test_show_tables_have_an_empty_first_column() -> None:
    """cmd_test.go TestShowInfo "bare model info"."""
    rows = [
        ["", "architecture", "test"],
        ["", "parameters", "7B"],
        ["", "context length", "0"],
        ["", "embedding length", "0"],
        ["", "quantization", "FP16"],
    ]
    assert render_table(None, rows) == (
        "    architecture        test    \n"
        "    parameters          7B      \n"
        "    context length      0       \n"
        "    embedding length    0       \n"
        "    quantization        FP16    \n"
    )


def test_long_cells_wrap_with_minimum_raggedness() -> None:
    """tablewriter's long-caption example: cells wrap at 30 columns and the column stays 30."""
    rows = [
        ["Learn East has computers with adapted keyboards with enlarged print etc", "Some Data"],
        ["Instead of lining up the letters all", "the way across, he splits the keyboard in two"],
    ]
    assert render_table(["Name", "Sign"], rows) == (
        "NAME                              SIGN                           \n"
        "Learn East has computers          Some Data                         \n"
        "with adapted keyboards with                                         \n"
        "enlarged print etc                                                  \n"
        "Instead of lining up the          the way across, he splits the     \n"
        "letters all                       keyboard in two                   \n"
    )


def test_wrap_width_is_configurable_and_long_words_stay_whole() -> None:
    text = "You are a helpful assistant who answers every question like a pirate"
    assert render_table(None, [["", text]], max_width=100) == f"    {text}    \n"
    word = "x" * 40
    assert render_table(None, [[word, "a"]]) == f"{word}    a    \n"


def test_multiline_cells_rewrap_at_their_widest_line() -> None:
    # tablewriter joins a cell's lines, then wraps them at the widest line's width.
    assert render_table(None, [["ab\ncd ef", "c"]]) == "ab cd    c    \nef             \n"
    assert render_table(None, [["a\nb", "c"]]) == "a    c    \nb          \n"


def test_empty_row_prints_nothing() -> None:
    assert render_table(None, [[], ["a"]]) == "a    \n"


def test_wide_characters_count_double() -> None:
    rows = [["日本語", "x"], ["abc", "y"]]
    assert render_table(["NAME", "V"], rows) == "NAME      V \n日本語    x    \nabc       y    \n"


def test_more_columns_than_header() -> None:
    assert render_table(["A"], [["1", "2"]]) == "A      \n1    2    \n"


WIDTHS = {
    "ascii": ("hello", 5),
    "empty": ("", 0),
    "cjk": ("日本", 4),
    "fullwidth": ("ＡＢ", 4),
    "combining accent": ("e\u0301", 1),
    "czech": ("Česká řeřicha", 13),
    "ansi colour": ("\033[43;30mhi\033[00m", 2),
    "zero width joiner": ("a\u200db", 2),
}


@pytest.mark.parametrize(("text", "width"), list(WIDTHS.values()), ids=list(WIDTHS))
def test_display_width(text: str, width: int) -> None:
    assert display_width(text) == width


# tablewriter's TestTitle, as facts.
TITLES = {
    "empty": ("", ""),
    "foo": ("foo", "FOO"),
    "mixed case": ("foO", "FOO"),
    "leading dot": (".foo", "FOO"),
    "dots": (".foo.bar.", "FOO BAR"),
    "underscores": ("_foo_bar_", "FOO BAR"),
    "spaces": (" foo bar ", "FOO BAR"),
    "decimal": ("0.1", "0.1"),
    "words and decimal": ("FOO 0.1", "FOO 0.1"),
    "decimals": (".1. 0.", ".1. 0."),
    "symbols": (".$ . $.", "$ . $"),
    "symbols tight": (".$. $.", "$  $"),
    "only underscores": ("__", " "),
}


@pytest.mark.parametrize(("text", "want"), list(TITLES.values()), ids=list(TITLES))
def test_header_title(text: str, want: str) -> None:
    assert _title(text) == want
