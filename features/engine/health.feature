@dev @staging @production @local
Feature: Engine health
  Engine (Render: lucia-booking-engine in dev, lucia-engine-staging in staging)
  answers a health check that says which build is running.

  Background:
    Given the "engine" service

  @gating @implemented @health
  Scenario: Engine reports healthy
    When I GET "/health"
    Then the status is 200
    And the header "content-type" contains "application/json"
    And the JSON matches:
      """
      {
        "status": "ok",
        "service": "lucia-booking-engine",
        "version": "{{expected.engine_version}}",
        "time": "#iso8601",
        "request_id": "#uuid",
        "uptime_seconds": "#number"
      }
      """
    And the response time is under 2000 ms

  # Eval Labs: the whole answer, normalised, against the baseline of
  # {{expected.release}} (snapshots/<release>/, `lucia-harness baseline`).
  @baseline
  Scenario: Engine health matches the baseline
    When I GET "/health"
    Then the status is 200
    And the response matches the baseline "engine/health"
