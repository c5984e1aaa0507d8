-- Offline money: batches of donations entered by hand and checked against
-- control totals before they are posted, and street collections counted by
-- two people and banked later.

-- Amounts of this migration's tables carry no more decimals than their
-- currency allows, like postings.
create function check_amount_scale() returns trigger language plpgsql as $$
declare
    e smallint;
begin
    select exponent into e from currencies where code = new.currency;
    if new.amount <> round(new.amount, e) then
        raise exception '%: amount % has more decimal places than % allows (%)', tg_table_name, new.amount, new.currency, e
            using errcode = 'check_violation';
    end if;
    return new;
end $$;

-- A batch: the treasurer announces how many entries it holds and what they
-- total per currency (the control totals), enters them, and closes it. Only
-- a closed batch is posted, one transaction per entry, all at once. It closes
-- when the entries match the control totals, or with an override whose
-- reason is recorded with who closed it and when.
create table batches (
    id                uuid        primary key,
    fund_id           bigint      not null references funds,
    channel           text        not null check (channel in ('bank_transfer', 'cash', 'cheque', 'organisation')),
    description       text        not null check (char_length(description) between 1 and 500),
    expected_count    int         not null check (expected_count between 1 and 1000),
    status            text        not null default 'open' check (status in ('open', 'closed')),
    idempotency_key   text        not null unique check (length(idempotency_key) between 1 and 255),
    fingerprint       text        not null default '',
    opened_by         text        not null default '',
    opened_at         timestamptz not null,
    close_key         text        unique,
    close_fingerprint text,
    closed_by         text,
    closed_at         timestamptz,
    controls_matched  boolean,
    override_reason   text        check (override_reason is null or char_length(btrim(override_reason)) between 10 and 1000),
    check ((status = 'closed') = (closed_at is not null)),
    check (status = 'open' or (close_key is not null and close_fingerprint is not null
        and coalesce(closed_by, '') <> '' and controls_matched is not null)),
    -- Closing against the control totals needs a reason.
    check (controls_matched is not false or override_reason is not null)
);
create index batches_fund on batches (fund_id, opened_at);

-- The control totals: what the entries must add up to, per currency.
create table batch_expected_totals (
    batch_id uuid    not null references batches,
    currency char(3) not null references currencies,
    amount   numeric not null check (amount > 0),
    primary key (batch_id, currency)
);

-- An entry is a donation waiting for its batch to close. Donor fields are
-- personal data, as in donations.
create table batch_entries (
    id                 uuid        primary key,
    batch_id           uuid        not null references batches,
    position           bigint      generated always as identity unique,
    amount             numeric     not null check (amount > 0),
    currency           char(3)     not null references currencies,
    channel            text        not null check (channel in ('bank_transfer', 'cash', 'cheque', 'organisation')),
    received_on        date        not null,
    donor_name         text        not null default '',
    donor_email        text        not null default '',
    donor_organisation text        not null default '',
    donor_country      text        not null default '' check (donor_country ~ '^([A-Z]{2})?$'),
    ack_display        text        not null check (ack_display in ('name', 'organisation', 'alias', 'anonymous')),
    ack_alias          text        not null default '',
    ack_show_amount    boolean     not null default false,
    message            text        not null default '',
    lang               text        not null default 'en',
    idempotency_key    text        not null unique check (length(idempotency_key) between 1 and 255),
    fingerprint        text        not null default '',
    entered_by         text        not null default '',
    entered_at         timestamptz not null,
    -- The donation the entry became when its batch closed.
    donation_id        uuid        unique references donations
);
create index batch_entries_batch on batch_entries (batch_id, position);

-- Entries removed while their batch was open: the entry is gone (with its
-- personal data); this row answers a repeated removal and keeps the trace.
create table batch_removals (
    entry_id        uuid        primary key,
    batch_id        uuid        not null references batches,
    idempotency_key text        not null unique check (length(idempotency_key) between 1 and 255),
    fingerprint     text        not null default '',
    removed_by      text        not null default '',
    removed_at      timestamptz not null
);

create trigger batch_expected_totals_scale before insert or update on batch_expected_totals
    for each row execute function check_amount_scale();
