@dev @local
Feature: Property payment policy
  The Canon: "Deferred: durable property payment policy persistence". This
  scenario states what done looks like; until then it is a known gap, and
  the day it passes the harness says the Canon is out of date.

  @deferred
  Scenario: A property's payment policy is persisted durably
    Given the "engine" service
    And the header "X-Operator-Token" is "${LUCIA_OPERATOR_TOKEN}"
    When I GET "/properties/lucia-demo-residences/payment-policy"
    Then the status is 200
    And the JSON at "$.persisted" is true
