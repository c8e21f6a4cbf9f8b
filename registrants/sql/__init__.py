"""The SQL writers of the domain: every statement that writes a registrant's
status, a history row or a scan receipt below the ORM services.

The gateway's fast paths, the SQLite import and the seeders execute these
statements; they write none of their own. Each is built from
registrants.lifecycle (the moves) and history.HISTORY_COLUMNS (the history
row, declared once). With registrants.services, these are the only writers
of those tables (registrants/tests/test_history.py, H3).

    history   the history row's columns and the statements that insert it
    plans     the lifecycle's scan plans as SQL literals
    scans     a scan's writes: PostgreSQL in one statement, SQLite row by row
    receipts  the nonce receipts: claim, answer, replay
    bulk      imports and seeders: many registrants with their history
"""
