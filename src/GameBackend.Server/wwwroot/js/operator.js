// Operator live map: merges the per-node `liveSnapshot` pushes of /hubs/operator and draws the zones.
// Contract (server side): liveSnapshot {node, players[{playerId, latitude, longitude, heading, updatedAt}],
// creatures[{creatureId, species, rarity, latitude, longitude, expiresAt, sponsorZoneId}]} about once a
// second per node; GetZones() -> [{id, kind: "sponsor"|"exclusion", name, geometry}].
/* global signalR, L */
import { $, el, params, setStatus, createMap, geometryLayer, tip, RARITY_COLORS, fmtTime } from './common.js';

const STALE_MS = 5000; // a node that has not reported for this long is shown as stale and dropped from the map

const start = { lat: Number(params.get('lat') ?? 52.5200), lng: Number(params.get('lng') ?? 13.4050) };
const map = await createMap('map', start, Number(params.get('zoom') ?? 15));
const zoneLayer = L.layerGroup().addTo(map);
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
  };
}

window.gameBackendOperator = { map, nodes, drawn, get connection() { return connection; } };

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
  render();
  timers.push(setInterval(render, 500));
  timers.push(setInterval(() => loadZones(conn).catch(() => {}), 30000));
}

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
