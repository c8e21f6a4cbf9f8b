"""Where the settings are read from: environment variables, optionally
from a `.env` file at the repository root (README.md lists them all)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
