"""selfverify: self-service identity verification, local and open."""

__version__ = "0.1.0"
