"""leaderboard.html in a real browser: headless Chromium (Debian's `chromium`) opens the page with no console
errors, no network requests and every plot rendered visibly.

Chromium is driven over the DevTools protocol on --remote-debugging-pipe (it reads commands on fd 3 and
writes replies and events on fd 4, NUL-terminated JSON), which needs no extra Python package. Without
chromium the test skips, except under CI (CI=true), where chromium is installed and its absence is a failure.
"""

from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from decomp.leaderboard import plots, render
from tests.leaderboard.sample import sample_board

TIMEOUT = 60.0  # seconds for any one reply; generous because CI's CPUs are shared with training runs


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium is not installed but CI is set: CI must install it (apt-get install chromium)")
        pytest.skip("chromium not installed (Debian: apt-get install chromium); CI runs this test")
    return path


class DevTools:
    """A minimal DevTools-protocol client over the pipe: send commands, keep every event for later checks."""

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()
        args = [
            "--headless=new", "--remote-debugging-pipe", f"--user-data-dir={profile}", "--no-first-run",
            "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions",
            "--window-size=1280,900", "about:blank",
        ]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self._log = open(log, "wb")

        def onto_fds_3_and_4() -> None:  # in the child, before exec: Chromium expects the pipe there
            # Via fds >= 10 so neither end can be overwritten by the other's dup2; those copies close on exec.
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child, from_child)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [executable, *args], preexec_fn=onto_fds_3_and_4, close_fds=False,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._read], [], [], remaining)[0]:
                raise TimeoutError("no reply from chromium")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise ConnectionError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + TIMEOUT
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (OSError, RuntimeError, TimeoutError, ConnectionError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._read)
        os.close(self._write)
        self._log.close()


_MEASURE = """JSON.stringify([...document.querySelectorAll('figure svg')].map(svg => {
  const r = svg.getBoundingClientRect(), style = getComputedStyle(svg);
  return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
          visible: style.visibility === 'visible' && style.display !== 'none' && style.opacity !== '0',
          shapes: svg.querySelectorAll('path, use').length};
}))"""


def _errors(events: list[dict]) -> list[str]:
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            found.append(f"exception: {details.get('exception', {}).get('description', details.get('text'))}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console.{params['type']}: {params.get('args')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Network.requestWillBeSent" and not params["request"]["url"].startswith(("file:", "data:")):
            found.append(f"network request: {params['request']['url']}")
    return found


def _hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def test_page_opens_with_visible_plots_and_no_errors(tmp_path: Path) -> None:
    from PIL import Image  # matplotlib's own dependency

    executable = _chromium()
    board = sample_board()
    render.write_report(board, tmp_path / "report")
    page = (tmp_path / "report" / "leaderboard.html").resolve()

    browser = DevTools(executable, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            browser.call(f"{domain}.enable", session=session)
        browser.call("Page.navigate", {"url": page.as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        result = browser.call("Runtime.evaluate", {"expression": _MEASURE, "returnByValue": True}, session=session)
        figures = json.loads(result["result"]["value"])
        shots = []
        for box in figures:
            clip = {key: box[key] for key in ("x", "y", "width", "height")} | {"scale": 1}
            shot = browser.call("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                           "captureBeyondViewport": True}, session=session)
            shots.append(Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB"))
        title = browser.call("Runtime.evaluate", {"expression": "document.title", "returnByValue": True},
                             session=session)["result"]["value"]
    finally:
        browser.close()

    assert title.startswith("Leaderboard")
    assert _errors(browser.events) == []
    assert len(figures) == 2 * len(board.groups)
    for box in figures:
        assert box["visible"] and box["width"] > 300 and box["height"] > 100 and box["shapes"] > 50, box
    # Pixels, not just layout: each figure's screenshot shows the hybrid strategy's line colour and is far
    # from blank.
    red = np.array(_hex_rgb(plots.color("explicit-hybrid")))
    for shot in shots:
        pixels = np.asarray(shot, dtype=int).reshape(-1, 3)
        near_red = int((np.abs(pixels - red) <= 24).all(axis=1).sum())
        non_white = int((pixels.min(axis=1) < 235).sum())
        assert near_red > 100, f"hybrid's colour barely visible: {near_red} pixels"
        assert non_white > 0.03 * len(pixels), f"plot nearly blank: {non_white} of {len(pixels)} pixels"
