"""Helpers shared by the tests of every app: servers.py (real servers) and
broker.py (Celery publishing to a Redis that a test stops)."""
