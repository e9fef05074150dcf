"""The connection to joblogd: buffered notifications, acknowledged requests,
reconnection with resend.

One ``Client`` per socket is shared by everything in a process
(``get_client()``). It is thread-safe.

* Notifications (``setStage``, ``info``, ``incrementProgress`` ...) are
  encoded and appended to an in-memory buffer: no syscall. The buffer is
  written in one ``sendall`` by a background thread every ``flush_interval``
  (50 ms), at once when it exceeds ``buffer_bytes`` (64 KiB), and before
  every request. Beyond ``max_buffer_bytes`` (1 MiB, the daemon is not
  keeping up) the job's thread writes it itself: that is the backpressure.
* Requests (``startRun``, ``saveOutcome``, ``logSummary``, ``finishRun``,
  ``ping`` ...) are written with the buffer before them and wait for their
  response, matched by id.
* Everything written since the last acknowledged request is kept (a response
  to a request means the daemon committed it and everything before it on the
  connection, PROTOCOL.md 5). When the connection breaks (the daemon stops,
  crashes or restarts) the background thread reconnects with backoff
  (50 ms doubling to 1 s) and resends, in order, everything not
  acknowledged. Delivery is exactly-once: the client is a session (a random
  id made with it, PROTOCOL.md 11) whose messages are numbered 1, 2, 3, ...;
  on every connect it sends ``hello`` with the number of its oldest kept
  message, drops what the daemon says it already applied (committed before
  a crash, not yet acknowledged) and resends the rest.
* A ``-32005 store unavailable`` answer (disk full) acknowledges nothing: the
  client keeps its buffer, reconnects with backoff and resends.
* The unacknowledged journal is bounded (``max_unacked`` messages, 100k).
  When it is full while connected (the daemon is slower than the job), the
  job waits for acknowledgements; while the daemon is away the oldest
  messages are dropped, with one warning. While connected the
  background thread keeps it short (and the window of possible duplicates
  small) with a ``ping`` after each timed write (``ack_interval``, 50 ms) or
  every ``ack_every`` (10k) messages when no request is in flight.
  The client counts what it drops per run, and once the daemon is back it
  writes a ``warning`` entry into each such run: "client dropped 2,345
  messages while the daemon was unreachable".
* Refused notifications (a finished run, a bad value): the daemon answers
  the next ``ping {"rejected": true}`` with how many it refused and the last reason; the client
  adds them to ``rejected`` and warns through ``warnings`` (``RejectedWarning``).
* When no daemon answers, a request waits at most ``connect_timeout``
  (0.2 s) before it gives up with "daemon unreachable at <socket> (<reason>)".
* Warnings go to stderr, each kind once per client.
"""

from __future__ import annotations

import atexit
import collections
import errno
import json
import os
import re
import select
import socket
import stat
import sys
import threading
import time
import uuid
import warnings
import weakref
from typing import Any, Callable, Deque, Dict, List, Optional, Union

from ._encoding import encode, encode_request

__all__ = [
    "Client",
    "JobLogError",
    "RpcError",
    "NotDelivered",
    "RejectedWarning",
    "default_socket_path",
    "unreachable_reason",
    "get_client",
]

PROTOCOL_VERSION = 2


class JobLogError(Exception):
    """Base of the errors this package raises (only in strict mode)."""


class RpcError(JobLogError):
    """The daemon answered a request with a JSON-RPC error."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        self.data = data
        detail = "" if data is None else " " + json.dumps(data, ensure_ascii=False)
        super().__init__("%s: %s (%d)%s" % (method, message, code, detail))


class NotDelivered(JobLogError):
    """A request got no response: the daemon is unreachable or too slow."""


class RejectedWarning(UserWarning):
    """joblogd refused notifications this client sent (a finished run, a
    value of the wrong type, an unknown method): they were not stored."""


def unreachable_reason(path: str, exc: Optional[BaseException] = None) -> str:
    """Why ``path`` cannot be connected to, in the words every joblog client
    uses: ``no such file``, ``not a socket``, ``permission denied``,
    ``nobody listening``, else the error's own text."""
    code = getattr(exc, "errno", None)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as e:
        return e.strerror or str(e)
    if not stat.S_ISSOCK(st.st_mode):
        return "not a socket"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code in (None, errno.ECONNREFUSED, errno.ENOENT):
        return "nobody listening"
    return (getattr(exc, "strerror", None) or str(exc)).lower()


