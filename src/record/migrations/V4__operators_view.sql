-- The operators' view: degraded counts and maintenance on each run, each
-- scenario's recent results by run, response times per feature, and
-- silences (the same as SQLite's 4_operators_view.sql, Postgres types).
ALTER TABLE runs ADD COLUMN degraded BIGINT NOT NULL DEFAULT 0;
-- Why the run was in a maintenance window or a silence (result 'maintenance').
ALTER TABLE runs ADD COLUMN maintenance TEXT;

CREATE INDEX scenario_results_recent ON scenario_results (environment, feature, scenario, run DESC);

-- p50 and p95 of each feature's request times in each run.
CREATE TABLE feature_timings (
    run         BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    feature     TEXT NOT NULL,
    requests    BIGINT NOT NULL,
    p50_ms      DOUBLE PRECISION NOT NULL,
    p95_ms      DOUBLE PRECISION NOT NULL
);
CREATE INDEX feature_timings_by_environment ON feature_timings (environment, run);

-- Ad-hoc silences (`lucia-harness silence`, POST /silences).
CREATE TABLE silences (
    id          BIGSERIAL PRIMARY KEY,
    environment TEXT NOT NULL,
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    ended_at    TIMESTAMPTZ
);
CREATE INDEX silences_by_environment ON silences (environment, ends_at);
