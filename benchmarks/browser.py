"""Open a map page in headless Debian chromium and report what it drew (used by tests and benchmarks).

``load_report(path)`` runs chromium twice on a copy of the page with a small probe script inserted first in
``<head>``: once with ``--dump-dom`` (the probe records uncaught errors, console.error calls, the number of
drawn SVG points and the time of the load event), once with ``--screenshot`` (to count coloured pixels).
Console messages chromium logs on stderr are collected too.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

PROBE = r"""<script>
window.__tc = {errors: []};
window.addEventListener('error', function (e) { window.__tc.errors.push('error: ' + e.message); });
(function () { var ce = console.error; console.error = function () {
  window.__tc.errors.push('console.error: ' + Array.prototype.map.call(arguments, String).join(' '));
  return ce.apply(console, arguments); }; })();
window.addEventListener('load', function () {
  var gd = document.querySelector('.js-plotly-plot');
  var r = {errors: window.__tc.errors, load_ms: performance.now(),
           traces: gd && gd.data ? gd.data.length : 0,
           data_points: gd && gd.calcdata ? gd.calcdata.reduce(function (s, t) { return s + t.length; }, 0) : 0,
           svg_points: document.querySelectorAll('.scatterlayer .point').length,
           gl_canvases: document.querySelectorAll('canvas').length,
           legend_items: document.querySelectorAll('.legend .traces').length};
  try {  // hover the first point of the first trace: the tooltip must show its topic and text
    Plotly.Fx.hover(gd, [{curveNumber: 0, pointNumber: 0}]);
    var hl = document.querySelector('.hoverlayer');
    r.hover_text = hl ? hl.textContent : '';
  } catch (e) { r.errors.push('hover: ' + e.message); }
  var pre = document.createElement('pre'); pre.id = '__tc_report'; pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
});
</script>"""

_CONSOLE = re.compile(r'CONSOLE[^\]]*\]\s*"(.*?)", source: (\S*)')


def chromium() -> str | None:
    """Path of the chromium executable, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(args: list[str], workdir: Path, timeout: float) -> tuple[subprocess.CompletedProcess, float]:
    profile = tempfile.mkdtemp(prefix="profile-", dir=workdir)  # a fresh profile for every launch
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return proc, time.perf_counter() - t0


def load_report(path, *, timeout: float = 120, screenshot: bool = True, window: str = "1200,900") -> dict:
    """Load the HTML page ``path`` in headless chromium; return what it drew and every error it logged.

    Keys: ``errors`` (uncaught errors and console.error calls in the page), ``console`` (every console
    message chromium logged), ``load_ms`` (navigation start to the load event, the plot drawn by then),
    ``traces``, ``data_points``, ``svg_points``, ``legend_items``, ``hover_text`` (the tooltip of the first
    point of the first trace, hovered by the probe), ``wall_s`` (the whole chromium run, start-up
    included), and with ``screenshot`` ``coloured_pixels`` (pixels whose channels differ by > 0.25).
    """
    if chromium() is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="tc-browser-") as tmp:
        tmp = Path(tmp)
        page = Path(path).read_text(encoding="utf-8")
        if "<head>" not in page:
            raise ValueError(f"{path} has no <head> to put the probe in")
        probe_page = tmp / "page.html"
        probe_page.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
        for js in Path(path).resolve().parent.glob("*.js"):  # plotly.min.js, loaded by a relative <script src>
            shutil.copy(js, tmp / js.name)
        proc, wall = _run(["--dump-dom", probe_page.as_uri()], tmp, timeout)
        m = re.search(r'<pre id="__tc_report">(.*?)</pre>', proc.stdout, re.S)
        report = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")) if m else \
            {"errors": [f"no report: chromium exit {proc.returncode}: {proc.stderr[-500:]}"]}
        report["console"] = [f"{msg} ({src})" for msg, src in _CONSOLE.findall(proc.stderr)]
        report["wall_s"] = round(wall, 2)
        report["returncode"] = proc.returncode
        if screenshot:
            shot = tmp / "shot.png"
            proc2, _ = _run([f"--window-size={window}", f"--screenshot={shot}", Path(path).resolve().as_uri()],
                            tmp, timeout)
            report["console"] += [f"{msg} ({src})" for msg, src in _CONSOLE.findall(proc2.stderr)]
            if shot.exists():
                from matplotlib.image import imread

                img = imread(shot)[..., :3]
                report["coloured_pixels"] = int(((img.max(axis=2) - img.min(axis=2)) > 0.25).sum())
            else:
                report["coloured_pixels"] = 0
                report["errors"].append(f"no screenshot: chromium exit {proc2.returncode}")
    return report


if __name__ == "__main__":
    import sys

    print(json.dumps(load_report(sys.argv[1]), indent=1))
