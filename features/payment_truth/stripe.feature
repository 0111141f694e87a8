@dev @staging @local
Feature: Stripe payments land in Engine's payment truth
  The Canon: "Implemented: Stripe sandbox payment foundation in Engine dev"
  and "Implemented: durable Lucia Core Supabase Stripe ledger tables". Stripe
  signs each event (Stripe-Signature: t=…,v1=HMAC-SHA256, 300 s tolerance).

  Background:
    Given the "engine" service

  @gating @implemented
  Scenario: A signed payment_intent.succeeded lands in the payment truth
    When Stripe sends a signed "payment_intent.succeeded" event to "/webhooks/stripe" with JSON:
      """
      {"id": "pi_probe_{{run_id}}", "object": "payment_intent", "amount": 12500, "amount_received": 12500,
       "currency": "usd", "status": "succeeded", "metadata": {"reservation_id": "{{run_number}}", "guest_name": "Probe Guest"}}
      """
    Then the status is 200
    Given the header "X-Operator-Token" is "${LUCIA_OPERATOR_TOKEN}"
    When I GET "/payments/truth/{{run_number}}"
    Then the status is 200
    And the JSON contains:
      """
      {"amount_paid_cents": 12500, "currency": "usd", "status": "paid", "records": [{"payment_intent": "pi_probe_{{run_id}}"}]}
      """

  @gating @implemented
  Scenario Outline: A <how> event is refused
    When Stripe sends a <how> "payment_intent.succeeded" event to "/webhooks/stripe" with JSON:
      """
      {"id": "pi_forged_{{run_id}}", "object": "payment_intent", "amount": 100, "currency": "usd", "metadata": {"reservation_id": "{{run_number}}"}}
      """
    Then the status is one of 400, 401, 403

    Examples:
      | how            |
      | unsigned       |
      | wrongly signed |
