-- The ledger: funds, accounts, append-only transactions and postings, cached
-- balances, and the database's own defences of the books.

create table currencies (
    code     char(3)  primary key check (code ~ '^[A-Z]{3}$'),
    exponent smallint not null check (exponent between 0 and 4)
);

insert into currencies (code, exponent) values
    ('EUR', 2), ('USD', 2), ('GBP', 2), ('SEK', 2), ('NOK', 2), ('DKK', 2),
    ('CHF', 2), ('PLN', 2), ('CZK', 2), ('HUF', 2), ('RON', 2), ('BGN', 2),
    ('RUB', 2), ('KZT', 2), ('UAH', 2), ('BYN', 2), ('GEL', 2), ('AMD', 2),
    ('AZN', 2), ('UZS', 2), ('KGS', 2), ('TRY', 2), ('CAD', 2), ('AUD', 2),
    ('NZD', 2), ('CNY', 2), ('INR', 2), ('BRL', 2), ('ZAR', 2), ('ILS', 2),
    ('MXN', 2), ('ISK', 0), ('JPY', 0), ('KRW', 0), ('CLP', 0),
    ('KWD', 3), ('BHD', 3), ('OMR', 3), ('JOD', 3), ('TND', 3);

create table funds (
    id              bigint generated always as identity primary key,
    slug            text        not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
    name            text        not null check (length(name) between 1 and 200),
    description     text        not null default '',
    currency        char(3)     not null references currencies,
    target          numeric     check (target > 0),
    restricted      boolean     not null default false,
    idempotency_key text        unique,
    fingerprint     text        not null default '',
    created_at      timestamptz not null default now()
);

create table accounts (
    code       text        primary key check (code ~ '^(assets|liabilities|equity|income|expenses)(:[a-z][a-z0-9_]*)*$'),
    name       text        not null,
    type       text        not null check (type in ('asset', 'liability', 'equity', 'income', 'expense')),
    parent     text        references accounts,
    created_at timestamptz not null default now(),
    check (type = case split_part(code, ':', 1)
        when 'assets' then 'asset' when 'liabilities' then 'liability'
        when 'equity' then 'equity' when 'income' then 'income' else 'expense' end),
    check ((parent is null) = (position(':' in code) = 0))
);

-- The hash chain's head: one row, locked by every writer for the moment it
-- appends, so transactions are chained in a single order.
create table ledger_head (
    singleton boolean primary key default true check (singleton),
    seq       bigint  not null,
    hash      bytea   not null
);
insert into ledger_head (seq, hash) values (0, '\x'::bytea);

create table transactions (
    id              uuid        primary key,
    seq             bigint      not null unique check (seq > 0),
    idempotency_key text        not null unique check (length(idempotency_key) between 1 and 255),
    fingerprint     text        not null default '',
    effective_date  date        not null check (effective_date between '1900-01-01' and '9999-12-31'),
    description     text        not null check (length(description) between 1 and 500),
    metadata        jsonb       not null default '{}' check (jsonb_typeof(metadata) = 'object'),
    reversal_of     uuid        unique references transactions,
    recorded_at     timestamptz not null,
    prev_hash       bytea       not null,
    hash            bytea       not null check (length(hash) = 32)
);
create index transactions_effective_date on transactions (effective_date);

create table postings (
    transaction_id uuid     not null references transactions,
    idx            smallint not null check (idx >= 0),
    account        text     not null references accounts,
    fund_id        bigint   not null references funds,
    currency       char(3)  not null references currencies,
    amount         numeric  not null check (amount <> 0),
    primary key (transaction_id, idx)
);
create index postings_fund_account on postings (fund_id, account, currency);
create index postings_account on postings (account);

-- Cached balances, maintained in the same database transaction as the postings.
create table balances (
    fund_id  bigint  not null references funds,
    account  text    not null references accounts,
    currency char(3) not null references currencies,
    amount   numeric not null default 0,
    primary key (fund_id, account, currency)
);

-- Append-only: recorded transactions and postings are never changed.
create function forbid_change() returns trigger language plpgsql as $$
begin
    raise exception 'the ledger is append-only: % on % is not allowed; record a reversal instead', tg_op, tg_table_name
        using errcode = 'restrict_violation';
end $$;

create trigger transactions_append_only before update or delete on transactions
    for each row execute function forbid_change();
create trigger transactions_no_truncate before truncate on transactions
    for each statement execute function forbid_change();
create trigger postings_append_only before update or delete on postings
    for each row execute function forbid_change();
create trigger postings_no_truncate before truncate on postings
    for each statement execute function forbid_change();

-- An amount may not carry more decimals than its currency allows.
create function check_posting_scale() returns trigger language plpgsql as $$
declare
    e smallint;
begin
    select exponent into e from currencies where code = new.currency;
    if new.amount <> round(new.amount, e) then
        raise exception 'posting amount % has more decimal places than % allows (%)', new.amount, new.currency, e
            using errcode = 'check_violation';
    end if;
    return new;
end $$;

create trigger postings_scale before insert on postings
    for each row execute function check_posting_scale();

-- At commit, every transaction must have at least two postings that sum to
-- zero in each currency, however it was written.
create function check_transaction_balanced() returns trigger language plpgsql as $$
declare
    tx uuid;
    n int;
    bad text;
begin
    if tg_table_name = 'transactions' then
        tx := new.id;
    else
        tx := new.transaction_id;
    end if;
    select count(*) into n from postings where transaction_id = tx;
    if n < 2 then
        raise exception 'transaction % has % postings; at least two are required', tx, n
            using errcode = 'check_violation';
    end if;
    select string_agg(currency || ' ' || s::text, ', ') into bad from (
        select currency, sum(amount) as s from postings
        where transaction_id = tx group by currency having sum(amount) <> 0
    ) unbalanced;
    if bad is not null then
        raise exception 'transaction % does not balance: %', tx, bad
            using errcode = 'check_violation';
    end if;
    return null;
end $$;

create constraint trigger transactions_balanced after insert on transactions
    deferrable initially deferred for each row execute function check_transaction_balanced();
create constraint trigger postings_balanced after insert on postings
    deferrable initially deferred for each row execute function check_transaction_balanced();

create table donations (
    id                 uuid        primary key,
    transaction_id     uuid        not null unique references transactions,
    fund_id            bigint      not null references funds,
    amount             numeric     not null check (amount > 0),
    currency           char(3)     not null references currencies,
    channel            text        not null check (channel in ('bank_transfer', 'cash', 'cheque', 'organisation', 'card')),
    received_on        date        not null,
    donor_name         text        not null default '',
    donor_email        text        not null default '',
    donor_organisation text        not null default '',
    donor_country      text        not null default '' check (donor_country ~ '^([A-Z]{2})?$'),
    ack_display        text        not null check (ack_display in ('name', 'alias', 'anonymous')),
    ack_alias          text        not null default '',
    ack_show_amount    boolean     not null default false,
    message            text        not null default '',
    recorded_at        timestamptz not null
);
create index donations_fund_received on donations (fund_id, received_on desc, id);

create table api_tokens (
    id         bigint generated always as identity primary key,
    name       text        not null check (length(name) between 1 and 100),
    role       text        not null check (role in ('treasurer', 'observer')),
    token_hash bytea       not null unique,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);
