Feature: TLS and HTTPS on every public host
  Cloudflare is Lucia's DNS and edge. Every public host serves a certificate
  valid for at least two more weeks, and plain HTTP is redirected to HTTPS.
  Each runs wherever the environment has the service.

  @gating @configured
  Scenario Outline: The certificate of <service> is valid for at least 14 days
    Then the TLS certificate of the "<service>" service is valid for at least 14 days

    Examples:
      | service           |
      | engine            |
      | admin             |
      | marketing         |
      | guest-lab         |
      | guest-lab-netlify |

  @configured
  Scenario Outline: Plain HTTP to <service> redirects to HTTPS
    Then plain HTTP to the "<service>" service redirects to HTTPS

    Examples:
      | service   |
      | engine    |
      | admin     |
      | marketing |
      | guest-lab |
