-- 0004: operator moderation — zone approval, removal requests, bans and the append-only audit log
-- (issue 14, items 4–7; docs/rest.md "Moderation").

-- A zone's lifecycle state. Shared with sponsor billing (active | paused_budget | pending_approval |
-- rejected); either migration may add it first, hence "if not exists". Approval owns
-- pending_approval and rejected: only 'active' and 'paused_budget' zones are loaded by the spawner.
alter table sponsor_zones add column if not exists status text not null default 'active';

-- The latest operator decision on a zone (the full trail is in audit_log).
create table zone_reviews (
    zone_id     uuid        primary key references sponsor_zones (id) on delete cascade,
    decision    text        not null check (decision in ('approved', 'rejected')),
    reason      text,
    reviewed_by text        not null,
    reviewed_at timestamptz not null
);

-- Anyone may ask for creatures to be removed from a place; an operator decides.
create table removal_requests (
    id                uuid        primary key,
    created_at        timestamptz not null,
    area              geography   not null,
    reason            text        not null,
    contact           text,
    status            text        not null default 'open' check (status in ('open', 'accepted', 'rejected')),
    decided_by        text,
    decided_at        timestamptz,
    decision_reason   text,
    exclusion_zone_id uuid
);
create index removal_requests_open on removal_requests (created_at) where status = 'open';

create table player_bans (
    player_id text        primary key,
    reason    text        not null,
    banned_by text        not null,
    banned_at timestamptz not null
);

-- Every operator and sponsor action. Append-only: updates, deletes and truncation are refused by
-- triggers, so neither the application nor a mistaken script can rewrite the trail (a superuser can
-- still drop the triggers; least-privilege roles are issue 12's business).
create table audit_log (
    id     bigint      generated always as identity primary key,
    at     timestamptz not null,
    actor  text        not null,
    action text        not null,
    target text,
    detail jsonb       not null default '{}'::jsonb
);
create index audit_log_at on audit_log (at desc, id desc);
create index audit_log_action on audit_log (action, at desc);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
end $$;

create trigger audit_log_no_change before update or delete on audit_log
    for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only();
