"""The command line in Spanish (issue 15): --lang es and SELFVERIFY_LANG=es give each command's help,
click's own usage errors, selfverify's errors and hints, questions and answers, and interview times in
Spanish, with the exit codes unchanged; --json keeps English keys and codes."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.desk_support import enrol_by_cli
from tests.functional.test_privacy_cli import run_cli_on_a_terminal
from tests.inprocess_cli import run_main
from tests.privacy_support import cli_env  # noqa: F401 - fixture


def _clean(proc) -> None:  # noqa: ANN001
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr


@pytest.mark.parametrize("args, wanted", [
    (("match", "--help"), ("Uso: selfverify match [OPTIONS] REFERENCE PROBE", "Compara dos fotos", "Opciones:",
                           "Muestra un objeto JSON (para scripts).", "Muestra esta ayuda y termina.")),
    (("interview", "--help"), ("Reserva, cambia o cancela una entrevista", "Órdenes:", "Lista los huecos libres")),
    (("interview", "book", "--help"), ("Reserva el hueco SLOT_ID", "Pide un intérprete de LANGUAGE.", "Zona horaria")),
    (("agent", "slots", "load", "--help"), ("Crea huecos a partir de un archivo TOML", "# opcional")),
    (("config", "--help"), ("Prioridad: opción de la línea de órdenes",)),
])
@pytest.mark.parametrize("how", ["--lang", "SELFVERIFY_LANG"])
def test_each_commands_help_in_spanish(monkeypatch, args, wanted, how):
    if how == "--lang":
        proc = run_main("--lang", "es", *args)
    else:
        monkeypatch.setenv("SELFVERIFY_LANG", "es")
        proc = run_main(*args)
    _clean(proc)
    assert proc.returncode == 0, proc.stderr
    for text in wanted:
        assert text in proc.stdout, proc.stdout
    assert "Show this message and exit." not in proc.stdout


def test_the_same_process_switches_back_to_english():
    """Help texts are translated when shown, never stored translated: English after Spanish."""
    assert "Compara dos fotos" in run_main("--lang", "es", "match", "--help").stdout
    english = run_main("--lang", "en", "match", "--help").stdout
    assert "Compare two photos" in english and "Show this message and exit." in english and "Muestra" not in english


def test_clicks_usage_errors_in_spanish_keep_exit_code_2(monkeypatch):
    monkeypatch.setenv("SELFVERIFY_LANG", "es")
    missing = run_main("match")
    _clean(missing)
    assert missing.returncode == 2
    assert "Uso: selfverify match" in missing.stderr and "Falta el argumento 'REFERENCE'." in missing.stderr
    assert "Para ver la ayuda: 'selfverify match --help'." in missing.stderr
    unknown = run_main("photos", "list", "--bogus")
    assert unknown.returncode == 2 and "No existe la opción '--bogus'." in unknown.stderr
    bad_number = run_main("sessions", "list", "--limit", "many")
    assert bad_number.returncode == 2 and "Valor no válido para '--limit'" in bad_number.stderr


def test_selfverify_errors_and_hints_in_spanish_with_their_exit_codes(monkeypatch, home):
    monkeypatch.setenv("SELFVERIFY_TOLERANCE", "0.9")
    refused = run_main("--lang", "es", "config")
    _clean(refused)
    assert refused.returncode == 2
    assert "Error: tolerance debe ser mayor que 0 y como máximo 0.6 (cuanto menor, más estricta), no 0.9." in refused.stderr
    assert "Por encima de 0.6 la comparación facial empieza a aceptar a personas distintas." in refused.stderr
    monkeypatch.delenv("SELFVERIFY_TOLERANCE")

    nothing = run_main("--lang", "es", "interview", "reschedule", "K7QX-M4PD")
    assert nothing.returncode == 2 and "Error: Indique un nuevo hueco (SLOT) o lo que necesita" in nothing.stderr
    as_json = run_main("--lang", "es", "interview", "reschedule", "K7QX-M4PD", "--json")
    assert as_json.returncode == 2
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == "nothing_to_change" and error["message"].startswith("Indique un nuevo hueco")

    status = run_main("--lang", "es", "consent", "status")
    assert status.returncode == 1 and status.stdout.strip() == "Consentimiento: todavía no dado (aviso v1)."
    data = json.loads(run_main("--lang", "es", "consent", "status", "--json").stdout)
    assert data["accepted"] is False and data["choice"] is None  # keys and codes stay English


def test_the_settings_are_described_in_spanish_and_their_json_is_not(home):
    shown = run_main("--lang", "es", "config")
    assert shown.returncode == 0 and "Archivo de configuración:" in shown.stdout
    assert "tolerance = 0.6  [matching] SELFVERIFY_TOLERANCE: Distancia facial máxima para que coincida" in shown.stdout
    data = json.loads(run_main("--lang", "es", "config", "--json").stdout)
    assert data["settings"]["tolerance"] == 0.6 and "config_file" in data


def test_a_yes_or_no_question_answered_in_spanish(cli_env):  # noqa: F811
    env = {**cli_env, "SELFVERIFY_LANG": "es"}
    code, out = run_cli_on_a_terminal(("consent", "accept"), "sí", env)
    assert code == 0 and "¿Acepta el aviso v1? [s/N]" in out and "Consentimiento: aviso v1 aceptado el" in out, out
    code, out = run_cli_on_a_terminal(("consent", "withdraw"), "n", env)
    assert code == 1 and "No se ha cambiado nada: su consentimiento sigue vigente." in out, out
    code, out = run_cli_on_a_terminal(("consent", "withdraw"), "y", env)  # English answers still count
    assert code == 0, out


def test_interview_times_are_written_for_spanish_readers(home, keyring_service, monkeypatch, tmp_path):
    monkeypatch.setenv("SELFVERIFY_KEYRING_SERVICE", keyring_service)
    enrol_by_cli(run_main, tmp_path, ["--user", "admin"], ["--user", "bob"])
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    assert run_main("--user", "bob", "agent", "slots", "add", start.isoformat()).returncode == 0
    english = run_main("interview", "slots", "--tz", "UTC")
    assert f"{start:%a %Y-%m-%d} 09:00 UTC" in english.stdout, english.stdout  # English unchanged
    spanish = run_main("--lang", "es", "interview", "slots", "--tz", "Europe/Madrid")
    _clean(spanish)
    assert spanish.returncode == 0 and "Las horas se muestran en Europe/Madrid." in spanish.stdout
    from babel.dates import format_date

    day = format_date(start.date(), "EEE, d MMM y", locale="es")  # e.g. "lun, 5 ene 2026"
    assert re.search(re.escape(day) + r", 10:00 CES?T \(Europe/Madrid\)", spanish.stdout), spanish.stdout
    assert "Para reservar uno: selfverify interview book HUECO --contact" in spanish.stdout
