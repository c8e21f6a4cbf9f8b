"""The door-scanner gateway: a FastAPI application beside Django.

Django owns the models (DeviceToken, ScanConflict) and the organisers' API
and pages for them; the FastAPI app (gateway.app) serves the scanners under
/gateway/ with an async connection pool and one SQL statement per scan.
"""
