"""The cells appended to a submission to probe it, and the strict reading of what they print.

The kernel is untrusted: what it prints is only ever read as JSON, then checked value by value
(`decode_value`), so a lying `str`/`float`/`Tensor` subclass, a patched comparison or a forged
frame cannot change a verdict; a forged report is no more than a chosen answer for inputs the
kernel saw only after all of the student's cells had run.

A question's prelude (`Question.prelude`: kernel-side helpers several probes share, such as a
stand-in model) travels as source in that question's own probe cell, never as an import: the
runtime defines the pieces in a namespace of their own (their globals are not the notebook's),
puts each in the notebook's namespace as `PRELUDE_PREFIX + name` just before the probe runs and
takes them out again when it returns. So a student's global of the same name, defined before,
is overwritten; one defined afterwards (by student code the probe calls) cannot reach the probe,
which takes its pieces on its first lines, nor a later probe, whose cell defines them afresh;
a piece undeclared by the question is simply missing. That is as safe as the class or function
a probe used to define inline: student code the probe hands a stand-in model to can still
change that object, as it always could.
"""

from __future__ import annotations

import inspect
import json
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vae_grading.evidence import PRELUDE_PREFIX, MalformedOutput, PreludePiece, Probe

MAX_REPORT_CHARS = 4_000_000
MAX_DEPTH = 8
MAX_ARRAY_DIMS = 32  # numpy allows 64; no probe reports more than a few
RUNTIME_NAME = "_vae_grading_report"

#: Defined in the kernel before the probes; encodes and prints one probe's outputs as JSON.
KERNEL_RUNTIME = '''\
def _vae_grading_attempt(call):
    """call() or, when it raises, {"error": "..."}: one failing part fails only its check."""
    try:
        return call()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}


def _vae_grading_report(question, nonce, probe, payload, prelude=None):
    """Run one grading probe on this notebook's variables and print its outputs as JSON.

    prelude ({name: source}): the helpers this probe's question declared, defined in their own
    namespace and found by the probe as PRELUDE_PREFIX + name in its ns while it runs."""
    import json

    ns = globals()
    installed = []

    def decode(value):
        if isinstance(value, dict) and value.get("__array__") is True:
            import torch

            dtype = getattr(torch, value["dtype"])
            return torch.tensor(value["data"], dtype=dtype).reshape(value["shape"])
        if isinstance(value, dict):
            return {key: decode(item) for key, item in value.items()}
        if isinstance(value, list):
            return [decode(item) for item in value]
        return value

    def encode(value, depth=0):
        if depth > MAX_DEPTH:
            raise ValueError("the output is nested too deeply")
        if value is None or type(value) in (bool, int, float, str):
            return value
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, int):
            return int.__index__(value)
        if isinstance(value, float):
            return float.__float__(value)
        if isinstance(value, (list, tuple)):
            return [encode(item, depth + 1) for item in value]
        if isinstance(value, dict):
            return {str(key): encode(item, depth + 1) for key, item in value.items()}
        module = type(value).__module__ or ""
        if module.startswith("torch") and hasattr(value, "detach"):
            import torch

            tensor = value.detach().cpu()
            kind = "bool" if tensor.dtype == torch.bool else "number"
            flat = tensor.reshape(-1)
            data = flat.tolist() if kind == "bool" else flat.double().tolist()
            return {"__array__": True, "kind": kind, "shape": list(tensor.shape), "data": data}
        if module.startswith("numpy"):
            import numpy

            array = numpy.asarray(value)
            kind = "bool" if array.dtype == numpy.bool_ else "number"
            flat = array.reshape(-1)
            data = flat.tolist() if kind == "bool" else flat.astype("float64").tolist()
            return {"__array__": True, "kind": kind, "shape": list(array.shape), "data": data}
        return {"__unsupported__": type(value).__name__}

    try:
        if prelude:
            helpers = {"__name__": "_vae_grading_prelude"}
            for source in prelude.values():
                exec(source, helpers)
            for name in prelude:
                installed.append("PRELUDE_PREFIX" + name)
                ns["PRELUDE_PREFIX" + name] = helpers[name]
        outputs = probe(ns, decode(json.loads(payload)))
        report = {"ok": True, "outputs": encode(outputs)}
    except Exception as exc:  # the student's code failed: report it, never raise
        report = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    finally:
        for key in installed:
            ns.pop(key, None)
    text = json.dumps(report)
    if len(text) > MAX_REPORT_CHARS:
        text = json.dumps({"ok": False, "error": "the outputs were too large to report"})
    print(f"{nonce} {question} {text}")
'''.replace("MAX_DEPTH", str(MAX_DEPTH)).replace("MAX_REPORT_CHARS", str(MAX_REPORT_CHARS))
KERNEL_RUNTIME = KERNEL_RUNTIME.replace('"PRELUDE_PREFIX"', repr(PRELUDE_PREFIX))


@dataclass(frozen=True)
class Report:
    """What the kernel reported for one question: its outputs, or why there are none."""

    outputs: dict[str, Any] | None
    error: str | None


