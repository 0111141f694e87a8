-- Uptime by the hour and by the day (schema version 5): each environment's
-- runs (feature and scenario '') and each scenario's results, up and
-- counted, per UTC hour and per UTC day (as the text `ts` writes,
-- "2026-12-02T13:00:00.000Z", "2026-12-02T00:00:00.000Z"). The dashboard
-- and the uptime badges sum these instead of counting every run kept
-- (src/record/uptime.rs); they are kept 31 days, whatever --retain keeps.
-- Maintenance is left out.
CREATE TABLE uptime_hours (
    environment TEXT NOT NULL,
    feature     TEXT NOT NULL,
    scenario    TEXT NOT NULL,
    hour        TEXT NOT NULL,
    up          INTEGER NOT NULL,
    counted     INTEGER NOT NULL,
    PRIMARY KEY (environment, feature, scenario, hour)
) WITHOUT ROWID;

INSERT INTO uptime_hours (environment, feature, scenario, hour, up, counted)
SELECT environment, '', '', substr(started_at, 1, 13) || ':00:00.000Z',
       COUNT(*) FILTER (WHERE result IN ('passed', 'degraded')),
       COUNT(*) FILTER (WHERE result IN ('passed', 'degraded', 'failed'))
FROM runs
WHERE result IN ('passed', 'degraded', 'failed')
  AND passed + failed + flaky + degraded + claim_outdated > 0
GROUP BY environment, substr(started_at, 1, 13);

INSERT INTO uptime_hours (environment, feature, scenario, hour, up, counted)
SELECT s.environment, s.feature, s.scenario, substr(s.finished_at, 1, 13) || ':00:00.000Z',
       COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded')),
       COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded', 'failed'))
FROM scenario_results s JOIN runs r ON r.id = s.run
WHERE r.result != 'maintenance'
GROUP BY s.environment, s.feature, s.scenario, substr(s.finished_at, 1, 13);

CREATE TABLE uptime_days (
    environment TEXT NOT NULL,
    feature     TEXT NOT NULL,
    scenario    TEXT NOT NULL,
    day         TEXT NOT NULL,
    up          INTEGER NOT NULL,
    counted     INTEGER NOT NULL,
    PRIMARY KEY (environment, feature, scenario, day)
) WITHOUT ROWID;

INSERT INTO uptime_days (environment, feature, scenario, day, up, counted)
SELECT environment, feature, scenario, substr(hour, 1, 10) || 'T00:00:00.000Z', SUM(up), SUM(counted)
FROM uptime_hours
GROUP BY environment, feature, scenario, substr(hour, 1, 10);

-- A window's hours are a few ranges of one environment's rows.
CREATE INDEX uptime_hours_by_hour ON uptime_hours (environment, hour);
-- The partial first hour of a window is counted from the rows themselves.
CREATE INDEX runs_by_start ON runs (environment, started_at);
CREATE INDEX scenario_results_by_time ON scenario_results (environment, finished_at);
