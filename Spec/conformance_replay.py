#!/usr/bin/env python3
"""Replay the joblogd conformance vectors (Spec/conformance/*.jsonl).

Standard library only. The matching rules are those of PROTOCOL.md, section
"Conformance vectors":

* every vector is ``{"name", "send", "expect"[, "sendEncoding"]}``;
* ``send`` is the exact text of one line (sent with a ``\\n`` appended);
  ``${name}`` in it is replaced by a value captured earlier; with
  ``"sendEncoding": "escaped-bytes"`` every ``\\xHH`` stands for the raw byte HH;
* ``expect`` is the parsed response line, or ``null`` for "no response";
  a batch response (a JSON array) is compared as a multiset;
* in ``expect``: ``"$any"`` matches any value, ``"$timestamp"`` an ISO-8601
  UTC timestamp with milliseconds, ``"$id"`` a decimal-string id and
  ``"$capture:NAME"`` a decimal-string id that is stored as NAME; ``${name}``
  inside expect strings is substituted too;
* extra object members in the response are allowed only where the expected
  object has the member ``"$extra": true``;
* "no response" is verified by sending the next vector (or, at the end of a
  file, a ``ping``) and checking that the next line answers that.

Beyond the letter of that section this replayer is strict about JSON types (a
boolean never equals a number, ``1`` does not equal ``1.0``), rejects
responses with duplicate object members, and always ends a file with a
``ping`` so that a stray extra response line is caught too.

Command line::

    conformance_replay.py --daemon /path/to/joblogd            # fresh daemon per file
    conformance_replay.py --socket /run/joblogd.sock FILE...   # an existing daemon
    conformance_replay.py --daemon BIN --keep-going            # list every mismatch
    conformance_replay.py --daemon BIN --postgres postgres://joblog@127.0.0.1:5432
                                       # the PostgreSQL store: a fresh database per file
                                       # (also: JOBLOG_TEST_STORE=postgres and JOBLOG_TEST_POSTGRES_URL)

Library::

    from conformance_replay import replay_file, replay_files, Daemon, ReplayFailure
    replay_files(daemon_bin=".build/debug/joblogd")   # raises ReplayFailure
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
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
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

__all__ = [
    "ReplayFailure",
    "ReplayFailures",
    "Vector",
    "VectorResult",
    "FileResult",
    "Daemon",
    "load_vectors",
    "encode_send",
    "substitute",
    "match",
    "replay_file",
    "replay_files",
    "default_vector_files",
    "main",
]

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VECTOR_DIR = os.path.join(HERE, "conformance")

FINAL_PING_ID = "conformance-replay-final-ping"

_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_ID_RE = re.compile(r"^[1-9][0-9]*$")
_SUBST_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ESCAPED_BYTE_RE = re.compile(rb"\\x([0-9A-Fa-f]{2})")
_MAX_ID = 2**63 - 1


# --------------------------------------------------------------------------
# Data


class Vector:
    """One conformance vector (one line of a .jsonl file)."""

    def __init__(self, raw: Dict[str, Any], file: str = "", line: int = 0) -> None:
        if not isinstance(raw, dict) or "send" not in raw or "expect" not in raw:
            raise ValueError("%s:%d: a vector needs 'send' and 'expect'" % (file, line))
        if not isinstance(raw["send"], str):
            raise ValueError("%s:%d: 'send' must be a string" % (file, line))
        self.raw = raw
        self.name: str = raw.get("name", "%s:%d" % (os.path.basename(file), line))
        self.send: str = raw["send"]
        self.expect: Any = raw["expect"]
        self.send_encoding: Optional[str] = raw.get("sendEncoding")
        self.file = file
        self.line = line

    def __repr__(self) -> str:
        return "Vector(%r)" % self.name


class VectorResult:
    def __init__(self, vector: Vector, sent: bytes, got: Any, got_line: Optional[bytes]) -> None:
        self.vector = vector
        self.sent = sent
        self.got = got
        self.got_line = got_line


class FileResult:
    def __init__(self, path: str, results: List[VectorResult], captures: Dict[str, str]) -> None:
        self.path = path
        self.results = results
        self.captures = captures

    @property
    def count(self) -> int:
        return len(self.results)


class ReplayFailure(AssertionError):
    """A vector did not get the response it expects."""

    def __init__(
        self,
        reason: str,
        *,
        file: str = "",
        vector: Optional[Vector] = None,
        sent: Optional[bytes] = None,
        got: Optional[bytes] = None,
        expected: Any = None,
        path: str = "",
        note: str = "",
    ) -> None:
        self.reason = reason
        self.file = file
        self.vector = vector
        self.sent = sent
        self.got = got
        self.expected = expected
        self.path = path
        self.note = note
        super().__init__(self.describe())

    def describe(self) -> str:
        out = []
        name = self.vector.name if self.vector is not None else "(none)"
        where = os.path.basename(self.file) if self.file else ""
        if self.vector is not None and self.vector.line:
            where += ":%d" % self.vector.line
        out.append("FAIL %s vector %r: %s" % (where, name, self.reason))
        if self.path:
            out.append("  at:       %s" % self.path)
        if self.sent is not None:
            out.append("  sent:     %s" % _show_bytes(self.sent.rstrip(b"\n")))
        out.append("  got:      %s" % ("(nothing)" if self.got is None else _show_bytes(self.got.rstrip(b"\n"))))
        out.append("  expected: %s" % _show_expected(self.expected))
        if self.note:
            out.append("  note:     %s" % self.note)
        return "\n".join(out)


class ReplayFailures(ReplayFailure):
    """Several mismatches (``keep_going``): ``failures`` lists them."""

    def __init__(self, failures: List[ReplayFailure]) -> None:
        self.failures = failures
        first = failures[0]
        super().__init__(first.reason, file=first.file, vector=first.vector, sent=first.sent, got=first.got,
                         expected=first.expected, path=first.path, note=first.note)

    def describe(self) -> str:
        return "\n".join(f.describe() for f in getattr(self, "failures", [])) or super().describe()


def _show_bytes(b: bytes) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return repr(b)


def _show_expected(e: Any) -> str:
    if e is None:
        return "no response"
    return json.dumps(e, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------
# Loading and encoding


def default_vector_files() -> List[str]:
    return sorted(glob.glob(os.path.join(DEFAULT_VECTOR_DIR, "*.jsonl")))


def load_vectors(path: str) -> List[Vector]:
    vectors = []
    with open(path, "r", encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            if not text.strip():
                continue
            vectors.append(Vector(json.loads(text), path, n))
    return vectors


def _subst_text(text: str, captures: Dict[str, str], where: str) -> str:
    def repl(m: "re.Match[str]") -> str:
        name = m.group(1)
        if name not in captures:
            raise KeyError("${%s} used in %s before it was captured" % (name, where))
        return captures[name]

    return _SUBST_RE.sub(repl, text)


def encode_send(vector: Vector, captures: Dict[str, str]) -> bytes:
    """The exact bytes sent for a vector (its line plus ``\\n``)."""
    text = _subst_text(vector.send, captures, "send")
    data = text.encode("utf-8")
    if vector.send_encoding == "escaped-bytes":
        data = _ESCAPED_BYTE_RE.sub(lambda m: bytes([int(m.group(1), 16)]), data)
    elif vector.send_encoding not in (None, "utf-8"):
        raise ValueError("unknown sendEncoding %r" % vector.send_encoding)
    return data + b"\n"


def substitute(expect: Any, captures: Dict[str, str]) -> Any:
    """Replace ``${name}`` in every string of ``expect`` (keys included)."""
    if isinstance(expect, str):
        return _subst_text(expect, captures, "expect") if "${" in expect else expect
    if isinstance(expect, list):
        return [substitute(v, captures) for v in expect]
    if isinstance(expect, dict):
        return {substitute(k, captures): substitute(v, captures) for k, v in expect.items()}
    return expect


# --------------------------------------------------------------------------
# Matching


def _is_timestamp(v: Any) -> bool:
    if not isinstance(v, str) or not _TIMESTAMP_RE.match(v):
        return False
    try:
        _dt.datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return False
    return True


def _is_id(v: Any) -> bool:
    return isinstance(v, str) and bool(_ID_RE.match(v)) and int(v) <= _MAX_ID


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def match(expect: Any, got: Any, captures: Dict[str, str], path: str = "$") -> Optional[Tuple[str, str]]:
    """Compare a response value with its expectation.

    Returns ``None`` on a match, else ``(path, reason)``. Captures are written
    into ``captures`` only when the whole value matches (callers that need
    to backtrack pass a copy).
    """
    if isinstance(expect, str):
        if expect == "$any":
            return None
        if expect == "$timestamp":
            return None if _is_timestamp(got) else (path, "expected an ISO-8601 UTC timestamp with milliseconds, got %s" % _j(got))
        if expect == "$id":
            return None if _is_id(got) else (path, "expected a decimal-string id, got %s" % _j(got))
        if expect.startswith("$capture:"):
            if not _is_id(got):
                return (path, "expected a decimal-string id (to capture), got %s" % _j(got))
            captures[expect[len("$capture:"):]] = got
            return None
        if isinstance(got, str) and got == expect:
            return None
        return (path, "expected %s, got %s" % (_j(expect), _j(got)))
    if expect is None or isinstance(expect, (bool, int, float)):
        if _type_name(expect) != _type_name(got):
            return (path, "expected %s %s, got %s %s" % (_type_name(expect), _j(expect), _type_name(got), _j(got)))
        if expect != got:
            return (path, "expected %s, got %s" % (_j(expect), _j(got)))
        return None
    if isinstance(expect, list):
        if not isinstance(got, list):
            return (path, "expected an array, got %s" % _type_name(got))
        if len(expect) != len(got):
            return (path, "expected an array of %d, got %d" % (len(expect), len(got)))
        for i, (e, g) in enumerate(zip(expect, got)):
            r = match(e, g, captures, "%s[%d]" % (path, i))
            if r:
                return r
        return None
    if isinstance(expect, dict):
        if not isinstance(got, dict):
            return (path, "expected an object, got %s" % _type_name(got))
        extra_ok = expect.get("$extra") is True
        for k, e in expect.items():
            if k == "$extra":
                continue
            if k not in got:
                return ("%s.%s" % (path, k), "member missing")
            r = match(e, got[k], captures, "%s.%s" % (path, k))
            if r:
                return r
        if not extra_ok:
            extra = [k for k in got if k not in expect]
            if extra:
                return (path, "unexpected member(s) %s" % ", ".join(_j(k) for k in extra))
        return None
    raise TypeError("unsupported value in expect: %r" % (expect,))


def _match_multiset(expect: List[Any], got: Any, captures: Dict[str, str]) -> Optional[Tuple[str, str]]:
    """A batch response: same members in any order (backtracking matcher)."""
    if not isinstance(got, list):
        return ("$", "expected a batch response (an array), got %s" % _type_name(got))
    if len(expect) != len(got):
        return ("$", "expected a batch of %d responses, got %d" % (len(expect), len(got)))
    used = [False] * len(got)

    def solve(i: int, caps: Dict[str, str]) -> Optional[Dict[str, str]]:
        if i == len(expect):
            return caps
        for j in range(len(got)):
            if used[j]:
                continue
            trial = dict(caps)
            if match(expect[i], got[j], trial, "$[%d]" % j) is None:
                used[j] = True
                done = solve(i + 1, trial)
                if done is not None:
                    return done
                used[j] = False
        return None

    result = solve(0, dict(captures))
    if result is None:
        # Report the first expected member that matches nothing, for a useful message.
        for i, e in enumerate(expect):
            if all(match(e, g, dict(captures)) is not None for g in got):
                return ("$", "expected member %d (%s) matches no response in the batch" % (i, _j(e)))
        return ("$", "the batch responses do not match the expected multiset")
    captures.update(result)
    return None


def _j(v: Any) -> str:
    try:
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(v)


def _strict_pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    d: Dict[str, Any] = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate member %r" % k)
        d[k] = v
    return d


def _bad_constant(name: str) -> Any:
    raise ValueError("non-JSON constant %s" % name)


def parse_response(line: bytes) -> Any:
    """Parse one response line strictly (UTF-8, no duplicate members, no NaN)."""
    text = line.decode("utf-8")
    if not text.endswith("\n"):
        raise ValueError("response line does not end in \\n")
    return json.loads(text, object_pairs_hook=_strict_pairs, parse_constant=_bad_constant)


# --------------------------------------------------------------------------
# Connection


class LineConnection:
    """A Unix-socket connection that sends raw bytes and reads ``\\n`` lines."""

    def __init__(self, socket_path: str, timeout: float = 10.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(socket_path)
        self.timeout = timeout
        self._buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_line(self, timeout: Optional[float] = None) -> Optional[bytes]:
        """The next line including its ``\\n``; None on timeout or EOF."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                if self._buf:
                    rest, self._buf = self._buf, b""
                    return rest
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line + b"\n"

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "LineConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --------------------------------------------------------------------------
# Replay


