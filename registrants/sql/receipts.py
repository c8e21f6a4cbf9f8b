# ruff: noqa: S608  (the table name comes from the model, never from input)
"""The nonce receipts the gateway's scan paths claim, answer and replay.

A receipt is claimed (an empty answer) before the scan is applied, in the
same transaction, and given its answer after; the unique (user, nonce)
index decides between concurrent claims. See docs/decisions/0010.
"""

from __future__ import annotations

from registrants.models import ScanReceipt

RECEIPTS = ScanReceipt._meta.db_table

# Parameters: user, nonce, fingerprint, now. A row (id) when this claim won.
_CLAIM = (
    f"INSERT INTO {RECEIPTS} (user_id, nonce, fingerprint, http_status, response, created_at) "
    "VALUES (%s, %s, %s, 200, {empty}, %s) ON CONFLICT (user_id, nonce) DO NOTHING RETURNING id"
)
PG_CLAIM = _CLAIM.format(empty="'{}'::jsonb")
SQLITE_CLAIM = _CLAIM.format(empty="'{}'")

# Parameters: http status, answer (JSON), receipt id.
ANSWER = f"UPDATE {RECEIPTS} SET http_status = %s, response = %s WHERE id = %s"
# Parameters: answer (JSON), user, nonce (SQLite's batch: one per item).
ANSWER_BY_NONCE = f"UPDATE {RECEIPTS} SET response = %s WHERE user_id = %s AND nonce = %s"

# Parameters: user, nonce.
STORED = (
    f"SELECT http_status, response, fingerprint FROM {RECEIPTS} WHERE user_id = %s AND nonce = %s"
)
STORED_ANSWER = f"SELECT fingerprint, response FROM {RECEIPTS} WHERE user_id = %s AND nonce = %s"

# PostgreSQL batch: the receipts already stored among these nonces. A join,
# so that each nonce is one probe of the (user, nonce) index whatever the
# planner thinks of a 500-element ANY(). Parameters: nonces, user.
PG_BATCH_STORED = (
    "SELECT n.nonce, rc.fingerprint, rc.response FROM unnest(%s::text[]) AS n(nonce) "
    f"JOIN {RECEIPTS} rc ON rc.user_id = %s::integer AND rc.nonce = n.nonce"
)
# PostgreSQL batch: every receipt with its answer, at the end of the
# transaction; one JSON document holds all the answers (one dump, not one
# per item). Parameters: user, now, nonces, fingerprints, answers (a JSON
# array). Returns a row per receipt written: fewer than the nonces means
# another request took one meanwhile.
PG_BATCH_ANSWERS = (
    f"INSERT INTO {RECEIPTS} (user_id, nonce, fingerprint, http_status, response, created_at) "
    "SELECT %s, n.nonce, n.fp, 200, b.body, %s "
    "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS n(nonce, fp, i) "
    "JOIN jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS b(body, i) USING (i) "
    "ON CONFLICT (user_id, nonce) DO NOTHING RETURNING nonce"
)
