"""Helpers shared by the tests of every app (see servers.py)."""