#: ``ping`` asks the daemon for the notifications it refused since the last such ping.
_PING_PARAMS: Dict[str, Any] = {"rejected": True}

_RUN_ID_RE = re.compile(rb'"jobRunId":"?([0-9]+)')


def default_socket_path() -> str:
    """``$JOBLOG_SOCKET``, else ``$XDG_RUNTIME_DIR/joblogd.sock``, else
    ``/tmp/joblogd-<uid>.sock`` (PROTOCOL.md 1)."""
    path = os.environ.get("JOBLOG_SOCKET")
    if path:
        return path
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        return os.path.join(xdg, "joblogd.sock")
    return "/tmp/joblogd-%d.sock" % os.getuid()


_callback_lock = threading.Lock()


class _Request:
    __slots__ = ("id", "method", "line", "event", "response", "failure", "callbacks", "auto")

    def __init__(self, id: int, method: str, line: bytes, auto: bool = False) -> None:
        self.id = id
        self.method = method
        self.line = line
        self.event = threading.Event()
        self.response: Optional[Dict[str, Any]] = None
        self.failure: Optional[BaseException] = None
        self.callbacks: List[Callable[["_Request"], None]] = []
        self.auto = auto

    def done(self) -> bool:
        return self.event.is_set()

    def complete(self, response: Optional[Dict[str, Any]], failure: Optional[BaseException] = None) -> None:
        with _callback_lock:
            if self.event.is_set():
                return
            self.response = response
            self.failure = failure
            self.event.set()
            callbacks, self.callbacks = self.callbacks, []
        for cb in callbacks:
            try:
                cb(self)
            except Exception:
                pass

    def add_done_callback(self, cb: Callable[["_Request"], None]) -> None:
        """Call ``cb(request)`` when answered (at once if it already is)."""
        with _callback_lock:
            if not self.event.is_set():
                self.callbacks.append(cb)
                return
        cb(self)

    def result(self) -> Any:
        """The result, or raise RpcError / the failure."""
        if self.failure is not None:
            raise self.failure
        resp = self.response or {}
        if "error" in resp:
            err = resp["error"] if isinstance(resp["error"], dict) else {}
            raise RpcError(self.method, err.get("code", 0), err.get("message", ""), err.get("data"))
        return resp.get("result")


_Entry = Union[bytes, _Request]

_clients: "weakref.WeakSet[Client]" = weakref.WeakSet()


