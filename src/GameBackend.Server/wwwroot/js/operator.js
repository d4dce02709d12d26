// Operator live map: merges the per-node `liveSnapshot` pushes of /hubs/operator and draws the zones.
// Contract (server side): liveSnapshot {node, players[{playerId, latitude, longitude, heading, updatedAt}],
// creatures[{creatureId, species, rarity, latitude, longitude, expiresAt, sponsorZoneId}]} about once a
// second per node; GetZones() -> [{id, kind: "sponsor"|"exclusion", name, geometry}].
/* global signalR, L */
import { $, el, params, setStatus, createMap, geometryLayer, tip, RARITY_COLORS, fmtTime } from './common.js';

const STALE_MS = 5000; // a node that has not reported for this long is shown as stale and dropped from the map

const start = { lat: Number(params.get('lat') ?? 52.5200), lng: Number(params.get('lng') ?? 13.4050) };
const map = await createMap('map', start, Number(params.get('zoom') ?? 15));
// The heatmap sits under everything else so dots and zones stay clickable above it.
const heatLayer = L.layerGroup().addTo(map);
const zoneLayer = L.layerGroup().addTo(map);
const reviewLayer = L.layerGroup().addTo(map);
const creatureLayer = L.layerGroup().addTo(map);
const playerLayer = L.layerGroup().addTo(map);

const nodes = new Map(); // node -> {snapshot, receivedAt}
const playerMarkers = new Map();
const creatureMarkers = new Map();

function sync(markers, layer, items, key, create, update) {
  const seen = new Set();
  for (const item of items) {
    const id = item[key];
    seen.add(id);
    let marker = markers.get(id);
    if (!marker) {
      marker = create(item);
      markers.set(id, marker);
      layer.addLayer(marker);
    }
    update(marker, item);
  }
  for (const [id, marker] of markers) {
    if (!seen.has(id)) {
      layer.removeLayer(marker);
      markers.delete(id);
    }
  }
}

function render() {
  const now = Date.now();
  const live = [...nodes.entries()].filter(([, n]) => now - n.receivedAt <= STALE_MS);
  // A player or creature reported by two nodes (e.g. mid-handover) is drawn once: the newest wins.
  const players = new Map();
  const creatures = new Map();
  for (const [, n] of live) {
    for (const p of n.snapshot.players ?? []) {
      const known = players.get(p.playerId);
      if (!known || (p.updatedAt ?? 0) > (known.updatedAt ?? 0)) players.set(p.playerId, p);
    }
    for (const c of n.snapshot.creatures ?? []) creatures.set(c.creatureId, c);
  }
  sync(playerMarkers, playerLayer, [...players.values()], 'playerId',
    (p) => L.circleMarker([p.latitude, p.longitude], { radius: 6, color: '#fff', weight: 2, fillColor: '#1f6feb', fillOpacity: 1, className: 'player-dot' }).bindTooltip(tip(p.playerId)),
    (m, p) => m.setLatLng([p.latitude, p.longitude]));
  sync(creatureMarkers, creatureLayer, [...creatures.values()], 'creatureId',
    (c) => L.circleMarker([c.latitude, c.longitude], { radius: 4, color: '#222', weight: 1, fillColor: RARITY_COLORS[c.rarity] ?? '#888', fillOpacity: 0.9, className: `creature-dot rarity-${c.rarity}` })
      .bindTooltip(tip(`${c.species} (${c.rarity})${c.sponsorZoneId ? ' · sponsored' : ''}`)),
    (m, c) => m.setLatLng([c.latitude, c.longitude]));
  $('#players').textContent = players.size;
  $('#creatures').textContent = creatures.size;
  $('#nodes').replaceChildren(...[...nodes.entries()].sort().map(([name, n]) => el('li', { dataset: { node: name } },
    el('span', { class: 'label' }, name),
    el('span', { class: 'muted' }, `${n.snapshot.players?.length ?? 0} players · ${n.snapshot.creatures?.length ?? 0} creatures · ${now - n.receivedAt > STALE_MS ? 'stale since ' : ''}${fmtTime(n.receivedAt)}`))));
}

async function loadZones(conn) {
  const zones = await conn.invoke('GetZones');
  zoneLayer.clearLayers();
  for (const z of zones) {
    const style = z.kind === 'exclusion'
      ? { color: '#b03a2e', weight: 2, fillOpacity: 0.15, dashArray: '5 4', className: 'zone-exclusion' }
      : { color: '#4b6cb7', weight: 2, fillOpacity: 0.12, className: 'zone-sponsor' };
    const layer = geometryLayer(z.geometry, style).bindTooltip(tip(`${z.kind}: ${z.name}`));
    Object.assign(layer, { zoneId: z.id, zoneKind: z.kind, zoneName: z.name });
    zoneLayer.addLayer(layer);
  }
  $('#zones').textContent = zones.length;
}

