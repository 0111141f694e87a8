-- Two ways the ledger's access boundary breaks, applied on top of
-- ledger.sql, so tests can show the harness catches each:
--   * a policy letting anon read the records
--   * row level security switched off on the events (anon's grant then reads every row)

CREATE POLICY anon_can_read_records ON public.stripe_financial_records
  FOR SELECT TO anon USING (true);

ALTER TABLE public.stripe_financial_events DISABLE ROW LEVEL SECURITY;
