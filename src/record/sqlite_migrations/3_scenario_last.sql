-- When each scenario last had each status, apart from the runs (schema
-- version 3): "last passed" in time that does not grow with the runs kept.
CREATE TABLE scenario_last (
    environment TEXT NOT NULL,
    feature     TEXT NOT NULL,
    scenario    TEXT NOT NULL,
    status      TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (environment, feature, scenario, status)
);
INSERT INTO scenario_last (environment, feature, scenario, status, finished_at)
SELECT environment, feature, scenario, status, MAX(finished_at)
FROM scenario_results GROUP BY environment, feature, scenario, status;
