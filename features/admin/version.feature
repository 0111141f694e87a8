@dev @staging @production @local
Feature: Admin version
  The Admin UI (Render: lucia-admin-dev, lucia-admin-staging) must run
  admin-v0.1.3.6 alongside Engine's engine-v0.1.3.6.

  Background:
    Given the "admin" service

  @gating @implemented @version @health
  Scenario: Admin runs the expected version
    When I GET "/api/version"
    Then the status is 200
    And the header "content-type" contains "application/json"
    And the JSON contains:
      """
      {"app": "lucia-admin", "version": "{{expected.admin_version}}"}
      """

  @baseline
  Scenario: Admin version matches the baseline
    When I GET "/api/version"
    Then the status is 200
    And the response matches the baseline "admin/version"
