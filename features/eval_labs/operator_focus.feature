@dev @staging @local
Feature: Operator focus, the Eval Labs v0.1.3.6 target
  Eval Labs targets https://api-dev.hellolucia.ai/admin/operator-focus. It is
  an operator route: it answers only with the operator token.

  Background:
    Given the "engine" service

  @gating @implemented
  Scenario: Operator focus refuses a caller without the operator token
    When I GET "/admin/operator-focus"
    Then the status is 401

  @gating @implemented
  Scenario: Operator focus answers the operator with the baseline target
    Given the header "X-Operator-Token" is "${LUCIA_OPERATOR_TOKEN}"
    When I GET "/admin/operator-focus"
    Then the status is 200
    And the JSON contains:
      """
      {
        "target": "eval-labs",
        "engine_version": "{{expected.engine_version}}",
        "admin_version": "{{expected.admin_version}}",
        "baseline": "{{expected.release}}",
        "generated_at": "#iso8601",
        "request_id": "#uuid",
        "ledger": {"mode": "dual", "durable_required": true},
        "providers": "#[13]"
      }
      """
    And the response time is under 3000 ms

  # The Eval Labs v0.1.3.6 target itself. Its answer names the seed's guest:
  # the baseline holds [name], [email] and [phone] instead (normalise.toml).
  @baseline
  Scenario: Operator focus matches the baseline
    Given the header "X-Operator-Token" is "${LUCIA_OPERATOR_TOKEN}"
    When I GET "/admin/operator-focus"
    Then the status is 200
    And the response matches the baseline "eval_labs/operator_focus"
