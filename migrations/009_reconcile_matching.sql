-- Reconciliation matching (issue 7): what the set-based search for the
-- candidates of a whole statement's lines needs (internal/postgres/
-- statement_matching.go).

-- A Stripe payout in transit stops being a candidate once its arrival at the
-- bank is booked; the arrival names the payout's transaction in its metadata.
-- Without this index each payout candidate costs a scan of all transactions.
create index transactions_payout_arrival on transactions ((metadata->>'payout_transaction'))
    where metadata ? 'payout_transaction';

-- A bank account's postings are all in its currency. Taking account and
-- currency for independent, the planner underestimates the postings the
-- candidate search reads (by the number of currencies in use) and looks
-- their transactions up one by one instead of joining them in one pass.
create statistics postings_account_currency (dependencies) on account, currency from postings;