let connection = null;
let timers = [];

/** Positions as drawn (read back from the Leaflet layers), for tests and the console. */
function drawn() {
  const dot = (m) => ({ lat: m.getLatLng().lat, lng: m.getLatLng().lng });
  return {
    players: Object.fromEntries([...playerMarkers].map(([id, m]) => [id, dot(m)])),
    creatures: Object.fromEntries([...creatureMarkers].map(([id, m]) => [id, dot(m)])),
    zones: zoneLayer.getLayers().map((l) => ({ id: l.zoneId, kind: l.zoneKind, name: l.zoneName })),
    heatCells: heatLayer.getLayers().length,
  };
}

window.gameBackendOperator = { map, nodes, drawn, refreshModeration, get connection() { return connection; } };

async function disconnect() {
  for (const t of timers) clearInterval(t);
  timers = [];
  const old = connection;
  connection = null;
  if (old) await old.stop().catch(() => {});
}

const REJECTED = 'admin key rejected: the server refused the operator sign-in (wrong key, or Operators:AdminKey is not set)';

function showSignIn(message, error) {
  const status = $('#status');
  setStatus(status, message, error ? 'bad' : undefined);
  if (error) status.dataset.error = error;
  else delete status.dataset.error;
  $('#signin').hidden = false;
  $('#operator-name').hidden = true;
}

/**
 * Connects with the session cookie that signing in set (HttpOnly: this script never sees it). The
 * hub refuses a missing or expired session with 401 at negotiate, so that is told apart from a
 * network failure by its status.
 */
async function connect() {
  await disconnect();
  const status = $('#status');
  const conn = new signalR.HubConnectionBuilder()
    .withUrl('hubs/operator')
    .withAutomaticReconnect()
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  connection = conn;
  let accepted = false;
  conn.on('liveSnapshot', (snapshot) => {
    nodes.set(snapshot.node, { snapshot, receivedAt: Date.now() });
  });
  conn.onreconnecting(() => {
    if (!accepted) {
      conn.stop();
      return;
    }
    setStatus(status, 'reconnecting…', 'bad');
  });
  conn.onreconnected(() => {
    setStatus(status, 'connected', 'ok');
    loadZones(conn).catch((err) => setStatus(status, `zones failed: ${err.message ?? err}`, 'bad'));
  });
  conn.onclose(() => {
    // Also where an expired session ends up: reconnecting is refused until the operator signs in again.
    if (accepted && connection === conn) showSignIn('disconnected: sign in again', 'closed');
  });
  setStatus(status, 'connecting…');
  try {
    await conn.start();
    await loadZones(conn);
  } catch (err) {
    const message = err?.message ?? String(err);
    const rejected = /status code '401'/i.test(message);
    if (connection === conn) await disconnect();
    showSignIn(rejected ? 'session expired: sign in again' : `connection failed: ${message}`, rejected ? 'expired' : 'failed');
    return;
  }

  accepted = true;
  delete status.dataset.error;
  setStatus(status, 'connected', 'ok');
  $('#signin').hidden = true;
  // Who the audit log will name for what this console does (operator:<name>).
  const me = await conn.invoke('GetOperator').catch(() => null);
  $('#operator-name').textContent = me ? `signed in as ${me}` : '';
  $('#operator-name').hidden = !me;
  render();
  timers.push(setInterval(render, 500));
  timers.push(setInterval(() => loadZones(conn).catch(() => {}), 30000));
  $('#moderation').hidden = false;
  await loadAuditActions(conn);
  await refreshModeration().catch((err) => setStatus($('#ban-status'), `moderation: ${err.message ?? err}`, 'bad'));
  await loadAudit();
  timers.push(setInterval(() => refreshModeration().catch(() => {}), 30000));
}

// ---- moderation: zone approval, removal requests, bans, audit log, heatmap ------------------------
// Every call goes over the operator hub (session cookie); all text from the server is DOM text.

const fmtDate = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const toIso = (local) => (local ? new Date(local).toISOString() : null);

function flash(target, text, kind) {
  setStatus(target, text, kind);
}

function reasonInput(placeholder) {
  return el('input', { type: 'text', class: 'reason', placeholder, maxlength: '1000' });
}

function drawReview(items, style, label) {
  for (const item of items) {
    const layer = geometryLayer(item.geometry, style).bindTooltip(tip(label(item)));
    reviewLayer.addLayer(layer);
    item.layer = layer;
  }
}

function showOnMap(layer) {
  if (layer) map.fitBounds(layer.getBounds(), { maxZoom: 17 });
}

