@dev @local
Feature: Resend's sending domain
  The Canon: "Resend → sending domain: send.hellolucia.ai". Resend sends from
  a domain only once its DNS records (SPF, DKIM) are verified; its API says
  whether they are.

  @configured
  Scenario: Resend reports the sending domain verified
    Given the "resend" service
    And the header "Authorization" is "Bearer ${RESEND_API_KEY}"
    When I GET "/domains"
    Then the status is 200
    And the JSON at "$.data[0].name" is "{{expected.resend_sending_domain}}"
    And the JSON at "$.data[0].status" is "verified"
