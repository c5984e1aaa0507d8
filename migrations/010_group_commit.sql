-- Group commit writes hundreds of transactions per statement. The checks of
-- 001 ran per row: three deferred triggers per transaction at commit (each
-- two queries) and one per posting for the scale, about half of what a
-- donation cost the database. They become one check per statement over the
-- rows it inserted, with the same guarantees, plus one cheap deferred check
-- per transaction that it has postings at all:
--
-- * the postings one statement inserts must leave every transaction they
--   touch with at least two postings balanced per currency, so a
--   transaction's postings are written together, in one statement;
-- * postings may only be added to a transaction written in the same
--   database transaction (not to one already committed, nor from inside a
--   savepoint);
-- * every posting names an existing transaction, account, fund and
--   currency, none of which can be deleted or renamed while postings name it;
-- * no amount carries more decimals than its currency allows;
-- * at commit, every new transaction has postings.

drop trigger postings_balanced on postings;
-- The four foreign keys of postings checked each row with a query of its
-- own; the statement's check below looks them up once for all its rows, and
-- the rows postings name can no longer be deleted or renamed (trigger below).
alter table postings
    drop constraint postings_transaction_id_fkey,
    drop constraint postings_account_fkey,
    drop constraint postings_fund_id_fkey,
    drop constraint postings_currency_fkey;
drop trigger transactions_balanced on transactions;
drop trigger postings_scale on postings;

create function check_postings_statement() returns trigger language plpgsql
set jit = off -- compiling would cost far more than these index lookups
as $$
declare
    ids          uuid[];
    found        int;
    bad          text;
    refs_missing boolean;
begin
    select string_agg(case
            when a.code is null then format('posting names account %s, which does not exist', n.account)
            when f.id is null then format('posting names fund %s, which does not exist', n.fund_id)
            when c.code is null then format('posting names currency %s, which does not exist', n.currency)
            else format('posting amount %s has more decimal places than %s allows (%s)', n.amount, n.currency, c.exponent) end, '; '),
        bool_or(a.code is null or f.id is null or c.code is null)
        into bad, refs_missing
        from new_postings n
        left join accounts a on a.code = n.account
        left join funds f on f.id = n.fund_id
        left join currencies c on c.code = n.currency
        where a.code is null or f.id is null or c.code is null or n.amount <> round(n.amount, c.exponent);
    if bad is not null then
        raise exception '%', bad using errcode = case when refs_missing then 'foreign_key_violation' else 'check_violation' end;
    end if;

    -- Looked up by = any(ids), which the planner answers from the primary
    -- keys: it cannot size a transition table and would scan whole tables.
    ids := array(select distinct transaction_id from new_postings);
    select count(*), string_agg(format('transaction %s was committed earlier; its postings cannot change', t.id), '; ')
            filter (where t.xmin <> pg_current_xact_id()::xid)
        into found, bad
        from transactions t
        where t.id = any(ids);
    if found <> cardinality(ids) then
        raise exception 'a posting names a transaction that does not exist' using errcode = 'foreign_key_violation';
    end if;
    if bad is not null then
        raise exception '%', bad using errcode = 'restrict_violation';
    end if;

    select string_agg(case when c.n < 2
            then format('transaction %s has %s postings; at least two are required', c.transaction_id, c.n)
            else format('transaction %s does not balance: %s', c.transaction_id, c.unbalanced) end, '; ')
        into bad
        from (
            select s.transaction_id, sum(s.n) as n,
                string_agg(s.currency || ' ' || s.total, ', ') filter (where s.total <> 0) as unbalanced
            from (select p.transaction_id, p.currency, count(*) as n, sum(p.amount) as total
                  from postings p where p.transaction_id = any(ids) group by 1, 2) s
            group by s.transaction_id
        ) c
        where c.n < 2 or c.unbalanced is not null;
    if bad is not null then
        raise exception '%', bad using errcode = 'check_violation';
    end if;
    return null;
end $$;

create trigger postings_checked after insert on postings
    referencing new table as new_postings
    for each statement execute function check_postings_statement();

create function check_transaction_has_postings() returns trigger language plpgsql as $$
begin
    if not exists (select 1 from postings where transaction_id = new.id) then
        raise exception 'transaction % has no postings; at least two are required', new.id
            using errcode = 'check_violation';
    end if;
    return null;
end $$;

create constraint trigger transactions_have_postings after insert on transactions
    deferrable initially deferred for each row execute function check_transaction_has_postings();

-- What the foreign keys of postings also did: an account, a fund or a
-- currency that postings name stays.
create function keep_posted_references() returns trigger language plpgsql as $$
declare
    used boolean := false;
begin
    -- Each table in its own branch: plpgsql resolves old.code only where
    -- the row has one.
    if tg_table_name = 'funds' then
        if tg_op = 'DELETE' or old.id <> new.id then
            used := exists (select 1 from postings where fund_id = old.id);
        end if;
    elsif tg_table_name = 'accounts' then
        if tg_op = 'DELETE' or old.code <> new.code then
            used := exists (select 1 from postings where account = old.code);
        end if;
    elsif tg_op = 'DELETE' or old.code <> new.code then
        used := exists (select 1 from postings where currency = old.code);
    end if;
    if used then
        raise exception '% on %: postings name this row; it cannot be deleted or renamed', tg_op, tg_table_name
            using errcode = 'foreign_key_violation';
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end $$;

create trigger accounts_kept before delete or update on accounts
    for each row execute function keep_posted_references();
create trigger funds_kept before delete or update on funds
    for each row execute function keep_posted_references();
create trigger currencies_kept before delete or update on currencies
    for each row execute function keep_posted_references();

-- The same for donations, written a group at a time beside their postings:
-- their transaction, fund and currency are looked up once per statement
-- instead of by three foreign-key queries per row. Transactions are never
-- deleted; funds and currencies that postings name stay (above), and every
-- donation's transaction posts in its fund and currency.
alter table donations
    drop constraint donations_transaction_id_fkey,
    drop constraint donations_fund_id_fkey,
    drop constraint donations_currency_fkey;

create function check_donations_statement() returns trigger language plpgsql
set jit = off
as $$
declare
    ids   uuid[];
    found int;
    bad   text;
begin
    select string_agg(case when f.id is null then format('donation %s names fund %s, which does not exist', d.id, d.fund_id)
            else format('donation %s names currency %s, which does not exist', d.id, d.currency) end, '; ')
        into bad
        from new_donations d
        left join funds f on f.id = d.fund_id
        left join currencies c on c.code = d.currency
        where f.id is null or c.code is null;
    if bad is not null then
        raise exception '%', bad using errcode = 'foreign_key_violation';
    end if;
    ids := array(select distinct transaction_id from new_donations);
    select count(*) into found from transactions where id = any(ids);
    if found <> cardinality(ids) then
        raise exception 'a donation names a transaction that does not exist' using errcode = 'foreign_key_violation';
    end if;
    return null;
end $$;

create trigger donations_checked after insert on donations
    referencing new table as new_donations
    for each statement execute function check_donations_statement();
create trigger donations_checked_update after update on donations
    referencing new table as new_donations
    for each statement execute function check_donations_statement();

-- donations_ack_fund (fund_id, received_on desc, id desc), from 003, serves
-- every read this index of 001 served; each donation paid for both.
drop index donations_fund_received;
