@dev @staging @local
Feature: Admin renders Engine payment truth only
  The Canon: "Admin renders Engine payment truth only" and "Not yet
  implemented: Admin payment writes, policy persistence,
  charge/refund/mark-paid UI". The payment page is behind Clerk.

  @gating @implemented
  Scenario: The payment page shows exactly Engine's payment truth for reservation 29110012
    Given the "engine" service
    And the header "X-Operator-Token" is "${LUCIA_OPERATOR_TOKEN}"
    When I GET "/payments/truth/29110012"
    Then the status is 200
    When I remember the JSON at "$" as "truth"
    Given the "admin" service
    And the header "Cookie" is "__session=${CLERK_SESSION_TOKEN}"
    When I GET "/reservations/29110012/payment"
    Then the status is 200
    And the header "content-type" contains "text/html"
    And the JSON embedded in the page as "#payment-truth" equals the remembered "truth"

  @future
  Scenario: The payment page offers charge, refund and mark-paid
    Given the "admin" service
    And the header "Cookie" is "__session=${CLERK_SESSION_TOKEN}"
    When I GET "/reservations/29110012/payment"
    Then the status is 200
    And the body contains "Mark paid"
