-- Hardship grants: cases under a pseudonymous reference (G-2011-027),
-- approved by several distinct committee members, paid by the treasurer in
-- one or more payments booked Dr expenses:grants / Cr an asset account, never
-- more in all than the approved amount. The recipient's identity and payment
-- details are sealed (AES-GCM, FUNDLEDGER_SECRET_KEY) in a table of their
-- own: the ledger, the register, reports and public pages only ever see the
-- reference.

-- The last sequence number used per year, for G-<year>-<sequence>.
create table grant_ref_counters (
    year int primary key check (year between 1900 and 9999),
    last int not null check (last > 0)
);

create table grants (
    id                 bigint generated always as identity primary key,
    ref                text        not null unique check (ref ~ '^G-[0-9]{4}-[0-9]{3,6}$'),
    fund_id            bigint      not null references funds,
    currency           char(3)     not null references currencies,
    -- amount is what the case grants: initial_amount plus every top-up.
    initial_amount     numeric     not null check (initial_amount > 0),
    amount             numeric     not null check (amount >= initial_amount),
    category           text        not null check (category in ('rent', 'food', 'medical', 'school', 'funeral', 'heating', 'legal', 'other')),
    justification      text        not null check (char_length(justification) between 1 and 500),
    -- Round 1 opens the case; each top-up starts the next round of approvals.
    round              int         not null default 1 check (round >= 1),
    approvals_required int         not null check (approvals_required between 1 and 20),
    -- The last round whose approvals are complete, and the amount it approved.
    approved_round     int         not null default 0 check (approved_round between 0 and round),
    approved_amount    numeric     not null default 0 check (approved_amount between 0 and amount),
    opened_by          bigint      references committee_members, -- null: opened with an API token
    opened_by_name     text        not null check (length(opened_by_name) between 1 and 200),
    opened_at          timestamptz not null,
    idempotency_key    text        not null unique check (length(idempotency_key) between 1 and 255),
    fingerprint        text        not null default '',
    check ((approved_round = 0) = (approved_amount = 0))
);
create index grants_fund on grants (fund_id, opened_at desc);
create index grants_opened on grants (opened_at desc, id desc);

-- The recipient: name, town, phone, bank account or cash through the local
-- committee, as one AES-GCM sealed value bound to the grant's reference.
-- Never joined into the register; the only readable copy is the treasurer's
-- screen, and each view is in the audit log. A row may be replaced or
-- erased; the books do not depend on it.
create table grant_recipients (
    grant_id   bigint      primary key references grants,
    sealed     bytea       not null check (length(sealed) > 29),
    updated_at timestamptz not null
);

create table grant_approvals (
    grant_id    bigint      not null references grants,
    round       int         not null check (round >= 1),
    member_id   bigint      not null references committee_members,
    member_name text        not null check (length(member_name) between 1 and 200),
    at          timestamptz not null,
    primary key (grant_id, round, member_id)
);

create table grant_recusals (
    grant_id    bigint      not null references grants,
    member_id   bigint      not null references committee_members,
    member_name text        not null check (length(member_name) between 1 and 200),
    reason      text        not null default '' check (char_length(reason) <= 500),
    at          timestamptz not null,
    primary key (grant_id, member_id)
);

-- A top-up: amount added, starting round `round` (2, 3, ...).
create table grant_topups (
    grant_id        bigint      not null references grants,
    round           int         not null check (round >= 2),
    amount          numeric     not null check (amount > 0),
    currency        char(3)     not null references currencies,
    reason          text        not null check (char_length(reason) between 1 and 500),
    by_member       bigint      references committee_members,
    by_name         text        not null check (length(by_name) between 1 and 200),
    at              timestamptz not null,
    idempotency_key text        not null unique check (length(idempotency_key) between 1 and 255),
    fingerprint     text        not null default '',
    primary key (grant_id, round)
);

