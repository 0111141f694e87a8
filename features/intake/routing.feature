@dev @local
Feature: Where the providers deliver intake
  The Canon: "Development is currently the live intake surface for external
  providers. Staging is capable of handling intake but external providers do
  not target it unless manually switched." Asked of the providers
  themselves, read-only, with least-privilege credentials: where Twilio's
  intake number and WhatsApp sender, Stripe's webhook endpoint and
  Postmark's inbound hook point.

  @configured
  Scenario: Twilio's intake number delivers SMS to Development's Engine, never to Staging's
    Given the "twilio" service
    And basic auth "${TWILIO_ACCOUNT_SID}" and "${TWILIO_AUTH_TOKEN}"
    When I GET "/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/IncomingPhoneNumbers.json"
    Then the status is 200
    And the JSON at "$.incoming_phone_numbers[0].sms_url" is "{{expected.intake_engine}}/webhooks/twilio/sms"
    And the body does not contain "{{expected.staging_engine}}"

  @configured
  Scenario: Twilio's WhatsApp sender delivers to Development's Engine, never to Staging's
    Given the "twilio-messaging" service
    And basic auth "${TWILIO_ACCOUNT_SID}" and "${TWILIO_AUTH_TOKEN}"
    When I GET "/v2/Channels/Senders?Channel=whatsapp"
    Then the status is 200
    And the JSON at "$.senders[0].webhook.callback_url" is "{{expected.intake_engine}}/webhooks/twilio/whatsapp"
    And the body does not contain "{{expected.staging_engine}}"

  @configured
  Scenario: Stripe delivers the payment events to Development's Engine, never to Staging's
    Given the "stripe" service
    And the header "Authorization" is "Bearer ${STRIPE_SECRET_KEY}"
    When I GET "/v1/webhook_endpoints"
    Then the status is 200
    And the JSON at "$.data[0].url" is "{{expected.intake_engine}}/webhooks/stripe"
    And the JSON at "$.data[0].status" is "enabled"
    And the JSON at "$.data[0].enabled_events" contains:
      """
      ["payment_intent.succeeded"]
      """
    And the body does not contain "{{expected.staging_engine}}"

  @configured
  Scenario: Postmark delivers inbound email to Development's Engine, never to Staging's
    Given the "postmark" service
    And the header "X-Postmark-Server-Token" is "${POSTMARK_SERVER_TOKEN}"
    And the header "Accept" is "application/json"
    When I GET "/server"
    Then the status is 200
    And the body contains "@api-dev.hellolucia.ai/webhooks/postmark/inbound"
    And the body does not contain "{{expected.staging_engine}}"
