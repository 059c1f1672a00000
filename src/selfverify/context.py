"""What every front end and command works with: settings, database, keyring and clock.

Services (consent, attempts, credentials, vault, interview, audit) take an ``AppContext`` so the
Textual app, the accessible mode and the CLI share the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from selfverify.config import Settings
from selfverify.core.clock import SystemClock


@dataclass
class AppContext:
    settings: Settings
    clock: Any = field(default_factory=SystemClock)
    front_end: str = "cli"  # tui | plain | cli

    @cached_property
    def db(self):  # -> selfverify.store.db.Database (imported lazily: sqlmodel is heavy)
        from selfverify.store.db import Database

        return Database(self.settings)

    @cached_property
    def secrets(self):  # -> selfverify.store.secrets.SecretStore (always the OS keyring)
        from selfverify.store.secrets import KeyringSecretStore

        return KeyringSecretStore(self.settings.keyring_service)

    @cached_property
    def user(self) -> str:
        """The handle: on a PostgreSQL desk whose connection logs in as a person's or agent's own role,
        that role (current_user) and not --user; otherwise the --user setting."""
        if self.settings.database_url:
            from selfverify.services.desk import connection_role

            role = connection_role(self.db)
            if role is not None:
                return role[0]
        return self.settings.user

    @property
    def paths(self):
        return self.settings.paths

    def remember_setting(self, config_file, key: str, value: Any):  # noqa: ANN001
        """Write ``key = value`` into the config file for the next start (``config.remember_setting``)."""
        from selfverify.config import remember_setting

        return remember_setting(config_file, key, value)
