"""The voice simulator, the Aliyun signer and types, and the pacer need no Django settings:
they import and work in a plain Python process (the simulator runs beside any app)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.stack import ROOT

PROGRAM = """
import campaigns.dialling.aliyun.api, campaigns.dialling.aliyun.signing
import campaigns.dialling.pacing, campaigns.dialling.simulator
from campaigns.dialling.simulator import SimulatorConfig, SimulatorServer
from django.conf import settings

server = SimulatorServer(SimulatorConfig(keys={"k": "s"}, port=0)).start()
server.stop()
assert not settings.configured, "something configured Django settings"
print("ok")
"""


def test_imports_and_runs_without_django_settings():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
