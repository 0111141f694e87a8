-- The durable Stripe ledger of Lucia Core (Supabase project lucia-core-dev,
-- ref jgnxomyzqotnqsmlxlsz), with the access boundary the Canon states:
--   * RLS enabled on both durable ledger tables
--   * no anon/auth read policies
--   * Engine uses service-role-only access
-- Supabase grants table privileges to anon and authenticated by default;
-- row level security with no policy is what keeps them out. Load it into a
-- local Postgres to let `local` check the boundary:
--   psql "$LUCIA_CORE_DATABASE_URL" -f sandbox/sql/ledger.sql

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN BYPASSRLS;
  END IF;
END
$$;

CREATE TABLE IF NOT EXISTS public.stripe_financial_records (
  id              bigserial PRIMARY KEY,
  payment_intent  text        NOT NULL UNIQUE,
  reservation_id  bigint      NOT NULL,
  amount_cents    bigint      NOT NULL CHECK (amount_cents >= 0),
  currency        text        NOT NULL,
  status          text        NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.stripe_financial_events (
  id              bigserial PRIMARY KEY,
  stripe_event_id text        NOT NULL UNIQUE,
  event_type      text        NOT NULL,
  payment_intent  text        NOT NULL,
  reservation_id  bigint      NOT NULL,
  payload         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  received_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS stripe_financial_records_reservation ON public.stripe_financial_records (reservation_id);
CREATE INDEX IF NOT EXISTS stripe_financial_events_reservation ON public.stripe_financial_events (reservation_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON public.stripe_financial_records, public.stripe_financial_events TO anon, authenticated;
GRANT ALL ON public.stripe_financial_records, public.stripe_financial_events TO service_role;

ALTER TABLE public.stripe_financial_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.stripe_financial_events ENABLE ROW LEVEL SECURITY;
-- No policy for anon or authenticated: they read nothing.