create trigger batch_entries_scale before insert or update on batch_entries
    for each row execute function check_amount_scale();

-- A closed batch is history: its row cannot change or go.
create function forbid_closed_batch_change() returns trigger language plpgsql as $$
begin
    if old.status = 'closed' then
        raise exception 'batch % is closed: % is not allowed', old.id, tg_op
            using errcode = 'restrict_violation';
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end $$;

create trigger batches_closed before update or delete on batches
    for each row execute function forbid_closed_batch_change();

-- Nor can the rows that belong to a closed batch: entries, control totals and
-- removals. FOR SHARE waits for a close in progress, so nothing slips into a
-- batch while it is being posted.
create function forbid_closed_batch_rows() returns trigger language plpgsql as $$
declare
    st text;
begin
    if tg_op in ('UPDATE', 'DELETE') then
        select status into st from batches where id = old.batch_id for share;
        if st = 'closed' then
            raise exception 'batch % is closed: % on % is not allowed', old.batch_id, tg_op, tg_table_name
                using errcode = 'restrict_violation';
        end if;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        select status into st from batches where id = new.batch_id for share;
        if st = 'closed' then
            raise exception 'batch % is closed: % on % is not allowed', new.batch_id, tg_op, tg_table_name
                using errcode = 'restrict_violation';
        end if;
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end $$;

create trigger batch_entries_closed before insert or update or delete on batch_entries
    for each row execute function forbid_closed_batch_rows();
create trigger batch_expected_totals_closed before insert or update or delete on batch_expected_totals
    for each row execute function forbid_closed_batch_rows();
create trigger batch_removals_closed before insert or update or delete on batch_removals
    for each row execute function forbid_closed_batch_rows();

-- At commit, a batch that closed has every entry posted as a donation of the
-- same amount, currency, channel and fund, and controls_matched says truly
-- whether the entries match the control totals (count, and sum per currency).
create function check_batch_closed() returns trigger language plpgsql as $$
declare
    unposted int;
    matched  boolean;
begin
    select count(*) filter (where e.donation_id is null) into unposted from batch_entries e where e.batch_id = new.id;
    if unposted > 0 then
        raise exception 'batch % is closed but % of its entries are not posted', new.id, unposted
            using errcode = 'check_violation';
    end if;
    if exists (select 1 from batch_entries e join donations d on d.id = e.donation_id
            where e.batch_id = new.id and (d.amount <> e.amount or d.currency <> e.currency
                or d.channel <> e.channel or d.fund_id <> new.fund_id)) then
        raise exception 'batch % is closed but an entry was posted with another amount, currency, channel or fund', new.id
            using errcode = 'check_violation';
    end if;
    select (select count(*) from batch_entries where batch_id = new.id) = new.expected_count
        and not exists (
            select 1 from (select currency, sum(amount) as amount from batch_entries where batch_id = new.id group by currency) e
            full join (select currency, amount from batch_expected_totals where batch_id = new.id) x using (currency)
            where e.amount is distinct from x.amount)
        into matched;
    if matched is distinct from new.controls_matched then
        raise exception 'batch % is closed with controls_matched = %, but its entries % the control totals',
            new.id, new.controls_matched, case when matched then 'match' else 'do not match' end
            using errcode = 'check_violation';
    end if;
    return null;
end $$;

create constraint trigger batches_closed_posted after update on batches
    deferrable initially deferred for each row when (new.status = 'closed')
    execute function check_batch_closed();