def replay_file(
    path: str,
    socket_path: str,
    *,
    timeout: float = 10.0,
    on_vector: Optional[Callable[[VectorResult], None]] = None,
    keep_going: bool = False,
) -> FileResult:
    """Replay one .jsonl file on a fresh connection to ``socket_path``.

    Raises ReplayFailure on the first mismatch; with ``keep_going`` replays
    the whole file and raises ReplayFailures listing every mismatch.
    """
    failures: List[ReplayFailure] = []
    try:
        res = _replay_file(path, socket_path, timeout, on_vector, failures if keep_going else None)
    except ReplayFailure as e:
        if not keep_going:
            raise
        failures.append(e)
        res = FileResult(path, [], {})
    if failures:
        raise ReplayFailures(failures)
    return res


def _replay_file(
    path: str,
    socket_path: str,
    timeout: float,
    on_vector: Optional[Callable[[VectorResult], None]],
    failures: Optional[List[ReplayFailure]],
) -> FileResult:
    vectors = load_vectors(path)
    captures: Dict[str, str] = {}
    results: List[VectorResult] = []
    silent: List[Tuple[Vector, bytes]] = []  # sent, expected no response, not yet verified

    def note_for_silent() -> str:
        if not silent:
            return ""
        return "unverified 'no response' vector(s) sent just before: %s; the line may answer one of them" % (
            ", ".join(repr(v.name) for v, _ in silent)
        )

    with LineConnection(socket_path, timeout) as conn:
        for v in vectors:
            try:
                sent = encode_send(v, captures)
            except (KeyError, ValueError) as e:
                raise ReplayFailure(str(e), file=path, vector=v, expected=v.expect)
            try:
                conn.send(sent)
            except OSError as e:
                raise ReplayFailure("send failed: %s" % e, file=path, vector=v, sent=sent, expected=v.expect,
                                    note=note_for_silent())
            if v.expect is None:
                silent.append((v, sent))
                results.append(VectorResult(v, sent, None, None))
                if on_vector:
                    on_vector(results[-1])
                continue
            try:
                got = _check_one(conn, v, sent, captures, path, silent, note_for_silent, timeout)
            except ReplayFailure as e:
                if failures is None:
                    raise
                failures.append(e)
                silent.clear()
                _resync(conn, len(failures))
                continue
            results.append(VectorResult(v, sent, got[0], got[1]))
            if on_vector:
                on_vector(results[-1])
        _final_ping(conn, path, vectors, silent, note_for_silent)
    return FileResult(path, results, captures)


