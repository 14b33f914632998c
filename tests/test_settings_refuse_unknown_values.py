"""A settings switch or number the helpers cannot read stops the start with a clear
ImproperlyConfigured naming the variable, instead of quietly meaning "off" or crashing with a
bare ValueError (as healthchecks' `envbool` does)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from ivrsite.settings import envbool, envfloat, envint
from tests.test_deploy_settings import environment, run


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "On", " on "])
def test_envbool_reads_every_way_of_saying_on(monkeypatch, value):
    monkeypatch.setenv("IVR_TEST_SWITCH", value)
    assert envbool("IVR_TEST_SWITCH", "0") is True


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "OFF"])
def test_envbool_reads_every_way_of_saying_off(monkeypatch, value):
    monkeypatch.setenv("IVR_TEST_SWITCH", value)
    assert envbool("IVR_TEST_SWITCH", "1") is False


@pytest.mark.parametrize("value", ["ture", "2", "enabled", "nope"])
def test_envbool_refuses_a_value_it_does_not_know(monkeypatch, value):
    monkeypatch.setenv("IVR_TEST_SWITCH", value)
    with pytest.raises(ImproperlyConfigured, match=rf"IVR_TEST_SWITCH='{value}' is neither on .* nor off"):
        envbool("IVR_TEST_SWITCH", "0")


def test_unset_or_empty_means_the_default(monkeypatch):
    monkeypatch.delenv("IVR_TEST_SWITCH", raising=False)
    assert envbool("IVR_TEST_SWITCH", "1") is True
    assert envint("IVR_TEST_SWITCH", 7) == 7
    monkeypatch.setenv("IVR_TEST_SWITCH", "")
    assert envbool("IVR_TEST_SWITCH", "1") is True
    assert envint("IVR_TEST_SWITCH", 7) == 7
    assert envfloat("IVR_TEST_SWITCH", 0.5) == 0.5


@pytest.mark.parametrize("value", ["ten", "1.5", "100/s"])
def test_envint_refuses_what_is_not_a_whole_number(monkeypatch, value):
    monkeypatch.setenv("IVR_TEST_NUMBER", value)
    with pytest.raises(ImproperlyConfigured, match=rf"IVR_TEST_NUMBER='{value}' is not a whole number"):
        envint("IVR_TEST_NUMBER", 1)


def test_envint_and_envfloat_read_numbers(monkeypatch):
    monkeypatch.setenv("IVR_TEST_NUMBER", " 250 ")
    assert envint("IVR_TEST_NUMBER", 1) == 250
    monkeypatch.setenv("IVR_TEST_NUMBER", "2.5")
    assert envfloat("IVR_TEST_NUMBER", 1.0) == 2.5
    monkeypatch.setenv("IVR_TEST_NUMBER", "ten seconds")
    with pytest.raises(ImproperlyConfigured, match="IVR_TEST_NUMBER='ten seconds' is not a number"):
        envfloat("IVR_TEST_NUMBER", 1.0)


@pytest.mark.parametrize(
    ("variable", "value"), [("DJANGO_DEBUG", "ture"), ("VOICE_QPS", "100/s"), ("ALIYUN_READ_TIMEOUT", "10s")]
)
def test_the_app_does_not_start_on_a_typo(variable, value):
    result = run(["manage.py", "check"], environment(DJANGO_SECRET_KEY="k" * 50, **{variable: value}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{variable}={value!r}" in result.stderr
