"""The kernel's reports read with hostile input: malformed, oversized, wrongly typed, forged.

Everything a submission's kernel prints is untrusted. These tests feed the readers in
vae_grading.probes what a hostile kernel could print and check that each reader either decodes
plain data or says why it cannot, and never raises (a raise would stop the whole grading).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from vae_grading.evidence import MalformedOutput
from vae_grading.probes import (
    MAX_DEPTH,
    MAX_REPORT_CHARS,
    Report,
    decode_value,
    find_reports,
    parse_report_line,
    stdout_texts,
)

NONCE = "@vae-grading-0123456789abcdef01234567"


def _array(data: Any, shape: Any, kind: Any = "number") -> dict[str, Any]:
    """A tagged array as the kernel runtime encodes one."""
    return {"__array__": True, "kind": kind, "shape": shape, "data": data}


def _ok_line(outputs: Any) -> str:
    """The JSON part of a successful report line."""
    return json.dumps({"ok": True, "outputs": outputs})


def _nested(depth: int) -> Any:
    """A value `depth` lists deep around 1."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


# ------------------------------------------------------------------ decode_value


@pytest.mark.parametrize("value", [None, True, False, 0, -3, 2.5, "text", "", [], {}])
def test_plain_json_values_decode_to_themselves(value: Any) -> None:
    decoded = decode_value(value)
    assert decoded == value and type(decoded) is type(value)


def test_containers_decode_recursively_with_string_keys() -> None:
    decoded = decode_value({"a": [1, {"b": None}], "c": _array([1, 2], [2])})
    assert decoded["a"] == [1, {"b": None}]
    assert isinstance(decoded["c"], np.ndarray) and decoded["c"].dtype == np.float64


class _LyingStr(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


class _LyingFloat(float):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


class _LyingInt(int):
    pass


class _LyingDict(dict):  # type: ignore[type-arg]
    pass


class _LyingList(list):  # type: ignore[type-arg]
    pass


@pytest.mark.parametrize(
    "value",
    [
        _LyingStr("a"),
        _LyingFloat(1.0),
        _LyingInt(1),
        _LyingDict(a=1),
        _LyingList([1]),
        (1, 2),
        {1, 2},
        b"bytes",
        np.float64(1.0),
        np.array([1.0]),
        object(),
    ],
    ids=lambda v: type(v).__name__,
)
def test_subclasses_and_foreign_types_are_refused(value: Any) -> None:
    """Only exact JSON types pass: a subclass could lie in comparisons or conversions."""
    with pytest.raises(MalformedOutput):
        decode_value(value)
    with pytest.raises(MalformedOutput):
        decode_value({"nested": [value]})


def test_nesting_is_bounded() -> None:
    assert decode_value(_nested(MAX_DEPTH)) == _nested(MAX_DEPTH)
    with pytest.raises(MalformedOutput, match="nested too deeply"):
        decode_value(_nested(MAX_DEPTH + 5))


def test_unsupported_objects_reported_by_the_kernel_are_refused() -> None:
    with pytest.raises(MalformedOutput, match="unsupported"):
        decode_value({"value": {"__unsupported__": "MyTensor"}})


def test_a_dict_that_only_looks_like_an_array_stays_a_dict() -> None:
    """Only "__array__": true (the JSON boolean) tags an array; 1 or "true" do not."""
    for tag in (1, "true", None):
        decoded = decode_value({"__array__": tag, "data": [1], "shape": [1]})
        assert isinstance(decoded, dict) and decoded["__array__"] == tag


# ------------------------------------------------------------------ tagged arrays


def test_number_and_bool_arrays_decode_with_their_shape() -> None:
    numbers = decode_value(_array([1, 2.5, -3, 4], [2, 2]))
    assert numbers.dtype == np.float64 and numbers.shape == (2, 2)
    assert numbers.tolist() == [[1.0, 2.5], [-3.0, 4.0]]
    flags = decode_value(_array([True, False], [2], "bool"))
    assert flags.dtype == np.bool_ and flags.tolist() == [True, False]
    empty = decode_value(_array([], [0, 3]))
    assert empty.shape == (0, 3)
    scalar = decode_value(_array([7], []))
    assert scalar.shape == () and float(scalar) == 7.0


@pytest.mark.parametrize(
    "array",
    [
        _array([1, 2], [3]),  # too few values for the shape
        _array([1, 2, 3], [2]),  # too many
        _array([1], [-1]),  # negative size
        _array([1], [True]),  # a bool is not a size
        _array([1], [1.0]),  # nor a float
        _array([1], "1"),  # the shape is not a list
        _array([1], None),
        _array("1", [1]),  # the data is not a list
        _array({"0": 1}, [1]),
        _array([True], [1]),  # a bool in a number array
        _array(["1"], [1]),  # a string
        _array([None], [1]),
        _array([[1]], [1]),  # nested data
        _array([1], [1], "bool"),  # a number in a bool array
        _array([1], [1], "complex"),  # an unknown kind
        _array([1], [1], None),
        {"__array__": True},  # nothing but the tag
    ],
)
def test_malformed_arrays_are_refused(array: dict[str, Any]) -> None:
    with pytest.raises(MalformedOutput):
        decode_value(array)
    report = parse_report_line(_ok_line({"x": array}))
    assert report.outputs is None and report.error


def test_nan_and_infinity_decode_as_floats_for_the_verdict_to_judge() -> None:
    """JSON's NaN/Infinity are valid reports; verdicts compare with close(), where NaN fails."""
    report = parse_report_line(
        '{"ok": true, "outputs": {"x": NaN, "y": -Infinity, "z": '
        '{"__array__": true, "kind": "number", "shape": [2], '
        '"data": [NaN, Infinity]}}}'
    )
    assert report.error is None and report.outputs is not None
    assert np.isnan(report.outputs["x"]) and report.outputs["y"] == -np.inf
    assert np.isnan(report.outputs["z"][0]) and np.isinf(report.outputs["z"][1])


# ------------------------------------------------------------------ parse_report_line


def test_a_well_formed_report_is_read() -> None:
    report = parse_report_line(_ok_line({"value": 3, "images": _array([0.5], [1, 1])}))
    assert report.error is None and report.outputs is not None
    assert report.outputs["value"] == 3 and report.outputs["images"].shape == (1, 1)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "not json",
        "{",
        '{"ok": true, "outputs": {"x": 1}',  # cut short
        "[1, 2]",  # valid JSON, not an object
        '"ok"',
        "null",
        "1e999",
        "[" * 100_000,  # deeper than the JSON parser recurses
        '{"ok": true, "outputs": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"ok": true, "outputs": {"a": 1' + "0" * 5000 + "}}",  # more digits than int() takes
    ],
    ids=lambda line: repr(line[:30]),
)
def test_unreadable_lines_give_an_error_not_an_exception(line: str) -> None:
    report = parse_report_line(line)
    assert isinstance(report, Report)
    assert report.outputs is None and isinstance(report.error, str) and report.error


