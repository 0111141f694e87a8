@dev @local
Feature: Resend's sending domain
  The Canon: "Resend → sending domain: send.hellolucia.ai". Resend sends from
  a domain only once its DNS records (SPF, DKIM) are verified: its API says
  whether they are, and DNS itself is asked whether the records are there
  (the return path's MX and SPF on send.<domain>, the DKIM key at
  resend._domainkey.<domain>, equal to the one Resend lists).

  @configured
  Scenario: Resend reports the sending domain verified
    Given the "resend" service
    And the header "Authorization" is "Bearer ${RESEND_API_KEY}"
    When I GET "/domains"
    Then the status is 200
    And the JSON at "$.data[0].name" is "{{expected.resend_sending_domain}}"
    And the JSON at "$.data[0].status" is "verified"

  @configured
  Scenario: The sending domain's return path carries the MX record Resend verifies
    When I look up the "MX" records of "send.{{expected.resend_sending_domain}}"
    Then at least one record is returned
    And every record ends with ".amazonses.com"

  @configured
  Scenario: The sending domain's return path carries the SPF record Resend verifies
    When I look up the "TXT" records of "send.{{expected.resend_sending_domain}}"
    Then a record contains "v=spf1 include:amazonses.com"

  @configured
  Scenario: The sending domain publishes the DKIM key Resend lists for it
    Given the "resend" service
    And the header "Authorization" is "Bearer ${RESEND_API_KEY}"
    When I GET "/domains"
    And I remember the JSON at "$.data[0].id" as "domain"
    And I GET "/domains/{{remembered.domain}}"
    And I remember the JSON at "$.records[2].value" as "dkim"
    And I look up the "TXT" records of "resend._domainkey.{{expected.resend_sending_domain}}"
    Then a record equals the remembered "dkim"
