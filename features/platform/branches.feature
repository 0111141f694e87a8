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
