@dev @staging @production @local
Feature: Engine version
  Lucia v0.1.3.6 is the first clean development baseline: Engine must run
  engine-v0.1.3.6 before anything is promoted.

  Background:
    Given the "engine" service

  @gating @implemented @version
  Scenario: Engine runs the expected version
    When I GET "/version"
    Then the status is 200
    And the JSON at "$.version" is "{{expected.engine_version}}"
    And the JSON matches:
      """
      {
        "service": "lucia-booking-engine",
        "version": "{{expected.engine_version}}",
        "render_service": "#string",
        "branch": "#string",
        "commit": "#regex [0-9a-f]{7,40}"
      }
      """

  @baseline
  Scenario: Engine version matches the baseline
    When I GET "/version"
    Then the status is 200
    And the response matches the baseline "engine/version"
