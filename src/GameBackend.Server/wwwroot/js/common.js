// Shared by the demo pages: geo maths, the tile-less map with a graticule, small DOM helpers.
/* global L */

const EARTH_RADIUS = 6371008.8;
const rad = (d) => (d * Math.PI) / 180;
const deg = (r) => (r * 180) / Math.PI;

export const params = new URLSearchParams(location.search);

/** Great-circle distance in metres. */
export function distanceMeters(a, b) {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDegrees(a, b) {
  const y = Math.sin(rad(b.lng - a.lng)) * Math.cos(rad(b.lat));
  const x = Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) - Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lng - a.lng));
  return (deg(Math.atan2(y, x)) + 360) % 360;
}

/** The point `meters` away from p along `bearing` degrees. */
export function destination(p, bearing, meters) {
  const d = meters / EARTH_RADIUS;
  const b = rad(bearing);
  const lat1 = rad(p.lat);
  const lng1 = rad(p.lng);
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b));
  const lng2 = lng1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return { lat: deg(lat2), lng: ((deg(lng2) + 540) % 360) - 180 };
}

const COMPASS = ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west'];
export const compass = (bearing) => COMPASS[Math.round((((bearing % 360) + 360) % 360) / 45) % 8];

export const RARITY_COLORS = {
  common: '#5d7d4e', uncommon: '#2f6f9f', rare: '#7b4fb0', epic: '#c0562f', legendary: '#e0b020',
};

export const randomId = () =>
  (globalThis.crypto?.randomUUID?.() ?? Array.from({ length: 4 }, () => Math.random().toString(16).slice(2, 10)).join('-'));

export function $(selector) {
  return document.querySelector(selector);
}

export function setStatus(el, text, kind) {
  el.textContent = text;
  el.className = 'status' + (kind ? ' ' + kind : '');
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

/**
 * A tooltip body for Leaflet: a DOM node holding `text` as text. Leaflet renders a string tooltip as
 * HTML, so a zone or species name passed as a string would run as markup in the viewer's browser.
 */
export function tip(text) {
  const node = document.createElement('span');
  node.textContent = text;
  return node;
}

/** `text` escaped for the few Leaflet APIs that only take HTML strings (the map attribution). */
export const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Tile settings come only from the server's configuration (Web:TileUrl, served as /config.json),
 * never from the page's URL: a link must not point the map, or its attribution, anywhere.
 */
async function tileConfig() {
  try {
    const res = await fetch('config.json', { cache: 'no-store' });
    return res.ok ? await res.json() : {};
  } catch {
    return {};
  }
}

/**
 * `options` go to `L.map` (the player page turns Leaflet's keyboard panning off there).
 * A Leaflet map with no tiles by default: a plain background and a light graticule whose spacing
 * follows the zoom (about 100 m lines at street level), so movement is visible offline.
 */
export async function createMap(elementId, center, zoom = 17, options = {}) {
  const map = L.map(elementId, { zoomControl: true, attributionControl: true, ...options }).setView([center.lat, center.lng], zoom);
  const config = await tileConfig();
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: escapeHtml(config.tileAttribution ?? '') }).addTo(map);
  }

  const grid = L.layerGroup().addTo(map);
  const drawGrid = () => {
    grid.clearLayers();
    const b = map.getBounds();
    const spanDeg = Math.max(b.getNorth() - b.getSouth(), 1e-6);
    const step = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20]
      .find((s) => spanDeg / s <= 12) ?? 30;
    const style = { color: '#b9b09c', weight: 1, opacity: 0.6, interactive: false };
    for (let lat = Math.floor(b.getSouth() / step) * step; lat <= b.getNorth(); lat += step) {
      grid.addLayer(L.polyline([[lat, b.getWest()], [lat, b.getEast()]], style));
    }
    for (let lng = Math.floor(b.getWest() / step) * step; lng <= b.getEast(); lng += step) {
      grid.addLayer(L.polyline([[b.getSouth(), lng], [b.getNorth(), lng]], style));
    }
  };
  map.on('moveend zoomend resize', drawGrid);
  drawGrid();
  L.control.scale({ imperial: false }).addTo(map);
  return map;
}

/** Draws a GeoJSON geometry (Polygon or MultiPolygon, [lng, lat]) as Leaflet polygons. */
export function geometryLayer(geometry, style) {
  return L.geoJSON(geometry, { style: () => style, interactive: true });
}

export const fmtTime = (ms) => new Date(ms).toLocaleTimeString();
