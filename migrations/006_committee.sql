-- The committee's workspace: members who sign in with a password (argon2id,
-- as a PHC string) and optionally a TOTP second factor (its secret sealed
-- with AES-GCM under FUNDLEDGER_SECRET_KEY), their sessions (only a SHA-256
-- of the session secret is stored), and an append-only audit log.

create table committee_members (
    id              bigint generated always as identity primary key,
    email           text        not null check (email = lower(email) and length(email) between 3 and 254),
    name            text        not null check (length(name) between 1 and 100),
    role            text        not null check (role in ('treasurer', 'member', 'observer')),
    password_hash   text        not null check (password_hash like '$argon2id$%'),
    totp_secret     bytea,                      -- sealed; null: no second factor
    totp_pending    bytea,                      -- sealed; an enrolment not yet confirmed
    totp_pending_at timestamptz,
    totp_last_step  bigint      not null default 0, -- the last time step used, so a code works once
    created_at      timestamptz not null,
    disabled_at     timestamptz,
    constraint committee_members_email_key unique (email)
);

create table committee_sessions (
    id                    bigint generated always as identity primary key,
    token_hash            bytea       not null unique check (length(token_hash) = 32),
    member_id             bigint      not null references committee_members,
    created_at            timestamptz not null,
    last_seen_at          timestamptz not null,
    expires_at            timestamptz not null, -- the absolute expiry; the idle one follows last_seen_at
    second_factor_pending boolean     not null default false,
    user_agent            text        not null default '' check (length(user_agent) <= 300)
);
create index committee_sessions_member on committee_sessions (member_id);

-- Who did what, when. Nothing here is ever changed or deleted, whoever asks.
create table audit_log (
    id          bigint generated always as identity primary key,
    at          timestamptz not null,
    member_id   bigint      references committee_members,
    member_name text        not null default '' check (length(member_name) <= 200),
    action      text        not null check (action ~ '^[a-z][a-z_]*(\.[a-z_]+)*$' and length(action) <= 64),
    subject     text        not null default '' check (length(subject) <= 200),
    details     jsonb       not null default '{}' check (jsonb_typeof(details) = 'object')
);

create function forbid_audit_change() returns trigger language plpgsql as $$
begin
    raise exception 'the audit log is append-only: % on % is not allowed', tg_op, tg_table_name
        using errcode = 'restrict_violation';
end $$;

create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function forbid_audit_change();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function forbid_audit_change();
