-- The operators' view (schema version 4): degraded counts and maintenance
-- on each run, each scenario's recent results by run, response times per
-- feature, and silences.
ALTER TABLE runs ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0;
-- Why the run was in a maintenance window or a silence (result 'maintenance').
ALTER TABLE runs ADD COLUMN maintenance TEXT;

CREATE INDEX scenario_results_recent ON scenario_results (environment, feature, scenario, run DESC);

-- p50 and p95 of each feature's request times in each run.
CREATE TABLE feature_timings (
    run         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    feature     TEXT NOT NULL,
    requests    INTEGER NOT NULL,
    p50_ms      REAL NOT NULL,
    p95_ms      REAL NOT NULL
);
CREATE INDEX feature_timings_by_environment ON feature_timings (environment, run);

-- Ad-hoc silences (`lucia-harness silence`, POST /silences).
CREATE TABLE silences (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    ended_at    TEXT
);
CREATE INDEX silences_by_environment ON silences (environment, ends_at);
