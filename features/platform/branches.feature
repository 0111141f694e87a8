@dev @local
Feature: Branch discipline
  The Canon: "dev → active development, stage → promoted validation branch.
  Stage should be protected. Direct stage pushes should be avoided." Checked
  through GitHub's branch-protection API for both repositories. (The Canon
  gives this no status of its own; it is held as configured.)

  @gating @configured
  Scenario Outline: The stage branch of <repository> is protected
    Given the "github" service
    And the header "Authorization" is "Bearer ${GITHUB_TOKEN}"
    And the header "Accept" is "application/vnd.github+json"
    When I GET "/repos/{{expected.github_org}}/<repository>/branches/stage/protection"
    Then the status is 200
    And the JSON contains:
      """
      {"allow_force_pushes": {"enabled": false}, "required_pull_request_reviews": "#object"}
      """

    Examples:
      | repository           |
      | lucia-admin          |
      | lucia-booking-engine |

  @configured
  Scenario: Admin's dev branch requires its CI (lint and build) before anything lands
    # Read from branch protection, where Lucia's branches are held; GitHub's
    # rules endpoint returns rulesets only, not branch protection.
    Given the "github" service
    And the header "Authorization" is "Bearer ${GITHUB_TOKEN}"
    And the header "Accept" is "application/vnd.github+json"
    When I GET "/repos/{{expected.github_org}}/lucia-admin/branches/dev/protection"
    Then the status is 200
    And the JSON at "$.required_status_checks.contexts" contains:
      """
      ["lint", "build"]
      """