def _check_one(conn: "LineConnection", v: Vector, sent: bytes, captures: Dict[str, str], path: str,
               silent: List[Tuple[Vector, bytes]], note_for_silent: Callable[[], str],
               timeout: float) -> Tuple[Any, bytes]:
    line = conn.read_line()
    try:
        expected = substitute(v.expect, captures)
    except KeyError as e:
        raise ReplayFailure(str(e), file=path, vector=v, sent=sent, got=line, expected=v.expect)
    if line is None:
        raise ReplayFailure("no response within %.1fs (or the connection closed)" % timeout,
                            file=path, vector=v, sent=sent, got=None, expected=expected,
                            note=note_for_silent())
    try:
        got = parse_response(line)
    except ValueError as e:
        raise ReplayFailure("the response is not a valid JSON line: %s" % e, file=path, vector=v,
                            sent=sent, got=line, expected=expected, note=note_for_silent())
    trial = dict(captures)
    if isinstance(expected, list):
        r = _match_multiset(expected, got, trial)
    else:
        r = match(expected, got, trial)
    if r is not None:
        raise ReplayFailure(r[1], file=path, vector=v, sent=sent, got=line, expected=expected,
                            path=r[0], note=note_for_silent())
    captures.update(trial)
    silent.clear()
    return got, line


