-- 0007 (issue 14): the sweep that closes zone visits a dead node left open, and the operator's
-- cluster-wide strike list.

-- Every node asks every minute for open visits whose last sighting is older than
-- Billing:OpenVisitTimeout; open visits are few (players inside a zone right now), so the partial
-- index stays small however large zone_visits grows.
create index if not exists zone_visits_open_last_seen on zone_visits (last_seen_at) where exited_at is null;

-- Most players have a row (their trusted position) and no strikes; the operator lists the others.
create index if not exists player_fair_play_struck on player_fair_play (strikes desc, player_id) where strikes > 0;
