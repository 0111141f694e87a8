-- Leadership: one lease row per schedule (schema version 2).
CREATE TABLE leases (
    schedule    TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    expires_at  TEXT NOT NULL
);
