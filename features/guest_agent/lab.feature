@guest-lab @local
Feature: Guest Agent lab
  The guest-facing Lucia lab (lucia-guest-agent) is live on its own domain
  and on Netlify ("Netlify → Guest Agent live-development lab"), and
  introduces itself as Lucia.

  @implemented
  Scenario: The guest lab answers on guest.hellolucia.ai and names Lucia
    Given the "guest-lab" service
    And redirects are followed
    When I GET "/"
    Then the status is 200
    And the header "content-type" contains "text/html"
    And the body contains "Lucia"

  @implemented
  Scenario: The guest lab runs the agent environments.toml expects
    Given the "guest-lab" service
    And redirects are followed
    When I GET "/"
    Then the status is 200
    And the body contains "{{expected.guest_agent}}"

  @implemented
  Scenario: The Netlify lab answers and names Lucia
    Given the "guest-lab-netlify" service
    And redirects are followed
    When I GET "/"
    Then the status is 200
    And the header "content-type" contains "text/html"
    And the body contains "Lucia"

  @configured
  Scenario: The lab is served by Netlify
    Given the "guest-lab-netlify" service
    And redirects are followed
    When I GET "/"
    Then the status is 200
    And the header "server" contains "Netlify"

  @deferred
  Scenario: Guest verification email goes out through Resend
    # The Canon: "Resend → waitlist and guest verification outbound email".
    Then the claim cannot be checked yet: "the Canon names no guest-verification endpoint, and triggering one would mail a real guest"