@pytest.mark.parametrize(
    "raw",
    [
        {"ok": True},  # no outputs
        {"ok": True, "outputs": None},
        {"ok": True, "outputs": [1, 2]},  # outputs must be a mapping
        {"ok": True, "outputs": "x"},
        {"ok": True, "outputs": 3},
        {"ok": True, "outputs": _array([1], [1])},
        {"ok": True, "outputs": _nested(MAX_DEPTH + 5)},
    ],
)
def test_successful_reports_without_a_mapping_of_outputs_are_refused(raw: Any) -> None:
    report = parse_report_line(json.dumps(raw))
    assert report.outputs is None and report.error


@pytest.mark.parametrize("ok", [1, "true", "yes", [True], None, False])
def test_only_the_json_true_means_success(ok: Any) -> None:
    """ "ok": 1 or "true" is not success, whatever the outputs say."""
    report = parse_report_line(json.dumps({"ok": ok, "outputs": {"value": 1}}))
    assert report.outputs is None and report.error


def test_a_failed_probe_reports_its_error_truncated() -> None:
    report = parse_report_line(json.dumps({"ok": False, "error": "NameError: x"}))
    assert report == Report(None, "NameError: x")
    long = parse_report_line(json.dumps({"ok": False, "error": "E" * 10_000}))
    assert long.outputs is None and long.error is not None and len(long.error) <= 300
    for error in (None, 3, ["NameError"], {"e": 1}):
        odd = parse_report_line(json.dumps({"ok": False, "error": error}))
        assert odd.outputs is None and isinstance(odd.error, str) and odd.error


def test_oversized_lines_are_refused_unread() -> None:
    line = _ok_line({"x": "a" * (MAX_REPORT_CHARS + 2000)})
    report = parse_report_line(line)
    assert report.outputs is None and report.error and "too large" in report.error


