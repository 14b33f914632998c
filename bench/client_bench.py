"""Voice client benchmark (issue 4): signed IvrCall requests per second from one process.

    .venv/bin/python bench/client_bench.py [SECONDS]

Starts the bundled simulator in a separate process (`manage.py voice_simulator`, QPS and
concurrency limits lifted, calls ending at once, no receipt pushing), then, in this one
process and one thread, for SECONDS each (default 5):

1. baseline: plain `requests.Session().post` of the same IvrCall parameters, unsigned,
   to the same server (which answers MissingAccessKeyId without further work);
2. client: `VoiceClient.ivr_call` — sign (HMAC-SHA1), send, parse, classify — every
   request a real placed call in the simulator;
3. signing alone: `VoiceClient.signed_body` with no HTTP.

Prints requests/s for each, the ratio client/baseline, and checks the simulator placed
exactly the calls the client counted. Target: well over 100 req/s (the account's QPS).
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402

settings.configure(USE_I18N=False)

from campaigns.dialling.aliyun import IvrCallRequest, MenuKey, Outcome, VoiceClient  # noqa: E402

KEY_ID, SECRET = "LTAI-bench", "bench-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "bench-only",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "ALIYUN_ACCESS_KEY_ID": KEY_ID,
        "ALIYUN_ACCESS_KEY_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, str(ROOT / "manage.py"), "voice_simulator", "--port", str(port), "--qps", "1000000"]
    argv += ["--max-concurrent", "1000000", "--call-duration-scale", "0", "--seed", "1"]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/__simulator/stats", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("simulator did not start")


def request(n: int) -> IvrCallRequest:
    return IvrCallRequest(
        called_show_number="057112345678",
        called_number=f"138{n % 100_000_000:08d}",
        start_code="TTS_100001",
        out_id=f"b{n}",
        start_tts_params='{"name": "张三", "product": "宽带"}',
        play_times=2,
        timeout_ms=5000,
        bye_code="TTS_100009",
        menu_keys=(MenuKey("1", "TTS_200001"), MenuKey("2", "TTS_200002"), MenuKey("3", "TTS_200003")),
    )


def timed(seconds: float, step) -> tuple[int, float]:
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        step(count)
        count += 1
    return count, time.perf_counter() - start


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    port = free_port()
    process = start_simulator(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        session = requests.Session()
        plain = {"Action": "IvrCall", "Version": "2017-05-25", **request(0).to_params()}
        baseline_n, baseline_t = timed(seconds, lambda n: session.post(url, data=plain, timeout=(3.05, 10)))

        client = VoiceClient(KEY_ID, SECRET, url)
        outcomes: dict[str, int] = {}
        counter = itertools.count()

        def call(_: int) -> None:
            outcome = client.ivr_call(request(next(counter))).outcome
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

        client_n, client_t = timed(seconds, call)
        params = request(1).to_params()
        sign_n, sign_t = timed(min(seconds, 2.0), lambda n: client.signed_body("IvrCall", params))
        stats = session.get(f"{url}__simulator/stats", timeout=5).json()
    finally:
        process.terminate()
        process.wait(timeout=10)

    baseline_rps, client_rps, sign_rps = baseline_n / baseline_t, client_n / client_t, sign_n / sign_t
    print(f"voice client bench, one process, one thread, {seconds:g} s per phase (simulator in its own process)")
    print(f"  baseline  unsigned requests.post      {baseline_rps:8.0f} req/s  ({baseline_n} requests)")
    print(f"  client    signed IvrCall, classified  {client_rps:8.0f} req/s  ({client_n} requests)")
    print(f"  ratio     client / baseline           {client_rps / baseline_rps:8.2f}")
    print(f"  signing   signed_body() only          {sign_rps:8.0f} bodies/s")
    print(f"  outcomes  {outcomes}; simulator placed {stats['placed']}, rejected {stats['rejected_by_code']}")
    if outcomes.get(Outcome.PLACED, 0) != client_n or stats["placed"] != client_n:
        raise SystemExit("not every signed request was placed")
    if client_rps < 100:
        raise SystemExit("below the account's 100 req/s")


if __name__ == "__main__":
    main()
