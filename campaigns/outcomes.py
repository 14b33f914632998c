"""What a call's receipt means for the call.

Receipt status codes come from Aliyun's VoiceReport (see shared/aliyun-ivrcall.md). The
receipts app derives a call's outcome with `status_for_receipt` and `answer_for_keys`,
then writes it with `campaigns.transitions.do_settle_by_receipts`.
"""

from __future__ import annotations

from campaigns.models import Call

S = Call.Status

RECEIPT_STATUS = {
    "200000": S.ANSWERED,  # listened to the end
    "200001": S.ANSWERED,  # answered, hung up early
    "200008": S.ANSWERED,  # answered, no key before the timeout
    "200100": S.ANSWERED,  # call ended normally
    "200102": S.ANSWERED,
    "200103": S.ANSWERED,
    "200002": S.BUSY,
    "200003": S.NO_ANSWER,
    "200004": S.INVALID,
    "200005": S.UNREACHABLE,
    "200007": S.UNREACHABLE,
    "200010": S.UNREACHABLE,
    "200011": S.UNREACHABLE,
}
KEY_PRESS_STATUS = "300000"
# Not final: the call is still being set up.
INTERIM_STATUSES = {"200101"}


def status_for_receipt(status_code: str, answered: bool = False) -> str | None:
    """The final Call status a VoiceReport status code stands for (None: not a final record).

    `answered` is whether the receipt carries an answer time (start_time): a call that was
    picked up is answered whatever the hang-up code says.
    """
    code = str(status_code or "").strip()
    if code == KEY_PRESS_STATUS or code in INTERIM_STATUSES or not code:
        return None
    if answered:
        return S.ANSWERED
    return RECEIPT_STATUS.get(code, S.FAILED)


def answer_for_keys(snapshot: dict | None, dtmf: str) -> tuple[str, str]:
    """Map pressed keys to (key, label) through a frozen menu: the first key that is an option."""
    options = {o["key"]: o["label"] for o in (snapshot or {}).get("options", [])}
    for key in dtmf or "":
        if key in options:
            return key, options[key]
    return "", ""