def test_duplicated_keys_keep_one_value() -> None:
    report = parse_report_line('{"ok": true, "outputs": {"value": 1, "value": 2}}')
    assert report.outputs == {"value": 2}


@pytest.mark.parametrize(
    "array",
    [
        _array([], [2**32, 2**32]),  # the product wraps to 0 in int64
        _array([], [2**70]),
        _array([1], [1] * 65),
        _array([10**400], [1]),
    ],
    ids=["overflowing-shape", "huge-size", "65-dimensions", "huge-integer"],
)
def test_numpy_limits_give_an_error_not_an_exception(array: dict[str, Any]) -> None:
    report = parse_report_line(_ok_line({"x": array}))
    assert report.outputs is None and report.error


# ------------------------------------------------------------------ find_reports


def _line(question: str, payload: Any, nonce: str = NONCE) -> str:
    return f"{nonce} {question} {json.dumps(payload)}"


def test_reports_are_found_by_the_nonce_only() -> None:
    good = {"ok": True, "outputs": {"value": 1}}
    forged = {"ok": True, "outputs": {"value": 999}}
    text = "\n".join(
        [
            "ordinary output",
            _line("q1", good),
            _line("q2", forged, nonce="@vae-grading-guessed"),  # a wrong nonce
            _line("q3", forged, nonce=NONCE + "x"),  # the nonce only as a prefix
            "  " + _line("q4", forged),  # not at the start of the line
            f"{NONCE}q5 {json.dumps(forged)}",  # no space after the nonce
            _line("q6", forged, nonce=NONCE.upper()),
            f"q7 {json.dumps(forged)}",  # no nonce at all
        ]
    )
    reports = find_reports([text], NONCE)
    assert set(reports) == {"q1"}
    assert reports["q1"].outputs == {"value": 1}


def test_the_last_report_for_a_question_wins_and_others_are_independent() -> None:
    texts = [
        _line("q1", {"ok": True, "outputs": {"value": 1}}),
        _line("q2", {"ok": False, "error": "boom"}) + "\n" + _line("q1", {"ok": False}),
    ]
    reports = find_reports(texts, NONCE)
    assert reports["q1"].outputs is None and reports["q1"].error
    assert reports["q2"].error == "boom"


def test_garbage_after_the_nonce_never_raises() -> None:
    lines = [
        f"{NONCE} ",  # no question
        f"{NONCE}  {{}}",  # empty question name
        f"{NONCE} q1",  # no payload
        f"{NONCE} q2 not json",
        f"{NONCE} q3 " + "[" * 100_000,
    ]
    reports = find_reports(["\r\n".join(lines)], NONCE)
    assert "" not in reports
    for question in ("q1", "q2", "q3"):
        assert reports[question].outputs is None and reports[question].error


def test_no_texts_no_reports() -> None:
    assert find_reports([], NONCE) == {}
    assert find_reports(["", "\n\n"], NONCE) == {}


# ------------------------------------------------------------------ stdout_texts


def _stream(text: Any, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def test_stdout_streams_are_collected_in_order() -> None:
    nb = {
        "cells": [
            {"cell_type": "code", "outputs": [_stream("a\n"), _stream("err\n", "stderr")]},
            {"cell_type": "markdown"},
            {"cell_type": "code", "outputs": [_stream(["b", "c\n"]), {"output_type": "error"}]},
        ]
    }
    assert stdout_texts(nb) == ["a\n", "bc\n"]


@pytest.mark.parametrize(
    "nb",
    [
        None,
        "cells",
        [],
        {},
        {"cells": None},
        {"cells": "abc"},
        {"cells": {"0": {}}},
        {"cells": [None, 1, "cell", [], {"outputs": None}, {"outputs": "text"}]},
        {"cells": [{"outputs": [None, 1, "x", [], {"name": "stdout"}]}]},
        {"cells": [{"outputs": [_stream(None), _stream(3), _stream({"a": 1})]}]},
    ],
    ids=repr,
)
def test_malformed_notebooks_give_no_texts(nb: Any) -> None:
    texts = stdout_texts(nb)
    assert isinstance(texts, list) and all(isinstance(t, str) for t in texts)
    assert "".join(texts) == ""


def test_stdout_is_capped() -> None:
    nb = {"cells": [{"outputs": [_stream("x" * 100)] * 10}]}
    texts = stdout_texts(nb, max_chars=450)
    assert sum(map(len, texts)) <= 450 and texts
