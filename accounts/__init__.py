"""Credentials: users' API tokens (stored as hashes), the generation that
makes a change to a user's access reach every process's token cache at once,
and the login throttle."""
