"""Rule 3: one Redis limiter shared by every worker keeps requests under the account QPS."""

import itertools
import threading

import pytest

from campaigns import pacing


@pytest.fixture
def pacer(redis_conn):
    return pacing.Pacer(redis_conn, account_qps=100)


def tat(redis_conn, key: str) -> int:
    return int(redis_conn.get(key))


def test_slots_are_spaced_by_the_account_interval(pacer, redis_conn):
    slots = []
    for _ in range(50):
        assert pacer.reserve({}, max_wait=5) is not None
        slots.append(tat(redis_conn, pacing.ACCOUNT_KEY))
    gaps = {b - a for a, b in itertools.pairwise(slots)}
    # 100 requests a second less the headroom for network jitter, no burst (microseconds).
    assert gaps == {int(1_000_000 / (100 * pacing.HEADROOM))}
    assert 10_000 < gaps.pop() <= 10_310


def test_reservations_from_many_threads_never_share_a_slot(pacer, redis_conn):
    import redis as redislib

    waits: list[float] = []
    lock = threading.Lock()

    def worker():
        own = pacing.Pacer(redislib.Redis(connection_pool=redis_conn.connection_pool), account_qps=100)
        for _ in range(25):
            wait = own.reserve({}, max_wait=10)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # 100 slots at 10 ms: the last one is about a second out, whoever asked for it.
    assert len(waits) == 100
    assert max(waits) >= 0.9


def test_a_campaign_limit_narrows_the_account_limit(pacer, redis_conn):
    key = pacing.campaign_key(7)
    first = pacer.reserve({key: 10}, max_wait=5)
    second = pacer.reserve({key: 10}, max_wait=5)
    assert first is not None and second is not None
    assert tat(redis_conn, key) - tat(redis_conn, pacing.ACCOUNT_KEY) >= 90_000 - 10_000
    assert second - first >= 0.09


def test_a_slot_too_far_away_is_not_reserved(pacer, redis_conn):
    for _ in range(20):
        pacer.reserve({}, max_wait=1)
    before = tat(redis_conn, pacing.ACCOUNT_KEY)
    assert pacer.reserve({}, max_wait=0.05) is None
    assert tat(redis_conn, pacing.ACCOUNT_KEY) == before


def test_a_slot_that_slipped_is_replaced_by_a_fresh_one(pacer, redis_conn):
    import time

    slot = pacer.next_slot({})
    time.sleep(pacing.LATE_TOLERANCE * 3)  # the database write before the send was slow
    before = tat(redis_conn, pacing.ACCOUNT_KEY)

    assert pacer.keep_slot({}, slot) is True

    assert tat(redis_conn, pacing.ACCOUNT_KEY) > before  # a new slot was reserved


def test_a_punctual_slot_is_kept(pacer, redis_conn):
    slot = pacer.next_slot({})
    before = tat(redis_conn, pacing.ACCOUNT_KEY)
    assert pacer.keep_slot({}, slot) is True
    assert tat(redis_conn, pacing.ACCOUNT_KEY) == before
