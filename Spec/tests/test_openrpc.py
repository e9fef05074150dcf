"""Consistency checks of Spec/openrpc.json (the machine-readable twin of Spec/PROTOCOL.md).

Without a daemon:

* the document is well-formed OpenRPC 1.2.6 (the parts of the meta-schema that
  matter here), every ``$ref`` resolves and every schema is valid JSON Schema
  (draft 7);
* the method names equal the ``case`` names of ``enum Method`` in
  ``Sources/JobLogProtocol/Envelope/Method.swift`` and the methods of
  PROTOCOL.md; the errors equal the table of PROTOCOL.md section 3; the event
  types equal the table of PROTOCOL.md section 8;
* every request of ``Spec/conformance/*.jsonl`` expecting a result has params
  valid against the method's params schema and an expected result valid
  against its result schema; every request expecting ``-32602`` for a
  schema-expressible reason fails the params schema on that field; every
  expected error matches ``components.errors`` and the schema of its ``data``.

With ``JOBLOGD_BIN`` pointing to a daemon binary, it also starts one on a
private socket and database, runs the user-sync scenario
(``Spec/scenario/USER-SYNC.md``) over a raw socket and validates the real
responses against the result schemas (this catches members added in the code
but missing in the spec). Without it those tests are skipped, with the reason.

Run with ``Spec/test.sh`` (or ``python3 -m pytest -q -rs Spec/tests``).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="pip install jsonschema")
from jsonschema import Draft7Validator  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "Spec"
OPENRPC_PATH = SPEC / "openrpc.json"
PROTOCOL_PATH = SPEC / "PROTOCOL.md"
METHOD_SWIFT = ROOT / "Sources" / "JobLogProtocol" / "Envelope" / "Method.swift"
CONFORMANCE_DIR = SPEC / "conformance"

PLACEHOLDER_TIMESTAMP = "2024-01-08T10:30:00.123Z"
_SUBST_RE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def _load_doc() -> Dict[str, Any]:
    with open(OPENRPC_PATH, encoding="utf-8") as f:
        return json.load(f)


DOC = _load_doc()
METHODS: Dict[str, Dict[str, Any]] = {m["name"]: m for m in DOC.get("methods", [])}


# --------------------------------------------------------------------------
# $ref resolution and validation


def _pointer(doc: Any, ref: str) -> Any:
    if not ref.startswith("#/"):
        raise KeyError("only local references are used here: %r" % ref)
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def deref(node: Any, stack: Tuple[str, ...] = ()) -> Any:
    """A copy of ``node`` with every local ``$ref`` inlined (the document has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in stack:
                raise ValueError("cyclic $ref %s" % " -> ".join(stack + (ref,)))
            target = deref(_pointer(DOC, ref), stack + (ref,))
            rest = {k: deref(v, stack) for k, v in node.items() if k != "$ref"}
            if rest:  # draft 7 ignores siblings of $ref; keep them apart
                return {"allOf": [target], **rest}
            return target
        return {k: deref(v, stack) for k, v in node.items()}
    if isinstance(node, list):
        return [deref(v, stack) for v in node]
    return copy.deepcopy(node)


def schema(name: str) -> Dict[str, Any]:
    return deref({"$ref": "#/components/schemas/" + name})


def _param(p: Dict[str, Any]) -> Dict[str, Any]:
    return deref(p) if "$ref" in p else p


def params_schema(method: str) -> Dict[str, Any]:
    """The params object of a by-name method: its content descriptors as properties.

    Unknown params are ignored by the daemon (forward compatibility), so other
    members are allowed.
    """
    m = METHODS[method]
    props = {}
    required = []
    for p in map(_param, m["params"]):
        props[p["name"]] = deref(p["schema"])
        if p.get("required"):
            required.append(p["name"])
    return {"type": "object", "properties": props, "required": required}


def result_schema(method: str) -> Dict[str, Any]:
    return deref(_param(METHODS[method]["result"])["schema"])


def _under(path: Tuple[Any, ...], prefixes: Iterable[Tuple[Any, ...]]) -> bool:
    return any(path[: len(p)] == p for p in prefixes)


def _ignorable(err: "jsonschema.ValidationError", any_paths: Set[Tuple[Any, ...]],
               partial_paths: Set[Tuple[Any, ...]]) -> bool:
    path = tuple(err.absolute_path)
    if _under(path, any_paths):
        return True
    if err.validator == "required" and path in partial_paths:
        return True
    if err.validator in ("anyOf", "oneOf") and err.context:
        branches: Dict[Any, List[Any]] = {}
        for sub in err.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        return any(all(_ignorable(e, any_paths, partial_paths) for e in errs) for errs in branches.values())
    return False


def validation_errors(sch: Dict[str, Any], instance: Any, any_paths: Set[Tuple[Any, ...]] = frozenset(),
                      partial_paths: Set[Tuple[Any, ...]] = frozenset()) -> List["jsonschema.ValidationError"]:
    """Errors of ``instance`` against ``sch``, ignoring those at ``$any`` members and
    ``required`` errors of objects marked ``$extra`` (they list only some members)."""
    return [e for e in Draft7Validator(sch).iter_errors(instance) if not _ignorable(e, any_paths, partial_paths)]


def describe(errors: Sequence["jsonschema.ValidationError"]) -> str:
    out = []
    for e in errors:
        where = "$" + "".join("[%r]" % p if isinstance(p, int) else ".%s" % p for p in e.absolute_path)
        msg = e.message
        if e.validator == "additionalProperties":
            msg += "  <- a member sent but not described in openrpc.json (or misspelt)"
        elif e.validator == "required":
            msg += "  <- described as required in openrpc.json but not sent"
        out.append("  %s: %s" % (where, msg))
    return "\n".join(out)


def _strict_pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    d: Dict[str, Any] = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate member %r" % k)
        d[k] = v
    return d


# --------------------------------------------------------------------------
# 0. The document itself

_EXT = re.compile(r"^x-")


def _extra_keys(obj: Dict[str, Any], allowed: Set[str]) -> List[str]:
    return [k for k in obj if k not in allowed and not _EXT.match(k)]


def _walk_refs(node: Any, path: str = "$") -> Iterable[Tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield path, v
            else:
                yield from _walk_refs(v, "%s.%s" % (path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk_refs(v, "%s[%d]" % (path, i))


def test_document_shape():
    """The parts of the OpenRPC 1.2.6 meta-schema this document relies on."""
    problems = []
    assert DOC.get("openrpc") == "1.2.6"
    problems += ["top-level member %r" % k for k in _extra_keys(DOC, {"openrpc", "info", "servers", "methods", "components"})]
    info = DOC.get("info", {})
    if not (isinstance(info.get("title"), str) and isinstance(info.get("version"), str)):
        problems.append("info needs a title and a version (strings)")
    problems += ["info member %r" % k for k in _extra_keys(info, {"title", "description", "termsOfService", "version", "contact", "license"})]
    names = [m.get("name") for m in DOC["methods"]]
    if len(names) != len(set(names)):
        problems.append("duplicate method names")
    method_keys = {"name", "description", "summary", "tags", "paramStructure", "params", "result", "errors", "links",
                   "examples", "deprecated", "servers", "externalDocs"}
    cd_keys = {"name", "description", "summary", "schema", "required", "deprecated"}
    for m in DOC["methods"]:
        n = m.get("name")
        problems += ["%s: member %r" % (n, k) for k in _extra_keys(m, method_keys)]
        for k in ("name", "params", "result"):
            if k not in m:
                problems.append("%s: no %r" % (n, k))
        if m.get("paramStructure") != "by-name":
            problems.append("%s: paramStructure is %r, not 'by-name'" % (n, m.get("paramStructure")))
        pnames = []
        for p in map(_param, m.get("params", [])):
            pnames.append(p.get("name"))
            problems += ["%s param %s: member %r" % (n, p.get("name"), k) for k in _extra_keys(p, cd_keys)]
            if "schema" not in p or not isinstance(p.get("required", False), bool):
                problems.append("%s param %s: needs a schema and a boolean 'required'" % (n, p.get("name")))
        if len(pnames) != len(set(pnames)):
            problems.append("%s: duplicate param names" % n)
        res = _param(m.get("result", {}))
        problems += ["%s result: member %r" % (n, k) for k in _extra_keys(res, cd_keys)]
        for e in m.get("errors", []):
            e = deref(e)
            if set(e) - {"code", "message", "data"} or not isinstance(e.get("code"), int):
                problems.append("%s: bad error object %r" % (n, e))
    for name, e in DOC["components"].get("errors", {}).items():
        if set(e) - {"code", "message", "data"} or not isinstance(e.get("code"), int) or not isinstance(e.get("message"), str):
            problems.append("components.errors.%s: bad error object" % name)
    for path, ref in _walk_refs(DOC):
        try:
            _pointer(DOC, ref)
        except (KeyError, IndexError, ValueError) as exc:
            problems.append("%s: $ref %s does not resolve (%s)" % (path, ref, exc))
    assert not problems, "\n".join(problems)


def test_every_schema_is_valid_draft7():
    bad = []
    for name in DOC["components"]["schemas"]:
        try:
            Draft7Validator.check_schema(schema(name))
        except jsonschema.SchemaError as e:
            bad.append("components.schemas.%s: %s" % (name, e.message))
    for name in METHODS:
        for what, sch in (("params", params_schema(name)), ("result", result_schema(name))):
            try:
                Draft7Validator.check_schema(sch)
            except jsonschema.SchemaError as e:
                bad.append("%s %s: %s" % (name, what, e.message))
    assert not bad, "\n".join(bad)


def test_results_are_closed_objects():
    """Every result object lists its members (additionalProperties false), so drift is caught."""
    loose = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node and node.get("additionalProperties") is not False:
                loose.append(where)
            for k, v in node.items():
                walk(v, "%s.%s" % (where, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s[%d]" % (where, i))

    for name in METHODS:
        walk(result_schema(name), name + " result")
    walk(schema("Event"), "Event")
    # FinishError is a param (extra members of the error object are ignored), not a result.
    assert not loose, "result objects without additionalProperties false:\n" + "\n".join(loose)


# --------------------------------------------------------------------------
# 1. Method names: Method.swift, PROTOCOL.md, openrpc.json


def swift_method_names() -> List[str]:
    src = METHOD_SWIFT.read_text(encoding="utf-8")
    m = re.search(r"\benum\s+Method\b[^{]*\{(.*?)^\}", src, re.S | re.M)
    assert m, "no `enum Method` in %s" % METHOD_SWIFT
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    body = re.sub(r"//[^\n]*", "", body)
    names = []
    for line in re.finditer(r"^\s*(?:indirect\s+)?case\s+([^\n]+)", body, re.M):
        for item in line.group(1).split(","):
            item = item.strip()
            if not item:
                continue
            raw = re.search(r'=\s*"([^"]*)"', item)
            ident = re.match(r"`?([A-Za-z_][A-Za-z0-9_]*)`?", item)
            assert ident, "cannot read case %r" % item
            names.append(raw.group(1) if raw else ident.group(1))
    return names


def protocol_text() -> str:
    return PROTOCOL_PATH.read_text(encoding="utf-8")


def protocol_method_names() -> List[str]:
    names = []
    for heading in re.findall(r"^###\s+(.*)$", protocol_text(), re.M):
        names += re.findall(r"`([A-Za-z]+)`", heading)
    return names


def test_methods_equal_swift_enum():
    swift = swift_method_names()
    assert len(swift) == len(set(swift)), "duplicate cases in Method.swift"
    ours = list(METHODS)
    missing = sorted(set(swift) - set(ours))
    extra = sorted(set(ours) - set(swift))
    assert not missing and not extra, (
        "openrpc.json methods differ from enum Method (%s):\n  missing in openrpc.json: %s\n  not in Method.swift: %s"
        % (METHOD_SWIFT.relative_to(ROOT), missing, extra))
    assert len(ours) == len(swift)


def test_methods_equal_protocol_md():
    proto = protocol_method_names()
    assert set(proto) == set(METHODS), "PROTOCOL.md methods %s, openrpc.json %s" % (
        sorted(set(proto) - set(METHODS)), sorted(set(METHODS) - set(proto)))


def test_errors_equal_protocol_table():
    table = {}
    for code, message in re.findall(r"^\|\s*(-?\d+)\s*\|\s*`([^`]+)`\s*\|", protocol_text(), re.M):
        table[int(code)] = message
    assert len(table) >= 13
    ours = {e["code"]: e["message"] for e in DOC["components"]["errors"].values()}
    assert ours == table
    data = DOC.get("x-errorData", {})
    assert set(data) == set(DOC["components"]["errors"]), "x-errorData must describe every error"
    for name, d in data.items():
        assert d["code"] == DOC["components"]["errors"][name]["code"]


# --------------------------------------------------------------------------
# The event notification


def _event_table() -> Dict[str, Set[str]]:
    text = protocol_text()
    start = text.index("| type | members |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        etype = cells[0].strip("`")
        tokens = re.findall(r"`([^`]+)`", cells[1])
        # Later backticked method names (`getLogs`) are references, not members.
        members = {t for i, t in enumerate(tokens) if " " not in t and (i == 0 or t not in METHODS)}
        rows[etype] = members
    return rows


def _event_branches() -> Dict[str, Dict[str, Any]]:
    out = {}
    for branch in schema("Event")["oneOf"]:
        out[branch["properties"]["type"]["const"]] = branch
    return out


COMMON_EVENT_MEMBERS = {"subscription", "jobRunId", "type", "at"}

SAMPLE_LOG = {"id": "5", "level": "info", "stage": None, "message": "m", "context": {}, "createdAt": PLACEHOLDER_TIMESTAMP}
SAMPLE_EVENTS = {
    "run.started": {"jobName": "user-sync"},
    "stage": {"stage": "Loading users"},
    "progress": {"current": 3, "total": None},
    "log": {"log": SAMPLE_LOG},
    "outcome": {"outcomeSummary": {"synced": 2, "errors": 1}},
    "run.finished": {"status": "SUCCESS"},
    "lagged": {"dropped": 12, "resumeAfterId": "40"},
    "cancel": {"reason": "maintenance"},
}


def test_event_notification_matches_protocol_md():
    notes = {n["name"]: n for n in DOC.get("x-notifications", [])}
    assert "event" in notes, "x-notifications must describe the `event` notification"
    ev = notes["event"]
    assert "event" in METHODS["watch"].get("x-notifications", [])
    table = _event_table()
    branches = _event_branches()
    assert set(table) == set(branches) == set(schema("EventType")["enum"])
    for etype, members in table.items():
        props = set(branches[etype]["properties"])
        assert props == members | COMMON_EVENT_MEMBERS, "event %s: schema %s, PROTOCOL.md %s" % (
            etype, sorted(props), sorted(members | COMMON_EVENT_MEMBERS))
        assert branches[etype].get("additionalProperties") is False
    described = {p["name"] for p in map(_param, ev["params"])}
    assert described == set().union(*(set(b["properties"]) for b in branches.values()))
    required = {p["name"] for p in map(_param, ev["params"]) if p.get("required")}
    assert required == COMMON_EVENT_MEMBERS


@pytest.mark.parametrize("etype", sorted(SAMPLE_EVENTS))
def test_sample_events_validate(etype):
    params = {"subscription": "3", "jobRunId": "7", "type": etype, "at": PLACEHOLDER_TIMESTAMP}
    params.update(SAMPLE_EVENTS[etype])
    sch = deref(DOC["x-notifications"][0]["x-paramsSchema"])
    errs = validation_errors(sch, params)
    assert not errs, describe(errs)
    # A member of another type, or a missing one, is rejected.
    assert validation_errors(sch, dict(params, bogus=1))
    assert validation_errors(sch, {k: v for k, v in params.items() if k != "at"})


# --------------------------------------------------------------------------
# 2. Conformance vectors


class Case:
    def __init__(self, file: str, line: int, name: str, request: Dict[str, Any], response: Any) -> None:
        self.file, self.line, self.name = file, line, name
        self.request, self.response = request, response

    @property
    def id(self) -> str:
        return "%s:%d %s" % (self.file, self.line, self.name)


def _vectors() -> Iterable[Tuple[str, int, Dict[str, Any]]]:
    for path in sorted(CONFORMANCE_DIR.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for n, text in enumerate(f, 1):
                if text.strip():
                    yield path.name, n, json.loads(text)


def _same_id(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _cases() -> List[Case]:
    """(request, expected response) pairs of the vectors that send parseable request objects."""
    cases = []
    for fname, n, v in _vectors():
        send = _SUBST_RE.sub("1", v.get("send", ""))
        try:
            msg = json.loads(send)
        except ValueError:
            continue  # invalid JSON on purpose
        expect = v.get("expect")
        batch = isinstance(msg, list)
        members = msg if batch else [msg]
        if not members or not all(isinstance(m, dict) for m in members):
            continue
        for i, req in enumerate(members):
            if "id" not in req or not isinstance(req.get("method"), str) or req.get("jsonrpc") != "2.0":
                continue
            if batch:
                resp = [r for r in (expect or []) if isinstance(r, dict) and _same_id(r.get("id"), req["id"])]
                if len(resp) != 1:
                    continue
                resp = resp[0]
                name = "%s [%d]" % (v.get("name", ""), i)
            else:
                resp = expect
                name = v.get("name", "")
            if isinstance(resp, dict):
                cases.append(Case(fname, n, name, req, resp))
    return cases


CASES = _cases()
SUCCESS_CASES = [c for c in CASES if "result" in c.response]
INVALID_PARAMS_CASES = [c for c in CASES if isinstance(c.response.get("error"), dict)
                        and c.response["error"].get("code") == -32602]
ERROR_RESPONSES = []
for _f, _n, _v in _vectors():
    _e = _v.get("expect")
    for _r in (_e if isinstance(_e, list) else [_e]):
        if isinstance(_r, dict) and "error" in _r:
            ERROR_RESPONSES.append(("%s:%d %s" % (_f, _n, _v.get("name", "")), _r["error"]))


def prepare_expected(value: Any, path: Tuple[Any, ...] = ()) -> Tuple[Any, Set[Tuple[Any, ...]], Set[Tuple[Any, ...]]]:
    """An instance from an ``expect`` value: placeholders replaced, ``$extra`` dropped.

    Returns (instance, paths of ``$any`` members, paths of objects marked ``$extra``).
    """
    any_paths: Set[Tuple[Any, ...]] = set()
    partial: Set[Tuple[Any, ...]] = set()

    def conv(v: Any, p: Tuple[Any, ...]) -> Any:
        if isinstance(v, str):
            if v == "$any":
                any_paths.add(p)
                return None
            if v == "$timestamp":
                return PLACEHOLDER_TIMESTAMP
            if v == "$id" or v.startswith("$capture:"):
                return "1"
            return _SUBST_RE.sub("1", v)
        if isinstance(v, list):
            return [conv(x, p + (i,)) for i, x in enumerate(v)]
        if isinstance(v, dict):
            if v.get("$extra") is True:
                partial.add(p)
            return {k: conv(x, p + (k,)) for k, x in v.items() if k != "$extra"}
        return v

    return conv(value, path), any_paths, partial


def test_vectors_were_found():
    assert len(SUCCESS_CASES) >= 20, "expected the success vectors of Spec/conformance"
    assert len(INVALID_PARAMS_CASES) >= 10, "expected the -32602 vectors of 03-errors.jsonl"


@pytest.mark.parametrize("case", SUCCESS_CASES, ids=[c.id for c in SUCCESS_CASES])
def test_success_vector(case: Case):
    method = case.request["method"]
    assert method in METHODS, "%s: method %r is not in openrpc.json" % (case.id, method)
    params = case.request.get("params", {})
    errs = validation_errors(params_schema(method), params)
    assert not errs, "%s: params of %s do not match openrpc.json:\n%s" % (case.id, method, describe(errs))
    instance, any_paths, partial = prepare_expected(case.response["result"])
    errs = validation_errors(result_schema(method), instance, any_paths, partial)
    assert not errs, "%s: expected result of %s does not match openrpc.json:\n%s" % (case.id, method, describe(errs))


# Reasons (PROTOCOL.md section 3) that a JSON Schema can express: type, required,
# enum, minimum/maximum, minLength/maxLength. Not: `too deep`, nor `too long` of
# the 64 KiB objects.
_SCHEMA_REASONS = re.compile(r"^(required|must be a string|must be an integer|must be an object|must be one of .*|out of range)$")


@pytest.mark.parametrize("case", INVALID_PARAMS_CASES, ids=[c.id for c in INVALID_PARAMS_CASES])
def test_invalid_params_vector(case: Case):
    method = case.request["method"]
    assert method in METHODS, "%s: method %r is not in openrpc.json" % (case.id, method)
    data = case.response["error"].get("data") or {}
    field, reason = data.get("field"), data.get("reason", "")
    if not _SCHEMA_REASONS.match(reason):
        pytest.skip("reason %r is not expressible in JSON Schema" % reason)
    params = case.request.get("params", {})
    errs = list(Draft7Validator(params_schema(method)).iter_errors(params))
    assert errs, "%s: params %s are rejected by the daemon (%s: %s) but valid against openrpc.json" % (
        case.id, json.dumps(params), field, reason)

    def about_field(e: "jsonschema.ValidationError") -> bool:
        path = list(e.absolute_path)
        if path[:1] == [field]:
            return True
        return e.validator == "required" and not path and field in e.validator_value and field not in e.instance

    assert any(about_field(e) for e in errs), "%s: the schema rejects the params, but not for %r:\n%s" % (
        case.id, field, describe(errs))


@pytest.mark.parametrize("where,error", ERROR_RESPONSES, ids=[w for w, _ in ERROR_RESPONSES])
def test_expected_error_matches_components(where: str, error: Dict[str, Any]):
    check_error_object(error, where, expected=True)


def check_error_object(error: Dict[str, Any], where: str, expected: bool = False) -> None:
    by_code = {e["code"]: (name, e) for name, e in DOC["components"]["errors"].items()}
    code = error.get("code")
    assert code in by_code, "%s: error code %r is not in components.errors" % (where, code)
    name, comp = by_code[code]
    assert error.get("message") == comp["message"], "%s: message %r, openrpc.json says %r" % (
        where, error.get("message"), comp["message"])
    data_schema = DOC["x-errorData"][name]["dataSchema"]
    if data_schema is None:
        assert "data" not in error, "%s: %s has `data` but PROTOCOL.md says none" % (where, name)
        return
    assert "data" in error, "%s: %s without `data`" % (where, name)
    if expected:
        instance, any_paths, partial = prepare_expected(error["data"], ("data",))
        any_paths = {p[1:] for p in any_paths}
        partial = {p[1:] for p in partial}
    else:
        instance, any_paths, partial = error["data"], set(), set()
    errs = validation_errors(deref(data_schema), instance, any_paths, partial)
    assert not errs, "%s: data of %s does not match x-errorData:\n%s" % (where, name, describe(errs))


# --------------------------------------------------------------------------
# 3. A live daemon (JOBLOGD_BIN)


class Conn:
    """A raw connection: one JSON line per message; `event` notifications are kept apart."""

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1
        self.events: List[Dict[str, Any]] = []

    def close(self) -> None:
        self.sock.close()

    def _send(self, msg: Dict[str, Any]) -> None:
        self.sock.sendall(json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n")

    def _line(self) -> Dict[str, Any]:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("the daemon closed the connection")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line.decode("utf-8"), object_pairs_hook=_strict_pairs)

    def notify(self, method: str, params: Dict[str, Any]) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        rid = self.next_id
        self.next_id += 1
        msg: Dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": rid}
        if params is not None:
            msg["params"] = params
        self._send(msg)
        while True:
            resp = self._line()
            if resp.get("method") == "event" and "id" not in resp:
                self.events.append(resp)
                continue
            assert resp.get("id") == rid, "%s: response id %r, expected %r" % (method, resp.get("id"), rid)
            return resp

    def wait_event(self, pred, timeout: float = 5.0) -> Optional[Dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if pred(e):
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                msg = self._line()
            except socket.timeout:
                return None
            finally:
                self.sock.settimeout(10.0)
            self.events.append(msg)


@pytest.fixture(scope="module")
def daemon():
    binary = os.environ.get("JOBLOGD_BIN", "")
    if not binary:
        reason = "JOBLOGD_BIN is not set: live-daemon checks skipped"
        print(reason)
        pytest.skip(reason)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        reason = "JOBLOGD_BIN=%s is not an executable file: live-daemon checks skipped" % binary
        print(reason)
        pytest.skip(reason)
    workdir = tempfile.mkdtemp(prefix="jl-orpc-", dir="/tmp" if os.path.isdir("/tmp") else None)
    sock_path = os.path.join(workdir, "sock")
    log_path = os.path.join(workdir, "joblogd.log")
    log = open(log_path, "wb")
    argv = [binary, "--socket", sock_path, "--db", os.path.join(workdir, "db.sqlite")]
    # JOBLOG_TEST_STORE=postgres: the PostgreSQL store, a fresh database (as conformance_replay.py does).
    if os.environ.get("JOBLOG_TEST_STORE") == "postgres":
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import conformance_replay

        argv += ["--store", conformance_replay.make_postgres_database(conformance_replay.postgres_base_url() or "")]
    proc = subprocess.Popen(argv,
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail("joblogd exited with %s at start-up:\n%s" % (proc.returncode, Path(log_path).read_text()))
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(sock_path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("joblogd did not accept connections on %s within 20 s" % sock_path)
                time.sleep(0.02)
            finally:
                s.close()
        yield sock_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


class Recorder:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.calls: List[Tuple[str, Dict[str, Any], Optional[Dict[str, Any]]]] = []

    def request(self, method: str, params: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        resp = self.conn.request(method, params)
        self.calls.append((method, params if params is not None else {}, resp))
        return resp

    def notify(self, method: str, params: Dict[str, Any]) -> None:
        self.conn.notify(method, params)
        self.calls.append((method, params, None))

    def ok(self, method: str, params: Optional[Dict[str, Any]] = None) -> Any:
        resp = self.request(method, params)
        assert "result" in resp, "%s %s: %s" % (method, json.dumps(params), json.dumps(resp))
        return resp["result"]


@pytest.fixture(scope="module")
def scenario(daemon):
    """Spec/scenario/USER-SYNC.md over a raw socket, plus the admin reads and a few errors."""
    conn = Conn(daemon)
    r = Recorder(conn)
    try:
        run = r.ok("startRun", {"jobName": "user-sync", "trigger": "MANUAL", "scope": "system",
                                "algorithmVersion": "v1", "params": {"batchSize": 10}})["jobRunId"]
        rid = {"jobRunId": run}

        def job(method: str, params: Dict[str, Any], as_request: bool = False) -> None:
            p = dict(rid, **params)
            if as_request:
                r.ok(method, p)
            else:
                r.notify(method, p)

        job("setStage", {"stage": "Initializing"})
        job("info", {"message": "Job started", "context": {"batchSize": 10}}, as_request=True)
        job("setStage", {"stage": "Loading users", "message": "Loading from database"})
        job("setTotal", {"total": 10, "unit": "users"})
        job("milestone", {"message": "Found 10 users to sync", "context": {"found": 10}})
        job("setStage", {"stage": "Syncing users"})
        synced = failed = 0
        for i in range(1, 11):
            job("debug", {"message": "Syncing user %d" % i, "context": {"userId": str(i)}})
            if i == 4:
                failed += 1
                job("addOutcome", {"key": "errors", "count": 1})
                job("error", {"message": "Failed to sync user 4", "context": {"userId": "4", "error": "Network timeout"}})
            else:
                synced += 1
                job("addOutcome", {"key": "synced", "count": 1})
            if i == 7:
                job("warning", {"message": "User has invalid data", "context": {"userId": "7"}})
            job("incrementProgress", {})
            if i % 5 == 0:
                job("info", {"message": "Progress: %d/10" % i, "context": {"synced": synced, "failed": failed}})
        # Reads while RUNNING (ratePerSecond / etaSeconds may be numbers now).
        r.ok("getProgress", rid)
        r.ok("getRun", rid)
        r.ok("getOutcome", rid)
        r.ok("saveOutcome", rid)
        job("setStage", {"stage": "Finalizing"})
        job("milestone", {"message": "Sync complete", "context": {"total": 10, "synced": 9, "failed": 1}})
        r.ok("logSummary", rid)
        r.ok("finishRun", dict(rid, status="SUCCESS"))
        # Reads of the finished run.
        run_obj = r.ok("getRun", rid)["run"]
        logs = r.ok("getLogs", dict(rid, afterId=0, limit=10000))["logs"]
        r.ok("getLogs", dict(rid, level="error"))
        r.ok("getLogs", dict(rid, limit=2))
        r.ok("getProgress", rid)
        r.ok("getOutcome", rid)
        r.ok("listRuns", {"jobName": "user-sync"})
        r.ok("listRuns", {})
        r.ok("ping")
        # A second run finished with an error object, so `error` is not null.
        run2 = r.ok("startRun", {"jobName": "errors-job", "heartbeatTimeoutMs": 60000})["jobRunId"]
        r.ok("log", {"jobRunId": run2, "level": "warning", "message": "via log"})
        r.ok("finishRun", {"jobRunId": run2, "status": "FAILED", "error": {"message": "boom", "stack": "at line 1"}})
        r.ok("getRun", {"jobRunId": run2})
        # Errors.
        errors = [
            r.request("getRun", {"jobRunId": "999999"}),
            r.request("setTotal", dict(rid, total=-1)),
            r.request("finishRun", dict(rid, status="FAILED")),
            r.request("info", dict(rid, message="late")),
            r.request("nope", {}),
        ]
        return {"run": run, "run_obj": run_obj, "logs": logs, "calls": r.calls, "errors": errors, "socket": daemon}
    finally:
        conn.close()


def test_live_scenario_sanity(scenario):
    assert scenario["run_obj"]["status"] == "SUCCESS"
    assert len(scenario["logs"]) == 22, "USER-SYNC.md stores 22 entries"


def test_live_params_we_sent_match_schemas(scenario):
    bad = []
    for method, params, resp in scenario["calls"]:
        if method not in METHODS:
            continue
        if resp is not None and "error" in resp:
            continue  # the error requests are invalid on purpose
        errs = validation_errors(params_schema(method), params)
        if errs:
            bad.append("%s %s:\n%s" % (method, json.dumps(params), describe(errs)))
    assert not bad, "\n".join(bad)


LIVE_METHODS = ["startRun", "info", "log", "saveOutcome", "logSummary", "finishRun", "getRun", "getLogs",
                "getProgress", "getOutcome", "listRuns", "ping"]


@pytest.mark.parametrize("method", LIVE_METHODS)
def test_live_results_match_schemas(scenario, method):
    responses = [(p, resp) for m, p, resp in scenario["calls"] if m == method and resp is not None and "result" in resp]
    assert responses, "the scenario made no successful %s request" % method
    bad = []
    for params, resp in responses:
        assert set(resp) == {"jsonrpc", "result", "id"} and resp["jsonrpc"] == "2.0", json.dumps(resp)
        errs = validation_errors(result_schema(method), resp["result"])
        if errs:
            shown = json.dumps(resp["result"])
            if len(shown) > 600:
                shown = shown[:600] + "..."
            bad.append("%s %s -> %s\n%s" % (method, json.dumps(params), shown, describe(errs)))
    assert not bad, "the daemon's real %s result does not match openrpc.json:\n%s" % (method, "\n".join(bad))


def test_live_errors_match_components(scenario):
    codes = []
    for resp in scenario["errors"]:
        assert "error" in resp, json.dumps(resp)
        check_error_object(resp["error"], "live %s" % json.dumps(resp["error"]))
        codes.append(resp["error"]["code"])
    assert codes == [-32001, -32602, -32002, -32002, -32601]


def _not_implemented(resp: Dict[str, Any]) -> bool:
    return isinstance(resp.get("error"), dict) and resp["error"].get("code") == -32601


def test_live_watch_events(daemon):
    watcher = Conn(daemon)
    writer = Conn(daemon)
    try:
        resp = watcher.request("watch", {})
        if _not_implemented(resp):
            reason = "the daemon answers `watch` with -32601 method not found (PROTOCOL.md section 8 defines it)"
            print(reason)
            pytest.skip(reason)
        assert "result" in resp, json.dumps(resp)
        errs = validation_errors(result_schema("watch"), resp["result"])
        assert not errs, describe(errs)
        sub = resp["result"]["subscription"]
        run = writer.request("startRun", {"jobName": "watched"})["result"]["jobRunId"]
        for method, params in [("setStage", {"stage": "A"}), ("setTotal", {"total": 4}),
                               ("incrementProgress", {"by": 2}), ("info", {"message": "hello"}),
                               ("addOutcome", {"key": "k"}), ("finishRun", {"status": "SUCCESS"})]:
            assert "result" in writer.request(method, dict(params, jobRunId=run))
        done = watcher.wait_event(lambda e: e.get("params", {}).get("type") == "run.finished"
                                  and e.get("params", {}).get("jobRunId") == run)
        assert done is not None, "no run.finished event within 5 s; got %s" % json.dumps(watcher.events)
        sch = deref(DOC["x-notifications"][0]["x-paramsSchema"])
        bad = []
        for e in watcher.events:
            if set(e) != {"jsonrpc", "method", "params"} or e.get("method") != "event":
                bad.append("not an event notification: %s" % json.dumps(e))
                continue
            errs = validation_errors(sch, e["params"])
            if errs:
                bad.append("%s\n%s" % (json.dumps(e["params"]), describe(errs)))
        assert not bad, "events that do not match openrpc.json:\n" + "\n".join(bad)
        types = {e["params"]["type"] for e in watcher.events if e["params"].get("jobRunId") == run}
        assert {"run.started", "stage", "log", "run.finished"} <= types, sorted(types)
        resp = watcher.request("unwatch", {"subscription": sub})
        assert "result" in resp and not validation_errors(result_schema("unwatch"), resp["result"]), json.dumps(resp)
        resp = watcher.request("unwatch", {"subscription": sub})
        assert resp.get("error", {}).get("code") == -32008, json.dumps(resp)
        check_error_object(resp["error"], "unwatch twice")
    finally:
        watcher.close()
        writer.close()


def test_live_prune_runs(daemon):
    conn = Conn(daemon)
    try:
        resp = conn.request("pruneRuns", {"olderThanDays": 36500})
        if _not_implemented(resp):
            reason = "the daemon answers `pruneRuns` with -32601 method not found (PROTOCOL.md section 8 defines it)"
            print(reason)
            pytest.skip(reason)
        if resp.get("error", {}).get("code") == -32003:
            check_error_object(resp["error"], "pruneRuns")
            pytest.skip("pruneRuns not permitted to this uid")
        assert "result" in resp, json.dumps(resp)
        errs = validation_errors(result_schema("pruneRuns"), resp["result"])
        assert not errs, describe(errs)
    finally:
        conn.close()
