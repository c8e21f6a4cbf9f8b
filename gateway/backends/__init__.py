"""The gateway's database backends, one module per engine behind
base.Backend (the shape of Django's contrib/sessions/backends/):
postgresql (an async pool, one statement per scan or group of scans) and
sqlite (the same work in one IMMEDIATE transaction on the Django thread).
gateway.db picks one for the default database."""