def _resync(conn: "LineConnection", n: int) -> None:
    """After a mismatch (keep-going): skip lines up to the answer of a fresh
    ping, so that one stray or missing line does not fail every later vector."""
    rid = "conformance-replay-resync-%d" % n
    conn.send(('{"jsonrpc":"2.0","method":"ping","id":"%s"}\n' % rid).encode())
    while True:
        line = conn.read_line()
        if line is None:
            return
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get("id") == rid:
            return


def _final_ping(conn: "LineConnection", path: str, vectors: List[Vector], silent: List[Tuple[Vector, bytes]],
                note_for_silent: Callable[[], str]) -> None:
    """A final ping verifies the trailing "no response" vectors and that no
    stray line is left."""
    ping = ('{"jsonrpc":"2.0","method":"ping","id":"%s"}\n' % FINAL_PING_ID).encode()
    conn.send(ping)
    line = conn.read_line()
    expected_ping = {"jsonrpc": "2.0", "result": {"version": "$any", "protocolVersion": 2}, "id": FINAL_PING_ID}
    last = silent[-1][0] if silent else (vectors[-1] if vectors else None)
    reason = None
    if line is None:
        reason = "no response to the final ping"
    else:
        try:
            got = parse_response(line)
            r = match(expected_ping, got, {})
            if r is not None:
                reason = "the final ping got a different line (%s: %s)" % r
        except ValueError as e:
            reason = "the final ping got an invalid line: %s" % e
    if reason:
        if silent:
            reason += "; a 'no response' vector was answered?"
        else:
            reason += "; a stray response line after the last vector?"
        raise ReplayFailure(reason, file=path, vector=last, sent=ping, got=line,
                            expected=expected_ping, note=note_for_silent())


