@dev @local
Feature: Where the waitlist runs
  The Canon: "runtime owner: hello-lucia/lucia-marketing, runtime file:
  functions/api/waitlist.js, route: POST /api/waitlist". Read from GitHub's
  repository contents API, read-only (the route itself is waitlist.feature's).

  @configured
  Scenario: The waitlist runs from functions/api/waitlist.js of lucia-marketing
    Given the "github" service
    And the header "Authorization" is "Bearer ${GITHUB_TOKEN}"
    And the header "Accept" is "application/vnd.github+json"
    When I GET "/repos/{{expected.github_org}}/lucia-marketing/contents/functions/api/waitlist.js"
    Then the status is 200
    And the JSON contains:
      """
      {"type": "file", "path": "functions/api/waitlist.js", "encoding": "base64"}
      """
