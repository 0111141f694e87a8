@dev @local
Feature: Payment truth survives an Engine restart
  The Canon: "Tested: Harper Quinn #29110012 payment truth survived Render
  Engine restart". The restart goes through Render's API
  (POST /v1/services/{id}/restart) and only where the environment allows
  restarts; elsewhere this is reported skipped, with the reason.

  @tested @serial
  Scenario: Harper Quinn's payment truth for #29110012 is the same after a restart
    Given the "engine" service
    And the header "X-Operator-Token" is "${LUCIA_OPERATOR_TOKEN}"
    When I GET "/payments/truth/29110012"
    Then the status is 200
    And the JSON contains:
      """
      {"reservation_id": 29110012, "status": "paid"}
      """
    When I remember the JSON at "$" as "before"
    And the "engine" service is restarted
    And I GET "/payments/truth/29110012"
    Then the status is 200
    And the JSON at "$" equals the remembered "before"
