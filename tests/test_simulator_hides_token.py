"""The simulator prints where it pushes receipts, but never the RECEIPT_TOKEN in that URL."""

from campaigns.management.commands.voice_simulator import mask_token


def test_receipt_token_is_masked_in_the_startup_line():
    shown = mask_token("http://127.0.0.1:8000/receipts/aliyun/demo-zajAL3OsDTXJ22dOo9MbTA/")
    assert "zajAL3OsDTXJ22dOo9MbTA" not in shown
    assert shown.startswith("http://127.0.0.1:8000/receipts/aliyun/")
    assert mask_token("") == ""


def test_the_receipt_url_comes_from_the_environment_not_the_command_line(monkeypatch):
    from campaigns.management.commands.voice_simulator import Command
    from tests.stack import procfile_commands

    assert "RECEIPT" not in procfile_commands()["simulator"]
    assert "--receipt-url" not in procfile_commands()["simulator"]
    monkeypatch.delenv("SIMULATOR_RECEIPT_URL", raising=False)
    monkeypatch.setenv("RECEIPT_TOKEN", "env-token-123")
    options = Command().create_parser("manage.py", "voice_simulator").parse_args([])
    assert options.receipt_url == "http://127.0.0.1:8000/receipts/aliyun/env-token-123/"
    monkeypatch.setenv("SIMULATOR_RECEIPT_URL", "http://127.0.0.1:9000/receipts/aliyun/other/")
    options = Command().create_parser("manage.py", "voice_simulator").parse_args([])
    assert options.receipt_url == "http://127.0.0.1:9000/receipts/aliyun/other/"
