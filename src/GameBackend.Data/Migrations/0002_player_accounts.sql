-- 0002: guest accounts. A player id is assigned once, at a device's first login, and stored here, so
-- it no longer depends on the token signing key (rotating that key used to orphan every account).
-- secret_hash is SHA-256 of the device secret handed out at that first login (docs/security.md).
create table player_accounts (
    device_id   text        primary key,
    player_id   text        not null unique,
    secret_hash bytea       not null,
    created_at  timestamptz not null default now()
);
