"""The simulator prints where it pushes receipts, but never the RECEIPT_TOKEN in that URL."""

from campaigns.management.commands.voice_simulator import mask_token


def test_receipt_token_is_masked_in_the_startup_line():
    shown = mask_token("http://127.0.0.1:8000/receipts/aliyun/demo-zajAL3OsDTXJ22dOo9MbTA/")
    assert "zajAL3OsDTXJ22dOo9MbTA" not in shown
    assert shown.startswith("http://127.0.0.1:8000/receipts/aliyun/")
    assert mask_token("") == ""
