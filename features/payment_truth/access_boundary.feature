@dev @local
Feature: The durable ledger's access boundary
  The Canon: "RLS enabled on both durable ledger tables", "No anon/auth read
  policies", "Engine uses service-role-only access". Checked in Postgres's
  catalog (read-only), and through the Supabase REST surface with the anon key.

  @gating @implemented
  Scenario Outline: Row level security is enabled on <table>
    Given the Postgres database "lucia-core"
    Then row level security is enabled on table "<table>"

    Examples:
      | table                    |
      | stripe_financial_records |
      | stripe_financial_events  |

  @gating @configured
  Scenario Outline: No policy lets <role> read <table>
    Given the Postgres database "lucia-core"
    Then no policy on table "<table>" lets "<role>" read

    Examples:
      | table                    | role          |
      | stripe_financial_records | anon          |
      | stripe_financial_records | authenticated |
      | stripe_financial_events  | anon          |
      | stripe_financial_events  | authenticated |

  @gating @configured
  Scenario Outline: Through Supabase REST the anon key reads no <table>
    Given the "supabase" service
    And the header "apikey" is "${SUPABASE_ANON_KEY}"
    And the header "Authorization" is "Bearer ${SUPABASE_ANON_KEY}"
    When I GET "/rest/v1/<table>?select=*&limit=5"
    Then the status is 200
    And the JSON matches:
      """
      "#[0]"
      """

    Examples:
      | table                    |
      | stripe_financial_records |
      | stripe_financial_events  |
