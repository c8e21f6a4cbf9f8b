"""The demo that `manage.py seed_demo` seeds: its data (data.py) and how it
is written (build.py)."""