class Client:
    """A thread-safe connection to joblogd (see the module doc).

    ``timeout``: how long a request waits for its response, and how long an
    outage is waited out once connected. ``connect_timeout``: how long
    requests wait when the daemon was never reached. Neither makes
    notifications block: they are buffered.
    """

    def __init__(
        self,
        socket_path: Optional[str] = None,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 0.2,
        flush_interval: float = 0.05,
        buffer_bytes: int = 64 * 1024,
        max_buffer_bytes: int = 1024 * 1024,
        max_unacked: int = 100_000,
        ack_interval: float = 0.05,
        ack_every: int = 10_000,
        send_timeout: float = 10.0,
        quiet: bool = False,
    ) -> None:
        self.socket_path = socket_path or default_socket_path()
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.flush_interval = flush_interval
        self.buffer_bytes = buffer_bytes
        self.max_buffer_bytes = max(buffer_bytes, max_buffer_bytes)
        self.max_unacked = max_unacked
        self.ack_interval = ack_interval
        self.ack_every = ack_every
        self.send_timeout = send_timeout
        self.quiet = quiet

        self._lock = threading.Lock()  # all state below
        self._acked = threading.Condition(self._lock)  # notified on acknowledgements
        self._wlock = threading.Lock()  # serializes socket writes (keeps order)
        self._pending: Deque[_Entry] = collections.deque()  # not yet written
        self._pending_bytes = 0
        self._kicked = False
        self._sent: Deque[_Entry] = collections.deque()  # written, not acknowledged
        self._inflight = 0  # requests in _sent
        self._waiting: Dict[int, _Request] = {}
        self._next_id = 1
        #: The session (PROTOCOL.md 11): its id, and the number of the oldest message kept
        #: (the first of ``_sent`` then ``_pending``; later ones are numbered in order).
        self.session = "py-" + uuid.uuid4().hex
        self._oldest = 1
        #: After ``-32005``: no reconnect before this time; the next wait doubles (to 1 s).
        self._unavailable_until = 0.0
        self._unavailable_backoff = 0.05
        self._sock: Optional[socket.socket] = None
        self._gen = 0
        self._rbuf = b""
        self._closed = False
        self._ever_connected = False
        self._down_since: Optional[float] = time.monotonic()
        self._last_error: Optional[str] = None
        self._last_ack = time.monotonic()
        self._warned: set = set()
        self._dropped = 0
        #: Messages dropped per run id, not yet reported into the run.
        self._dropped_runs: Dict[str, int] = {}
        #: Notifications the daemon refused (from ``ping`` answers), and the last reason.
        self.rejected = 0
        self.last_rejection: Optional[str] = None
        self._pid = os.getpid()
        #: Run id -> function called (on the I/O thread) with the params of a ``cancel`` notification.
        self._cancel_handlers: Dict[str, Callable[[Dict[str, Any]], None]] = {}
        self.stats = {"connects": 0, "resent": 0, "dropped": 0, "notifications": 0, "requests": 0,
                      "rejected": 0}

        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._try_connect()
        self._thread = threading.Thread(target=self._run, name="joblog-io", daemon=True)
        self._thread.start()
        _clients.add(self)

    # ------------------------------------------------------------------ API

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def send_line(self, line: bytes) -> None:
        """Queue one encoded notification line (must end in ``\\n``)."""
        with self._lock:
            if self._closed:
                return
            self._pending.append(line)
            self._pending_bytes += len(line)
            self.stats["notifications"] += 1
            if len(self._pending) + len(self._sent) > self.max_unacked:
                if self._sock is None:
                    self._drop_oldest_locked()  # the daemon is away
                    return
                action = "wait"  # connected but slow: wait for acknowledgements
            elif self._pending_bytes < self.buffer_bytes or self._sock is None:
                return
            elif self._pending_bytes < self.max_buffer_bytes:
                # Over 64 KiB: the background thread writes it (the job
                # thread makes no syscall but this one wake-up).
                if self._kicked:
                    return
                self._kicked = True
                action = "kick"
            else:
                action = "write"  # far behind: write it here (backpressure)
        if action == "kick":
            self._wake()
        elif action == "write":
            self._flush()
        else:
            self._wait_for_room()

    def _wait_for_room(self) -> None:
        """The journal is full while connected: the daemon is slower than the
        job. Write everything, make sure a ping is in flight and wait for
        acknowledgements (backpressure); drop the oldest only if none comes
        within ``timeout`` or the connection breaks."""
        with self._lock:
            if self._inflight == 0 and self._sock is not None:
                req = self._auto_ping_locked()
                self._pending.append(req)
                self._pending_bytes += len(req.line)
        self._flush()
        deadline = time.monotonic() + self.timeout
        room = self.max_unacked * 9 // 10
        with self._acked:
            while (len(self._pending) + len(self._sent) > room and self._sock is not None
                   and not self._closed):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._acked.wait(min(left, 0.1))
            if len(self._pending) + len(self._sent) > self.max_unacked:
                self._drop_oldest_locked()

    def start_request(self, method: str, params: Optional[Dict[str, Any]] = None, *, auto: bool = False) -> _Request:
        """Queue a request and write it (with everything buffered before it)."""
        with self._lock:
            rid = self._next_id
            self._next_id += 1
            req = _Request(rid, method, encode_request(method, params, rid), auto)
            if self._closed:
                req.complete(None, NotDelivered("%s: the client is closed" % method))
                return req
            self._waiting[rid] = req
            self._pending.append(req)
            self._pending_bytes += len(req.line)
            self.stats["requests"] += 1
            if len(self._pending) + len(self._sent) > self.max_unacked:
                self._drop_oldest_locked()
        self._flush()
        return req

    def call(self, method: str, params: Optional[Dict[str, Any]] = None, *, timeout: Optional[float] = None) -> Any:
        """Send a request and wait for its result.

        Raises RpcError when the daemon answers with an error and
        NotDelivered when no answer comes (see ``timeout`` and
        ``connect_timeout``). The request stays queued after a failure and is
        still delivered if the daemon comes back while the process lives.
        """
        req = self.start_request(method, params)
        self.wait(req, timeout)
        return req.result()

    def wait(self, req: _Request, timeout: Optional[float] = None) -> None:
        """Wait until ``req`` is answered; raise NotDelivered when the daemon
        stays unreachable or the response does not come within ``timeout``."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not req.event.wait(0.05):
            why = self.give_up_reason(req, deadline)
            if why:
                raise NotDelivered("%s: %s" % (req.method, why))

    def give_up_reason(self, req: _Request, deadline: float) -> Optional[str]:
        """Why waiting for ``req`` should stop now (None: keep waiting)."""
        now = time.monotonic()
        with self._lock:
            down = self._down_since
            ever = self._ever_connected
            err = self._last_error
        if down is not None:
            limit = self.timeout if ever else self.connect_timeout
            if now - down >= limit or now >= deadline:
                if not ever:
                    return "daemon unreachable at %s (%s)" % (self.socket_path, err or "not connected")
                return "daemon unreachable at %s (%s) for %.1fs" % (
                    self.socket_path, err or "not connected", now - down)
        if now >= deadline:
            return "no response from joblogd at %s in time" % self.socket_path
        return None

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Send a ``ping`` and wait for it: True when everything sent before
        reached the store (is committed), False when that is not known."""
        try:
            self.call("ping", _PING_PARAMS, timeout=timeout)
            return True
        except JobLogError:
            return False

    def close(self, timeout: float = 5.0) -> bool:
        """Flush (waiting up to ``timeout``), stop the background thread and
        close the socket. Returns whether everything was acknowledged."""
        if self._closed:
            return True
        ok = True
        if os.getpid() == self._pid:
            with self._lock:
                unacked = bool(self._pending or self._sent)
                # Never reached: nothing can be acknowledged; do not wait for it again.
                hopeless = self._sock is None and not self._ever_connected
            if unacked:
                ok = False if hopeless else self.flush(timeout)
        with self._lock:
            self._closed = True
            waiting = list(self._waiting.values())
            self._waiting.clear()
        for req in waiting:
            req.complete(None, NotDelivered("%s: the client is closed" % req.method))
        self._wake()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(2.0)
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        for s in (self._wake_r, self._wake_w):
            try:
                s.close()
            except OSError:
                pass
        return ok

    @property
    def closed(self) -> bool:
        return self._closed

    def unacknowledged(self) -> int:
        """Messages not yet acknowledged by the daemon (buffered or in flight)."""
        with self._lock:
            return len(self._pending) + len(self._sent)

    def warn(self, key: str, text: str) -> None:
        """Print ``text`` to stderr once per ``key`` for this client."""
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        if not self.quiet:
            try:
                sys.stderr.write("joblog: warning: %s\n" % text)
                sys.stderr.flush()
            except Exception:
                pass

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------ internals

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _drop_oldest_locked(self) -> None:
        excess = len(self._pending) + len(self._sent) - self.max_unacked
        failed = []
        while excess > 0:
            # Written to a live connection: the daemon has it (only its resend is given up), so
            # the run has no gap to note.
            written = False
            if self._sent:
                e = self._sent.popleft()
                written = self._sock is not None
                if type(e) is _Request:
                    self._inflight -= 1
            elif self._pending:
                e = self._pending.popleft()
                self._pending_bytes -= len(e.line if type(e) is _Request else e)  # type: ignore[union-attr]
            else:
                break
            self._oldest += 1
            if type(e) is _Request:
                self._waiting.pop(e.id, None)  # type: ignore[union-attr]
                failed.append(e)
                line = e.line  # type: ignore[union-attr]
            else:
                line = e  # type: ignore[assignment]
            m = None if written else _RUN_ID_RE.search(line)  # type: ignore[arg-type]
            if m is not None:
                run = m.group(1).decode("ascii")
                self._dropped_runs[run] = self._dropped_runs.get(run, 0) + 1
            excess -= 1
            self._dropped += 1
        self.stats["dropped"] = self._dropped
        if self._sock is not None:
            self._note_drops_locked()
        for req in failed:
            req.complete(None, NotDelivered("%s: dropped from the full unacknowledged buffer" % req.method))
        if "dropped" not in self._warned:
            self._warned.add("dropped")
            if not self.quiet:
                sys.stderr.write(
                    "joblog: warning: more than %d messages not acknowledged by joblogd (%s); "
                    "dropping the oldest\n" % (self.max_unacked, self._last_error or "daemon unreachable"))

    def _flush(self) -> None:
        """Write everything buffered (in order) if connected."""
        with self._wlock:
            with self._lock:
                sock = self._sock
                if sock is None or not self._pending:
                    return
                items = self._pending
                self._pending = collections.deque()
                self._pending_bytes = 0
                self._kicked = False
                nreq = 0
                chunks = []
                for e in items:
                    if type(e) is _Request:
                        nreq += 1
                        chunks.append(e.line)  # type: ignore[union-attr]
                    else:
                        chunks.append(e)  # type: ignore[arg-type]
                self._sent.extend(items)
                self._inflight += nreq
                # Keep the journal short on long runs without requests.
                if self._inflight == 0 and len(self._sent) >= self.ack_every:
                    req = self._auto_ping_locked()
                    self._sent.append(req)
                    self._inflight += 1
                    chunks.append(req.line)
                gen = self._gen
            data = b"".join(chunks)
            try:
                sock.sendall(data)
            except OSError as e:
                self._lost(gen, "write failed: %s" % e)

    def _auto_ping_locked(self) -> _Request:
        rid = self._next_id
        self._next_id += 1
        req = _Request(rid, "ping", encode_request("ping", _PING_PARAMS, rid), auto=True)
        self._waiting[rid] = req
        return req

    def _lost(self, gen: int, why: str) -> None:
        """The connection of generation ``gen`` broke: requeue what was not
        acknowledged; the background thread reconnects."""
        with self._lock:
            if gen != self._gen or self._sock is None:
                return
            sock = self._sock
            self._sock = None
            self._gen += 1
            self._down_since = time.monotonic()
            self._last_error = why
            self._sent.extend(self._pending)
            self._pending = self._sent
            self._sent = collections.deque()
            self._inflight = 0
            self._pending_bytes = sum(len(e.line) if type(e) is _Request else len(e) for e in self._pending)  # type: ignore
            n = len(self._pending)
            self._acked.notify_all()
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes the background thread, which closes it
        except OSError:
            pass
        self._wake()
        if not self._closed:
            self.warn("lost", "lost the connection to joblogd at %s (%s); buffering %d unacknowledged "
                              "message(s) and reconnecting" % (self.socket_path, why, n))

    def _try_connect(self) -> bool:
        if time.monotonic() < self._unavailable_until:
            return False
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.send_timeout)
        try:
            s.connect(self.socket_path)
            with self._lock:
                first = self._oldest
            applied, rest = self._hello(s, first)
        except (OSError, ValueError) as e:
            s.close()
            with self._lock:
                self._last_error = unreachable_reason(self.socket_path, e) if isinstance(e, OSError) else str(e)
            return False
        with self._lock:
            if self._closed:
                s.close()
                return False
            if applied is not None:
                self._drop_applied_locked(applied)
            self._sock = s
            self._gen += 1
            self._rbuf = rest
            resent = len(self._pending) if self._ever_connected else 0
            self._down_since = None
            self._ever_connected = True
            self._last_ack = time.monotonic()
            self.stats["connects"] += 1
            self.stats["resent"] += resent
            self._note_drops_locked()
        self._flush()
        return True

    def _hello(self, s: socket.socket, first: int) -> "tuple[Optional[int], bytes]":
        """Starts or resumes the session on a new connection: how many of its messages the
        daemon applied, and any bytes read after the answer. ValueError when it refused."""
        # acceptsCancel: the I/O thread reads what the daemon sends, so a run's cancel notice
        # still arrives after a reconnect (the run was started on an earlier connection).
        s.sendall(
            encode_request("hello", {"session": self.session, "firstSeq": first, "acceptsCancel": True}, "hello")
        )
        buf = b""
        while b"\n" not in buf:
            data = s.recv(65536)
            if not data:
                raise ValueError("connection closed by joblogd")
            buf += data
        line, rest = buf.split(b"\n", 1)
        msg = json.loads(line.decode("utf-8"))
        result = msg.get("result") if isinstance(msg, dict) else None
        if not isinstance(result, dict) or type(result.get("applied")) is not int:
            err = msg.get("error") if isinstance(msg, dict) else None
            if isinstance(err, dict) and err.get("code") == -32601:
                return None, rest  # a version 1 daemon: no session, at-least-once
            if isinstance(err, dict) and err.get("code") == -32005:
                with self._lock:
                    wait = self._unavailable_backoff
                    self._unavailable_backoff = min(wait * 2, 1.0)
                    self._unavailable_until = time.monotonic() + wait
            raise ValueError("hello refused: %s" % (err.get("message") if isinstance(err, dict) else "no result"))
        return result["applied"], rest

    def _drop_applied_locked(self, applied: int) -> None:
        """After ``hello``: forget every kept message the daemon already applied (numbered at or
        below ``applied``); its next message is number ``applied + 1``. A request among them
        lost its answer in a daemon restart: a ``ping`` is answered, any other fails."""
        self._sent.extend(self._pending)
        self._pending = self._sent
        self._sent = collections.deque()
        self._inflight = 0
        done = []
        while self._pending and self._oldest <= applied:
            e = self._pending.popleft()
            self._oldest += 1
            if type(e) is _Request:
                self._pending_bytes -= len(e.line)  # type: ignore[union-attr]
                if self._waiting.pop(e.id, None) is not None:  # type: ignore[union-attr]
                    done.append(e)
            else:
                self._pending_bytes -= len(e)  # type: ignore[arg-type]
        self._oldest = max(self._oldest, applied + 1)
        self._pending_bytes = sum(len(e.line) if type(e) is _Request else len(e) for e in self._pending)  # type: ignore
        for req in done:
            if req.method == "ping":  # type: ignore[union-attr]
                req.complete({"jsonrpc": "2.0", "result": {}, "id": req.id})  # type: ignore[union-attr]
            else:
                req.complete(None, NotDelivered(  # type: ignore[union-attr]
                    "%s: applied, but its answer was lost when joblogd restarted" % req.method))  # type: ignore

    def _note_drops_locked(self) -> None:
        """Tell each run that lost messages in the buffer (issue 10 #16): a
        ``warning`` entry, ahead of what is resent (the gap is before it)."""
        if not self._dropped_runs:
            return
        notes = [encode({"jsonrpc": "2.0", "method": "warning", "params": {
            "jobRunId": run,
            "message": "client dropped {:,} messages while the daemon was unreachable".format(n),
            "context": {"droppedMessages": n, "client": "python"},
        }}) for run, n in self._dropped_runs.items()]
        self._dropped_runs.clear()
        for line in reversed(notes):
            self._pending.appendleft(line)
            self._pending_bytes += len(line)

    def _run(self) -> None:
        backoff = 0.05
        next_connect = 0.0
        while True:
            with self._lock:
                if self._closed:
                    return
                sock = self._sock
            if sock is None:
                now = time.monotonic()
                if now >= next_connect:
                    if self._try_connect():
                        backoff = 0.05
                        continue
                    next_connect = now + backoff
                    backoff = min(backoff * 2, 1.0)
                try:
                    select.select([self._wake_r], [], [], max(0.0, min(next_connect - time.monotonic(), 0.5)))
                    self._drain_wake()
                except (OSError, ValueError):
                    time.sleep(0.05)
                continue
            try:
                readable, _, _ = select.select([sock, self._wake_r], [], [], self.flush_interval)
            except (OSError, ValueError):
                readable = [sock]
            if self._wake_r in readable:
                self._drain_wake()
            if sock in readable:
                try:
                    data = sock.recv(1 << 18)
                except (BlockingIOError, socket.timeout, InterruptedError):
                    data = None
                except OSError:
                    data = b""
                if data == b"":
                    self._lost(self._gen_of(sock), "connection closed by joblogd")
                elif data:
                    self._on_data(sock, data)
            if sock is not self._sock:
                try:
                    sock.close()
                except OSError:
                    pass
                continue
            self._flush()
            self._maybe_auto_ping()

    def _gen_of(self, sock: socket.socket) -> int:
        with self._lock:
            return self._gen if sock is self._sock else -1

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass

    def _maybe_auto_ping(self) -> None:
        with self._lock:
            if self._sock is None or self._inflight or not self._sent:
                return
            if len(self._sent) < self.ack_every and time.monotonic() - self._last_ack < self.ack_interval:
                return
            req = self._auto_ping_locked()
            self._pending.append(req)
            self._pending_bytes += len(req.line)
        self._flush()

    def _on_data(self, sock: socket.socket, data: bytes) -> None:
        with self._lock:
            if sock is not self._sock:
                return
            buf = self._rbuf + data
            if b"\n" not in buf:
                self._rbuf = buf
                return
            *lines, self._rbuf = buf.split(b"\n")
        for line in lines:
            if line.strip():
                self._on_line(line)

    def _on_line(self, line: bytes) -> None:
        try:
            msg = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.warn("badline", "joblogd sent a line that is not JSON: %r" % line[:200])
            return
        if isinstance(msg, list):  # this client sends no batches
            for m in msg:
                if isinstance(m, dict):
                    self._on_response(m)
            return
        if isinstance(msg, dict):
            if msg.get("method") == "cancel" and "id" not in msg:
                self._on_cancel(msg.get("params"))
                return
            self._on_response(msg)

    def on_cancel(self, job_run_id: str, handler: Optional[Callable[[Dict[str, Any]], None]]) -> None:
        """Call ``handler(params)`` on the I/O thread when the daemon sends the
        ``cancel`` notification of run ``job_run_id`` (started on this client
        with ``acceptsCancel``); ``None`` removes it."""
        with self._lock:
            if handler is None:
                self._cancel_handlers.pop(str(job_run_id), None)
            else:
                self._cancel_handlers[str(job_run_id)] = handler

    def _on_cancel(self, params: Any) -> None:
        if not isinstance(params, dict):
            return
        with self._lock:
            handler = self._cancel_handlers.get(str(params.get("jobRunId")))
        if handler is not None:
            try:
                handler(params)
            except Exception as e:  # a handler never stops the I/O thread
                self.warn("cancel-handler", "the cancel handler failed: %r" % (e,))

    def _on_response(self, msg: Dict[str, Any]) -> None:
        rid = msg.get("id")
        err = msg.get("error")
        code = err.get("code") if isinstance(err, dict) else None
        if code == -32007:
            # Shutting down: the request was not applied. Keep it (and what
            # precedes it) for the next daemon; the connection closes soon.
            self.warn("shutdown", "joblogd at %s is shutting down; will resend to the next one" % self.socket_path)
            return
        if code == -32005 and rid is not None:
            # Store unavailable (disk full): nothing is acknowledged. Keep everything, reconnect
            # after a backoff; hello then says what was applied and the rest is resent.
            with self._lock:
                known = isinstance(rid, int) and rid in self._waiting
                gen = self._gen
                wait = self._unavailable_backoff
                self._unavailable_backoff = min(wait * 2, 1.0)
                self._unavailable_until = time.monotonic() + wait
            if known:
                reason = err.get("data", {}).get("reason") if isinstance(err.get("data"), dict) else None
                self.warn("unavailable", "joblogd at %s cannot store now (%s); keeping %d message(s) and retrying"
                          % (self.socket_path, reason or "store unavailable", self.unacknowledged()))
                self._lost(gen, "store unavailable")
                return
        with self._lock:
            req = self._waiting.pop(rid, None) if isinstance(rid, int) and not isinstance(rid, bool) else None
            if req is not None:
                # A response acknowledges its request and everything before it.
                self._last_ack = time.monotonic()
                while self._sent:
                    e = self._sent.popleft()
                    self._oldest += 1
                    if type(e) is _Request:
                        self._inflight -= 1
                        if e is req:
                            break
                self._unavailable_backoff = 0.05
                self._acked.notify_all()
        if req is not None and req.method == "ping":
            self._on_ping(msg.get("result"))
        if req is None:
            if code == -32006:
                self.warn("toomany", "joblogd at %s refused the connection: too many connections" % self.socket_path)
            elif err is not None:
                self.warn("stray:%s" % code, "joblogd answered %s" % json.dumps(msg, ensure_ascii=False)[:500])
            return
        req.complete(msg)


    def _on_ping(self, result: Any) -> None:
        """A ``ping`` answer counts the notifications the daemon refused since
        the previous one on this connection."""
        if not isinstance(result, dict):
            return
        n = result.get("rejected")
        if type(n) is not int or n <= 0:
            return
        reason = result.get("lastRejection")
        with self._lock:
            self.rejected += n
            self.stats["rejected"] = self.rejected
            self.last_rejection = reason if isinstance(reason, str) else None
        if not self.quiet:
            warnings.warn("joblogd rejected %d notification(s) sent to %s; last: %s"
                          % (n, self.socket_path, reason), RejectedWarning, stacklevel=2)


_default_lock = threading.Lock()
_default_clients: Dict[str, Client] = {}


def get_client(socket_path: Optional[str] = None) -> Client:
    """The process-wide client for ``socket_path`` (default:
    ``default_socket_path()``), created on first use."""
    path = socket_path or default_socket_path()
    with _default_lock:
        c = _default_clients.get(path)
        if c is None or c.closed:
            c = Client(path)
            _default_clients[path] = c
        return c


def _reset_after_fork() -> None:
    # The background thread does not exist in a forked child: start afresh.
    global _default_lock
    _default_lock = threading.Lock()
    _default_clients.clear()


def _close_all() -> None:
    for c in list(_clients):
        try:
            c.close(timeout=2.0)
        except Exception:
            pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
atexit.register(_close_all)
