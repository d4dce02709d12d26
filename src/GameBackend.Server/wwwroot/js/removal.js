// Public removal request: a point + radius or a polygon, a reason and an optional contact, sent to
// POST /api/removal-requests. Server answers are shown as text only.
/* global L */
import { $, params, setStatus, createMap } from './common.js';

const start = { lat: Number(params.get('lat') ?? 52.52), lng: Number(params.get('lng') ?? 13.405) };
const map = await createMap('map', start, 17);
const shape = { point: null, corners: [] };
let drawn = null;

function redraw() {
  drawn?.remove();
  drawn = null;
  const mode = $('#mode').value;
  const info = $('#shape-info');
  if (mode === 'point' && shape.point) {
    const radius = Number($('#radius').value) || 30;
    drawn = L.circle(shape.point, { radius, color: '#7a4fb0', className: 'removal-shape' }).addTo(map);
    info.textContent = `point at ${shape.point.lat.toFixed(5)}, ${shape.point.lng.toFixed(5)}, ${radius} m`;
  } else if (mode === 'polygon' && shape.corners.length > 0) {
    drawn = (shape.corners.length >= 3 ? L.polygon(shape.corners, { color: '#7a4fb0', className: 'removal-shape' }) : L.polyline(shape.corners, { color: '#7a4fb0' })).addTo(map);
    info.textContent = `outline with ${shape.corners.length} corner${shape.corners.length === 1 ? '' : 's'}${shape.corners.length < 3 ? ' (at least 3)' : ''}`;
  } else {
    info.textContent = mode === 'point' ? 'Click the map to mark the place.' : 'Click the map at each corner of the place.';
  }
}

map.on('click', (e) => {
  if ($('#mode').value === 'point') shape.point = e.latlng;
  else shape.corners.push(e.latlng);
  redraw();
});
$('#mode').addEventListener('change', () => { $('#point-fields').hidden = $('#mode').value !== 'point'; redraw(); });
$('#radius').addEventListener('input', redraw);
$('#clear').addEventListener('click', () => { shape.point = null; shape.corners = []; redraw(); });

function body() {
  const base = { reason: $('#reason').value, contact: $('#contact').value || null };
  if ($('#mode').value === 'point') {
    if (!shape.point) return null;
    return { ...base, point: { latitude: shape.point.lat, longitude: shape.point.lng, radiusMeters: Number($('#radius').value) || 30 } };
  }
  if (shape.corners.length < 3) return null;
  const ring = [...shape.corners, shape.corners[0]].map((p) => [p.lng, p.lat]);
  return { ...base, polygon: { type: 'Polygon', coordinates: [ring] } };
}

$('#request').addEventListener('submit', async (e) => {
  e.preventDefault();
  const result = $('#result');
  const request = body();
  if (!request) {
    setStatus(result, 'Mark the place on the map first.', 'bad');
    return;
  }
  setStatus(result, 'sending…');
  try {
    const res = await fetch('api/removal-requests', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request) });
    const answer = await res.json().catch(() => null);
    if (res.status === 201) {
      setStatus(result, `Thank you: request ${answer.id} is waiting for an operator.`, 'ok');
      result.dataset.requestId = answer.id;
    } else {
      const problems = answer?.errors ? Object.values(answer.errors).flat().join(' ') : (answer?.detail ?? `HTTP ${res.status}`);
      setStatus(result, `Not sent: ${problems}`, 'bad');
    }
  } catch (err) {
    setStatus(result, `Not sent: ${err.message ?? err}`, 'bad');
  }
});
redraw();