def postgres_base_url() -> Optional[str]:
    """The PostgreSQL server daemons run on when ``JOBLOG_TEST_STORE=postgres``:
    ``JOBLOG_TEST_POSTGRES_URL`` (a database in it is ignored); else None (SQLite)."""
    if os.environ.get("JOBLOG_TEST_STORE") != "postgres":
        return None
    url = os.environ.get("JOBLOG_TEST_POSTGRES_URL", "")
    if not url:
        raise RuntimeError("JOBLOG_TEST_STORE=postgres needs JOBLOG_TEST_POSTGRES_URL (the server's URL)")
    return url


def make_postgres_database(base_url: str) -> str:
    """A new empty database on the server at ``base_url`` (created with ``psql``); its URL."""
    m = re.match(r"^(postgres(?:ql)?://[^/?]+)", base_url)
    if not m:
        raise RuntimeError("not a postgres:// URL: %s" % base_url)
    server = m.group(1)
    name = "c_" + os.urandom(8).hex()
    subprocess.run(["psql", "-X", "-q", "-d", server + "/postgres", "-c", "CREATE DATABASE " + name],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return server + "/" + name


def drop_postgres_database(url: str) -> None:
    """Drops a database ``make_postgres_database`` made (best effort)."""
    server, _, name = url.rpartition("/")
    subprocess.run(["psql", "-X", "-q", "-d", server + "/postgres", "-c",
                    "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Daemon:
    """A joblogd process on a private temporary socket and database.

    ``Daemon(bin).start()`` (or ``with Daemon(bin) as d:``) starts it and
    polls until the socket accepts a connection. ``kill()`` is SIGKILL,
    ``stop()`` SIGTERM (then SIGKILL). ``restart()`` starts a new process on
    the same socket and database.
    """

    def __init__(
        self,
        binary: str,
        workdir: Optional[str] = None,
        *,
        socket_path: Optional[str] = None,
        db_path: Optional[str] = None,
        extra_args: Sequence[str] = (),
        start_timeout: float = 20.0,
    ) -> None:
        self.binary = os.path.abspath(binary)
        self._own_dir = workdir is None
        # Short paths: sun_path is limited to ~104-108 bytes.
        self.workdir = workdir or tempfile.mkdtemp(prefix="jl-", dir="/tmp" if os.path.isdir("/tmp") else None)
        self.socket_path = socket_path or os.path.join(self.workdir, "sock")
        self.db_path = db_path or os.path.join(self.workdir, "db.sqlite")
        self.extra_args = list(extra_args)
        # The PostgreSQL store (JOBLOG_TEST_STORE=postgres): a fresh database, kept across restarts.
        base = postgres_base_url()
        self.postgres_url: Optional[str] = None
        if base and "--store" not in self.extra_args:
            self.postgres_url = make_postgres_database(base)
            self.extra_args += ["--store", self.postgres_url]
        self.start_timeout = start_timeout
        self.proc: Optional[subprocess.Popen] = None
        self.log_path = os.path.join(self.workdir, "joblogd.log")
        self._log = None
        self.starts = 0

    def start(self) -> "Daemon":
        self.starts += 1
        self._log = open(self.log_path, "ab")
        self._log.write(("--- start %d\n" % self.starts).encode())
        self._log.flush()
        argv = [self.binary, "--socket", self.socket_path, "--db", self.db_path, "--http", "off"] + self.extra_args
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        except OSError:
            self._close_log()
            raise
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("joblogd exited with %s during start-up:\n%s" % (self.proc.returncode, self.log_tail()))
            if self._accepts():
                return self
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("joblogd did not accept connections on %s within %.0fs:\n%s"
                                   % (self.socket_path, self.start_timeout, self.log_tail()))
            time.sleep(0.02)

    def _accepts(self) -> bool:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(1.0)
        try:
            s.connect(self.socket_path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def log_tail(self, n: int = 40) -> str:
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """SIGKILL (a crash): the socket file is left behind."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close_log()

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM, then SIGKILL after ``timeout``. Returns the exit status."""
        rc = None
        if self.proc:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            rc = self.proc.returncode
        self._close_log()
        return rc

    def restart(self) -> "Daemon":
        self.stop()
        return self.start()

    def _close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None

    def cleanup(self) -> None:
        self.stop()
        if self.postgres_url:
            drop_postgres_database(self.postgres_url)
            self.postgres_url = None
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Daemon":
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()


def replay_files(
    files: Optional[Iterable[str]] = None,
    *,
    socket_path: Optional[str] = None,
    daemon_bin: Optional[str] = None,
    daemon_args: Sequence[str] = (),
    timeout: float = 10.0,
    keep_going: bool = False,
    log: Optional[Callable[[str], None]] = None,
) -> List[FileResult]:
    """Replay files; with ``daemon_bin`` each file gets a fresh daemon and database.

    Raises ReplayFailure on the first mismatch (the daemon's log tail is in
    its ``note``); with ``keep_going`` replays everything and raises
    ReplayFailures listing every mismatch.
    """
    if (socket_path is None) == (daemon_bin is None):
        raise ValueError("give exactly one of socket_path and daemon_bin")
    out = []
    failures: List[ReplayFailure] = []
    for path in list(files) if files is not None else default_vector_files():
        try:
            if daemon_bin is not None:
                with Daemon(daemon_bin, extra_args=daemon_args) as d:
                    try:
                        res = replay_file(path, d.socket_path, timeout=timeout, keep_going=keep_going)
                    except ReplayFailure as e:
                        last = e.failures[-1] if isinstance(e, ReplayFailures) else e
                        last.note = (last.note + "\n" if last.note else "") + "daemon log tail:\n" + d.log_tail(15)
                        raise
            else:
                res = replay_file(path, socket_path, timeout=timeout, keep_going=keep_going)  # type: ignore
        except ReplayFailure as e:
            if not keep_going:
                e.args = (e.describe(),)
                raise
            more = e.failures if isinstance(e, ReplayFailures) else [e]
            failures.extend(more)
            if log:
                log("FAIL %s (%d mismatches)" % (os.path.basename(path), len(more)))
            continue
        if log:
            log("ok   %s (%d vectors)" % (os.path.basename(path), res.count))
        out.append(res)
    if failures:
        raise ReplayFailures(failures)
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="vector files (default: Spec/conformance/*.jsonl)")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--daemon", metavar="BIN", help="start a fresh joblogd per file on temporary paths")
    g.add_argument("--socket", metavar="PATH", help="replay against this socket (give it a fresh daemon per file)")
    ap.add_argument("--daemon-arg", action="append", default=[], metavar="ARG",
                    help="extra argument for the daemon (repeatable)")
    ap.add_argument("--postgres", metavar="URL",
                    help="with --daemon: the PostgreSQL store on this server, a fresh database per file "
                    "(default: JOBLOG_TEST_POSTGRES_URL when JOBLOG_TEST_STORE=postgres)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a response (default 10)")
    ap.add_argument("-k", "--keep-going", action="store_true",
                    help="report every mismatch instead of stopping at the first")
    args = ap.parse_args(argv)
    if args.postgres:
        os.environ["JOBLOG_TEST_STORE"] = "postgres"
        os.environ["JOBLOG_TEST_POSTGRES_URL"] = args.postgres
    files = args.files or default_vector_files()
    if not files:
        print("no vector files found", file=sys.stderr)
        return 2
    if args.socket and len(files) > 1:
        print("note: replaying %d files on one daemon; the vectors assume a fresh daemon per file" % len(files),
              file=sys.stderr)
    try:
        results = replay_files(files, socket_path=args.socket, daemon_bin=args.daemon,
                               daemon_args=args.daemon_arg, timeout=args.timeout,
                               keep_going=args.keep_going, log=print)
    except ReplayFailure as e:
        print(e.describe())
        n = len(e.failures) if isinstance(e, ReplayFailures) else 1
        print("conformance: FAILED (%d mismatch%s)" % (n, "" if n == 1 else "es"))
        return 1
    except (OSError, RuntimeError) as e:
        print("error: %s" % e)
        return 2
    print("conformance: OK (%d files, %d vectors)" % (len(results), sum(r.count for r in results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
