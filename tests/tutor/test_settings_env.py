import pytest
from django.core.exceptions import ImproperlyConfigured

from tutor.env import envbool, envint, envlist


def test_envbool_reads_common_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "yes")
    assert envbool("FLAG", default=False) is True
    monkeypatch.setenv("FLAG", "0")
    assert envbool("FLAG", default=True) is False


def test_envbool_fails_loudly_on_nonsense(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        envbool("FLAG", default=False)


def test_envint_fails_loudly_on_nonsense(monkeypatch):
    monkeypatch.setenv("NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="NUM"):
        envint("NUM", default=1)
    monkeypatch.setenv("NUM", "10")
    assert envint("NUM", default=1) == 10


def test_envlist_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,,")
    assert envlist("HOSTS", []) == ["a.example", "b.example"]
