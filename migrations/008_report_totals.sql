-- Report totals: what each day's postings add to the period report, per fund,
-- kept in the same database transaction as the postings by statement-level
-- triggers, so the report sums a few rows per day instead of every posting.
-- They are derived data, like the cached balances: the postings stay the
-- truth, verify recomputes every row from them, and
-- rebuild_report_totals() rebuilds the table.

-- One row per kind, fund, effective date, key and currency:
--
--   kind 'account'   key: the account; amount: the sum of its postings.
--   kind 'channel'   key: the part of an income account after
--                    income:donations:, or the whole code for other income.
--   kind 'country'   key: the donor country of the donation the transaction
--                    books, reverses or names in its metadata (donation_id);
--                    '' when none is known.
--   kind 'category'  key: the grant category of a posting on expenses:grants
--                    (or under it): the transaction's grant_category, or its
--                    original's for a reversal, or 'other'.
--
-- The breakdowns (channel, country, category) count transactions, each by
-- its net on the key: signed is the number of transactions whose net in the
-- fund is positive less those whose net is negative, moving the number whose
-- net in the fund is not zero (a line exists when one moved it). signed_all
-- and moving_all count the same with each transaction's net over every fund,
-- in the row of the lowest fund it posts to, so the report over all funds
-- counts a transfer between funds once. Account rows count nothing.
create table report_totals (
    kind           text    not null check (kind in ('account', 'channel', 'country', 'category')),
    fund_id        bigint  not null references funds,
    effective_date date    not null,
    key            text    not null,
    currency       char(3) not null references currencies,
    amount         numeric not null,
    signed         bigint  not null,
    moving         bigint  not null,
    signed_all     bigint  not null,
    moving_all     bigint  not null,
    primary key (kind, fund_id, effective_date, key, currency),
    check (kind <> 'account' or (signed = 0 and moving = 0 and signed_all = 0 and moving_all = 0))
);

