@dev @local
Feature: Render's services
  The Canon names the Render environments: "Admin: lucia-admin-dev …,
  Engine: lucia-booking-engine" for Development and "lucia-admin-staging",
  "lucia-engine-staging" for Staging, and requires "Admin Development CI must
  pass before Admin dev deploy: npm ci / npm run lint / npm run build".
  Read through Render's API: each service by name (GET /v1/services?name=…),
  then the environment it runs in and that environment's project ("Project:
  Lucia AI").

  @configured
  Scenario Outline: Render runs <service>, as the Canon names it
    Given the "render" service
    And the header "Authorization" is "Bearer ${RENDER_API_KEY}"
    When I GET "/v1/services?name=<service>"
    Then the status is 200
    And the JSON at "$[0].service.name" is "<service>"
    And the JSON at "$[0].service.suspended" is "not_suspended"

    Examples:
      | service              |
      | lucia-admin-dev      |
      | lucia-booking-engine |
      | lucia-admin-staging  |
      | lucia-engine-staging |

  @configured
  Scenario Outline: <service> runs in the Lucia AI project's <environment> environment
    Given the "render" service
    And the header "Authorization" is "Bearer ${RENDER_API_KEY}"
    When I GET "/v1/services?name=<service>"
    And I remember the JSON at "$[0].service.environmentId" as "environment"
    And I GET "/v1/environments/{{remembered.environment}}"
    Then the status is 200
    And the JSON at "$.name" is "<environment>"
    When I remember the JSON at "$.projectId" as "project"
    And I GET "/v1/projects/{{remembered.project}}"
    Then the status is 200
    And the JSON at "$.name" is "Lucia AI"

    Examples:
      | service              | environment |
      | lucia-admin-dev      | Development |
      | lucia-booking-engine | Development |
      | lucia-admin-staging  | Staging     |
      | lucia-engine-staging | Staging     |

  @configured
  Scenario: Admin dev deploys only after its CI checks pass
    Given the "render" service
    And the header "Authorization" is "Bearer ${RENDER_API_KEY}"
    When I GET "/v1/services?name=lucia-admin-dev"
    Then the status is 200
    And the JSON at "$[0].service.autoDeploy" is "yes"
    And the JSON at "$[0].service.autoDeployTrigger" is "checksPass"
