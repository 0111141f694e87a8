@staging @local
Feature: No provider delivers intake to Staging
  The Canon: "Staging is capable of handling intake but external providers
  do not target it unless manually switched." The Staging side of
  routing.feature: each provider is asked, read-only, and none may name
  Staging's Engine. A provider switched to Staging (by hand, for a test)
  fails these until it is switched back. Stripe's list is read whole: an
  endpoint naming Staging fails this even disabled (delete it, rather than
  leave it one click from live).

  @configured
  Scenario: Twilio's intake numbers do not deliver SMS to Staging
    Given the "twilio" service
    And basic auth "${TWILIO_ACCOUNT_SID}" and "${TWILIO_AUTH_TOKEN}"
    When I GET "/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/IncomingPhoneNumbers.json"
    Then the status is 200
    And the body does not contain "{{expected.staging_engine}}"

  @configured
  Scenario: Twilio's WhatsApp sender does not deliver to Staging
    Given the "twilio-messaging" service
    And basic auth "${TWILIO_ACCOUNT_SID}" and "${TWILIO_AUTH_TOKEN}"
    When I GET "/v2/Channels/Senders?Channel=whatsapp"
    Then the status is 200
    And the body does not contain "{{expected.staging_engine}}"

  @configured
  Scenario: No Stripe webhook endpoint delivers to Staging
    Given the "stripe" service
    And the header "Authorization" is "Bearer ${STRIPE_SECRET_KEY}"
    When I GET "/v1/webhook_endpoints?limit=100"
    Then the status is 200
    And the body does not contain "{{expected.staging_engine}}"

  @configured
  Scenario: Postmark does not deliver inbound email to Staging
    Given the "postmark" service
    And the header "X-Postmark-Server-Token" is "${POSTMARK_SERVER_TOKEN}"
    And the header "Accept" is "application/json"
    When I GET "/server"
    Then the status is 200
    And the body does not contain "api-staging.hellolucia.ai"
