@dev @staging @local
Feature: DNS and the edge
  The Canon: "Cloudflare → DNS / edge control". Asked of DNS itself (the
  environment's dns_resolver, or the system's): hellolucia.ai is delegated
  to Cloudflare's name servers, and every public host of Lucia resolves.
  That the answers come through Cloudflare's edge is providers.feature's
  `server: cloudflare`; the sending domain's records are resend.feature's.

  @configured
  Scenario: hellolucia.ai is delegated to Cloudflare's name servers
    When I look up the "NS" records of "hellolucia.ai"
    Then at least one record is returned
    And every record ends with ".ns.cloudflare.com"

  @configured
  Scenario Outline: <host> resolves
    When I look up the "A" records of "<host>"
    Then at least one record is returned

    Examples:
      | host                      |
      | hellolucia.ai             |
      | api-dev.hellolucia.ai     |
      | dev.hellolucia.ai         |
      | api-staging.hellolucia.ai |
      | staging.hellolucia.ai     |
      | guest.hellolucia.ai       |
