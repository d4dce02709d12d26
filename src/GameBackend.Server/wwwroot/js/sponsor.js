// Sponsor console: sign in with sponsor id + API key, draw and edit zones, read zone analytics.
/* global L */
import { $, el, params, setStatus, createMap, geometryLayer, tip } from './common.js';

const start = { lat: Number(params.get('lat') ?? 52.5296), lng: Number(params.get('lng') ?? 13.4014) };
const map = await createMap('map', start, 16);
const zoneLayer = L.layerGroup().addTo(map);
const draftLayer = L.layerGroup().addTo(map);

const session = { sponsorId: null, apiKey: null };
const editor = { zoneId: null, circle: null, polygon: [] };
let species = [];
let zones = [];
let budgets = new Map();

const STATUS_TEXT = {
  active: 'active', paused_budget: 'paused: budget', pending_approval: 'pending approval', rejected: 'rejected',
};
const money = (v) => (v == null ? '—' : Number(v).toFixed(2));

async function api(path, options = {}) {
  const res = await fetch(`api/sponsors/${encodeURIComponent(session.sponsorId)}${path}`, {
    ...options,
    headers: { 'X-Api-Key': session.apiKey, ...(options.body ? { 'Content-Type': 'application/json' } : {}) },
  });
  if (res.status === 204) return null;
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (!res.ok) {
    const details = body?.errors ? Object.entries(body.errors).map(([k, v]) => `${k}: ${v.join(' ')}`).join('; ') : body?.detail ?? '';
    throw new Error(`${res.status} ${body?.title ?? res.statusText}${details ? ' – ' + details : ''}`);
  }
  return body;
}

function shape() {
  return document.querySelector('input[name=shape]:checked').value;
}

function drawDraft() {
  draftLayer.clearLayers();
  const style = { color: '#c0562f', weight: 2, dashArray: '6 4', fillOpacity: 0.1 };
  if (shape() === 'circle' && editor.circle) {
    draftLayer.addLayer(L.circle([editor.circle.lat, editor.circle.lng], { ...style, radius: Number($('#radius').value) || 1 }));
    $('#shape-info').textContent = `circle at ${editor.circle.lat.toFixed(5)}, ${editor.circle.lng.toFixed(5)}, ${$('#radius').value} m`;
  } else if (shape() === 'polygon' && editor.polygon.length > 0) {
    draftLayer.addLayer(L.polygon(editor.polygon.map((p) => [p.lat, p.lng]), style));
    editor.polygon.forEach((p) => draftLayer.addLayer(L.circleMarker([p.lat, p.lng], { radius: 4, color: '#c0562f' })));
    $('#shape-info').textContent = `polygon with ${editor.polygon.length} corner(s)${editor.polygon.length < 3 ? ' – needs 3' : ''}`;
  } else {
    $('#shape-info').textContent = 'no shape yet';
  }
}

function drawZones() {
  zoneLayer.clearLayers();
  for (const z of zones) {
    const selected = z.id === editor.zoneId;
    const style = { color: selected ? '#2f6f5e' : '#4b6cb7', weight: selected ? 3 : 2, fillOpacity: 0.15 };
    const layer = geometryLayer(z.effectiveArea, style).bindTooltip(tip(z.name + (z.clipped ? ' (clipped by an exclusion zone)' : '')));
    layer.on('click', () => selectZone(z));
    zoneLayer.addLayer(layer);
  }
}

function statusBadge(status) {
  return el('span', { class: `zone-status ${status}` }, STATUS_TEXT[status] ?? status);
}

function renderZoneList() {
  $('#zones').replaceChildren(...zones.map((z) => el('li', { dataset: { zoneId: z.id } },
    el('span', { class: 'label' }, z.name, el('span', { class: 'muted' }, ` · ${z.kind} · ${z.spawnsPerHour}/h · max ${z.maxAlive}${z.clipped ? ' · clipped' : ''}`)),
    ...(budgets.has(z.id) ? [statusBadge(budgets.get(z.id).status)] : []),
    el('button', { type: 'button', onclick: () => selectZone(z) }, 'Edit'))));
  if (zones.length === 0) $('#zones').append(el('li', { class: 'muted' }, 'No zones yet: draw one below.'));
}

async function loadZones() {
  [zones] = await Promise.all([api('/zones'), loadBudgets()]);
  renderZoneList();
  drawZones();
}

