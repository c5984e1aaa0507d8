-- Card donations through Stripe: pledges made on the donation page, every
-- Stripe event received (stored once, with its raw payload), and what the
-- books know of each card payment, dispute and payout.

create table pledges (
    id                  uuid        primary key,
    fund_id             bigint      not null references funds,
    amount              numeric     not null check (amount > 0),
    currency            char(3)     not null references currencies,
    donor_name          text        not null default '',
    donor_email         text        not null,
    donor_organisation  text        not null default '',
    donor_country       text        not null default '' check (donor_country ~ '^([A-Z]{2})?$'),
    ack_display         text        not null check (ack_display in ('name', 'alias', 'anonymous')),
    ack_alias           text        not null default '',
    ack_show_amount     boolean     not null default false,
    message             text        not null default '',
    status              text        not null default 'pending' check (status in ('pending', 'paid', 'expired', 'failed')),
    checkout_session_id text        unique,
    checkout_url        text        not null default '',
    idempotency_key     text        unique,
    fingerprint         text        not null default '',
    created_at          timestamptz not null,
    updated_at          timestamptz not null
);

alter table donations add column pledge_id uuid unique references pledges;

create table stripe_events (
    id             text        primary key,
    type           text        not null,
    api_version    text        not null default '',
    created        timestamptz not null,
    payload        bytea       not null,
    status         text        not null check (status in ('applied', 'deferred', 'ignored')),
    payment_intent text        not null default '',
    received_at    timestamptz not null,
    applied_at     timestamptz
);
create index stripe_events_deferred on stripe_events (payment_intent, created) where status = 'deferred';

-- One row per card payment booked as a donation. refunded is the cumulative
-- refund booked so far, in the charge currency; refunded_settled the same in
-- the settlement currency (positive).
create table stripe_payments (
    payment_intent      text    primary key,
    charge_id           text    not null unique,
    donation_id         uuid    not null unique references donations,
    fund_id             bigint  not null references funds,
    currency            char(3) not null references currencies,
    settlement_currency char(3) not null references currencies,
    refunded            numeric not null default 0 check (refunded >= 0),
    refunded_settled    numeric not null default 0 check (refunded_settled >= 0)
);

create table stripe_disputes (
    id             text        primary key,
    payment_intent text        not null default '',
    status         text        not null,
    amount         numeric     not null,
    currency       char(3)     not null references currencies,
    updated_at     timestamptz not null
);

create table stripe_payouts (
    id              text        primary key,
    status          text        not null,
    amount          numeric     not null,
    currency        char(3)     not null references currencies,
    paid_tx         uuid        references transactions,
    failed_tx       uuid        references transactions,
    updated_at      timestamptz not null
);
