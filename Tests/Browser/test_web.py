"""The Job Manager web UI in a real browser (headless Chromium driven by Selenium).

Starts the built daemon ($JOBLOGD_BIN, else .build/debug/joblogd) on a temporary
socket and database with `--http 127.0.0.1:0` and a known token file, runs the
seed's user-sync job slowly with the Python client, and checks the pages live,
without reloading. Screenshots go to $JOBLOG_BROWSER_ARTIFACTS (else a temporary
directory, printed).

    JOBLOGD_BIN=.build/debug/joblogd python3 -m pytest -q Tests/Browser
"""

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

REPO = Path(__file__).resolve().parents[2]
NODE = "web-node-1"
BIN = os.environ.get("JOBLOGD_BIN") or str(REPO / ".build" / "debug" / "joblogd")
TOKEN = "5e" * 32
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
XSS = "<img src=x onerror=alert(1)>"
STAGES = ["Initializing", "Loading users", "Syncing users", "Finalizing"]

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER and os.access(BIN, os.X_OK)),
    reason="needs chromium, chromedriver and a built joblogd (Scripts/test-all.sh installs them)",
)

# A job that simulates the seed's user-sync with a pause per user (a few seconds in all).
SLOW_SYNC = """
import os, sys, time
sys.path.insert(0, os.path.join(os.environ["REPO"], "Clients", "python", "examples"))
import user_sync
delay = float(os.environ["SYNC_DELAY"])
original = user_sync.sync_user_to_external_service
def slow(user):
    time.sleep(delay)
    original(user)
user_sync.sync_user_to_external_service = slow
print(user_sync.run_user_sync_job(10), flush=True)
"""

# A job that takes cancel requests (run_job says acceptsCancel) and loops over 1,000 items.
CANCELLABLE = """
import time
from joblog import JobCancelled, run_job
try:
    with run_job("cancel-me") as ctx:
        ctx.logger.set_total(1000, "items")
        for _ in range(1000):
            time.sleep(0.05)
            ctx.logger.increment_progress()
except JobCancelled as e:
    print("cancelled:", e.reason, flush=True)
"""


def wait_until(predicate, timeout=20.0, what="condition", interval=0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except StaleElementReferenceException:
            last = None
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what + " (last value: %r)" % (last,))


class Daemon:
    """The real joblogd with HTTP on a loopback port; restartable on the same socket, database and port."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.socket = str(self.dir / "sock")
        self.db = str(self.dir / "db.sqlite")
        self.token_file = self.dir / "http-token"
        self.port_file = self.dir / "http-port"
        self.log = self.dir / "daemon.log"
        self.token_file.write_text(TOKEN + "\n")
        os.chmod(self.token_file, 0o600)
        self.proc = None
        self.port = 0

    def start(self):
        if self.port_file.exists():
            self.port_file.unlink()
        args = [BIN, "--socket", self.socket, "--db", self.db, "--log-level", "debug",
                "--http", "127.0.0.1:%d" % self.port, "--http-token-file", str(self.token_file),
                "--http-port-file", str(self.port_file), "--node-name", NODE]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        text = wait_until(lambda: self.port_file.exists() and self.port_file.read_text().strip()
                          or self.proc.poll() is not None and "exited", 20, "the daemon's HTTP port")
        assert text != "exited", "joblogd exited: " + self.log.read_text()[-2000:]
        self.port = int(text)
        wait_until(self.healthy, 20, "GET /healthz")

    def healthy(self):
        try:
            with urllib.request.urlopen(self.url("/healthz"), timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def rpc(self, method, params):
        """One acknowledged JSON-RPC request on its own connection; returns the result."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.socket)
            s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) + "\n").encode())
            s.shutdown(socket.SHUT_WR)
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        answer = json.loads(data)
        assert "result" in answer, answer
        return answer["result"]


@pytest.fixture
def daemon():
    d = Daemon(tempfile.mkdtemp(prefix="joblogd-browser-"))
    d.start()
    yield d
    d.stop()
    shutil.rmtree(d.dir, ignore_errors=True)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_window_size(1280, 800)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def artifacts():
    path = os.environ.get("JOBLOG_BROWSER_ARTIFACTS") or tempfile.mkdtemp(prefix="joblogd-browser-artifacts-")
    os.makedirs(path, exist_ok=True)
    print("browser screenshots in", path)
    return Path(path)