-- After each statement that inserts postings: their totals, aggregated once
-- for the whole statement and added to the rows. Every writer appends
-- while holding the ledger_head row lock, so these upserts run one
-- transaction at a time and cannot deadlock. A transaction's postings are
-- inserted by one statement, so its net per key is known here. The country
-- of a donation's own transaction is not known yet (the donation row comes
-- after its postings): it counts under '' until move_report_totals_country
-- moves it. Rows are looked up one by one by key (lateral ... offset 0,
-- scalar subqueries), so the plan PL/pgSQL keeps for a session suits a
-- statement of two postings as well as a COPY of 100,000, whatever the
-- tables' sizes when it was made.
create function add_report_totals() returns trigger language plpgsql as $$
begin
    with p as materialized (
        select p.transaction_id, p.fund_id, p.account, p.currency, p.amount, a.type, t.effective_date, t.reversal_of, t.metadata
        from new_postings p
        join accounts a on a.code = p.account
        cross join lateral (select t.effective_date, t.reversal_of, t.metadata from transactions t where t.id = p.transaction_id offset 0) t
    )
    insert into report_totals as r (kind, fund_id, effective_date, key, currency, amount, signed, moving, signed_all, moving_all)
    select 'account', fund_id, effective_date, account, currency, sum(amount), 0, 0, 0, 0
    from p
    group by 2, 3, 4, 5
    union all
    select kind, fund_id, effective_date, key, currency, sum(net),
        sum(sign(net)), count(*) filter (where net <> 0),
        coalesce(sum(sign(net_all)) filter (where first), 0), count(*) filter (where first and net_all <> 0)
    from (
        select *, sum(net) over w as net_all, fund_id = min(fund_id) over w as first
        from (
            select p.transaction_id, p.effective_date, p.fund_id, k.kind, k.key, p.currency, sum(p.amount) as net
            from p cross join lateral (values
                ('channel', case when p.type = 'income' then
                    case when starts_with(p.account, 'income:donations:') then substr(p.account, 18) else p.account end end),
                -- The transaction's own donation, or the one it reverses, or
                -- the one it names; each looked up only without the one before.
                ('country', case when p.type = 'income' then coalesce(
                    (select own.donor_country from donations own where own.transaction_id = p.transaction_id),
                    (select rev.donor_country from donations rev where rev.transaction_id = p.reversal_of),
                    (select named.donor_country from donations named where named.id = case
                        when p.metadata->>'donation_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                        then (p.metadata->>'donation_id')::uuid end),
                    '') end),
                ('category', case when p.account = 'expenses:grants' or starts_with(p.account, 'expenses:grants:') then coalesce(
                    nullif(btrim(p.metadata->>'grant_category'), ''),
                    nullif(btrim((select o.metadata->>'grant_category' from transactions o where o.id = p.reversal_of)), ''),
                    'other') end)
            ) k(kind, key)
            where (p.type = 'income' or p.account = 'expenses:grants' or starts_with(p.account, 'expenses:grants:'))
                and k.key is not null
            group by 1, 2, 3, 4, 5, 6
        ) per_fund
        window w as (partition by transaction_id, kind, key, currency)
    ) per_tx
    group by 1, 2, 3, 4, 5
    on conflict (kind, fund_id, effective_date, key, currency) do update set
        amount = r.amount + excluded.amount, signed = r.signed + excluded.signed, moving = r.moving + excluded.moving,
        signed_all = r.signed_all + excluded.signed_all, moving_all = r.moving_all + excluded.moving_all;
    return null;
end $$;

create trigger postings_report_totals after insert on postings
    referencing new table as new_postings
    for each statement execute function add_report_totals();

-- After each statement that inserts donations: the transactions whose donor
-- country they decide (their own, and reversals of their own already
-- written) move their income from the country counted when their postings
-- were inserted, without these donations, to the country with them.
create function move_report_totals_country() returns trigger language plpgsql as $$
begin
    with keys as materialized (
        select t.id, t.effective_date,
            coalesce(case when own.id not in (select id from new_donations) then own.donor_country end,
                case when rev.id not in (select id from new_donations) then rev.donor_country end,
                case when named.id not in (select id from new_donations) then named.donor_country end, '') as before,
            coalesce(own.donor_country, rev.donor_country, named.donor_country, '') as after
        from (select transaction_id as id from new_donations
            union
            select r.id from new_donations d
            cross join lateral (select r.id from transactions r where r.reversal_of = d.transaction_id offset 0) r) x
        cross join lateral (select t.id, t.effective_date, t.reversal_of, t.metadata from transactions t where t.id = x.id offset 0) t
        left join lateral (select own.id, own.donor_country from donations own where own.transaction_id = t.id offset 0) own on true
        left join lateral (select rev.id, rev.donor_country from donations rev where rev.transaction_id = t.reversal_of offset 0) rev on true
        -- A donation's own transaction names it: not looked up again.
        left join lateral (select named.id, named.donor_country from donations named where named.id = case
                when (own.id is null or t.metadata->>'donation_id' is distinct from own.id::text)
                and t.metadata->>'donation_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                then (t.metadata->>'donation_id')::uuid end
            offset 0) named on true
    ),
    moved as (
        select k.id, k.effective_date, p.fund_id, p.currency, k.before, k.after, sum(p.amount) as net
        from keys k
        cross join lateral (select p.fund_id, p.account, p.currency, p.amount from postings p where p.transaction_id = k.id offset 0) p
        join accounts a on a.code = p.account and a.type = 'income'
        where k.before <> k.after
        group by 1, 2, 3, 4, 5, 6
    )
    insert into report_totals as r (kind, fund_id, effective_date, key, currency, amount, signed, moving, signed_all, moving_all)
    select 'country', fund_id, effective_date, m.key, currency, sum(m.dir * net),
        sum(m.dir * sign(net)), sum(m.dir * (net <> 0)::int),
        coalesce(sum(m.dir * sign(net_all)) filter (where first), 0), coalesce(sum(m.dir * (net_all <> 0)::int) filter (where first), 0)
    from (
        select *, sum(net) over w as net_all, fund_id = min(fund_id) over w as first
        from moved
        window w as (partition by id, currency)
    ) per_tx
    cross join lateral (values (before, -1), (after, 1)) m(key, dir)
    group by 2, 3, 4, 5
    on conflict (kind, fund_id, effective_date, key, currency) do update set
        amount = r.amount + excluded.amount, signed = r.signed + excluded.signed, moving = r.moving + excluded.moving,
        signed_all = r.signed_all + excluded.signed_all, moving_all = r.moving_all + excluded.moving_all;
    return null;
end $$;

create trigger donations_report_totals after insert on donations
    referencing new table as new_donations
    for each statement execute function move_report_totals_country();

-- The totals read a donation's country and transaction once: they do not
-- change afterwards.
create function forbid_donation_country_change() returns trigger language plpgsql as $$
begin
    raise exception 'donation %: its transaction and donor country are in the books and the report totals; they are not changed', old.id
        using errcode = 'restrict_violation';
end $$;

create trigger donations_country_fixed before update of transaction_id, donor_country on donations
    for each row when (old.transaction_id is distinct from new.transaction_id or old.donor_country is distinct from new.donor_country)
    execute function forbid_donation_country_change();

-- Rebuilds every row from the postings, as add_report_totals and
-- move_report_totals_country would have written them. It holds the chain
-- head, so no transaction is appended meanwhile.
create function rebuild_report_totals() returns void language plpgsql as $$
begin
    perform 1 from ledger_head for update;
    delete from report_totals;
    with p as materialized (
        select p.transaction_id, p.fund_id, p.account, p.currency, p.amount, a.type, t.effective_date, t.reversal_of, t.metadata
        from postings p
        join accounts a on a.code = p.account
        cross join lateral (select t.effective_date, t.reversal_of, t.metadata from transactions t where t.id = p.transaction_id offset 0) t
    )
    insert into report_totals (kind, fund_id, effective_date, key, currency, amount, signed, moving, signed_all, moving_all)
    select 'account', fund_id, effective_date, account, currency, sum(amount), 0, 0, 0, 0
    from p
    group by 2, 3, 4, 5
    union all
    select kind, fund_id, effective_date, key, currency, sum(net),
        sum(sign(net)), count(*) filter (where net <> 0),
        coalesce(sum(sign(net_all)) filter (where first), 0), count(*) filter (where first and net_all <> 0)
    from (
        select *, sum(net) over w as net_all, fund_id = min(fund_id) over w as first
        from (
            select p.transaction_id, p.effective_date, p.fund_id, k.kind, k.key, p.currency, sum(p.amount) as net
            from p cross join lateral (values
                ('channel', case when p.type = 'income' then
                    case when starts_with(p.account, 'income:donations:') then substr(p.account, 18) else p.account end end),
                -- The transaction's own donation, or the one it reverses, or
                -- the one it names; each looked up only without the one before.
                ('country', case when p.type = 'income' then coalesce(
                    (select own.donor_country from donations own where own.transaction_id = p.transaction_id),
                    (select rev.donor_country from donations rev where rev.transaction_id = p.reversal_of),
                    (select named.donor_country from donations named where named.id = case
                        when p.metadata->>'donation_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                        then (p.metadata->>'donation_id')::uuid end),
                    '') end),
                ('category', case when p.account = 'expenses:grants' or starts_with(p.account, 'expenses:grants:') then coalesce(
                    nullif(btrim(p.metadata->>'grant_category'), ''),
                    nullif(btrim((select o.metadata->>'grant_category' from transactions o where o.id = p.reversal_of)), ''),
                    'other') end)
            ) k(kind, key)
            where (p.type = 'income' or p.account = 'expenses:grants' or starts_with(p.account, 'expenses:grants:'))
                and k.key is not null
            group by 1, 2, 3, 4, 5, 6
        ) per_fund
        window w as (partition by transaction_id, kind, key, currency)
    ) per_tx
    group by 1, 2, 3, 4, 5;
end $$;

select rebuild_report_totals();
