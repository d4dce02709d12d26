// Player view: guest login, walk (arrow keys / click), see and throw at nearby creatures.
/* global signalR, L */
import {
  $, el, params, setStatus, createMap, tip, distanceMeters, bearingDegrees, destination, compass, RARITY_COLORS, randomId, fmtTime,
} from './common.js';

const TICK_MS = 200; // at most 5 updates per second
const IDLE_REFRESH_MS = 5000; // an unchanged fix now and then keeps the player present in its cell
const step = Math.min(10, Math.max(1, Number(params.get('step')) || 5)); // ≤ 10 m per fix: far below the 50 m/s check
const start = { lat: Number(params.get('lat') ?? 52.52), lng: Number(params.get('lng') ?? 13.405) };
const protocol = params.get('protocol') === 'json' ? 'json' : 'msgpack';
// The device id and its secret live only in this browser's storage: no link parameter can choose
// them, so a link cannot make someone play as (or feed positions into) an account it knows.
let deviceId = localStorage.getItem('gb.deviceId') ?? randomId();
localStorage.setItem('gb.deviceId', deviceId);

const state = {
  confirmed: { ...start }, // last position the server accepted
  position: { ...start },
  heading: 0,
  // Sequence numbers must rise across page loads of the same player: start from the clock.
  seq: Date.now(),
  queue: [], // pending arrow-key steps (bearings)
  target: null, // where a click or "go" walks to
  lastSent: { at: 0, pos: null },
  inFlight: false,
  creatures: new Map(), // creatureId -> {creatureId, species, rarity, latitude, longitude, expiresAt, sponsorZoneId}
  playerId: null,
};

const log = (text) => {
  const line = el('div', {}, `${new Date().toLocaleTimeString()} ${text}`);
  $('#log').prepend(line);
  while ($('#log').childElementCount > 60) $('#log').lastChild.remove();
};

// Leaflet's keyboard handler pans the map on the same arrow keys that walk, which moved the view away
// from the player; the keys walk here and the view follows the player (keepInView). A renderer padded
// by a whole screen keeps the SVG of markers near the view drawn while it pans (Leaflet clips paths
// outside the padded area until the pan ends, which collapsed them).
const map = await createMap('map', start, 18, { keyboard: false, renderer: L.svg({ padding: 1 }) });
const me = L.circleMarker([start.lat, start.lng], { radius: 8, color: '#fff', weight: 2, fillColor: '#1f6feb', fillOpacity: 1, className: 'player-me' }).addTo(map);
const range = L.circle([start.lat, start.lng], { radius: 50, color: '#1f6feb', weight: 1, fill: false, dashArray: '4 4', interactive: false }).addTo(map);
const markers = new Map();

async function login() {
  const post = () => fetch('api/players/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      deviceId, displayName: params.get('name') ?? 'Web player', deviceSecret: localStorage.getItem('gb.deviceSecret'),
    }),
  });
  let res = await post();
  if (res.status === 401) {
    // This browser lost the secret of its device id (storage cleared in part): start as a new device.
    deviceId = randomId();
    localStorage.setItem('gb.deviceId', deviceId);
    localStorage.removeItem('gb.deviceSecret');
    res = await post();
  }
  if (!res.ok) {
    // A problem's detail says why (e.g. "banned: <reason>"); shown as text.
    const problem = await res.json().catch(() => null);
    throw new Error(problem?.detail ?? `login failed: HTTP ${res.status}`);
  }
  const session = await res.json();
  // Only a device's first login returns its secret; every later login must present it.
  if (session.deviceSecret) localStorage.setItem('gb.deviceSecret', session.deviceSecret);
  return session;
}

function buildConnection(token) {
  const builder = new signalR.HubConnectionBuilder()
    .withUrl('hubs/game', { accessTokenFactory: () => token })
    .withAutomaticReconnect()
    .configureLogging(signalR.LogLevel.Warning);
  if (protocol === 'msgpack') builder.withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol());
  return builder.build();
}

function upsertCreature(c) {
  state.creatures.set(c.creatureId, c);
  if (!markers.has(c.creatureId)) {
    const marker = L.circleMarker([c.latitude, c.longitude], {
      radius: 7, color: '#222', weight: 1, fillColor: RARITY_COLORS[c.rarity] ?? '#888', fillOpacity: 0.9, className: 'creature-marker',
    }).bindTooltip(tip(`${c.species} (${c.rarity})`)).on('click', (e) => { L.DomEvent.stopPropagation(e); walkTo(c); });
    marker.addTo(map);
    marker.getElement()?.setAttribute('data-creature-id', c.creatureId);
    markers.set(c.creatureId, marker);
  }
}

function removeCreature(id) {
  state.creatures.delete(id);
  markers.get(id)?.remove();
  markers.delete(id);
}

