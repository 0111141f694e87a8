-- The history of runs: runs with their report, scenario results, alert
-- state and transitions (schema version 1).
CREATE TABLE runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    environment      TEXT NOT NULL,
    trigger          TEXT NOT NULL,
    result           TEXT NOT NULL,
    run_id           TEXT,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    duration_ms      REAL,
    passed           INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    flaky            INTEGER NOT NULL DEFAULT 0,
    skipped          INTEGER NOT NULL DEFAULT 0,
    known_gaps       INTEGER NOT NULL DEFAULT 0,
    claim_outdated   INTEGER NOT NULL DEFAULT 0,
    claim_violations INTEGER NOT NULL DEFAULT 0,
    drifted          INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    report           TEXT
);
CREATE INDEX runs_by_environment ON runs (environment, id DESC);

CREATE TABLE scenario_results (
    run           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    environment   TEXT NOT NULL,
    area          TEXT NOT NULL,
    feature       TEXT NOT NULL,
    scenario      TEXT NOT NULL,
    status        TEXT NOT NULL,
    claim         TEXT,
    error_kind    TEXT,
    error_message TEXT,
    duration_ms   REAL NOT NULL,
    attempts      INTEGER NOT NULL,
    finished_at   TEXT NOT NULL
);
CREATE INDEX scenario_results_by_run ON scenario_results (run);
CREATE INDEX scenario_results_by_scenario
    ON scenario_results (environment, feature, scenario, status, finished_at);

CREATE TABLE alert_state (
    environment          TEXT NOT NULL,
    feature              TEXT NOT NULL,
    scenario             TEXT NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    alerting             INTEGER NOT NULL,
    since                TEXT,
    PRIMARY KEY (environment, feature, scenario)
);

CREATE TABLE alert_transitions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    environment          TEXT NOT NULL,
    feature              TEXT NOT NULL,
    scenario             TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    at                   TEXT NOT NULL,
    run                  INTEGER,
    consecutive_failures INTEGER NOT NULL,
    event_id             TEXT
);
