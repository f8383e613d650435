"""Textual screens of jupyter-setup-wizard."""
