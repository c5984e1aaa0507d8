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

create function check_postings_statement() returns trigger language plpgsql as $$
declare
    bad text;
begin
    select string_agg(format('posting amount %s has more decimal places than %s allows (%s)', n.amount, n.currency, c.exponent), '; ')
        into bad
        from new_postings n join currencies c on c.code = n.currency
        where n.amount <> round(n.amount, c.exponent);
    if bad is not null then
        raise exception '%', bad using errcode = 'check_violation';
    end if;

    select string_agg(format('transaction %s was committed earlier; its postings cannot change', t.id), '; ')
        into bad
        from (select distinct transaction_id from new_postings) n
        join transactions t on t.id = n.transaction_id
        where t.xmin <> pg_current_xact_id()::xid;
    if bad is not null then
        raise exception '%', bad using errcode = 'restrict_violation';
    end if;

    select string_agg(problem, '; ') into bad from (
        select format('transaction %s has %s postings; at least two are required', transaction_id, count(*)) as problem
        from postings where transaction_id in (select transaction_id from new_postings)
        group by transaction_id having count(*) < 2
        union all
        select format('transaction %s does not balance: %s %s', transaction_id, currency, sum(amount))
        from postings where transaction_id in (select transaction_id from new_postings)
        group by transaction_id, currency having sum(amount) <> 0
    ) problems;
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
