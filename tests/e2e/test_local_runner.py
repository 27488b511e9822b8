"""`make run` end to end: start the real runner process, get a token, create, list, stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method: str, url: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def start_runner(env: dict) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "devserver", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    banner = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        banner.append(line)
        if "Stop with Ctrl-C" in line:
            break
    return proc, "".join(banner)


def stop_runner(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


@pytest.mark.slow
def test_run_token_create_list_stop_restart(tmp_path):
    port = free_port()
    env = {**os.environ, "NOVA_PORT": str(port), "NOVA_STATE_DIR": str(tmp_path / "state"),
           "PYTHONPATH": f"{ROOT / 'layers/core/python'}:{ROOT}"}
    for key in ("NOVA_DATABASE_URL", "KUMA_URL", "GOALERT_URL"):
        env.pop(key, None)
    base = f"http://127.0.0.1:{port}/api/v2/monitoring/monitors"
    proc, text = start_runner(env)
    try:
        assert f"listening on http://127.0.0.1:{port}" in text, text
        assert "make token" in text and "Uptime Kuma:   not configured" in text

        token = subprocess.run([sys.executable, "-m", "devserver", "token", "--role", "technician", "--tenant",
                                "smoke"], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()
        status, created = request("POST", base, token, {"name": "smoke", "type": "http", "url": "https://a.test"})
        assert status == 201 and created["kuma"]["state"] == "pending"
        status, page = request("GET", base, token)
        assert status == 200 and [m["id"] for m in page["items"]] == [created["id"]]
        assert request("GET", base)[0] == 401
        assert request("GET", base, "not-a-token")[0] == 401
        status, doc = request("GET", f"http://127.0.0.1:{port}/api/v2/openapi.json")
        assert status == 200 and "/api/v2/monitoring/monitors" in doc["paths"]
    finally:
        code = stop_runner(proc)
    assert code == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()

    # Data survives a restart: the embedded database keeps its directory.
    proc, text = start_runner(env)
    try:
        assert "listening" in text, text
        status, page = request("GET", base, token)
        assert status == 200 and [m["id"] for m in page["items"]] == [created["id"]]
    finally:
        assert stop_runner(proc) == 0