async function refreshModeration() {
  const conn = connection;
  if (!conn) return;
  const [zones, removals, bans, strikes] = await Promise.all([
    conn.invoke('GetZonesForReview', 'pending_approval'),
    conn.invoke('GetRemovalRequests', 'open'),
    conn.invoke('GetBans'),
    conn.invoke('GetStrikes'),
  ]);
  reviewLayer.clearLayers();
  const pending = zones.map((z) => ({ ...z, geometry: z.area }));
  const requests = removals.map((r) => ({ ...r, geometry: r.area }));
  drawReview(pending, { color: '#d08a00', weight: 2, fillOpacity: 0.15, dashArray: '2 4', className: 'zone-pending' }, (z) => `awaiting approval: ${z.name} (${z.sponsorName})`);
  drawReview(requests, { color: '#7a4fb0', weight: 2, fillOpacity: 0.15, className: 'removal-request' }, (r) => `removal request: ${r.reason}`);

  $('#review-zones').replaceChildren(...(pending.length === 0 ? [el('li', { class: 'muted' }, 'Nothing waits for approval.')] : pending.map((z) => {
    const reason = reasonInput('reason (required to reject)');
    const note = el('div', { class: 'muted' });
    const decide = async (approve) => {
      try {
        const ok = await conn.invoke('ReviewZone', z.id, approve, reason.value);
        flash(note, ok ? (approve ? 'approved' : 'rejected') : 'no longer waiting', ok ? 'ok' : 'bad');
        await refreshModeration();
        await loadZones(conn);
        await loadAudit();
      } catch (err) {
        flash(note, err.message ?? String(err), 'bad');
      }
    };
    return el('li', { class: 'stack', dataset: { zoneId: z.id } },
      el('div', { class: 'label' }, `${z.name} — ${z.sponsorName}`),
      el('div', { class: 'muted' }, `changed ${fmtDate(z.updatedAt)}${z.decision ? ` · last decision: ${z.decision}` : ''}`),
      reason,
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'show', onclick: () => showOnMap(z.layer) }, 'Show'),
        el('button', { type: 'button', class: 'approve primary', onclick: () => decide(true) }, 'Approve'),
        el('button', { type: 'button', class: 'reject', onclick: () => decide(false) }, 'Reject')),
      note);
  })));

  $('#removals').replaceChildren(...(requests.length === 0 ? [el('li', { class: 'muted' }, 'No open requests.')] : requests.map((r) => {
    const reason = reasonInput('note (required to reject)');
    const note = el('div', { class: 'muted' });
    const decide = async (accept) => {
      try {
        const ok = await conn.invoke('DecideRemovalRequest', r.id, accept, reason.value);
        flash(note, ok ? (accept ? 'accepted: exclusion zone created' : 'rejected') : 'already decided', ok ? 'ok' : 'bad');
        await refreshModeration();
        await loadZones(conn);
        await loadAudit();
      } catch (err) {
        flash(note, err.message ?? String(err), 'bad');
      }
    };
    return el('li', { class: 'stack', dataset: { requestId: r.id } },
      el('div', { class: 'label' }, r.reason),
      el('div', { class: 'muted' }, `${fmtDate(r.createdAt)}${r.contact ? ` · contact: ${r.contact}` : ''}`),
      reason,
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'show', onclick: () => showOnMap(r.layer) }, 'Show'),
        el('button', { type: 'button', class: 'accept primary', onclick: () => decide(true) }, 'Make exclusion zone'),
        el('button', { type: 'button', class: 'reject', onclick: () => decide(false) }, 'Reject')),
      note);
  })));

  $('#bans').replaceChildren(...(bans.length === 0 ? [el('li', { class: 'muted' }, 'Nobody is banned.')] : bans.map((b) => el('li', { dataset: { playerId: b.playerId } },
    el('span', { class: 'label' }, `${b.playerId} — ${b.reason}`),
    el('button', { type: 'button', class: 'unban', onclick: async () => { await conn.invoke('Unban', b.playerId); await refreshModeration(); await loadAudit(); } }, 'Unban')))));

  $('#strikes').replaceChildren(...(strikes.length === 0 ? [el('li', { class: 'muted' }, 'No player has strikes.')] : strikes.map((s) => el('li', { dataset: { playerId: s.playerId } },
    el('span', { class: 'label' }, `${s.playerId} — ${s.strikes} strike${s.strikes === 1 ? '' : 's'}`),
    el('button', { type: 'button', onclick: () => { $('#ban-player').value = s.playerId; $('#ban-reason').focus(); } }, 'Ban…')))));
}

$('#ban-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const note = $('#ban-status');
  try {
    const ban = await connection.invoke('Ban', $('#ban-player').value.trim(), $('#ban-reason').value);
    flash(note, `banned ${ban.playerId}`, 'ok');
    $('#ban-player').value = '';
    $('#ban-reason').value = '';
    await refreshModeration();
    await loadAudit();
  } catch (err) {
    flash(note, err.message ?? String(err), 'bad');
  }
});

