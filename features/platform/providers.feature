Feature: The core stack's providers
  What the Canon says of each provider of the core stack, checked where it
  can be, and marked as a known gap (with the reason) where it cannot yet.
  Render, Twilio, Postmark, Stripe, Supabase, Clerk, Resend and Netlify are
  checked by the engine, intake, payment_truth, admin, waitlist and
  guest_agent features; GitHub by branches.feature.

  @dev @staging @local @configured
  Scenario Outline: <service> is served through Cloudflare's edge
    Given the "<service>" service
    When I GET "<path>"
    Then the header "server" is "cloudflare"
    And the header "cf-ray" is present

    Examples:
      | service | path         |
      | engine  | /health      |
      | admin   | /api/version |

  @dev @local @configured
  Scenario: Engine's Sentry project exists and is active
    Given the "sentry" service
    And the header "Authorization" is "Bearer ${SENTRY_AUTH_TOKEN}"
    When I GET "/api/0/projects/{{expected.sentry_org}}/{{expected.sentry_engine_project}}/"
    Then the status is 200
    And the JSON contains:
      """
      {"slug": "{{expected.sentry_engine_project}}", "status": "active"}
      """

  @dev @local @configured
  Scenario: Engine names the Render service it runs as
    Given the "engine" service
    When I GET "/version"
    Then the status is 200
    And the JSON at "$.render_service" is "lucia-booking-engine"

  @dev @local @deferred
  Scenario: Bunny serves Lucia's media
    Then the claim cannot be checked yet: "the Canon names no Bunny pull zone or storage zone to probe"

  @dev @local @deferred
  Scenario: OpenAI executes Lucia's models
    Then the claim cannot be checked yet: "model execution happens inside Engine, which exposes no model diagnostic to probe"

  @dev @local @deferred
  Scenario: Codex's project identity matches v0.1.3.6
    # The Canon: v0.1.3.6 aligns "Engine behavior, Admin UI, CI gates, Codex
    # project identity, and Eval Labs target routing"; the other four are
    # checked (engine, admin, branches, eval_labs features).
    Then the claim cannot be checked yet: "the Canon names no Codex project or where its identity can be read"