function renderCreatures() {
  const list = $('#creatures');
  const here = state.confirmed;
  const now = Date.now();
  const rows = [...state.creatures.values()]
    .map((c) => ({ c, d: distanceMeters(here, { lat: c.latitude, lng: c.longitude }), b: bearingDegrees(here, { lat: c.latitude, lng: c.longitude }) }))
    .filter(({ d }) => d <= 250)
    .sort((x, y) => x.d - y.d);
  list.replaceChildren(...rows.map(({ c, d, b }) => el('li', { dataset: { creatureId: c.creatureId, distance: d.toFixed(1) } },
    el('span', { class: `label rarity-${c.rarity}` },
      `${c.species} (${c.rarity}) — ${Math.round(d)} m, ${compass(b)}`,
      c.sponsorZoneId ? el('span', { class: 'muted' }, ' · sponsored') : '',
      c.expiresAt && c.expiresAt - now < 60000 ? el('span', { class: 'muted' }, ' · leaving soon') : ''),
    el('button', { class: 'go', title: 'walk there', onclick: () => walkTo(c) }, 'Go'),
    el('button', { class: 'throw primary', onclick: () => throwAt(c) }, 'Throw'))));
  $('#no-creatures').hidden = rows.length > 0;
}

function walkTo(c) {
  state.queue.length = 0;
  state.target = { lat: c.latitude ?? c.lat, lng: c.longitude ?? c.lng, stopWithin: c.creatureId ? 8 : 0.5 };
}

/**
 * Pans (without animation, so what the page shows matches the state at once) when the player leaves
 * the middle of the view: the inner half of each axis, so the player and the creatures within the
 * 50 m range stay visible while walking in any direction.
 */
function keepInView(latlng) {
  if (!map.getBounds().pad(-0.25).contains(latlng)) map.panTo(latlng, { animate: false });
}

function showPosition() {
  const p = state.confirmed;
  $('#position').textContent = `${p.lat.toFixed(6)}, ${p.lng.toFixed(6)}`;
  me.setLatLng([state.position.lat, state.position.lng]);
  range.setLatLng([p.lat, p.lng]);
  keepInView(L.latLng(state.position.lat, state.position.lng));
}

function nextPosition() {
  if (state.queue.length > 0) {
    const bearing = state.queue.shift();
    return { bearing, pos: destination(state.position, bearing, step) };
  }
  if (state.target) {
    const remaining = distanceMeters(state.position, state.target);
    if (remaining <= Math.max(state.target.stopWithin, 0.5)) {
      state.target = null;
      return null;
    }
    const bearing = bearingDegrees(state.position, state.target);
    const length = Math.min(step, remaining - state.target.stopWithin + 0.01);
    return { bearing, pos: destination(state.position, bearing, Math.max(0.5, length)) };
  }
  return null;
}

async function tick(connection) {
  if (state.inFlight || connection.state !== signalR.HubConnectionState.Connected) return;
  const now = Date.now();
  const next = nextPosition();
  if (!next && now - state.lastSent.at < IDLE_REFRESH_MS) return;
  const pos = next?.pos ?? state.position;
  const moved = state.lastSent.pos ? distanceMeters(state.lastSent.pos, pos) : 0;
  const seconds = state.lastSent.at ? Math.max(0.001, (now - state.lastSent.at) / 1000) : 1;
  if (next) state.heading = next.bearing;
  const jitter = () => (Math.random() - 0.5) * 0.4;
  const update = {
    seq: ++state.seq,
    timestamp: now,
    latitude: pos.lat,
    longitude: pos.lng,
    accuracy: 5,
    heading: state.heading,
    speed: next ? Math.min(moved / seconds, 49) : 0,
    course: next ? state.heading : null,
    acceleration: { x: jitter(), y: jitter(), z: 9.81 + jitter() },
  };
  state.position = pos;
  state.lastSent = { at: now, pos };
  state.inFlight = true;
  try {
    const ack = await connection.invoke('UpdateLocation', update);
    if (ack.accepted) {
      state.confirmed = pos;
      $('#reject').hidden = true;
      $('#cell').textContent = ack.cellId ? `cell ${ack.cellId}` : '';
      // A list is sent only when what is in sight changed (docs/protocol.md), and is then
      // authoritative; without one the page keeps its creatures and recomputes their distances.
      if (Array.isArray(ack.nearby)) {
        const seen = new Set();
        for (const c of ack.nearby) { upsertCreature(c); seen.add(c.creatureId); }
        for (const id of [...state.creatures.keys()]) if (!seen.has(id)) removeCreature(id);
      }
    } else {
      state.position = state.confirmed;
      state.target = null;
      state.queue.length = 0;
      const reject = $('#reject');
      reject.hidden = false;
      setStatus(reject, `fix #${ack.seq} rejected: ${ack.reason}`, 'bad');
      log(`rejected fix #${ack.seq}: ${ack.reason}`);
    }
  } catch (err) {
    state.position = state.confirmed;
    log(`UpdateLocation failed: ${err.message ?? err}`);
  } finally {
    state.inFlight = false;
    showPosition();
    renderCreatures();
  }
}