/** Fills a table's body with rows of cell texts; `num` columns are right-aligned. */
function fillTable(table, rows, numericFrom = 1) {
  table.tBodies[0].replaceChildren(...rows.map((cells) => el('tr', {},
    ...cells.map((c, i) => el('td', i >= numericFrom ? { class: 'num' } : {}, String(c))))));
}

async function loadBudgets() {
  const list = await api('/budgets');
  budgets = new Map(list.map((b) => [b.zoneId, b]));
  fillTable($('#budgets'), list.map((b) => [
    b.zoneName, STATUS_TEXT[b.status] ?? b.status, money(b.pricePerVisit), money(b.spentToday),
    b.leftToday == null ? 'no limit' : money(b.leftToday), b.leftTotal == null ? 'no limit' : money(b.leftTotal),
  ]), 2);
  // The status column reads as a badge, like the zone list.
  [...$('#budgets').tBodies[0].rows].forEach((row, i) => row.cells[1].replaceChildren(statusBadge(list[i].status)));
  return list;
}

/**
 * CSV of what a table shows (header + rows), downloaded as a file. Cells that a spreadsheet would
 * run as a formula (= + - @ at the start) get a leading apostrophe: zone names are sponsor text.
 */
function tableCsv(table) {
  const cell = (text) => {
    const t = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
    return /[",\r\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
  };
  return [...table.rows].map((r) => [...r.cells].map((c) => cell(c.textContent.trim())).join(',')).join('\r\n') + '\r\n';
}

function download(name, blob) {
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// Every data table gets its own CSV button.
document.querySelectorAll('table.data').forEach((table) => table.after(el('button', {
  type: 'button', class: 'csv', dataset: { table: table.id },
  onclick: () => download(`${table.dataset.csv}.csv`, new Blob([tableCsv(table)], { type: 'text/csv' })),
}, 'Download CSV')));

function renderSpecies(weights = {}) {
  $('#species').replaceChildren(...species.map((s) => el('div', { class: 'row' },
    el('label', { for: `w-${s.id}`, class: `rarity-${s.rarity}` }, `${s.name} (${s.rarity})`),
    el('input', { id: `w-${s.id}`, type: 'number', min: '0', step: 'any', value: String(weights[s.id] ?? 0), dataset: { speciesId: s.id } }))));
}

const toLocalInput = (iso) => (iso ? new Date(new Date(iso).getTime() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : '');

function resetEditor() {
  editor.zoneId = null;
  editor.circle = null;
  editor.polygon = [];
  $('#editor').reset();
  $('#editor-title').textContent = 'New zone';
  $('#save').textContent = 'Create zone';
  $('#delete').hidden = true;
  $('#analytics').hidden = true;
  $('#budget-form').hidden = true;
  $('#budget-status').hidden = true;
  renderSpecies();
  drawDraft();
  drawZones();
}

function selectZone(z) {
  resetEditor();
  editor.zoneId = z.id;
  $('#editor-title').textContent = `Edit “${z.name}”`;
  $('#save').textContent = 'Save changes';
  $('#delete').hidden = false;
  $('#zone-name').value = z.name;
  if (z.kind === 'circle') {
    document.querySelector('input[name=shape][value=circle]').checked = true;
    editor.circle = { lat: z.circle.latitude, lng: z.circle.longitude };
    $('#radius').value = z.circle.radiusMeters;
  } else {
    document.querySelector('input[name=shape][value=polygon]').checked = true;
    editor.polygon = z.polygon.coordinates[0].slice(0, -1).map(([lng, lat]) => ({ lat, lng }));
  }
  renderSpecies(Object.fromEntries(z.species.map((s) => [s.speciesId, s.weight])));
  $('#spawns').value = z.spawnsPerHour;
  $('#max-alive').value = z.maxAlive;
  $('#schedule-tz').value = z.schedule?.timeZone ?? '';
  $('#schedule').value = (z.schedule?.windows ?? []).map((w) => `${w.day} ${w.start}-${w.end}`).join('\n');
  $('#starts').value = toLocalInput(z.startsAt);
  $('#ends').value = toLocalInput(z.endsAt);
  const b = budgets.get(z.id);
  $('#budget-form').hidden = false;
  $('#price').value = b?.pricePerVisit ?? 0;
  $('#min-dwell').value = b?.minDwellSeconds ?? 60;
  $('#daily-budget').value = b?.dailyBudget ?? '';
  $('#total-budget').value = b?.totalBudget ?? '';
  drawDraft();
  drawZones();
  loadAnalytics(z.id);
}

function body() {
  const b = {
    name: $('#zone-name').value.trim(),
    species: [...document.querySelectorAll('#species input')]
      .filter((i) => Number(i.value) > 0)
      .map((i) => ({ speciesId: i.dataset.speciesId, weight: Number(i.value) })),
    spawnsPerHour: Number($('#spawns').value),
    maxAlive: Number($('#max-alive').value),
    schedule: null,
    startsAt: $('#starts').value ? new Date($('#starts').value).toISOString() : null,
    endsAt: $('#ends').value ? new Date($('#ends').value).toISOString() : null,
  };
  if (shape() === 'circle') {
    if (!editor.circle) throw new Error('click the map to place the circle');
    b.circle = { latitude: editor.circle.lat, longitude: editor.circle.lng, radiusMeters: Number($('#radius').value) };
  } else {
    if (editor.polygon.length < 3) throw new Error('a polygon needs at least 3 corners');
    const ring = editor.polygon.map((p) => [p.lng, p.lat]);
    b.polygon = { type: 'Polygon', coordinates: [[...ring, ring[0]]] };
  }
  const lines = $('#schedule').value.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length > 0) {
    b.schedule = {
      timeZone: $('#schedule-tz').value.trim() || Intl.DateTimeFormat().resolvedOptions().timeZone,
      windows: lines.map((l) => {
        const m = /^(\w+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/.exec(l);
        if (!m) throw new Error(`schedule line “${l}”: write e.g. “monday 08:00-11:00”`);
        return { day: m[1].toLowerCase(), start: m[2].padStart(5, '0'), end: m[3].padStart(5, '0') };
      }),
    };
  }
  return b;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and optional text (never HTML). */
function make(tag, attrs, text) {
  const n = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}

/** Clears a chart; false (after saying so in the chart) when there is nothing to draw. */
function startChart(svg, rows, h) {
  svg.replaceChildren();
  if (rows.length > 0) return true;
  svg.append(make('text', { x: 8, y: h / 2, 'font-size': 12, fill: '#8a826f' }, 'no data yet'));
  return false;
}

/** A bar chart in SVG: one bar per item, value labels on top, null (suppressed) bars shown hatched. */
function barChart(svg, items) {
  const w = svg.clientWidth || 320;
  const h = svg.clientHeight || 120;
  const max = Math.max(1, ...items.map((i) => i.value ?? 0));
  const bw = items.length ? w / items.length : w;
  if (!startChart(svg, items, h)) return;
  items.forEach((item, i) => {
    const x = i * bw + 2;
    const barH = item.value == null ? h - 30 : ((h - 30) * item.value) / max;
    svg.append(make('rect', {
      x, y: h - 16 - barH, width: Math.max(1, bw - 4), height: barH,
      fill: item.value == null ? '#e5dfd1' : '#2f6f5e', class: 'bar',
    }));
    svg.append(make('text', { x: x + bw / 2 - 2, y: h - 19 - barH, 'text-anchor': 'middle', 'font-size': 10 }, item.value == null ? '–' : String(item.value)));
    svg.append(make('text', { x: x + bw / 2 - 2, y: h - 4, 'text-anchor': 'middle', 'font-size': 10, fill: '#6b6356' }, item.label));
  });
}

const SERIES = [
  { key: 'shown', label: 'shown', color: '#8a9bc2' },
  { key: 'visited', label: 'visited', color: '#2f6f5e' },
  { key: 'captured', label: 'captured', color: '#c0562f' },
];

/** Grouped bars in SVG, one group per day and one bar per series; withheld days are hatched. */
function funnelChart(svg, days) {
  const w = svg.clientWidth || 320;
  const h = svg.clientHeight || 160;
  if (!startChart(svg, days, h)) return;
  SERIES.forEach((s, i) => {
    svg.append(make('rect', { x: 6 + i * 70, y: 4, width: 10, height: 10, fill: s.color }));
    svg.append(make('text', { x: 20 + i * 70, y: 13, 'font-size': 11, class: 'legend' }, s.label));
  });
  const top = 20;
  const plot = h - top - 16;
  const max = Math.max(1, ...days.flatMap((d) => SERIES.map((s) => d[s.key] ?? 0)));
  const gw = w / days.length;
  const bw = Math.max(2, (gw - 8) / SERIES.length);
  days.forEach((d, i) => {
    const x0 = i * gw + 4;
    SERIES.forEach((s, j) => {
      const v = d[s.key];
      const barH = v == null ? plot - 12 : (plot - 12) * (v / max);
      svg.append(make('rect', {
        x: x0 + j * bw, y: top + plot - barH, width: Math.max(1, bw - 1), height: barH,
        fill: v == null ? '#e5dfd1' : s.color, class: `bar funnel-${s.key}`,
      }));
      svg.append(make('text', { x: x0 + j * bw + bw / 2, y: top + plot - barH - 2, 'text-anchor': 'middle', 'font-size': 9 }, v == null ? '–' : String(v)));
    });
    svg.append(make('text', { x: x0 + gw / 2 - 4, y: h - 4, 'text-anchor': 'middle', 'font-size': 10, fill: '#6b6356' }, d.day.slice(5)));
  });
}

const dwellLabel = (b) => (b.toSeconds == null ? `${b.fromSeconds / 60} min +` : b.fromSeconds === 0 ? `< ${b.toSeconds / 60} min` : `${b.fromSeconds / 60}–${b.toSeconds / 60} min`);

async function loadAnalytics(zoneId) {
  const to = new Date();
  const from = new Date(to.getTime() - 7 * 86400000);
  const q = `zoneId=${zoneId}&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
  $('#analytics').hidden = false;
  try {
    const [visits, dwell, captures, funnel, histogram] = await Promise.all([
      api(`/analytics/visits?${q}&bucket=day`), api(`/analytics/dwell?${q}`), api(`/analytics/captures?${q}`),
      api(`/analytics/funnel?${q}`), api(`/analytics/dwell-histogram?${q}`),
    ]);
    funnelChart($('#chart-funnel'), funnel.data);
    const shown = (v) => (v == null ? 'withheld' : v);
    fillTable($('#funnel'), funnel.data.map((d) => [d.day, shown(d.shown), shown(d.visited), shown(d.qualified), shown(d.captured)]));
    barChart($('#chart-dwell'), histogram.data.map((b) => ({ label: dwellLabel(b), value: b.visits })));
    fillTable($('#dwell-table'), histogram.data.map((b) => [dwellLabel(b), shown(b.visits), shown(b.uniquePlayers)]));
    $('#k').textContent = visits.minUniquePlayers;
    barChart($('#chart-visits'), visits.data.map((b) => ({ label: new Date(b.start).toLocaleDateString(undefined, { weekday: 'short' }), value: b.visits })));
    const d = dwell.data;
    $('#dwell').textContent = d.suppressed
      ? 'Dwell time: withheld (too few players)'
      : `Dwell time: ${Math.round(d.meanDwellSeconds ?? 0)} s on average over ${d.visits} visits by ${d.uniquePlayers} players`;
    barChart($('#chart-captures'), captures.data.map((c) => ({ label: c.species, value: c.captures })));
  } catch (err) {
    $('#dwell').textContent = `analytics unavailable: ${err.message}`;
  }
}

map.on('click', (e) => {
  if (shape() === 'circle') editor.circle = { lat: e.latlng.lat, lng: e.latlng.lng };
  else editor.polygon.push({ lat: e.latlng.lat, lng: e.latlng.lng });
  drawDraft();
});
$('#radius').addEventListener('input', drawDraft);
document.querySelectorAll('input[name=shape]').forEach((r) => r.addEventListener('change', drawDraft));
$('#clear-shape').addEventListener('click', () => { editor.circle = null; editor.polygon = []; drawDraft(); });
$('#new-zone').addEventListener('click', resetEditor);

$('#editor').addEventListener('submit', async (e) => {
  e.preventDefault();
  const status = $('#editor-status');
  status.hidden = false;
  try {
    const b = body();
    const saved = editor.zoneId
      ? await api(`/zones/${editor.zoneId}`, { method: 'PUT', body: JSON.stringify(b) })
      : await api('/zones', { method: 'POST', body: JSON.stringify(b) });
    setStatus(status, `saved “${saved.name}”${saved.clipped ? ' (clipped by an exclusion zone)' : ''}`, 'ok');
    await loadZones();
    selectZone(zones.find((z) => z.id === saved.id) ?? saved);
  } catch (err) {
    setStatus(status, err.message, 'bad');
  }
});

$('#delete').addEventListener('click', async () => {
  if (!editor.zoneId) return;
  const status = $('#editor-status');
  status.hidden = false;
  try {
    await api(`/zones/${editor.zoneId}`, { method: 'DELETE' });
    setStatus(status, 'zone deleted', 'ok');
    resetEditor();
    await loadZones();
  } catch (err) {
    setStatus(status, err.message, 'bad');
  }
});

$('#budget-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const status = $('#budget-status');
  status.hidden = false;
  const optional = (id) => ($(id).value === '' ? null : Number($(id).value));
  try {
    const saved = await api(`/zones/${editor.zoneId}/budget`, {
      method: 'PUT',
      body: JSON.stringify({
        pricePerVisit: Number($('#price').value), dailyBudget: optional('#daily-budget'),
        totalBudget: optional('#total-budget'), minDwellSeconds: Number($('#min-dwell').value),
      }),
    });
    setStatus(status, `budget saved: ${STATUS_TEXT[saved.status] ?? saved.status}`, 'ok');
    await loadZones();
  } catch (err) {
    setStatus(status, err.message, 'bad');
  }
});

const month = () => $('#statement-month').value || new Date().toISOString().slice(0, 7);

async function loadStatement() {
  try {
    const s = await api(`/statements/${month()}`);
    fillTable($('#statement'), s.lines.map((l) => [l.day, l.zoneName ?? '(deleted zone)', l.visits, l.chargedVisits, money(l.amount)]), 2);
    $('#statement-total').textContent = `${s.month}: ${s.visits} visits, ${s.chargedVisits} charged, total ${money(s.amount)}`;
  } catch (err) {
    $('#statement-total').textContent = `statement unavailable: ${err.message}`;
  }
}

$('#statement-load').addEventListener('click', loadStatement);
// The server's own CSV (exact amounts, zone ids), fetched with the API key header.
$('#statement-csv').addEventListener('click', async () => {
  const res = await fetch(`api/sponsors/${encodeURIComponent(session.sponsorId)}/statements/${month()}?format=csv`, { headers: { 'X-Api-Key': session.apiKey } });
  if (res.ok) download(`statement-${month()}.csv`, await res.blob());
  else $('#statement-total').textContent = `statement unavailable: ${res.status}`;
});

// A new key replaces the old one at once (a leaked key stops working); it is shown once, here.
$('#rotate-key').addEventListener('click', async () => {
  const status = $('#key-status');
  status.hidden = false;
  try {
    const rotated = await api('/api-key', { method: 'POST' });
    session.apiKey = rotated.apiKey;
    $('#api-key').value = rotated.apiKey;
    sessionStorage.setItem('gb.sponsor', JSON.stringify(session));
    status.dataset.apiKey = rotated.apiKey;
    setStatus(status, `new API key (store it now, it is not shown again): ${rotated.apiKey}`, 'ok');
  } catch (err) {
    setStatus(status, `key not replaced: ${err.message}`, 'bad');
  }
});

$('#signin').addEventListener('submit', async (e) => {
  e.preventDefault();
  session.sponsorId = $('#sponsor-id').value.trim();
  session.apiKey = $('#api-key').value.trim();
  try {
    const sponsor = await api('');
    sessionStorage.setItem('gb.sponsor', JSON.stringify(session));
    setStatus($('#status'), `signed in as ${sponsor.name}`, 'ok');
    species = (await (await fetch('api/species')).json()).species;
    $('#console').hidden = false;
    $('#statement-month').value = new Date().toISOString().slice(0, 7);
    resetEditor();
    await loadZones();
    await loadStatement();
    const all = zones.flatMap((z) => [z.effectiveArea]);
    if (all.length > 0) map.fitBounds(L.geoJSON({ type: 'GeometryCollection', geometries: all }).getBounds(), { maxZoom: 17 });
  } catch (err) {
    setStatus($('#status'), `sign-in failed: ${err.message}`, 'bad');
  }
});

const saved = JSON.parse(sessionStorage.getItem('gb.sponsor') ?? 'null');
if (saved) {
  $('#sponsor-id').value = saved.sponsorId;
  $('#api-key').value = saved.apiKey;
}
