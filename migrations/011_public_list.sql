-- The public acknowledgement list is cached in the servers' memory. Every
-- change that can change what the list shows notifies them on the channel
-- fundledger_public_list, once per statement; PostgreSQL delivers the
-- notification when the transaction commits (and never if it rolls back), and
-- folds the notifications of one transaction into one. A server that receives
-- one forgets the pages it cached; a server whose listening connection is
-- down serves no page from its cache (internal/postgres/public_list.go).
--
-- What the list shows: donations (who, what, moderation), minus reversed
-- transactions and donations refunded in full; street collections and their
-- counts; the funds' slugs and names. Columns that the list never shows (the
-- private link's hash, a collection's banking and collectors) do not notify.

create function notify_public_list() returns trigger language plpgsql as $$
begin
    perform pg_notify('fundledger_public_list', '');
    return null;
end $$;

create trigger donations_public_list
    after insert or delete or update of id, transaction_id, fund_id, amount, currency, channel, received_on,
        donor_name, donor_organisation, ack_display, ack_alias, ack_show_amount, ack_status, message
    on donations for each statement execute function notify_public_list();

-- A reversal takes its transaction's donation or collection off the list.
-- Transactions are append-only, and most are not reversals: one row-level
-- trigger that fires only for reversals costs the others nothing.
create trigger transactions_public_list after insert on transactions
    for each row when (new.reversal_of is not null) execute function notify_public_list();

create trigger stripe_payments_public_list
    after insert or delete or update of donation_id, refunded on stripe_payments
    for each statement execute function notify_public_list();

create trigger collections_public_list
    after insert or delete or update of id, transaction_id, fund_id, place, collected_on on collections
    for each statement execute function notify_public_list();

create trigger collection_counts_public_list after insert or update or delete on collection_counts
    for each statement execute function notify_public_list();

create trigger funds_public_list after insert or delete or update of id, slug, name on funds
    for each statement execute function notify_public_list();

-- The list leaves out reversed transactions and donations refunded in full,
-- checked for each line it shows. Few transactions are reversals and few
-- card payments are refunded: these indexes hold only those, so each check
-- reads one small page instead of descending an index of every row.
create index transactions_reversals on transactions (reversal_of) where reversal_of is not null;
create index stripe_payments_refunded on stripe_payments (donation_id) include (refunded) where refunded > 0;
