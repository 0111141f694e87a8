-- The history of runs in PostgreSQL: the same tables as the SQLite store
-- (record/sqlite.rs), with Postgres types. Applied by refinery; never edit
-- a migration that has shipped, add the next one.

CREATE TABLE runs (
    id               BIGSERIAL PRIMARY KEY,
    environment      TEXT NOT NULL,
    trigger          TEXT NOT NULL,
    result           TEXT NOT NULL,
    run_id           TEXT,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    duration_ms      DOUBLE PRECISION,
    passed           BIGINT NOT NULL DEFAULT 0,
    failed           BIGINT NOT NULL DEFAULT 0,
    flaky            BIGINT NOT NULL DEFAULT 0,
    skipped          BIGINT NOT NULL DEFAULT 0,
    known_gaps       BIGINT NOT NULL DEFAULT 0,
    claim_outdated   BIGINT NOT NULL DEFAULT 0,
    claim_violations BIGINT NOT NULL DEFAULT 0,
    drifted          BIGINT NOT NULL DEFAULT 0,
    error            TEXT,
    report           TEXT
);
CREATE INDEX runs_by_environment ON runs (environment, id DESC);
CREATE INDEX runs_reported ON runs (environment, id DESC) WHERE report IS NOT NULL;

CREATE TABLE scenario_results (
    run           BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    environment   TEXT NOT NULL,
    area          TEXT NOT NULL,
    feature       TEXT NOT NULL,
    scenario      TEXT NOT NULL,
    status        TEXT NOT NULL,
    claim         TEXT,
    error_kind    TEXT,
    error_message TEXT,
    duration_ms   DOUBLE PRECISION NOT NULL,
    attempts      BIGINT NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX scenario_results_by_run ON scenario_results (run);
CREATE INDEX scenario_results_by_scenario
    ON scenario_results (environment, feature, scenario, status, finished_at);

CREATE TABLE alert_state (
    environment          TEXT NOT NULL,
    feature              TEXT NOT NULL,
    scenario             TEXT NOT NULL,
    consecutive_failures BIGINT NOT NULL,
    alerting             BOOLEAN NOT NULL,
    since                TIMESTAMPTZ,
    PRIMARY KEY (environment, feature, scenario)
);

CREATE TABLE alert_transitions (
    id                   BIGSERIAL PRIMARY KEY,
    environment          TEXT NOT NULL,
    feature              TEXT NOT NULL,
    scenario             TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    at                   TIMESTAMPTZ NOT NULL,
    run                  BIGINT,
    consecutive_failures BIGINT NOT NULL,
    event_id             TEXT
);
CREATE INDEX alert_transitions_by_environment ON alert_transitions (environment, id);