async function throwAt(c) {
  const result = $('#capture-result');
  setStatus(result, `throwing at ${c.species}…`);
  try {
    const r = await connectionRef.invoke('TryCapture', { creatureId: c.creatureId, attemptId: randomId() });
    const who = r.winnerPlayerId ? (r.winnerPlayerId === state.playerId ? 'you' : r.winnerPlayerId) : null;
    const dist = r.distanceMeters != null ? ` at ${Math.round(r.distanceMeters)} m` : '';
    const text = {
      captured: `captured ${c.species}${dist}! winner: ${who}`,
      alreadyCaptured: `${c.species} was already caught – winner: ${who}`,
      escaped: `${c.species} escaped${dist} – throw again`,
      tooFar: `too far${dist} – get within 50 m`,
      expired: `${c.species} has left`,
      notFound: `${c.species} is gone`,
      rejected: 'throw rejected (too many anti-spoofing strikes?)',
    }[r.outcome] ?? r.outcome;
    setStatus(result, text, r.outcome === 'captured' ? 'ok' : r.outcome === 'escaped' || r.outcome === 'tooFar' ? '' : 'bad');
    result.dataset.outcome = r.outcome;
    log(`throw at ${c.species}: ${r.outcome}`);
    if (['captured', 'alreadyCaptured', 'expired', 'notFound'].includes(r.outcome)) {
      removeCreature(c.creatureId);
      renderCreatures();
    }
  } catch (err) {
    setStatus(result, `throw failed: ${err.message ?? err}`, 'bad');
  }
}

const KEYS = { ArrowUp: 0, ArrowRight: 90, ArrowDown: 180, ArrowLeft: 270, w: 0, d: 90, s: 180, a: 270 };
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement) return;
  const bearing = KEYS[e.key];
  if (bearing === undefined) return;
  // No page scroll, and no other handler (the map's) acts on a key that is a step.
  e.preventDefault();
  e.stopPropagation();
  state.target = null;
  if (state.queue.length < 20) state.queue.push(bearing);
}, { capture: true }); // capture: before any handler on the map container sees the key
map.on('click', (e) => walkTo({ lat: e.latlng.lat, lng: e.latlng.lng }));

let connectionRef;
try {
  setStatus($('#status'), 'logging in…');
  const session = await login();
  state.playerId = session.playerId;
  $('#player-id').textContent = session.playerId;
  $('#protocol').textContent = protocol;
  const connection = buildConnection(session.token);
  connectionRef = connection;
  connection.on('creatureSpawned', (c) => { upsertCreature(c); renderCreatures(); });
  connection.on('creatureDespawned', (d) => { removeCreature(d.creatureId); renderCreatures(); });
  connection.on('creatureCaptured', (c) => {
    log(`${c.species} captured by ${c.winnerPlayerId === state.playerId ? 'you' : c.winnerPlayerId} at ${fmtTime(c.capturedAt)}`);
    removeCreature(c.creatureId);
    renderCreatures();
  });
  connection.on('locationRejected', (r) => log(`rejected fix #${r.seq}: ${r.reason}`));
  connection.onreconnecting(() => setStatus($('#status'), 'reconnecting…', 'bad'));
  connection.onreconnected(() => setStatus($('#status'), 'connected', 'ok'));
  // A ban arrives as `banned` just before the server closes the connection; a banned reconnect is
  // refused with the reason in the close frame (error message).
  connection.on('banned', (b) => { state.banned = b.reason; setStatus($('#status'), b.reason, 'bad'); });
  connection.onclose((err) => {
    const banned = state.banned ?? (/banned: .*/.exec(err?.message ?? '')?.[0]);
    setStatus($('#status'), banned ?? 'disconnected', 'bad');
    if (banned) $('#status').dataset.banned = 'true';
  });
  await connection.start();
  setStatus($('#status'), 'connected', 'ok');
  // Server-authoritative: a player the server already placed elsewhere resumes there rather than
  // teleporting (which the speed check would reject and count as a strike).
  const known = await connection.invoke('GetState');
  if (known.latitude != null && distanceMeters(start, { lat: known.latitude, lng: known.longitude }) > 50) {
    state.position = state.confirmed = { lat: known.latitude, lng: known.longitude };
    map.setView([known.latitude, known.longitude]);
    log('resuming at your last accepted position');
  }
  if (known.seq != null && known.seq >= state.seq) state.seq = known.seq;
  showPosition();
  setInterval(() => tick(connection), TICK_MS);
  tick(connection);
  $('#map').focus();
  window.gameBackend = { state, connection, map };
} catch (err) {
  setStatus($('#status'), `error: ${err.message ?? err}`, 'bad');
}
