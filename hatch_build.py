"""Build hook: the wheel carries each catalog compiled (``selfverify.mo``), never the ``.po`` source.

Compiled with selfverify's own ``i18n.compile_po`` (Babel, fuzzy entries left out), loaded from its
file: the package itself is not importable while it is being built."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CatalogBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":  # an editable install reads the .po
            return
        root = Path(self.root)
        spec = importlib.util.spec_from_file_location("_selfverify_i18n", root / "src" / "selfverify" / "i18n.py")
        i18n = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(i18n)
        out = root / "build" / "locale"
        for po in sorted((root / "src" / "selfverify" / "locale").glob("*/LC_MESSAGES/selfverify.po")):
            language = po.parent.parent.name
            mo = out / language / "selfverify.mo"
            mo.parent.mkdir(parents=True, exist_ok=True)
            mo.write_bytes(i18n.compile_po(po.read_bytes()))
            build_data["force_include"][str(mo)] = f"selfverify/locale/{language}/LC_MESSAGES/selfverify.mo"
