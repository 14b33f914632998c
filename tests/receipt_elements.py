"""Aliyun receipt elements as the push sends them (shapes from shared/aliyun-ivrcall.md)."""

from __future__ import annotations


def key_press(n: int, dtmf: str, at: str = "2026-11-02 10:00:30", *, call_id: str | None = None) -> dict:
    """A VoiceCallReport key-press event for the fixture call `n`."""
    return {
        "call_id": f"c{n}^1" if call_id is None else call_id,
        "out_id": f"o{n}",
        "status_code": "300000",
        "smart_status_code": "",
        "status_time": at,
        "dtmf": dtmf,
    }


def record(
    n: int,
    status_code: str = "200000",
    *,
    dtmf: str = "",
    start: str = "2026-11-02 10:00:10",
    end: str = "2026-11-02 10:01:00",
    duration: object = "50",
    call_id: str | None = None,
) -> dict:
    """A VoiceReport call record (after hang-up) for the fixture call `n`."""
    return {
        "call_id": f"c{n}^1" if call_id is None else call_id,
        "out_id": f"o{n}",
        "status_code": status_code,
        "status_msg": "执行完成",
        "start_time": start,
        "end_time": end,
        "originate_time": "2026-11-02 10:00:00",
        "duration": duration,
        "caller": "057112345678",
        "callee": "138****0000",
        "hangup_direction": "1",
        "dtmf": dtmf,
        "toll_type": "LOCAL",
        "voice_type": "ivr",
    }
