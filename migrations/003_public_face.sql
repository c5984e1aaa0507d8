-- The public face: moderation of acknowledgements, the donor's private link
-- to change how they are thanked, receipts to send, bank details shown on
-- the donation page, and the committee's exchange rates for totals.

alter table funds add column bank_details text not null default '';

-- A donor may also be thanked by their organisation's name.
alter table donations drop constraint donations_ack_display_check;
alter table donations add constraint donations_ack_display_check check (ack_display in ('name', 'organisation', 'alias', 'anonymous'));
alter table pledges drop constraint pledges_ack_display_check;
alter table pledges add constraint pledges_ack_display_check check (ack_display in ('name', 'organisation', 'alias', 'anonymous'));

-- Names, aliases, organisations and messages wait for a committee member;
-- an anonymous donation without a message is published at once.
alter table donations add column ack_status text not null default 'pending'
    check (ack_status in ('pending', 'approved', 'hidden'));
update donations set ack_status = 'approved' where ack_display = 'anonymous' and message = '';
alter table donations add column ack_token_hash bytea unique;
alter table donations add column lang text not null default 'en';
alter table pledges add column lang text not null default 'en';

create index donations_ack_all on donations (received_on desc, id desc);
create index donations_ack_fund on donations (fund_id, received_on desc, id desc);
create index donations_moderation on donations (recorded_at) where ack_status = 'pending';

-- Receipts to send, written in the same transaction as the donation, so a
-- mail outage delays a receipt but never loses it.
create table receipts (
    donation_id     uuid        primary key references donations,
    email           text        not null,
    status          text        not null default 'pending' check (status in ('pending', 'sent', 'failed')),
    attempts        int         not null default 0,
    next_attempt_at timestamptz not null,
    last_error      text        not null default '',
    sent_at         timestamptz,
    created_at      timestamptz not null
);
create index receipts_due on receipts (next_attempt_at) where status = 'pending';

-- The committee's rates for showing a fund's total in its own currency.
-- Informational only: the books never convert at these rates.
create table exchange_rates (
    currency      char(3)     not null references currencies,
    quote         char(3)     not null references currencies,
    rate          numeric     not null check (rate > 0),
    as_of         date        not null,
    updated_at    timestamptz not null,
    primary key (currency, quote)
);
