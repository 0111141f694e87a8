@dev @staging @local
Feature: Engine's durable ledger mode
  The Canon: "Configured: Render Engine dev durable ledger mode is dual and
  durable-required", and "Configured: Engine dev service-role-only access to
  Lucia Core Supabase".

  Background:
    Given the "engine" service
    And the header "X-Operator-Token" is "${LUCIA_OPERATOR_TOKEN}"

  @gating @configured
  Scenario: Engine's ledger runs in dual mode with durability required
    When I GET "/diagnostics/ledger"
    Then the status is 200
    And the JSON contains:
      """
      {"mode": "dual", "durable_required": true}
      """

  @configured
  Scenario: Engine reaches the ledger with the service role only
    When I GET "/diagnostics/ledger"
    Then the status is 200
    And the JSON contains:
      """
      {"access": "service_role", "project_ref": "jgnxomyzqotnqsmlxlsz"}
      """