-- A payment: the transaction that booked it, what the grant received
-- (amount, in the grant's currency) and what left the asset account.
create table grant_payments (
    id             bigint generated always as identity primary key,
    grant_id       bigint      not null references grants,
    transaction_id uuid        not null unique references transactions,
    amount         numeric     not null check (amount > 0),
    currency       char(3)     not null references currencies,
    paid_from      text        not null references accounts check (paid_from like 'assets:%'),
    paid_amount    numeric     not null check (paid_amount > 0),
    paid_currency  char(3)     not null references currencies,
    by_member      bigint      references committee_members,
    by_name        text        not null check (length(by_name) between 1 and 200),
    at             timestamptz not null,
    check (paid_currency <> currency or paid_amount = amount)
);
create index grant_payments_grant on grant_payments (grant_id);

-- The most one case may grant, per fund and currency.
create table grant_caps (
    fund_id    bigint      not null references funds,
    currency   char(3)     not null references currencies,
    max_amount numeric     not null check (max_amount > 0),
    set_by     text        not null check (length(set_by) between 1 and 200),
    set_at     timestamptz not null,
    primary key (fund_id, currency)
);

-- Amounts carry no more decimals than their currency allows.
create trigger grants_scale before insert or update on grants
    for each row execute function check_amount_scale();
create trigger grant_topups_scale before insert on grant_topups
    for each row execute function check_amount_scale();
create trigger grant_payments_scale before insert on grant_payments
    for each row execute function check_amount_scale();

create function check_grant_amounts_scale() returns trigger language plpgsql as $$
declare
    e smallint;
begin
    if tg_table_name = 'grant_caps' then
        select exponent into e from currencies where code = new.currency;
        if new.max_amount <> round(new.max_amount, e) then
            raise exception 'grant cap % has more decimal places than % allows (%)', new.max_amount, new.currency, e
                using errcode = 'check_violation';
        end if;
    else
        select exponent into e from currencies where code = new.paid_currency;
        if new.paid_amount <> round(new.paid_amount, e) then
            raise exception 'grant payment: paid amount % has more decimal places than % allows (%)', new.paid_amount, new.paid_currency, e
                using errcode = 'check_violation';
        end if;
    end if;
    return new;
end $$;

create trigger grant_caps_scale before insert or update on grant_caps
    for each row execute function check_grant_amounts_scale();
create trigger grant_payments_paid_scale before insert on grant_payments
    for each row execute function check_grant_amounts_scale();

-- Approvals, recusals, top-ups and payments are history: never changed.
create function forbid_grant_history_change() returns trigger language plpgsql as $$
begin
    raise exception 'grant history is append-only: % on % is not allowed', tg_op, tg_table_name
        using errcode = 'restrict_violation';
end $$;

create trigger grant_approvals_append_only before update or delete on grant_approvals
    for each row execute function forbid_grant_history_change();
create trigger grant_approvals_no_truncate before truncate on grant_approvals
    for each statement execute function forbid_grant_history_change();
create trigger grant_recusals_append_only before update or delete on grant_recusals
    for each row execute function forbid_grant_history_change();
create trigger grant_recusals_no_truncate before truncate on grant_recusals
    for each statement execute function forbid_grant_history_change();
create trigger grant_topups_append_only before update or delete on grant_topups
    for each row execute function forbid_grant_history_change();
create trigger grant_topups_no_truncate before truncate on grant_topups
    for each statement execute function forbid_grant_history_change();
create trigger grant_payments_append_only before update or delete on grant_payments
    for each row execute function forbid_grant_history_change();
create trigger grant_payments_no_truncate before truncate on grant_payments
    for each statement execute function forbid_grant_history_change();
create trigger grants_no_truncate before truncate on grants
    for each statement execute function forbid_grant_history_change();

-- A case is never deleted, and only moves forward: a top-up raises the
-- amount and starts the next round; an approval completes the current round
-- with enough approvals. What it is (reference, fund, currency, category,
-- justification, who opened it) never changes.
create function guard_grant_change() returns trigger language plpgsql as $$
declare
    n int;
begin
    if tg_op = 'DELETE' then
        raise exception 'grant % is a case of the books: DELETE is not allowed', old.ref
            using errcode = 'restrict_violation';
    end if;
    if (new.id, new.ref, new.fund_id, new.currency, new.initial_amount, new.category, new.justification,
            new.opened_by, new.opened_by_name, new.opened_at, new.idempotency_key, new.fingerprint)
        is distinct from (old.id, old.ref, old.fund_id, old.currency, old.initial_amount, old.category, old.justification,
            old.opened_by, old.opened_by_name, old.opened_at, old.idempotency_key, old.fingerprint) then
        raise exception 'grant %: only a top-up or an approval changes a case', old.ref
            using errcode = 'restrict_violation';
    end if;
    if new.amount <> old.amount or new.round <> old.round or new.approvals_required <> old.approvals_required then
        if not (new.amount > old.amount and new.round = old.round + 1) then
            raise exception 'grant %: a top-up raises the amount and starts the next round (round % to %, amount % to %)',
                old.ref, old.round, new.round, old.amount, new.amount
                using errcode = 'check_violation';
        end if;
        if (new.approved_round, new.approved_amount) is distinct from (old.approved_round, old.approved_amount) then
            raise exception 'grant %: a top-up cannot approve', old.ref
                using errcode = 'check_violation';
        end if;
    elsif (new.approved_round, new.approved_amount) is distinct from (old.approved_round, old.approved_amount) then
        if new.approved_round <> new.round or new.approved_amount <> new.amount then
            raise exception 'grant %: an approval approves the current round (%) and its amount (%)', old.ref, new.round, new.amount
                using errcode = 'check_violation';
        end if;
        select count(*) into n from grant_approvals where grant_id = new.id and round = new.round;
        if n < new.approvals_required then
            raise exception 'grant %: round % has % approvals; % are required', old.ref, new.round, n, new.approvals_required
                using errcode = 'check_violation';
        end if;
    end if;
    return new;
end $$;

create trigger grants_guard before update or delete on grants
    for each row execute function guard_grant_change();

-- No case above its fund's cap, when it opens or is topped up.
create function check_grant_cap() returns trigger language plpgsql as $$
declare
    cap numeric;
begin
    if tg_op = 'UPDATE' and new.amount <= old.amount then
        return new;
    end if;
    select max_amount into cap from grant_caps where fund_id = new.fund_id and currency = new.currency;
    if cap is not null and new.amount > cap then
        raise exception 'grant %: amount % % is above the cap of % % per case in its fund', new.ref, new.amount, new.currency, cap, new.currency
            using errcode = 'check_violation';
    end if;
    return new;
end $$;

create trigger grants_cap before insert or update of amount on grants
    for each row execute function check_grant_cap();

-- At commit, a case's amount is its initial amount plus its top-ups, in its
-- currency, and its round counts them: a top-up cannot be written without
-- its case, nor the case's amount raised without a top-up.
create function check_grant_consistent() returns trigger language plpgsql as $$
declare
    g grants%rowtype;
    added numeric;
    n int;
    last_round int;
begin
    if tg_table_name = 'grants' then
        select * into g from grants where id = new.id;
    else
        select * into g from grants where id = new.grant_id;
    end if;
    select coalesce(sum(amount), 0), count(*), coalesce(max(round), 1) into added, n, last_round
        from grant_topups where grant_id = g.id;
    if exists (select 1 from grant_topups where grant_id = g.id and currency <> g.currency) then
        raise exception 'grant %: a top-up is in another currency than %', g.ref, g.currency
            using errcode = 'check_violation';
    end if;
    if g.amount <> g.initial_amount + added or g.round <> 1 + n or last_round <> g.round then
        raise exception 'grant %: amount % and round % do not follow from its opening (%) and its % top-ups (%)',
            g.ref, g.amount, g.round, g.initial_amount, n, added
            using errcode = 'check_violation';
    end if;
    return null;
end $$;

create constraint trigger grants_consistent after insert or update on grants
    deferrable initially deferred for each row execute function check_grant_consistent();
create constraint trigger grant_topups_consistent after insert on grant_topups
    deferrable initially deferred for each row execute function check_grant_consistent();

-- An approval is for the case's current round, by an active treasurer or
-- member who did not open the case, did not ask for the top-up being
-- approved, and did not recuse. The primary key refuses a second approval
-- of the same round by the same member.
create function check_grant_approval() returns trigger language plpgsql as $$
declare
    g grants%rowtype;
    r text;
    off timestamptz;
begin
    select * into g from grants where id = new.grant_id for update;
    select role, disabled_at into r, off from committee_members where id = new.member_id;
    if r is null or r not in ('treasurer', 'member') or off is not null then
        raise exception 'grant %: only an active treasurer or member approves (member % is %)', g.ref, new.member_id, coalesce(r, 'unknown')
            using errcode = 'check_violation';
    end if;
    if new.round <> g.round or g.approved_round = g.round then
        raise exception 'grant %: round % is not waiting for approval (the case is in round %, approved round %)', g.ref, new.round, g.round, g.approved_round
            using errcode = 'check_violation';
    end if;
    if g.opened_by = new.member_id then
        raise exception 'grant %: the member who opened the case cannot approve it', g.ref
            using errcode = 'check_violation';
    end if;
    if exists (select 1 from grant_topups where grant_id = g.id and round = new.round and by_member = new.member_id) then
        raise exception 'grant %: the member who asked for the top-up cannot approve it', g.ref
            using errcode = 'check_violation';
    end if;
    if exists (select 1 from grant_recusals where grant_id = g.id and member_id = new.member_id) then
        raise exception 'grant %: a member who recused cannot approve it', g.ref
            using errcode = 'check_violation';
    end if;
    return new;
end $$;

create trigger grant_approvals_check before insert on grant_approvals
    for each row execute function check_grant_approval();

-- What a case has paid: its payments whose transaction is not reversed.
create function grant_paid(gid bigint) returns numeric language sql stable as $$
    select coalesce(sum(gp.amount), 0) from grant_payments gp
    where gp.grant_id = gid and not exists (select 1 from transactions r where r.reversal_of = gp.transaction_id)
$$;

-- At commit, a payment belongs to an approved case, in its currency; its
-- transaction names the case (metadata grant_ref) and books exactly the
-- payment's amount to expenses:grants in the case's fund and currency; and
-- the case's payments add up to no more than its approved amount. The case
-- row is locked first, so concurrent payments are checked one after the
-- other, however they were written.
create function check_grant_payment() returns trigger language plpgsql as $$
declare
    g grants%rowtype;
    ref text;
    booked numeric;
    paid numeric;
begin
    select * into g from grants where id = new.grant_id for update;
    if new.currency <> g.currency then
        raise exception 'grant %: payment in % for a grant in %', g.ref, new.currency, g.currency
            using errcode = 'check_violation';
    end if;
    if g.approved_round <> g.round then
        raise exception 'grant %: only an approved grant is paid (round % waits for approval)', g.ref, g.round
            using errcode = 'check_violation';
    end if;
    select t.metadata->>'grant_ref' into ref from transactions t where t.id = new.transaction_id;
    if ref is distinct from g.ref then
        raise exception 'grant %: payment transaction % names grant_ref %', g.ref, new.transaction_id, coalesce(ref, 'none')
            using errcode = 'check_violation';
    end if;
    select coalesce(sum(p.amount), 0) into booked from postings p
        where p.transaction_id = new.transaction_id and p.account = 'expenses:grants' and p.fund_id = g.fund_id and p.currency = g.currency;
    if booked <> new.amount then
        raise exception 'grant %: payment of % % but its transaction books % to expenses:grants', g.ref, new.amount, g.currency, booked
            using errcode = 'check_violation';
    end if;
    paid := grant_paid(g.id);
    if paid > g.approved_amount then
        raise exception 'grant %: payments of % % exceed the approved amount of % %', g.ref, paid, g.currency, g.approved_amount, g.currency
            using errcode = 'check_violation';
    end if;
    return null;
end $$;

create constraint trigger grant_payments_checked after insert on grant_payments
    deferrable initially deferred for each row execute function check_grant_payment();

-- The register: what the committee, reports and exports may see of a case.
-- No recipient data, only whether it is on file.
create view grant_register as
    select g.id, g.ref, g.fund_id, f.slug as fund, g.currency, g.amount, g.category, g.justification,
        g.round, g.approvals_required, g.approved_round, g.approved_amount,
        grant_paid(g.id) as paid,
        case when g.approved_round < g.round then 'pending'
             when grant_paid(g.id) >= g.amount then 'paid'
             else 'approved' end as status,
        exists (select 1 from grant_recipients r where r.grant_id = g.id) as has_recipient,
        coalesce(g.opened_by, 0) as opened_by, g.opened_by_name, g.opened_at, g.idempotency_key, g.fingerprint
    from grants g join funds f on f.id = g.fund_id;