async function loadAuditActions(conn) {
  const select = $('#audit-action');
  if (select.options.length > 1) return;
  const actions = await conn.invoke('GetAuditActions');
  select.append(...actions.map((a) => el('option', { value: a }, a)));
}

async function loadAudit() {
  if (!connection) return;
  const list = $('#audit');
  try {
    const rows = await connection.invoke('GetAudit', {
      actor: $('#audit-actor').value.trim() || null,
      action: $('#audit-action').value || null,
      target: $('#audit-target').value.trim() || null,
      from: toIso($('#audit-from').value),
      to: toIso($('#audit-to').value),
      beforeId: null,
      limit: 100,
    });
    list.replaceChildren(...(rows.length === 0 ? [el('li', { class: 'muted' }, 'No entries.')] : rows.map((r) => el('li', { dataset: { action: r.action, auditId: String(r.id) } },
      el('div', {}, el('strong', {}, r.action), ` · ${r.target ?? ''}`),
      el('div', { class: 'muted' }, `${fmtDate(r.at)} · ${r.actor}`),
      Object.keys(r.detail ?? {}).length > 0 ? el('div', { class: 'muted' }, JSON.stringify(r.detail)) : ''))));
  } catch (err) {
    list.replaceChildren(el('li', { class: 'status bad' }, err.message ?? String(err)));
  }
}
$('#audit-filter').addEventListener('click', () => loadAudit());

function heatRange() {
  const choice = $('#heatmap-range').value;
  if (choice === 'custom') return { from: toIso($('#heatmap-from').value), to: toIso($('#heatmap-to').value) };
  const to = new Date();
  return { from: new Date(to.getTime() - Number(choice) * 3600_000).toISOString(), to: to.toISOString() };
}

async function drawHeatmap() {
  heatLayer.clearLayers();
  const note = $('#heatmap-status');
  if (!$('#heatmap-on').checked || !connection) {
    note.textContent = '';
    return;
  }
  const b = map.getBounds();
  const span = Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth());
  // About 60 cells across the view, within the endpoint's 0.0005–1 degree range.
  const cellDegrees = Math.min(1, Math.max(0.0005, span / 60));
  const { from, to } = heatRange();
  try {
    const heat = await connection.invoke('GetHeatmap', {
      minLon: Math.max(-180, b.getWest()), minLat: Math.max(-90, b.getSouth()), maxLon: Math.min(180, b.getEast()), maxLat: Math.min(90, b.getNorth()),
      from, to, cellDegrees,
    });
    const max = Math.max(1, ...heat.features.map((f) => f.properties.count));
    for (const f of heat.features) {
      const ring = f.geometry.coordinates[0];
      const t = Math.sqrt(f.properties.count / max); // square root: a few busy cells do not wash out the rest
      heatLayer.addLayer(L.rectangle([[ring[0][1], ring[0][0]], [ring[2][1], ring[2][0]]], {
        stroke: false, fillColor: `hsl(${Math.round(50 - (50 * t))}, 95%, 50%)`, fillOpacity: 0.25 + (0.5 * t), interactive: true, className: 'heat-cell',
      }).bindTooltip(tip(`${f.properties.count} samples · ${f.properties.players} players`)));
    }
    note.textContent = `${heat.features.length} cells · ${fmtDate(heat.from)} – ${fmtDate(heat.to)}`;
    note.dataset.cells = String(heat.features.length);
  } catch (err) {
    setStatus(note, err.message ?? String(err), 'bad');
  }
}
$('#heatmap-range').addEventListener('change', () => { $('#heatmap-custom').hidden = $('#heatmap-range').value !== 'custom'; });
$('#heatmap-draw').addEventListener('click', () => drawHeatmap());
$('#heatmap-on').addEventListener('change', () => drawHeatmap());
map.on('moveend', () => { if ($('#heatmap-on').checked) drawHeatmap(); });

/** Trades the admin key for a short session cookie; the key itself is kept nowhere. */
async function signIn(key) {
  setStatus($('#status'), 'signing in…');
  let res;
  try {
    res = await fetch('api/operator/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ adminKey: key }),
    });
  } catch (err) {
    showSignIn(`sign-in failed: ${err?.message ?? err}`, 'failed');
    return;
  }
  if (res.status === 204) await connect();
  else if (res.status === 401 || res.status === 503) showSignIn(REJECTED, 'rejected');
  else showSignIn(`sign-in failed: HTTP ${res.status}`, 'failed');
}

$('#signin').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('#admin-key');
  const key = input.value.trim();
  input.value = '';
  if (key) signIn(key);
});

// A session from an earlier sign-in (a reload within its lifetime) connects without the key.
fetch('api/operator/session', { cache: 'no-store' })
  .then((res) => (res.ok ? res.json() : { signedIn: false }))
  .then((session) => (session.signedIn ? connect() : undefined))
  .catch(() => {});