-- A street collection: cash from many passers-by, counted by two named
-- people, booked as one transaction (Dr assets:cash, Cr
-- income:donations:collection per currency) and acknowledged in public as
-- one line. Collectors and counters are personal data: they stay here, never
-- in the transaction (which the hash chain keeps forever) nor in public.
create table collections (
    id                    uuid        primary key,
    transaction_id        uuid        not null unique references transactions,
    fund_id               bigint      not null references funds,
    place                 text        not null check (char_length(place) between 1 and 200),
    collected_on          date        not null,
    collectors            text[]      not null check (cardinality(collectors) between 1 and 20
        and array_ndims(collectors) = 1 and array_position(collectors, null::text) is null
        and array_position(collectors, ''::text) is null),
    counted_by            text[]      not null check (cardinality(counted_by) = 2 and array_ndims(counted_by) = 1
        and coalesce(counted_by[1], '') <> '' and coalesce(counted_by[2], '') <> '' and counted_by[1] <> counted_by[2]),
    recounted             boolean     not null default false,
    recorded_at           timestamptz not null,
    -- The transfer of the cash to the bank, once it is banked.
    banked_transaction_id uuid        unique references transactions,
    banked_on             date,
    check ((banked_transaction_id is null) = (banked_on is null)),
    check (banked_on is null or banked_on >= collected_on)
);
create index collections_fund on collections (fund_id, collected_on desc, id desc);
create index collections_public on collections (collected_on desc, id desc);

-- What the counters counted, per currency.
create table collection_counts (
    collection_id uuid    not null references collections,
    currency      char(3) not null references currencies,
    amount        numeric not null check (amount > 0),
    primary key (collection_id, currency)
);

create trigger collection_counts_scale before insert on collection_counts
    for each row execute function check_amount_scale();
create trigger collection_counts_append_only before update or delete on collection_counts
    for each row execute function forbid_change();
create trigger collection_counts_no_truncate before truncate on collection_counts
    for each statement execute function forbid_change();

-- A collection is part of the books: it cannot go, and what was booked
-- cannot change. The names of collectors and counters can (to erase personal
-- data); the banking is recorded once.
create function guard_collection_change() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'collection % is part of the books: DELETE is not allowed; reverse its transaction instead', old.id
            using errcode = 'restrict_violation';
    end if;
    if (new.id, new.transaction_id, new.fund_id, new.place, new.collected_on, new.recounted, new.recorded_at)
        is distinct from (old.id, old.transaction_id, old.fund_id, old.place, old.collected_on, old.recounted, old.recorded_at) then
        raise exception 'collection % is booked: its fund, place, date and booking cannot change', old.id
            using errcode = 'restrict_violation';
    end if;
    if old.banked_transaction_id is not null
        and (new.banked_transaction_id, new.banked_on) is distinct from (old.banked_transaction_id, old.banked_on) then
        raise exception 'collection % was already banked by transaction %', old.id, old.banked_transaction_id
            using errcode = 'restrict_violation';
    end if;
    return new;
end $$;

create trigger collections_guard before update or delete on collections
    for each row execute function guard_collection_change();
create trigger collections_no_truncate before truncate on collections
    for each statement execute function forbid_change();

-- At commit, a collection has counted amounts, and they are exactly the cash
-- its transaction booked in its fund, currency by currency.
create function check_collection_booked() returns trigger language plpgsql as $$
begin
    if not exists (select 1 from collection_counts where collection_id = new.id) then
        raise exception 'collection % has no counted amounts', new.id
            using errcode = 'check_violation';
    end if;
    if exists (
        select 1 from (select currency, amount from collection_counts where collection_id = new.id) c
        full join (select currency, sum(amount) as amount from postings
            where transaction_id = new.transaction_id and account = 'assets:cash' and fund_id = new.fund_id
            group by currency) p using (currency)
        where c.amount is distinct from p.amount) then
        raise exception 'collection %: the counted amounts differ from the cash booked by transaction %', new.id, new.transaction_id
            using errcode = 'check_violation';
    end if;
    return null;
end $$;

create constraint trigger collections_booked after insert on collections
    deferrable initially deferred for each row execute function check_collection_booked();

-- The public list's line per collection: no collector, no counter; the
-- amounts per currency, ordered by currency code. Reversed collections are
-- left out, like reversed donations. ledger.CollectionLabel renders a row.
create view public_collections as
    select c.id, c.fund_id, c.collected_on, c.place,
        array_agg(cc.currency::text order by cc.currency) as currencies,
        array_agg(cc.amount order by cc.currency) as amounts
    from collections c join collection_counts cc on cc.collection_id = c.id
    where not exists (select 1 from transactions r where r.reversal_of = c.transaction_id)
    group by c.id;
