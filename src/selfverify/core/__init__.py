"""Everything that is not a front end. Nothing under ``selfverify.core`` or ``selfverify.store``
imports Textual (checked by tests/unit/test_import_hygiene.py)."""
