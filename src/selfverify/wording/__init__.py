"""Words every front end says: outcomes, event sentences and steady guidance. Front ends lay them out."""
