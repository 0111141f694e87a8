@dev @staging @production @local
Feature: Admin's access boundary
  Clerk authenticates Admin. The Canon: "Admin never talks directly to
  Supabase" — so Admin's Content-Security-Policy must never let the browser
  connect to the Supabase project.

  Background:
    Given the "admin" service

  @gating @configured
  Scenario: An anonymous visitor is sent to sign in
    When I GET "/reservations/29110012/payment"
    Then the status is one of 302, 303, 307
    And the header "location" contains "sign-in"

  @gating @configured
  Scenario: Admin's Content-Security-Policy never lets the browser reach Supabase
    When I GET "/sign-in"
    Then the status is 200
    And the Content-Security-Policy does not let the browser connect to "{{expected.supabase_host}}"
    And the body does not contain "supabase.co"
