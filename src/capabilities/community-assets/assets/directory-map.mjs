// The directory search page's script: the results on a map, and "use my location". The page works without
// it: the list is the page, and a postcode or place name finds what is near.
// MapLibre is loaded only when there is a map to draw, so "use my location" alone costs no more than this file.
const maplibreUrl = '__MAPLIBRE__';
const maplibreWorkerUrl = '__MAPLIBRE_WORKER__';

const resultColour = '#1d70b8';

/** A circle of `metres` round [lon, lat], as a ring of points (good enough at these sizes, on a map). */
function circle([lon, lat], metres) {
  const ring = [];
  const perDegreeLat = 110_574;
  const perDegreeLon = 111_320 * Math.cos((lat * Math.PI) / 180);
  for (let i = 0; i <= 64; i++) {
    const theta = (2 * Math.PI * i) / 64;
    ring.push([lon + (metres * Math.cos(theta)) / perDegreeLon, lat + (metres * Math.sin(theta)) / perDegreeLat]);
  }
  return { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: ring } };
}

async function start(element) {
  const data = element.dataset;
  const results = JSON.parse(document.getElementById(data.results).textContent);
  const details = element.parentElement.querySelector('[data-pw-map-details]');
  const [west, south, east, north] = data.bounds.split(',').map(Number);
  const centre = results.centre;
  const context = [];
  if (centre) context.push({ type: 'Feature', properties: { role: 'centre' }, geometry: { type: 'Point', coordinates: centre.coordinates } });
  if (centre?.metres) context.push(circle(centre.coordinates, centre.metres));
  let map;
  let maplibre;
  try {
    maplibre = await import(maplibreUrl);
    maplibre.setWorkerUrl(new URL(maplibreWorkerUrl, window.location.href).href);
    map = new maplibre.Map({
      container: element,
      bounds: [
        [west, south],
        [east, north],
      ],
      fitBoundsOptions: { padding: 32 },
      maxZoom: 17,
      attributionControl: false,
      style: {
        version: 8,
        sources: {
          ...(data.tiles ? { areas: { type: 'vector', tiles: [window.location.origin + data.tiles], minzoom: 0, maxzoom: 14 } } : {}),
          ...(data.basemap ? { basemap: { type: 'raster', tiles: [data.basemap], tileSize: 256, maxzoom: 19 } } : {}),
          context: { type: 'geojson', data: { type: 'FeatureCollection', features: context } },
          results: { type: 'geojson', data: results.features },
        },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': '#f3f2f1' } },
          ...(data.basemap ? [{ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-saturation': -0.6 } }] : []),
          // Ward boundaries, faint, so the dots have somewhere to be when there is no basemap.
          ...(data.tiles ? [{ id: 'areas', type: 'line', source: 'areas', 'source-layer': data.layer, paint: { 'line-color': '#505a5f', 'line-opacity': 0.5, 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.3, 14, 1.2] } }] : []),
          { id: 'reach', type: 'line', source: 'context', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#0b0c0c', 'line-width': 1.5, 'line-dasharray': [3, 2] } },
          // Where the search was centred: a ring, not a dot, so it differs from the results by shape as well as colour.
          { id: 'centre', type: 'circle', source: 'context', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 8, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#0b0c0c', 'circle-stroke-width': 3 } },
          { id: 'results', type: 'circle', source: 'results', paint: { 'circle-color': resultColour, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 5, 15, 9] } },
        ],
      },
    });
  } catch {
    return; // No WebGL, or MapLibre could not load: the fallback text stays.
  }
  element.querySelector('.pw-map__fallback')?.remove();
  map.once('idle', () => element.setAttribute('data-pw-map-drawn', ''));
  map.on('error', (event) => element.setAttribute('data-pw-map-error', String(event.error?.message ?? event.error)));
  map.getCanvas().setAttribute('aria-label', `${data.label}. The list below gives every result on this page.`);
  map.addControl(new maplibre.NavigationControl({ showCompass: false }));

  const describe = (feature) => {
    const p = feature.properties;
    return `${p.position}. ${p.name}${p.where ? `, ${p.where}` : ''}${p.distance ? ` (${p.distance} away)` : ''}. Press Enter or click to open its page.`;
  };
  const show = (feature) => {
    if (details) details.textContent = feature ? describe(feature) : '';
  };
  const open = (feature) => {
    if (feature) window.location.href = feature.properties.url;
  };
  // Within a few pixels of the cross, so a keyboard user need not land exactly on a dot.
  const atCentre = () => {
    const { x, y } = map.project(map.getCenter());
    return map.queryRenderedFeatures(
      [
        [x - 8, y - 8],
        [x + 8, y + 8],
      ],
      { layers: ['results'] },
    )[0];
  };
  map.on('mousemove', 'results', (event) => {
    map.getCanvas().style.cursor = 'pointer';
    show(event.features[0]);
  });
  map.on('mouseleave', 'results', () => {
    map.getCanvas().style.cursor = '';
  });
  map.on('click', 'results', (event) => open(event.features[0]));
  map.on('moveend', () => {
    if (element.contains(document.activeElement)) show(atCentre());
  });
  map.getCanvas().addEventListener('focus', () => show(atCentre()));
  map.getCanvas().addEventListener('keydown', (event) => {
    if (event.key === 'Enter') open(atCentre());
  });
}

/**
 * "Use my location": the browser's position fills the form's hidden fields, rounded to about 100 metres (the
 * address bar and the server's logs need no more), and the search runs from there. Typing a postcode or place
 * instead clears it.
 */
function nearMe(form) {
  const button = form.querySelector('[data-pw-near-me]');
  const status = form.querySelector('[data-pw-near-me-status]');
  const where = form.querySelector('input[name="where"]');
  const lat = form.querySelector('input[name="lat"]');
  const lon = form.querySelector('input[name="lon"]');
  const area = form.querySelector('input[name="area"]');
  if (!button || !lat || !lon || !('geolocation' in navigator)) return;
  button.hidden = false;
  where?.addEventListener('input', () => {
    lat.value = '';
    lon.value = '';
  });
  button.addEventListener('click', () => {
    status.textContent = 'Finding where you are…';
    navigator.geolocation.getCurrentPosition(
      (position) => {
        lat.value = position.coords.latitude.toFixed(3);
        lon.value = position.coords.longitude.toFixed(3);
        if (where) where.value = '';
        if (area) area.value = '';
        status.textContent = 'Searching near you…';
        form.requestSubmit ? form.requestSubmit() : form.submit();
      },
      () => {
        status.textContent = 'Your location could not be found. Enter your postcode instead.';
      },
      { enableHighAccuracy: false, timeout: 15_000, maximumAge: 300_000 },
    );
  });
}

document.querySelectorAll('form[data-pw-directory-search]').forEach(nearMe);
document.querySelectorAll('[data-pw-directory-map]').forEach(start);
