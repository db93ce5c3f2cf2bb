"""Helpers for the web page's tests: a running server, authenticated requests, synthetic files."""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from openpyxl import load_workbook

from mutualaid_xl.app.run import serve
from mutualaid_xl.workbooks import synthetic
from mutualaid_xl.workbooks.templates import CLAIMS

TEMPLATES = Path(__file__).resolve().parents[1] / "workbook_templates"


class Running:
    def __init__(self, url: str, server):
        self.url, self.server = url, server
        parts = urlsplit(url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.token = parse_qs(parts.query)["token"][0]
        self.workdir: Path = server.config.app.state.workdir

    def request(self, path: str, *, data: bytes | None = None, headers: dict | None = None, token: bool = True,
                method: str | None = None) -> tuple[int, bytes, dict]:
        headers = dict(headers or {})
        if token:
            headers["X-MutualAid-Token"] = self.token
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)


@contextmanager
def running(**options):
    found = {}
    ready = threading.Event()

    def on_ready(url, server):
        found["running"] = Running(url, server)
        ready.set()

    thread = threading.Thread(target=serve, kwargs={"open_browser": False, "say": lambda text: None,
                                                    "ready": on_ready, **options}, daemon=True)
    thread.start()
    assert ready.wait(20)
    server = found["running"].server
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield found["running"]
    finally:
        server.should_exit = True
        thread.join(20)


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "----mutualaidtest"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


BAD_ROW, WRONG_FEE_ROW = 3, 6   # Excel rows 7 and 10 of the synthetic roster (data starts in row 5)


def roster_with_problems(path: Path) -> Path:
    """20 synthetic members; one ID with a wrong check digit (row 7), one fee that is not the policy's (row 10)."""
    data = synthetic.roster(20, seed=3, not_joining_share=0)
    bad = data.rows[BAD_ROW - 1]
    bad[2] = bad[2][:17] + ("0" if bad[2][17] != "0" else "1")
    data.rows[WRONG_FEE_ROW - 1][6] = 1
    return synthetic.write_roster(path, data, unit="晨光机械厂")


CLAIM_ROWS = [  # name, admitted, discharged, self-pay, years: the README's worked example is 11,240.00 元
    ("张三", dt.date(2021, 6, 1), dt.date(2021, 6, 13), 20000, 2),
    ("李四", dt.date(2021, 7, 1), dt.date(2021, 7, 3), 200, 1),        # minimum 200.00
]


def claims_register(path: Path) -> Path:
    wb = load_workbook(TEMPLATES / CLAIMS.file)
    ws = wb[CLAIMS.sheet]
    for r, (name, admitted, discharged, self_pay, years) in enumerate(CLAIM_ROWS, CLAIMS.first_row):
        values = {"name": name, "id_number": synthetic.fake_id(r, dt.date(1975, 3, 1)), "admitted": admitted,
                  "discharged": discharged, "self_pay": self_pay, "years": years}
        for key, value in values.items():
            ws[f"{CLAIMS.letter(key)}{r}"] = value
    wb.save(path)
    return path
