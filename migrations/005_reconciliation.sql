-- Bank statements and their reconciliation with the books. A statement line
-- is stored once per bank account and key; it is matched to the ledger
-- transaction that books it; a reconciled period locks its lines.

create table bank_statements (
    id              bigint generated always as identity primary key,
    account         text        not null references accounts,
    bank_id         text        not null,   -- the bank's statement id, or a content hash
    iban            text        not null default '',
    currency        char(3)     not null references currencies,
    period_from     date,
    period_to       date,
    opening_balance numeric     not null,
    closing_balance numeric     not null,
    imported_at     timestamptz not null,
    imported_by     text        not null default '',
    unique (account, bank_id)
);

create table statement_lines (
    id                   bigint generated always as identity primary key,
    statement_id         bigint      not null references bank_statements,
    account              text        not null references accounts,
    ref                  text        not null,
    booking_date         date        not null,
    value_date           date,
    amount               numeric     not null check (amount <> 0),
    currency             char(3)     not null references currencies,
    reversal             boolean     not null default false,
    end_to_end_id        text        not null default '',
    remittance           text        not null default '',
    counterparty         text        not null default '',
    counterparty_account text        not null default '',
    bank_ref             text        not null default '',
    raw                  text        not null default '',
    status               text        not null default 'unmatched' check (status in ('unmatched', 'proposed', 'matched', 'ignored')),
    transaction_id       uuid        unique references transactions,
    matched_by           text        not null default '',
    matched_at           timestamptz,
    locked               boolean     not null default false,
    unique (account, ref),
    check ((status = 'matched') = (transaction_id is not null))
);
create index statement_lines_open on statement_lines (account, booking_date) where status in ('unmatched', 'proposed');

-- Candidates proposed for a line, for a person to confirm.
create table line_candidates (
    line_id        bigint  not null references statement_lines on delete cascade,
    transaction_id uuid    not null references transactions,
    score          int     not null,
    reason         text    not null default '',
    primary key (line_id, transaction_id)
);

create table reconciled_periods (
    account      text        not null references accounts,
    through      date        not null,
    closing      numeric     not null,
    reconciled_by text       not null default '',
    reconciled_at timestamptz not null,
    primary key (account, through)
);

-- A reconciled line is history: it can no longer be matched, unmatched or
-- changed, whoever asks.
create function forbid_locked_line_change() returns trigger language plpgsql as $$
begin
    if old.locked then
        raise exception 'statement line % is in a reconciled period and cannot change', old.id
            using errcode = 'restrict_violation';
    end if;
    return new;
end $$;
create trigger statement_lines_locked before update or delete on statement_lines
    for each row execute function forbid_locked_line_change();
