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
-- * no amount carries more decimals than its currency allows;
-- * at commit, every new transaction has postings.

drop trigger postings_balanced on postings;
drop trigger transactions_balanced on transactions;
drop trigger postings_scale on postings;

create function check_postings_statement() returns trigger language plpgsql
set jit = off -- compiling would cost far more than these index lookups
as $$
declare
    ids uuid[];
    bad text;
begin
    select string_agg(format('posting amount %s has more decimal places than %s allows (%s)', n.amount, n.currency, c.exponent), '; ')
        into bad
        from new_postings n join currencies c on c.code = n.currency
        where n.amount <> round(n.amount, c.exponent);
    if bad is not null then
        raise exception '%', bad using errcode = 'check_violation';
    end if;

    -- Looked up by = any(ids), which the planner answers from the primary
    -- keys: it cannot size a transition table and would scan whole tables.
    ids := array(select distinct transaction_id from new_postings);
    select string_agg(format('transaction %s was committed earlier; its postings cannot change', t.id), '; ')
        into bad
        from transactions t
        where t.id = any(ids) and t.xmin <> pg_current_xact_id()::xid;
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
