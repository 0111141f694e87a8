-- Leadership: one lease row per schedule (an environment, later with its
-- location). The holder renews it before `expires_at`; another replica
-- takes it only once it has expired, by the database's clock.
CREATE TABLE leases (
    schedule    TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    generation  BIGINT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
