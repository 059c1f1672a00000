"""The support staff's console (``selfverify agent``), separate from the user's app."""
