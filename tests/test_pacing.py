"""Rule 3: one Redis limiter shared by every worker keeps requests under the account QPS."""

import itertools
import threading

import pytest

from campaigns.dialling import pacing


@pytest.fixture
def pacer(redis_conn):
    return pacing.Pacer(redis_conn, account_qps=100)


def tat(redis_conn, key: str) -> int:
    return int(redis_conn.get(key))


def test_slots_are_spaced_by_the_account_interval(pacer, redis_conn):
    # The schedule starts 10 s ahead (in Redis' clock), so however slowly this loop runs,
    # every reservation takes the next slot rather than "now".
    seconds, micros = redis_conn.time()
    redis_conn.set(pacing.ACCOUNT_KEY, seconds * 1_000_000 + micros + 10_000_000)
    slots = []
    for _ in range(50):
        assert pacer.reserve({}, max_wait=20) is not None
        slots.append(tat(redis_conn, pacing.ACCOUNT_KEY))
    gaps = {b - a for a, b in itertools.pairwise(slots)}
    # 100 requests a second less the headroom for network jitter, no burst (microseconds).
    assert gaps == {int(1_000_000 / (100 * pacing.HEADROOM))}
    assert 10_000 < gaps.pop() <= 10_310


def test_reservations_from_many_threads_never_share_a_slot(pacer, redis_conn):
    import redis as redislib

    interval = int(1_000_000 / (100 * pacing.HEADROOM))
    assert pacer.reserve({}, max_wait=5) is not None
    first = tat(redis_conn, pacing.ACCOUNT_KEY)
    waits: list[float | None] = []
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

    # 100 more slots, each its own: the schedule moved on by at least 100 intervals,
    # however slowly the threads ran (a slow machine only spreads the slots further).
    assert len(waits) == 100 and None not in waits
    assert tat(redis_conn, pacing.ACCOUNT_KEY) - first >= 100 * interval


def test_a_campaign_limit_narrows_the_account_limit(pacer, redis_conn):
    key = pacing.campaign_key(7)
    assert pacer.reserve({key: 10}, max_wait=5) is not None
    after_first = tat(redis_conn, key)
    assert pacer.reserve({key: 10}, max_wait=5) is not None

    # The second slot is a campaign interval (100 ms) after the first, not an account one (10 ms).
    assert tat(redis_conn, key) - after_first >= int(1_000_000 / (10 * pacing.HEADROOM))
    assert tat(redis_conn, key) - tat(redis_conn, pacing.ACCOUNT_KEY) >= 90_000 - 10_000


def test_a_slot_too_far_away_is_not_reserved(redis_conn):
    slow = pacing.Pacer(redis_conn, account_qps=1)  # one slot a second
    assert slow.reserve({}, max_wait=1) is not None
    before = tat(redis_conn, pacing.ACCOUNT_KEY)
    assert slow.reserve({}, max_wait=0.05) is None
    assert tat(redis_conn, pacing.ACCOUNT_KEY) == before


def test_a_slot_that_slipped_is_replaced_by_a_fresh_one(pacer, redis_conn):
    import time

    slot = pacer.next_slot({})
    time.sleep(pacing.LATE_TOLERANCE * 3)  # the database write before the send was slow
    before = tat(redis_conn, pacing.ACCOUNT_KEY)

    assert pacer.keep_slot({}, slot) is True

    assert tat(redis_conn, pacing.ACCOUNT_KEY) > before  # a new slot was reserved


def test_a_punctual_slot_is_kept(redis_conn):
    slow = pacing.Pacer(redis_conn, account_qps=5)
    slow.next_slot({})
    slot = slow.next_slot({})  # 200 ms ahead: on time however busy the machine is
    before = tat(redis_conn, pacing.ACCOUNT_KEY)
    assert slow.keep_slot({}, slot) is True
    assert tat(redis_conn, pacing.ACCOUNT_KEY) == before
