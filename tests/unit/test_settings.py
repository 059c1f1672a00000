from __future__ import annotations

import pytest

from selfverify.config import describe_settings, load_settings
from selfverify.errors import ConfigError
from selfverify.paths import Paths


def write_config(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_when_nothing_is_set(tmp_path):
    s = load_settings({}, environ={}, config_file=tmp_path / "absent.toml")
    assert s.tolerance == 0.6 and s.liveness is True and s.seed is None and s.accessible is False


def test_precedence_flag_over_env_over_file_over_default(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "tolerance = 0.41\nseed = 7\nretention_days = 9\n[attempts]\nmax_total_failures = 20\n")
    env = {"SELFVERIFY_TOLERANCE": "0.42", "SELFVERIFY_SEED": "8"}
    s = load_settings({"tolerance": 0.43}, environ=env, config_file=cfg)
    assert s.tolerance == 0.43  # flag beats env and file
    assert s.seed == 8  # env beats file
    assert s.retention_days == 9  # file beats default
    assert s.max_total_failures == 20  # keys inside tables are read too
    assert s.credential_days == 365  # default


def test_none_flags_do_not_override(tmp_path):
    s = load_settings({"seed": None}, environ={"SELFVERIFY_SEED": "3"}, config_file=tmp_path / "x.toml")
    assert s.seed == 3


def test_config_file_found_in_home(tmp_path):
    home = tmp_path / "h"
    write_config(Paths.resolve(home).config_file, "challenge_steps = 3\n")
    s = load_settings({}, environ={"SELFVERIFY_HOME": str(home)})
    assert s.challenge_steps == 3


@pytest.mark.parametrize(
    "env",
    [
        {"SELFVERIFY_TOLERANCE": "abc"},
        {"SELFVERIFY_TOLERANCE": "1.5"},
        {"SELFVERIFY_LIVENESS": "perhaps"},
        {"SELFVERIFY_CHALLENGE_STEPS": "7"},
        {"SELFVERIFY_SEED": "1.5"},
    ],
)
def test_bad_values_are_clear_config_errors(env, tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings({}, environ=env, config_file=tmp_path / "x.toml")
    assert err.value.exit_code == 2


def test_bad_toml_and_unknown_key(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({}, environ={}, config_file=write_config(tmp_path / "bad.toml", "tolerance = = 1"))
    with pytest.raises(ConfigError, match="Unknown setting"):
        load_settings({}, environ={}, config_file=write_config(tmp_path / "u.toml", "tolerence = 0.4"))


def test_accessible_from_common_env_var(tmp_path):
    assert load_settings({}, environ={"ACCESSIBLE": "1"}, config_file=tmp_path / "x").accessible is True
    assert load_settings({}, environ={"SELFVERIFY_ACCESSIBLE": "yes"}, config_file=tmp_path / "x").accessible is True
    # an explicit flag wins over the environment
    assert load_settings({"accessible": False}, environ={"ACCESSIBLE": "1"}, config_file=tmp_path / "x").accessible is False


def test_home_moves_every_path_together(tmp_path):
    home = tmp_path / "support-case-42"
    s = load_settings({}, environ={"SELFVERIFY_HOME": str(home)})
    p = s.paths
    for path in (p.config_dir, p.data_dir, p.database_file, p.vault_dir, p.config_file):
        assert str(path).startswith(str(home))
    # the flag beats the environment
    other = tmp_path / "other"
    assert str(load_settings({"home": str(other)}, environ={"SELFVERIFY_HOME": str(home)}).paths.data_dir).startswith(str(other))


def test_database_password_is_masked_in_public_dict(tmp_path):
    s = load_settings({"database_url": "postgresql://desk:s3cret@db.local/sv"}, environ={}, config_file=tmp_path / "x")
    assert "s3cret" not in str(s.public_dict())


def test_every_setting_is_documented():
    rows = describe_settings()
    assert rows and all(doc and env.startswith("SELFVERIFY_") for _, _, env, doc in rows)


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({"SELFVERIFY_TOLERANCE": "0.99"}, "at most 0.6"),
        ({"SELFVERIFY_CHALLENGE_STEPS": "1"}, "2 or 3"),
        ({"SELFVERIFY_MAX_TOTAL_FAILURES": "100000000"}, "at most 100"),
        ({"SELFVERIFY_CREDENTIAL_DAYS": "100000"}, "credential_days"),
        ({"SELFVERIFY_USER": "  "}, "cannot be empty"),
    ],
)
def test_settings_that_would_weaken_a_credential_are_refused(env, fragment, tmp_path):
    with pytest.raises(ConfigError, match=fragment):
        load_settings({}, environ=env, config_file=tmp_path / "x.toml")


def test_config_file_problems_are_clear(tmp_path):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"\xff\xfe tolerance = 0.5")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings({}, environ={}, config_file=bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({}, environ={"SELFVERIFY_CONFIG": str(tmp_path / "missing.toml")})
    with pytest.raises(ConfigError, match="'home' cannot be set"):
        load_settings({}, environ={}, config_file=write_config(tmp_path / "h.toml", 'home = "/etc"\n'))


def test_passwords_in_query_strings_are_masked_too(tmp_path):
    from selfverify.config import mask_url

    url = "postgresql://desk@127.0.0.1:5432/sv?sslmode=require&password=secretpw"
    assert "secretpw" not in mask_url(url) and "sslmode=require" in mask_url(url)
    s = load_settings({"database_url": url}, environ={}, config_file=tmp_path / "x")
    assert "secretpw" not in str(s.public_dict())


@pytest.mark.parametrize("seconds", [0, 5, 7200])
def test_the_accessible_mode_always_has_a_run_limit(home, seconds):
    """No step deadline there, so a run without an overall limit would be an untimed, unlimited try."""
    from selfverify.config import load_settings
    from selfverify.errors import ConfigError

    assert load_settings({}).plain_run_timeout == 300
    with pytest.raises(ConfigError, match="plain_run_timeout must be between 10 and 3600"):
        load_settings({"plain_run_timeout": seconds})


def test_a_run_without_any_time_limit_is_refused(home):
    from selfverify.config import load_settings
    from selfverify.errors import ConfigError

    assert load_settings({"verify_timeout": 0}).challenge_timeout == 10  # each step still has its deadline
    with pytest.raises(ConfigError, match="cannot both be 0"):
        load_settings({"verify_timeout": 0, "challenge_timeout": 0})
