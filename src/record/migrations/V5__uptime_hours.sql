-- Uptime by the hour and by the day: each environment's runs (feature and
-- scenario '') and each scenario's results, up and counted, per UTC hour
-- and day. The same as SQLite's 5_uptime_hours.sql, Postgres types.
CREATE TABLE uptime_hours (
    environment TEXT NOT NULL,
    feature     TEXT NOT NULL,
    scenario    TEXT NOT NULL,
    hour        TIMESTAMPTZ NOT NULL,
    up          BIGINT NOT NULL,
    counted     BIGINT NOT NULL,
    PRIMARY KEY (environment, feature, scenario, hour)
);

INSERT INTO uptime_hours (environment, feature, scenario, hour, up, counted)
SELECT environment, '', '', date_trunc('hour', started_at, 'UTC'),
       COUNT(*) FILTER (WHERE result IN ('passed', 'degraded')),
       COUNT(*) FILTER (WHERE result IN ('passed', 'degraded', 'failed'))
FROM runs
WHERE result IN ('passed', 'degraded', 'failed')
  AND passed + failed + flaky + degraded + claim_outdated > 0
GROUP BY environment, date_trunc('hour', started_at, 'UTC');

INSERT INTO uptime_hours (environment, feature, scenario, hour, up, counted)
SELECT s.environment, s.feature, s.scenario, date_trunc('hour', s.finished_at, 'UTC'),
       COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded')),
       COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded', 'failed'))
FROM scenario_results s JOIN runs r ON r.id = s.run
WHERE r.result <> 'maintenance'
GROUP BY s.environment, s.feature, s.scenario, date_trunc('hour', s.finished_at, 'UTC');

CREATE TABLE uptime_days (
    environment TEXT NOT NULL,
    feature     TEXT NOT NULL,
    scenario    TEXT NOT NULL,
    day         TIMESTAMPTZ NOT NULL,
    up          BIGINT NOT NULL,
    counted     BIGINT NOT NULL,
    PRIMARY KEY (environment, feature, scenario, day)
);

INSERT INTO uptime_days (environment, feature, scenario, day, up, counted)
SELECT environment, feature, scenario, date_trunc('day', hour, 'UTC'), SUM(up), SUM(counted)
FROM uptime_hours
GROUP BY environment, feature, scenario, date_trunc('day', hour, 'UTC');

-- A window's hours are a few ranges of one environment's rows.
CREATE INDEX uptime_hours_by_hour ON uptime_hours (environment, hour);
-- The partial first hour of a window is counted from the rows themselves.
CREATE INDEX runs_by_start ON runs (environment, started_at);
CREATE INDEX scenario_results_by_time ON scenario_results (environment, finished_at);
