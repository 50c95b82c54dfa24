"""``make lab`` starts JupyterLab, also as root (containers, hosted notebook services),
where JupyterLab refuses to start without ``--allow-root``."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_starts_jupyterlab_as_the_user_it_runs_as(tmp_path):
    venv = Path(sys.executable).parent.parent
    if shutil.which("make") is None or not (venv / "bin" / "jupyter").exists():
        pytest.skip("needs make and JupyterLab in the running virtual environment")
    port, token = _free_port(), "gmcourse-test"
    args = f"--no-browser --ip 127.0.0.1 --port {port} --ServerApp.token={token}"
    plan = subprocess.run(["make", "-n", "lab", f"VENV={venv}", f"LAB_ARGS={args}"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    command = [line for line in plan.splitlines() if "/bin/jupyter lab" in line][-1]
    assert ("--allow-root" in command.split()) == (os.getuid() == 0)
    env = {**os.environ, "HOME": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "MPLCONFIGDIR": str(tmp_path / "mpl")}
    log = tmp_path / "lab.log"
    server = subprocess.Popen(command, shell=True, cwd=ROOT, env=env, start_new_session=True,
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/status?token={token}"
                with urllib.request.urlopen(url, timeout=2) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.5)
        if status != 200:
            pytest.fail(f"JupyterLab did not answer on port {port}:\n{log.read_text()[-3000:]}")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
