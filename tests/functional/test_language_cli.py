"""Choosing the language from the command line: --lang > SELFVERIFY_LANG > the config file's lang >
the system's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG); an unknown one is one line and English. The
top-level help and errors, and the consent notice, follow it; a consent records its language."""

from __future__ import annotations

import pytest

from tests.inprocess_cli import run_main

SPANISH_HELP = ("Uso: selfverify", "Órdenes:", "Opciones:", "Muestra esta ayuda y termina.",
                "Borra todo lo que selfverify guarda sobre usted.")
ENGLISH_HELP = ("Usage: selfverify", "Commands:", "Options:", "Show this message and exit.")


def assert_spanish_help(proc) -> None:  # noqa: ANN001
    assert proc.returncode == 0, proc.stderr
    assert all(line in proc.stdout for line in SPANISH_HELP), proc.stdout


def assert_english_help(proc) -> None:  # noqa: ANN001
    assert proc.returncode == 0, proc.stderr
    assert all(line in proc.stdout for line in ENGLISH_HELP), proc.stdout


def test_lang_option_and_variable(monkeypatch):
    assert_spanish_help(run_main("--lang", "es", "--help"))
    assert_spanish_help(run_main("--lang=es_MX", "--help"))
    monkeypatch.setenv("SELFVERIFY_LANG", "es")
    assert_spanish_help(run_main("--help"))
    assert_english_help(run_main("--lang", "en", "--help"))  # the option comes first


@pytest.mark.parametrize("environ, spanish", [
    ({"LANG": "es_ES.UTF-8"}, True),
    ({"LANG": "fr_FR.UTF-8", "LANGUAGE": "fr:es"}, True),
    ({"LC_ALL": "C", "LANGUAGE": "es"}, False),
    ({"LANG": "de_DE.UTF-8"}, False),
])
def test_the_system_language_when_nothing_is_asked(monkeypatch, environ, spanish):
    for name in ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    proc = run_main("--help")
    (assert_spanish_help if spanish else assert_english_help)(proc)
    assert proc.stderr == ""  # a system language without a catalog is not an error


@pytest.mark.parametrize("where", ["--lang", "SELFVERIFY_LANG", "config"])
@pytest.mark.parametrize("asked", ["xx", "../../etc/passwd", "es\x1b[2J"])
def test_an_unknown_language_is_one_line_and_english(monkeypatch, home, where, asked):
    args = ["consent", "show"]
    if where == "--lang":
        args = ["--lang", asked, *args]
    elif where == "SELFVERIFY_LANG":
        monkeypatch.setenv("SELFVERIFY_LANG", asked)
    else:
        (home / "config").mkdir(parents=True)
        (home / "config" / "config.toml").write_text(f"lang = {asked!r}\n".replace("\x1b", "\\u001b"))
    proc = run_main(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("\n") == 1 and "using English" in proc.stderr and "\x1b" not in proc.stderr
    assert proc.stdout.startswith("# Before your selfie check")


def test_the_config_file_language_and_the_consent_it_records(home):
    from sqlmodel import select

    from selfverify.config import load_settings
    from selfverify.context import AppContext
    from selfverify.store.models import ConsentRecord

    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('lang = "es"\n')
    shown = run_main("consent", "show")
    assert shown.returncode == 0 and shown.stderr == ""
    assert shown.stdout.startswith("# Antes de la comprobación con selfi")
    assert "{retention_days}" not in shown.stdout and "durante 30 días" in shown.stdout  # settings filled in
    assert run_main("consent", "accept", "--yes").returncode == 0
    assert run_main("--lang", "en", "consent", "decline").returncode == 0  # the flag wins over the file
    with AppContext(settings=load_settings()).db.session() as s:
        records = s.exec(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.choice, r.notice_version, r.notice_language) for r in records] == [("accepted", "v1", "es"), ("declined", "v1", "en")]


def test_top_level_errors_in_spanish(monkeypatch):
    import selfverify.commands.config

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003
        raise RuntimeError("boom")

    # where the command looks it up (it imported it from selfverify.cli, maybe before this test)
    monkeypatch.setattr(selfverify.commands.config, "app_context", broken)
    proc = run_main("--lang", "es", "config")
    assert proc.returncode == 70
    assert proc.stderr.splitlines() == ["Error interno (RuntimeError): boom",
                                        "Es un fallo de selfverify. Vuelva a ejecutarlo con --debug y envíenos lo que muestre."]
