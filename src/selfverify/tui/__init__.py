"""The Textual front end. Renders events from core and calls services; computes nothing itself."""
