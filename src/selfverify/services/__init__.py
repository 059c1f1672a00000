"""Rules shared by every front end: consent, attempts, credentials, vault, audit, interview.
Nothing here imports Textual."""
