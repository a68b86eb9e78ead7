// Drawing a neighbourhood's boundary on a map, by pointer or by keyboard (move the map so the cross is where
// a corner goes, then add it). The form works without this file: choose areas or upload a boundary instead.
import { Map as MapLibreMap, NavigationControl, setWorkerUrl } from '__MAPLIBRE__';

setWorkerUrl(new URL('__MAPLIBRE_WORKER__', window.location.href).href);

function start(element) {
  const data = element.dataset;
  const section = element.closest('[data-pw-draw-section]');
  const input = document.getElementById(data.input);
  const status = section.querySelector('[data-pw-draw-status]');
  // Drawing chooses the form's "draw" option (named by data-how where a form calls it something else).
  const how = document.querySelector(`input[name="how"][value="${data.how ?? 'draw'}"]`);
  const [west, south, east, north] = data.bounds.split(',').map(Number);
  const corners = [];
  let map;
  try {
    map = new MapLibreMap({
      container: element,
      bounds: [
        [west, south],
        [east, north],
      ],
      maxZoom: 17,
      attributionControl: false,
      style: {
        version: 8,
        sources: {
          areas: { type: 'vector', tiles: [window.location.origin + data.tiles], minzoom: 0, maxzoom: 14 },
          drawing: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': '#f3f2f1' } },
          { id: 'areas', type: 'line', source: 'areas', 'source-layer': data.layer, paint: { 'line-color': '#505a5f', 'line-width': 0.6 } },
          { id: 'shape', type: 'fill', source: 'drawing', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#1d70b8', 'fill-opacity': 0.25 } },
          { id: 'outline', type: 'line', source: 'drawing', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#1d70b8', 'line-width': 2.5 } },
          { id: 'corners', type: 'circle', source: 'drawing', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 5, 'circle-color': '#ffffff', 'circle-stroke-color': '#1d70b8', 'circle-stroke-width': 2 } },
        ],
      },
    });
  } catch {
    return; // No WebGL: the fallback text stays, and the other ways of making a neighbourhood work.
  }
  section.querySelectorAll('[data-pw-draw-needs-script]').forEach((e) => e.removeAttribute('hidden'));
  section.querySelector('.pw-map__fallback')?.remove();
  map.getCanvas().setAttribute('aria-label', 'Map for drawing the boundary. Move the map with the arrow keys so the cross is where a corner goes, then press Enter to add it.');
  map.addControl(new NavigationControl({ showCompass: false }));

  const update = () => {
    const ring = corners.length >= 3 ? [...corners, corners[0]] : corners;
    const features = corners.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} }));
    if (corners.length >= 3) features.push({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: {} });
    else if (corners.length === 2) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: corners }, properties: {} });
    map.getSource('drawing')?.setData({ type: 'FeatureCollection', features });
    input.value = corners.length >= 3 ? JSON.stringify({ type: 'Polygon', coordinates: [ring] }) : '';
    status.textContent = corners.length === 0 ? 'No corners yet.' : `${corners.length} corner${corners.length === 1 ? '' : 's'}${corners.length < 3 ? ': add at least 3' : ': the shape is closed for you'}.`;
    if (how && corners.length) how.checked = true;
  };
  const add = (lngLat) => {
    corners.push([Number(lngLat.lng.toFixed(6)), Number(lngLat.lat.toFixed(6))]);
    update();
  };
  map.on('click', (event) => add(event.lngLat));
  map.getCanvas().addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      add(map.getCenter());
    } else if (event.key === 'Backspace' || event.key === 'Delete') {
      event.preventDefault();
      corners.pop();
      update();
    }
  });
  section.querySelector('[data-pw-draw-add]')?.addEventListener('click', () => add(map.getCenter()));
  section.querySelector('[data-pw-draw-undo]')?.addEventListener('click', () => {
    corners.pop();
    update();
  });
  section.querySelector('[data-pw-draw-clear]')?.addEventListener('click', () => {
    corners.length = 0;
    update();
  });
  update();
}

document.querySelectorAll('[data-pw-draw]').forEach(start);
