@dev @staging @local
Feature: Postmark inbound email
  Postmark is Lucia's inbound operational and system email intake. Its
  webhook carries HTTP basic auth; without the right credentials Engine
  refuses it.

  Background:
    Given the "engine" service

  @gating @implemented
  Scenario: Inbound email with the right basic auth is accepted
    When Postmark delivers an inbound email to "/webhooks/postmark/inbound" with basic auth:
      """
      {"MessageID": "probe-{{run_id}}", "From": "probe@example.com", "To": "inbound@hellolucia.ai", "Subject": "Probe", "TextBody": "Hello Lucia"}
      """
    Then the status is 200
    And the JSON contains:
      """
      {"status": "received", "message_id": "probe-{{run_id}}"}
      """

  @gating @implemented
  Scenario Outline: Inbound email <how> basic auth is refused
    When Postmark delivers an inbound email to "/webhooks/postmark/inbound" <how> basic auth:
      """
      {"MessageID": "probe-{{run_id}}", "From": "probe@example.com", "To": "inbound@hellolucia.ai", "Subject": "Probe", "TextBody": "Hello Lucia"}
      """
    Then the status is one of 401, 403

    Examples:
      | how        |
      | without    |
      | with wrong |