def encode_inputs(value: Any) -> Any:
    """Inputs as JSON-ready data: numpy arrays become tagged lists (float32 unless float64/int)."""
    if isinstance(value, np.ndarray):
        if value.dtype == np.float64:
            dtype = "float64"
        elif value.dtype.kind in "iu":
            dtype = "int64"
        elif value.dtype == np.bool_:
            dtype = "bool"
        else:
            dtype = "float32"
        return {
            "__array__": True,
            "dtype": dtype,
            "shape": list(value.shape),
            "data": value.reshape(-1).tolist(),
        }
    if isinstance(value, dict):
        return {str(k): encode_inputs(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_inputs(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def prelude_sources(prelude: Sequence[PreludePiece]) -> dict[str, str]:
    """Each prelude piece's name and the source that defines it in the kernel (self-contained:
    its imports inside, no names from the module around it but other pieces of the prelude)."""
    return {
        piece.__name__: "from __future__ import annotations\n\n"
        + textwrap.dedent(inspect.getsource(piece))
        for piece in prelude
    }


def probe_cell(
    question: str, nonce: str, probe: Probe, inputs: Any, prelude: Sequence[PreludePiece] = ()
) -> str:
    """The source of the cell that runs `probe` for `question` in the kernel, with the source of
    the question's prelude pieces (none: the runtime is called exactly as before preludes)."""
    source = textwrap.dedent(inspect.getsource(probe))
    payload = json.dumps(json.dumps(encode_inputs(inputs)))
    shipped = f", {prelude_sources(prelude)!r}" if prelude else ""
    return (
        "from __future__ import annotations\n\n"  # a probe's annotations are never evaluated
        f"{source}\n"
        f"{RUNTIME_NAME}({question!r}, {nonce!r}, {probe.__name__}, {payload}{shipped})\n"
        f"del {probe.__name__}\n"
    )


def decode_value(value: Any, depth: int = 0) -> Any:
    """Strictly decode one reported value: plain JSON types and tagged arrays, nothing else."""
    if depth > MAX_DEPTH + 1:
        raise MalformedOutput("the output is nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is list:
        return [decode_value(item, depth + 1) for item in value]
    if type(value) is dict:
        if value.get("__array__") is True:
            return _decode_array(value)
        if "__unsupported__" in value:
            raise MalformedOutput(f"returned an unsupported object ({value['__unsupported__']!s})")
        return {str(k): decode_value(v, depth + 1) for k, v in value.items()}
    raise MalformedOutput(f"unexpected value of type {type(value).__name__}")


def _decode_array(value: dict[str, Any]) -> np.ndarray:
    shape, data, kind = value.get("shape"), value.get("data"), value.get("kind")
    if (
        type(shape) is not list
        or len(shape) > MAX_ARRAY_DIMS
        or not all(type(n) is int and n >= 0 for n in shape)
    ):
        raise MalformedOutput("a tensor was reported with a malformed shape")
    if type(data) is not list or len(data) != math.prod(shape):  # exact: no int64 wrap-around
        raise MalformedOutput("a tensor was reported with the wrong number of values")
    if kind == "bool":
        if not all(type(x) is bool for x in data):
            raise MalformedOutput("a boolean tensor holds values that are not booleans")
        return np.array(data, dtype=np.bool_).reshape(shape)
    if kind != "number" or not all(type(x) in (int, float) for x in data):
        raise MalformedOutput("a tensor holds values that are not numbers")
    try:
        return np.array(data, dtype=np.float64).reshape(shape)
    except (ValueError, OverflowError) as exc:  # e.g. an integer beyond float64's range
        raise MalformedOutput("a tensor holds numbers out of range") from exc


def parse_report_line(line: str) -> Report:
    """Decode the JSON part of one report line into a Report (never raises)."""
    if len(line) > MAX_REPORT_CHARS + 1000:
        return Report(None, "the outputs were too large to report")
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):
        return Report(None, "the report could not be read")
    if type(raw) is not dict:
        return Report(None, "the report could not be read")
    if raw.get("ok") is True:
        try:
            outputs = decode_value(raw.get("outputs"))
        except (MalformedOutput, RecursionError) as exc:
            return Report(None, f"the outputs could not be read: {exc}")
        if type(outputs) is not dict:
            return Report(None, "the probe reported no outputs")
        return Report(outputs, None)
    error = raw.get("error")
    return Report(None, str(error)[:300] if type(error) is str else "the probe failed")


DUPLICATE_REPORT = (
    "the grading report of this question was printed more than once (code in the notebook "
    "printed one of its own), so none of them counts"
)


def find_reports(texts: list[str], nonce: str) -> dict[str, Report]:
    """The report per question among stdout texts, found by the grading's nonce.

    A probe prints exactly one line per question. A second line for the same question can only
    come from the notebook's own code (a hook, a thread, a patched print) copying the nonce, so
    a question reported twice gets neither report: a forger can take a question's points away
    from itself, never replace the probe's report with a later, better-informed one.
    """
    reports: dict[str, Report] = {}
    seen: set[str] = set()
    prefix = f"{nonce} "
    for text in texts:
        for line in text.splitlines():
            if not line.startswith(prefix):
                continue
            question, _, payload = line[len(prefix) :].partition(" ")
            if not question:
                continue
            if question in seen:
                reports[question] = Report(None, DUPLICATE_REPORT)
            else:
                seen.add(question)
                reports[question] = parse_report_line(payload)
    return reports


def stdout_texts(nb: Any, max_chars: int = 64_000_000) -> list[str]:
    """Every stdout stream text of an executed notebook (read defensively, capped)."""
    texts: list[str] = []
    total = 0
    cells = nb.get("cells", []) if isinstance(nb, dict) else []
    for cell in cells if isinstance(cells, list) else []:
        outputs = cell.get("outputs", []) if isinstance(cell, dict) else []
        for output in outputs if isinstance(outputs, list) else []:
            if not isinstance(output, dict) or output.get("name") != "stdout":
                continue
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            if isinstance(text, str):
                total += len(text)
                if total > max_chars:
                    return texts
                texts.append(text)
    return texts
