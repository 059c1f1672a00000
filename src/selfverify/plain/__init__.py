"""The plain, line-by-line accessible front end (see selfverify.plain.app)."""
