@dev @staging @local
Feature: Twilio intake (SMS and WhatsApp)
  The Canon: "Twilio → SMS / MMS / WhatsApp". Development is the live
  intake surface for Twilio; staging can handle intake too. An MMS arrives
  on the SMS webhook with its media listed (NumMedia, MediaUrl0, …), all of
  it signed. Engine accepts a webhook only with a valid X-Twilio-Signature
  (HMAC-SHA1 of the URL and the sorted parameters, keyed by the auth token).

  Background:
    Given the "engine" service

  @gating @implemented
  Scenario Outline: A signed <message> is accepted
    When Twilio sends a signed <message> to "<path>" with:
      | From | +15005550006                    |
      | To   | +15005550001                    |
      | Body | Hi Lucia, can I check in early? |
    Then the status is 200
    And the header "content-type" contains "xml"
    And the body contains "Response"

    Examples:
      | message          | path                      |
      | SMS              | /webhooks/twilio/sms      |
      | WhatsApp message | /webhooks/twilio/whatsapp |

  @implemented
  Scenario: A signed MMS (a photo of the guest's parking spot) is accepted
    When Twilio sends a signed SMS to "/webhooks/twilio/sms" with:
      | From              | +15005550006                                                         |
      | To                | +15005550001                                                         |
      | Body              | Is this spot OK?                                                     |
      | NumMedia          | 1                                                                    |
      | MediaUrl0         | https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0 |
      | MediaContentType0 | image/jpeg                                                           |
    Then the status is 200
    And the header "content-type" contains "xml"
    And the body contains "Response"

  @gating @implemented
  Scenario Outline: A <how> <message> is refused
    When Twilio sends a <how> <message> to "<path>" with:
      | From | +15005550006 |
      | Body | let me in    |
    Then the status is 403

    Examples:
      | how            | message          | path                      |
      | unsigned       | SMS              | /webhooks/twilio/sms      |
      | wrongly signed | SMS              | /webhooks/twilio/sms      |
      | unsigned       | WhatsApp message | /webhooks/twilio/whatsapp |
      | wrongly signed | WhatsApp message | /webhooks/twilio/whatsapp |