def css(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_of(driver, selector):
    found = css(driver, selector)
    return found[0].text if found else None


def percent(driver, selector):
    found = css(driver, selector)
    if not found:
        return None
    value = found[0].get_attribute("data-percent")
    return int(value) if value else None


def log_rows(driver):
    """(id, level, message) of every log row shown, in page order."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.loglist li.log'))"
        ".map(li => [li.dataset.id, li.dataset.level, li.querySelector('.msg').textContent]);")


def sign_in(driver, daemon):
    driver.get(daemon.url("/?token=" + TOKEN))
    wait_until(lambda: "token=" not in driver.current_url, 10, "the redirect without the token")
    wait_until(lambda: css(driver, "table.runs"), 10, "the runs list")
    driver.execute_script("window.__sameDocument = true;")


def assert_not_reloaded(driver):
    assert driver.execute_script("return window.__sameDocument === true;"), "the page was reloaded"


def assert_no_alert(driver):
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    raise AssertionError("an alert ran: %r" % text)


def start_slow_sync(daemon, delay):
    env = dict(os.environ, REPO=str(REPO), PYTHONPATH=str(REPO / "Clients" / "python" / "src"),
               JOBLOG_SOCKET=daemon.socket, SYNC_DELAY=str(delay))
    return subprocess.Popen([sys.executable, "-c", SLOW_SYNC], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def seed_finished_runs(daemon):
    """Two earlier runs, so the list shows more than one status; returns their ids."""
    ids = []
    for name, status, error in (("nightly-backup", "SUCCESS", None), ("report-export", "FAILED", "disk full")):
        run = daemon.rpc("startRun", {"jobName": name, "pid": os.getpid()})["jobRunId"]
        ids.append(run)
        daemon.rpc("setStage", {"jobRunId": run, "stage": "Copying"})
        daemon.rpc("setTotal", {"jobRunId": run, "total": 4, "unit": "files"})
        daemon.rpc("setProgress", {"jobRunId": run, "current": 4 if error is None else 3})
        daemon.rpc("addOutcome", {"jobRunId": run, "key": "copied", "count": 4 if error is None else 3})
        finish = {"jobRunId": run, "status": status}
        if error:
            finish["error"] = error
        daemon.rpc("finishRun", finish)
    return ids


def test_user_sync_live_in_runs_list_and_run_page(daemon, browser, artifacts):
    seeded = seed_finished_runs(daemon)
    sign_in(browser, daemon)
    assert [b.text for b in css(browser, "table.runs tbody .badge")] == ["FAILED", "SUCCESS"]
    assert not [b for b in css(browser, "table.runs tbody button.cancel") if b.is_displayed()], "Cancel on finished runs"
    job = start_slow_sync(daemon, 0.5)
    try:
        # The runs list: the new run appears at the top, RUNNING, with a moving progress bar.
        row = "table.runs tbody tr[data-run-id]"
        run_id = wait_until(lambda: css(browser, row) and css(browser, row)[0].get_attribute("data-run-id") not in seeded
                            and css(browser, row)[0].get_attribute("data-run-id"), 15, "the new run in the runs list")
        wait_until(lambda: text_of(browser, row + " .badge") == "RUNNING", 10, "a RUNNING badge")
        daemon.rpc("warning", {"jobRunId": run_id, "message": XSS, "context": {"html": "<b>bold</b>"}})
        seen = []
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline and len(set(v for v in seen if v is not None)) < 2:
            seen.append(percent(browser, row + " .progress"))
            time.sleep(0.05)
        values = [v for v in seen if v is not None]
        assert len(set(values)) >= 2 and values == sorted(values), "runs-list progress did not advance: %r" % seen
        assert "users" in text_of(browser, row + " .plabel")
        wait_until(lambda: (percent(browser, row + " .progress") or 0) >= 30, 10, "30%")
        browser.save_screenshot(str(artifacts / "runs-list.png"))

        # The run page, reached by a click (no reload): progress, logs and stage arrive live.
        css(browser, row + " td a")[0].click()
        wait_until(lambda: css(browser, ".runpage[data-run-id='%s']" % run_id), 10, "the run page")
        percents, counts = [], []
        while job.poll() is None or text_of(browser, ".runhead .badge") != "SUCCESS":
            percents.append(percent(browser, ".runpage .progress"))
            counts.append(len(log_rows(browser)))
            time.sleep(0.05)
            assert len(percents) < 600, "the run page never showed SUCCESS"
        assert job.wait(10) == 0, job.stderr.read()
    finally:
        if job.poll() is None:
            job.kill()
    values = [v for v in percents if v is not None]
    assert values == sorted(values) and len(set(values)) >= 2, "run-page progress did not advance: %r" % percents
    wait_until(lambda: percent(browser, ".runpage .progress") == 100, 5, "100%")
    assert "10 / 10 users" in text_of(browser, ".runpage .plabel")
    assert len(set(counts)) >= 3 and counts[-1] > counts[0], "log entries did not arrive live: %r" % counts[:50]

    # Finished: status, outcome counters, stage timeline.
    assert text_of(browser, ".runhead .badge") == "SUCCESS"
    wait_until(lambda: text_of(browser, ".counter[data-key='synced'] dd") == "9", 5, "synced 9")
    assert text_of(browser, ".counter[data-key='errors'] dd") == "1"
    wait_until(lambda: [r.get_attribute("data-stage") for r in css(browser, ".tlrow")] == STAGES, 5,
               "the stage timeline")
    widths = [b.value_of_css_property("width") for b in css(browser, ".tltrack .bar")]
    assert all(float(w.replace("px", "")) > 0 for w in widths), widths

    # Every stored entry is shown once, in order, and the page matches the store.
    stored = daemon.rpc("getLogs", {"jobRunId": run_id, "limit": 1000})["logs"]
    wait_until(lambda: [r[0] for r in log_rows(browser)] == [e["id"] for e in stored], 5,
               "the log rows equal the stored entries")

    # The XSS message is text: no <img> was created and no alert ran.
    xss_rows = [r for r in log_rows(browser) if r[2] == XSS]
    assert len(xss_rows) == 1, log_rows(browser)
    assert css(browser, ".loglist img") == [] and css(browser, "main img") == []
    assert_no_alert(browser)
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(artifacts / "run-page.png"))

    # The level filter: from warning up, no info or debug entry is left.
    Select(css(browser, "select[name='level']")[0]).select_by_value("warning")
    expected = [e["id"] for e in stored if e["level"] in ("warning", "error")]
    wait_until(lambda: [r[0] for r in log_rows(browser)] == expected, 10, "the warning-and-up entries")
    assert not [r for r in log_rows(browser) if r[1] in ("debug", "info")]
    assert {"warning", "error"} <= {r[1] for r in log_rows(browser)}

    # The text filter hides what does not match.
    css(browser, "input[name='q']")[0].send_keys("timeout")
    visible = browser.execute_script(
        "return Array.from(document.querySelectorAll('.loglist li.log')).filter(li => !li.hidden)"
        ".map(li => li.querySelector('.msg').textContent);")
    assert visible == ["Failed to sync user 4"], visible

    # The job page: its runs and the duration chart.
    browser.execute_script("window.scrollTo(0, 0)")
    css(browser, ".runhead h1 a")[0].click()
    wait_until(lambda: css(browser, "svg.durchart rect"), 10, "the duration chart")
    assert text_of(browser, "table.runs tbody tr .badge") == "SUCCESS"
    assert_not_reloaded(browser)
    assert_no_alert(browser)


def test_node_shown_and_filtered(daemon, browser):
    """Several hosts may share one store: the runs list and the run page name the daemon that started the run."""
    run_id = daemon.rpc("startRun", {"jobName": "node-job", "pid": os.getpid()})["jobRunId"]
    sign_in(browser, daemon)
    row = "table.runs tbody tr[data-run-id='%s']" % run_id
    wait_until(lambda: css(browser, row), 10, "the run in the runs list")
    assert text_of(browser, row + " .node") == "@ " + NODE
    browser.get(daemon.url("/#/runs?node=other-host"))
    wait_until(lambda: "No runs match." in (text_of(browser, "p.note") or ""), 10, "no run of another node")
    assert css(browser, row) == []
    assert css(browser, "input[name='node']")[0].get_attribute("value") == "other-host"
    browser.get(daemon.url("/#/runs?node=" + NODE))
    wait_until(lambda: css(browser, row), 10, "the run, filtered by its node")
    browser.get(daemon.url("/#/runs/" + run_id))
    wait_until(lambda: css(browser, ".runpage[data-run-id='%s']" % run_id), 10, "the run page")
    wait_until(lambda: NODE in [d.text for d in css(browser, ".runpage dd")], 10, "the node on the run page")
    assert_no_alert(browser)


def test_wrong_or_missing_token_shows_sign_in(daemon, browser):
    daemon.rpc("startRun", {"jobName": "secret-job", "pid": os.getpid()})
    for path in ("/?token=" + "0" * 64, "/"):
        browser.delete_all_cookies()
        browser.get(daemon.url(path))
        wait_until(lambda: css(browser, "#sign-in"), 10, "the sign-in message on " + path)
        assert "token" in css(browser, "#sign-in")[0].text.lower()
        assert "secret-job" not in browser.page_source
        assert css(browser, "table.runs tbody tr") == []
    # Pasting the right token into the sign-in form opens the Job Manager.
    field = css(browser, "#sign-in input[name='token']")[0]
    field.send_keys(TOKEN)
    field.submit()
    wait_until(lambda: css(browser, "table.runs tbody tr[data-run-id]"), 10, "the runs list after signing in")
    assert "token=" not in browser.current_url
    assert text_of(browser, "table.runs tbody tr td:nth-child(2) a") == "secret-job"


def test_reconnect_after_daemon_restart_misses_and_repeats_nothing(daemon, browser):
    run_id = daemon.rpc("startRun", {"jobName": "reconnect", "pid": os.getpid()})["jobRunId"]
    line = lambda i: "line %03d" % i  # noqa: E731
    for i in range(1, 11):
        daemon.rpc("info", {"jobRunId": run_id, "message": line(i)})
    sign_in(browser, daemon)
    browser.get(daemon.url("/#/runs/" + run_id))
    browser.execute_script("window.__sameDocument = true;")
    messages = lambda: [r[2] for r in log_rows(browser)]  # noqa: E731
    wait_until(lambda: messages() == [line(i) for i in range(1, 11)], 10, "lines 1-10")
    wait_until(lambda: css(browser, "#conn[data-state='live']"), 10, "the live connection")
    for i in range(11, 16):
        daemon.rpc("info", {"jobRunId": run_id, "message": line(i)})
    wait_until(lambda: messages() == [line(i) for i in range(1, 16)], 10, "lines 11-15 live")

    daemon.stop()
    wait_until(lambda: css(browser, "#conn[data-state='reconnecting']"), 10, "the page noticing the restart")
    daemon.start()  # same socket, database and port
    # Lines written while the page is still reconnecting and after it is back.
    for i in range(16, 41):
        daemon.rpc("info", {"jobRunId": run_id, "message": line(i)})
        time.sleep(0.1)
    daemon.rpc("finishRun", {"jobRunId": run_id, "status": "SUCCESS"})
    wait_until(lambda: text_of(browser, ".runhead .badge") == "SUCCESS", 20, "SUCCESS after the restart")
    want = [line(i) for i in range(1, 41)]
    wait_until(lambda: messages() == want, 10, "lines 1-40 exactly once, in order")
    ids = [r[0] for r in log_rows(browser)]
    assert len(ids) == len(set(ids))
    assert css(browser, "#conn[data-state='live']")
    assert_not_reloaded(browser)


def test_log_tail_pauses_while_scrolled_up_and_pages_back(daemon, browser):
    run_id = daemon.rpc("startRun", {"jobName": "long-log", "pid": os.getpid()})["jobRunId"]
    for start in range(1, 451, 50):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:  # 50 notifications and a ping
            s.connect(daemon.socket)
            batch = [{"jsonrpc": "2.0", "method": "info", "params": {"jobRunId": run_id, "message": "entry %03d" % i}}
                     for i in range(start, start + 50)]
            s.sendall((json.dumps(batch) + "\n" + json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}) + "\n").encode())
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
    sign_in(browser, daemon)
    browser.get(daemon.url("/#/runs/" + run_id))
    messages = lambda: [r[2] for r in log_rows(browser)]  # noqa: E731
    # Only the newest page is loaded, and the list follows its end.
    wait_until(lambda: messages() == ["entry %03d" % i for i in range(251, 451)], 10, "the newest 200 entries")
    scroller = css(browser, ".logscroll")[0]
    at_bottom = "const s = arguments[0]; return s.scrollTop + s.clientHeight >= s.scrollHeight - 30;"
    wait_until(lambda: browser.execute_script(at_bottom, scroller), 5, "the list scrolled to its end")

    # Scrolled up: new entries are added below without moving the view, and counted.
    browser.execute_script("arguments[0].scrollTop = 0;", scroller)
    wait_until(lambda: css(browser, ".logs[data-follow='false']"), 5, "following paused")
    for i in range(451, 456):
        daemon.rpc("info", {"jobRunId": run_id, "message": "entry %03d" % i})
    wait_until(lambda: messages()[-1] == "entry 455", 10, "the new entries")
    assert browser.execute_script("return arguments[0].scrollTop;", scroller) == 0
    jump = css(browser, "button.jump")[0]
    wait_until(lambda: jump.is_displayed() and jump.text.startswith("↓ 5 new"), 5, "the '5 new' button")
    jump.click()
    wait_until(lambda: browser.execute_script(at_bottom, scroller), 5, "back at the end")
    assert css(browser, ".logs[data-follow='true']")
    daemon.rpc("info", {"jobRunId": run_id, "message": "entry 456"})
    wait_until(lambda: messages()[-1] == "entry 456" and browser.execute_script(at_bottom, scroller), 10,
               "following again")

    # Paging back reads older entries by keyset, a page at a time.
    first_before = int(log_rows(browser)[0][0])
    browser.execute_script("arguments[0].scrollTop = 0;", scroller)
    css(browser, "button.older")[0].click()
    wait_until(lambda: int(log_rows(browser)[0][0]) < first_before, 10, "older entries")
    shown = messages()
    assert len(shown) == len(set(shown)) and shown == sorted(shown), "paged entries out of order or repeated"
    # getLogs beforeId: the page just before the first row shown, not a jump to the oldest page.
    assert shown == ["entry %03d" % i for i in range(51, 457)], (shown[:3], shown[-3:], len(shown))
    browser.execute_script("arguments[0].scrollTop = 0;", scroller)
    css(browser, "button.older")[0].click()
    wait_until(lambda: messages() == ["entry %03d" % i for i in range(1, 457)], 10, "entries 1-456 after a second page")


def start_cancellable(daemon):
    env = dict(os.environ, PYTHONPATH=str(REPO / "Clients" / "python" / "src"), JOBLOG_SOCKET=daemon.socket)
    return subprocess.Popen([sys.executable, "-c", CANCELLABLE], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def post_cancel(daemon, run_id, headers, body=b"{}"):
    """POST .../cancel from this test (not a browser); returns (status, parsed body)."""
    request = urllib.request.Request(daemon.url("/api/admin/jobs/%s/cancel" % run_id), data=body, method="POST",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_cancel_button_stops_a_running_job(daemon, browser):
    job = start_cancellable(daemon)
    try:
        sign_in(browser, daemon)
        row = "table.runs tbody tr[data-run-id]"
        run_id = wait_until(lambda: css(browser, row) and css(browser, row)[0].get_attribute("data-run-id"), 15,
                            "the job's run in the runs list")
        wait_until(lambda: [b for b in css(browser, row + " button.cancel") if b.is_displayed()], 10,
                   "a Cancel button on the RUNNING row of the runs list")
        browser.get(daemon.url("/#/runs/" + run_id))
        browser.execute_script("window.__sameDocument = true;")
        wait_until(lambda: text_of(browser, ".runhead .badge") == "RUNNING", 10, "the RUNNING run page")
        button = wait_until(lambda: [b for b in css(browser, ".runhead button.cancel") if b.is_displayed()], 10,
                            "the Cancel button")[0]

        # Backing out of the dialog cancels nothing.
        button.click()
        wait_until(lambda: css(browser, "dialog.canceldialog[open]"), 5, "the confirmation dialog")
        css(browser, "dialog.canceldialog button.back")[0].click()
        wait_until(lambda: not css(browser, "dialog.canceldialog[open]"), 5, "the dialog closed")
        assert daemon.rpc("getRun", {"jobRunId": run_id})["run"]["cancelRequestedAt"] is None
        assert job.poll() is None

        # Confirming with a reason asks the job to stop; the page follows it to CANCELLED live.
        button.click()
        wait_until(lambda: css(browser, "dialog.canceldialog[open]"), 5, "the confirmation dialog")
        css(browser, "dialog.canceldialog input[name='reason']")[0].send_keys("stopped from the browser")
        css(browser, "dialog.canceldialog button.confirm")[0].click()
        wait_until(lambda: "Cancel requested: stopped from the browser" in [r[2] for r in log_rows(browser)], 10,
                   "the 'Cancel requested' entry, live")
        wait_until(lambda: text_of(browser, ".runhead .badge") == "CANCELLED", 15, "CANCELLED on the run page")
        assert job.wait(15) == 0, job.stderr.read()
        assert "cancelled: stopped from the browser" in job.stdout.read()
    finally:
        if job.poll() is None:
            job.kill()
    run = daemon.rpc("getRun", {"jobRunId": run_id})["run"]
    assert run["status"] == "CANCELLED" and run["error"]["message"] == "Cancelled: stopped from the browser", run
    assert run["cancelRequestedAt"] is not None and run["progressCurrent"] < 1000
    assert not [b for b in css(browser, ".runhead button.cancel") if b.is_displayed()], "no Cancel on a finished run"
    assert_not_reloaded(browser)
    assert_no_alert(browser)


class _ForeignPage(http.server.BaseHTTPRequestHandler):
    """Another origin on the same host (another port): a page that posts a cancel to the daemon."""

    page = b""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):
        pass


def test_cross_origin_cancel_is_refused(daemon, browser):
    run_id = daemon.rpc("startRun", {"jobName": "not-yours", "heartbeatTimeoutMs": 600000})["jobRunId"]
    auth = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}

    # From this test: a foreign Origin, and a browser's cross-site marker, are 403 even with the token.
    for extra in ({"Origin": "http://evil.example"}, {"Origin": "http://127.0.0.1:1"}, {"Sec-Fetch-Site": "cross-site"}):
        status, body = post_cancel(daemon, run_id, dict(auth, **extra))
        assert status == 403 and body["error"]["code"] == -32003, (extra, status, body)
    status, body = post_cancel(daemon, run_id, {"Authorization": "Bearer " + TOKEN, "Content-Type": "text/plain"})
    assert status == 415, (status, body)
    status, body = post_cancel(daemon, run_id, {"Content-Type": "application/json"})
    assert status == 401, (status, body)

    # From a real page of another origin on the same host, while the browser holds the token cookie
    # (cookies ignore ports): a form that posts to the daemon is refused, and so is a no-cors fetch.
    sign_in(browser, daemon)
    target = daemon.url("/api/admin/jobs/%s/cancel" % run_id)
    _ForeignPage.page = (
        "<!doctype html><title>foreign</title>"
        "<form method=post enctype=text/plain action='%s'><input name='{\"reason\":\"csrf\",\"x\":\"' value='\"}'>"
        "</form><script>fetch('%s', {method: 'POST', mode: 'no-cors', credentials: 'include', "
        "headers: {'Content-Type': 'text/plain'}, body: '{}'}).finally(() => document.forms[0].submit());</script>"
        % (target, target)).encode()
    server = http.server.HTTPServer(("127.0.0.1", 0), _ForeignPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get("http://127.0.0.1:%d/" % server.server_address[1])
        wait_until(lambda: "cross-origin request refused" in browser.page_source, 10, "the daemon's 403 answer")
    finally:
        server.shutdown()
        server.server_close()
    run = daemon.rpc("getRun", {"jobRunId": run_id})["run"]
    assert run["status"] == "RUNNING" and run["cancelRequestedAt"] is None, run
    messages = [e["message"] for e in daemon.rpc("getLogs", {"jobRunId": run_id, "limit": 100})["logs"]]
    assert not [m for m in messages if m.startswith("Cancel")], messages

    # The daemon's own page may: the same request with the browser's own origin goes through.
    status, body = post_cancel(daemon, run_id, dict(auth, Origin="http://127.0.0.1:%d" % daemon.port),
                               json.dumps({"reason": "own origin", "graceMs": 60000}).encode())
    assert status == 200 and body["run"]["cancelReason"] == "own origin", (status, body)
    daemon.rpc("finishRun", {"jobRunId": run_id, "status": "CANCELLED"})


def test_cancel_requested_shows_live(daemon, browser):
    # A run whose owner does not take the notification (socat-like): it stays RUNNING after the request.
    run_id = daemon.rpc("startRun", {"jobName": "slow-to-stop", "heartbeatTimeoutMs": 600000})["jobRunId"]
    sign_in(browser, daemon)
    browser.get(daemon.url("/#/runs/" + run_id))
    browser.execute_script("window.__sameDocument = true;")
    wait_until(lambda: text_of(browser, ".runhead .badge") == "RUNNING", 10, "the RUNNING run page")
    wait_until(lambda: css(browser, "#conn[data-state='live']"), 10, "the live connection")
    assert not css(browser, ".runhead .flag.cancel")
    # Asked from elsewhere (the CLI, the socket): the page shows it from the live `cancel` event.
    daemon.rpc("cancelRun", {"jobRunId": run_id, "reason": "from the socket", "graceMs": 600000})
    wait_until(lambda: text_of(browser, ".runhead .flag.cancel") == "cancel requested", 10, "'cancel requested'")
    assert text_of(browser, ".runhead .badge") == "RUNNING"
    daemon.rpc("finishRun", {"jobRunId": run_id, "status": "CANCELLED"})
    wait_until(lambda: text_of(browser, ".runhead .badge") == "CANCELLED", 10, "CANCELLED")
    assert not css(browser, ".runhead .flag.cancel")
    assert not [b for b in css(browser, ".runhead button.cancel") if b.is_displayed()]
    assert_not_reloaded(browser)


def timed_run(daemon, job, stages, synced=10, **start):
    """One SUCCESS run of `job` that spends (name, seconds) in each stage; returns its id."""
    run = daemon.rpc("startRun", dict({"jobName": job, "pid": os.getpid()}, **start))["jobRunId"]
    for name, seconds in stages:
        daemon.rpc("setStage", {"jobRunId": run, "stage": name})
        time.sleep(seconds)
    daemon.rpc("addOutcome", {"jobRunId": run, "key": "synced", "count": synced})
    daemon.rpc("finishRun", {"jobRunId": run, "status": "SUCCESS"})
    return run


def go(driver, route):
    """Hash navigation inside the page (no reload)."""
    driver.execute_script("location.hash = arguments[0];", route)


def test_insights_timeline_comparison_job_page_and_badges(daemon, browser, artifacts):
    job = "nightly-sync"
    usual = [("Fetching", 0.05), ("Syncing", 0.1)]
    for synced in (8, 11, 9, 12, 10, 13):
        timed_run(daemon, job, usual, synced)
    slow_id = timed_run(daemon, job, [("Fetching", 0.05), ("Syncing", 0.6)])
    assert daemon.rpc("getRun", {"jobRunId": slow_id})["run"]["slow"] is True
    sign_in(browser, daemon)

    # Lists: the slow run carries its badge; a silent RUNNING run gets `stalled` live, and loses it when it moves.
    slow_row = "table.runs tbody tr[data-run-id='%s']" % slow_id
    wait_until(lambda: css(browser, slow_row + " .badge.flag.slow"), 10, "the slow badge in the runs list")
    stuck = daemon.rpc("startRun", {"jobName": job, "pid": os.getpid(), "stallAfterMs": 500})["jobRunId"]
    stuck_row = "table.runs tbody tr[data-run-id='%s']" % stuck
    wait_until(lambda: css(browser, stuck_row), 10, "the new RUNNING run in the list")
    wait_until(lambda: css(browser, stuck_row + " .badge.flag.stalled"), 10, "the stalled badge, live")
    # Past twice the usual duration while still RUNNING: the early `slow` flag, live too.
    wait_until(lambda: css(browser, stuck_row + " .badge.flag.slow"), 10, "the early slow badge, live")
    assert daemon.rpc("getRun", {"jobRunId": stuck})["run"]["status"] == "RUNNING"
    assert daemon.rpc("getRun", {"jobRunId": stuck})["run"]["stalledSince"] is not None
    browser.save_screenshot(str(artifacts / "insights-runs-list.png"))
    daemon.rpc("setProgress", {"jobRunId": stuck, "current": 1})
    wait_until(lambda: not css(browser, stuck_row + " .badge.flag.stalled"), 10, "the stalled badge cleared")
    assert css(browser, slow_row + " .badge.flag.slow")

    # The run page: the timeline against the usual stage durations, and the comparison.
    go(browser, "#/runs/" + slow_id)
    wait_until(lambda: [r.get_attribute("data-stage") for r in css(browser, ".tlrow[data-usual-ms]")]
               == ["Fetching", "Syncing"], 10, "the timeline with usual durations")
    comparison = daemon.rpc("compareRuns", {"jobRunId": slow_id})["comparison"]
    baselines = {s["stage"]: s["baseline"] for s in comparison["stages"]}
    for row in css(browser, ".tlrow"):
        assert int(row.get_attribute("data-usual-ms")) == baselines[row.get_attribute("data-stage")]
    assert len(css(browser, ".tltrack .usual")) == 2
    assert "Syncing" in [r.get_attribute("data-stage") for r in css(browser, ".tlrow.over")]
    assert "usual" in text_of(browser, ".tlrow[data-stage='Syncing'] .tlusual")
    assert css(browser, ".runhead .badge.flag.slow")
    wait_until(lambda: css(browser, ".comparison table.cmp tbody tr"), 10, "the comparison")
    assert css(browser, ".comparison")[0].get_attribute("data-baseline") == comparison["baseline"] == "median of 6 runs"
    shown = [(r.get_attribute("data-kind"), r.get_attribute("data-name")) for r in css(browser, ".cmp tbody tr")]
    assert shown == [("duration", "Duration")] + [("stage", s["stage"]) for s in comparison["stages"]] + \
        [("outcome", o["key"]) for o in comparison["outcome"]]
    assert shown[1] == ("stage", "Syncing")  # the largest change first
    assert css(browser, ".cmp tr.cmp-stage[data-name='Syncing'] .ratio.hi")
    assert css(browser, ".cmp tr.cmp-duration .ratio.hi")
    browser.save_screenshot(str(artifacts / "insights-run-page.png"))
    # Against one other run.
    first = daemon.rpc("listRuns", {"jobName": job, "limit": 100})["runs"][-1]["id"]
    field = css(browser, ".cmpform input[name='baseline']")[0]
    field.send_keys(first)
    css(browser, ".cmpform button")[0].click()
    wait_until(lambda: css(browser, ".comparison")[0].get_attribute("data-baseline") == "run " + first, 10,
               "the comparison with run " + first)

    # The job page: the chart's p50/p95 band, the success rate and outcome trends equal getJobStats.
    go(browser, "#/jobs/" + job)
    wait_until(lambda: css(browser, "svg.durchart .pband"), 10, "the p50/p95 band")
    stats = daemon.rpc("getJobStats", {"jobName": job, "last": 50})["stats"]
    labels = [t.get_attribute("textContent") for t in css(browser, "svg.durchart .plabel-svg")]
    assert labels[0].startswith("p50 ") and labels[1].startswith("p95 "), labels
    assert float(css(browser, ".successrate")[0].get_attribute("data-rate")) == stats["successRate"] == 1.0
    assert text_of(browser, ".successrate") == "100% SUCCESS"
    assert len(css(browser, ".statusstrip .sq")) == len(stats["recent"])
    assert text_of(browser, ".trend[data-key='synced'] .last") == str(stats["outcome"]["synced"]["last"])
    assert css(browser, ".trend[data-key='synced'] svg.spark path")
    wait_until(lambda: css(browser, "table.runs tbody tr .badge.flag.slow"), 10, "the slow badge in the job's runs")
    browser.save_screenshot(str(artifacts / "insights-job-page.png"))
    browser.execute_script("document.querySelector('.jobstats').scrollIntoView()")
    browser.save_screenshot(str(artifacts / "insights-job-trends.png"))
    # At phone width the statistics fit: nothing scrolls sideways.
    browser.set_window_size(390, 844)
    overflow = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
    wait_until(lambda: browser.execute_script(overflow) <= 0, 5, "the job page without sideways scrolling")
    browser.save_screenshot(str(artifacts / "insights-job-page-phone.png"))
    browser.set_window_size(1280, 800)

    # The jobs list: one row per job name, from listJobs.
    go(browser, "#/jobs")
    wait_until(lambda: css(browser, "table.jobs tbody tr[data-job-name='%s']" % job), 10, "the jobs list")
    listed = daemon.rpc("listJobs", {})["jobs"][0]
    assert text_of(browser, "table.jobs tbody tr[data-job-name='%s'] td.running" % job) == str(listed["running"]) == "1"
    daemon.rpc("finishRun", {"jobRunId": stuck, "status": "SUCCESS"})
    wait_until(lambda: text_of(browser, "table.jobs tbody tr td.running") == "0", 10, "the jobs list updated live")
    assert_not_reloaded(browser)
    assert_no_alert(browser)


def test_busy_run_live_view_is_paced_and_skips_ahead(daemon, browser):
    """A run logging far faster than the live rate (1,000 entries a second per view): the page
    gets a paced share live, is told `lagged`, and shows the newest entries in order, once each,
    with the rest a page back ("Older"), instead of reading every entry in between."""
    run_id = daemon.rpc("startRun", {"jobName": "busy-log", "pid": os.getpid()})["jobRunId"]
    sign_in(browser, daemon)
    for i in range(1, 11):
        daemon.rpc("info", {"jobRunId": run_id, "message": "busy %05d" % i})
    browser.get(daemon.url("/#/runs/" + run_id))
    browser.execute_script("window.__sameDocument = true;")
    messages = lambda: [r[2] for r in log_rows(browser)]  # noqa: E731
    wait_until(lambda: messages() == ["busy %05d" % i for i in range(1, 11)], 10, "the first 10 entries")
    wait_until(lambda: css(browser, "#conn[data-state='live']"), 10, "the live connection")
    total = 20000
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(daemon.socket)
        lines = "".join(json.dumps({"jsonrpc": "2.0", "method": "info",
                                    "params": {"jobRunId": run_id, "message": "busy %05d" % i}}) + "\n"
                        for i in range(11, total + 1))
        s.sendall((lines + json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}) + "\n").encode())
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    wait_until(lambda: messages() and messages()[-1] == "busy %05d" % total, 20, "the newest entry")
    shown = messages()
    assert len(shown) == len(set(shown)) and shown == sorted(shown), "entries out of order or repeated"
    assert len(shown) <= 2000, len(shown)
    assert css(browser, ".logs[data-skipped='true']"), "the panel did not say it skipped ahead"
    assert css(browser, "button.older")[0].is_displayed()
    # Fewer pages read than the 20 of 1,000 that reading every entry in between would take.
    reads = browser.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/logs?')).length;")
    assert reads < 20, reads
    assert_not_reloaded(browser)
