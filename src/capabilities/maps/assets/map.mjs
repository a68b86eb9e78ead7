// Choropleth maps of LSOAs from Patchwork's own vector tiles. The page works without this file: every map
// sits beside a table with the same figures.
import { Map as MapLibreMap, NavigationControl, setWorkerUrl } from '__MAPLIBRE__';

setWorkerUrl(new URL('__MAPLIBRE_WORKER__', window.location.href).href);

function describe(feature, values) {
  const p = feature.properties;
  if (values) {
    const parent = values.within[p.code];
    const figure = values.areas[parent ?? p.code];
    if (!figure) return `${p.name} (${p.code}): no figure.`;
    return parent ? `${p.name} (${p.code}) lies in ${figure[1]}.` : `${figure[1]}.`;
  }
  const rank = p.rank === null || p.rank === undefined ? 'no rank' : `rank ${Number(p.rank).toLocaleString('en-GB')}`;
  const decile = p.decile ? `decile ${p.decile}` : 'no decile';
  return `${p.name} (${p.code}): ${decile}, ${rank}.`;
}

function start(element) {
  const data = element.dataset;
  const colours = data.colours.split(',');
  const [west, south, east, north] = data.bounds.split(',').map(Number);
  const details = element.parentElement.querySelector('[data-pw-map-details]');
  // A map of figures the page computed carries them in the page (code → [band, description]); otherwise
  // the tiles carry each LSOA's national decile.
  const values = data.values ? JSON.parse(document.getElementById(data.values).textContent) : null;
  const bandOf = (code) => values.areas[values.within[code] ?? code]?.[0];
  const drawn = values ? Object.keys(Object.keys(values.within).length ? values.within : values.areas) : [];
  const codesByBand = colours.map((_, i) => drawn.filter((code) => bandOf(code) === i + 1));
  const focused = values ? ['has', ['get', 'code'], ['literal', Object.fromEntries(drawn.map((c) => [c, true]))]] : data.focusProperty ? ['==', ['get', data.focusProperty], data.focusCode] : true;
  const banded = codesByBand.flatMap((codes, i) => (codes.length ? [codes, colours[i]] : []));
  const fill = values
    ? banded.length
      ? ['match', ['get', 'code'], ...banded, '#b1b4b6']
      : '#b1b4b6'
    : ['match', ['get', 'decile'], ...colours.flatMap((c, i) => [i + 1, c]), '#b1b4b6'];
  let map;
  try {
    map = new MapLibreMap({
      container: element,
      bounds: [
        [west, south],
        [east, north],
      ],
      fitBoundsOptions: { padding: 8 },
      maxZoom: 16,
      attributionControl: false,
      style: {
        version: 8,
        sources: {
          areas: { type: 'vector', tiles: [window.location.origin + data.tiles], minzoom: 0, maxzoom: 14 },
          // An optional basemap the installation configured; its credit is printed under the map.
          ...(data.basemap ? { basemap: { type: 'raster', tiles: [data.basemap], tileSize: 256, maxzoom: 19 } } : {}),
        },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': '#f3f2f1' } },
          ...(data.basemap ? [{ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-saturation': -0.6 } }] : []),
          { id: 'fill', type: 'fill', source: 'areas', 'source-layer': data.layer, paint: { 'fill-color': fill, 'fill-opacity': ['case', focused, data.basemap ? 0.7 : 0.9, 0.2] } },
          { id: 'lines', type: 'line', source: 'areas', 'source-layer': data.layer, paint: { 'line-color': '#0b0c0c', 'line-opacity': 0.35, 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 0.05, 12, 0.8] } },
          ...(data.focusProperty ? [{ id: 'focus', type: 'line', source: 'areas', 'source-layer': data.layer, filter: focused, paint: { 'line-color': '#0b0c0c', 'line-width': 1.5 } }] : []),
        ],
      },
    });
  } catch {
    return; // No WebGL: the fallback text stays.
  }
  element.querySelector('.pw-map__fallback')?.remove();
  // Marks when the first view has finished drawing (tests wait on it before looking).
  map.once('idle', () => element.setAttribute('data-pw-map-drawn', ''));
  map.on('error', (event) => element.setAttribute('data-pw-map-error', String(event.error?.message ?? event.error)));
  map.getCanvas().setAttribute('aria-label', `${data.label}. The tables on this page give the same figures.`);
  map.addControl(new NavigationControl({ showCompass: false }));
  const show = (feature) => {
    if (details) details.textContent = feature ? describe(feature, values) : '';
  };
  const open = (feature) => {
    if (feature) window.location.href = data.link.replace('{code}', encodeURIComponent(feature.properties.code));
  };
  const atCentre = () => {
    const centre = map.project(map.getCenter());
    return map.queryRenderedFeatures(centre, { layers: ['fill'] })[0];
  };
  map.on('mousemove', 'fill', (event) => {
    map.getCanvas().style.cursor = 'pointer';
    show(event.features[0]);
  });
  map.on('mouseleave', 'fill', () => {
    map.getCanvas().style.cursor = '';
  });
  map.on('click', 'fill', (event) => open(event.features[0]));
  // By keyboard: the feature under the cross at the centre is the one described and opened.
  map.on('moveend', () => {
    if (element.contains(document.activeElement)) show(atCentre());
  });
  map.getCanvas().addEventListener('focus', () => show(atCentre()));
  map.getCanvas().addEventListener('keydown', (event) => {
    if (event.key === 'Enter') open(atCentre());
  });
}

document.querySelectorAll('[data-pw-map]').forEach(start);
