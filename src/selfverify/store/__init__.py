"""Persistence and services: database, keyring, credentials, vault, consent, attempts, audit."""
