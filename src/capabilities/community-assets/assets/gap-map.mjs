// The gap map: an area's 2021 LSOAs from Patchwork's own boundary tiles, coloured by the figures the page carries
// (gap, deprived, other), with the directory records counted drawn as dots. The page works without this file:
// the tables beside the map give the same figures.
import { Map as MapLibreMap, NavigationControl, setWorkerUrl } from '__MAPLIBRE__';

setWorkerUrl(new URL('__MAPLIBRE_WORKER__', window.location.href).href);

const pointColour = '#1d70b8';

function start(element) {
  const data = element.dataset;
  const colours = data.colours.split(',');
  const [west, south, east, north] = data.bounds.split(',').map(Number);
  const details = element.parentElement.querySelector('[data-pw-map-details]');
  // code → [band, description]; bands 1, 2, 3, 4 take the page's colours in order.
  const values = JSON.parse(document.getElementById(data.values).textContent);
  const points = data.points ? JSON.parse(document.getElementById(data.points).textContent) : { type: 'FeatureCollection', features: [] };
  const codes = Object.keys(values.areas);
  const banded = colours.flatMap((colour, i) => {
    const inBand = codes.filter((code) => values.areas[code][0] === i + 1);
    return inBand.length ? [inBand, colour] : [];
  });
  const inArea = ['has', ['get', 'code'], ['literal', Object.fromEntries(codes.map((c) => [c, true]))]];
  let map;
  try {
    map = new MapLibreMap({
      container: element,
      bounds: [
        [west, south],
        [east, north],
      ],
      fitBoundsOptions: { padding: 8 },
      maxZoom: 17,
      attributionControl: false,
      style: {
        version: 8,
        sources: {
          areas: { type: 'vector', tiles: [window.location.origin + data.tiles], minzoom: 0, maxzoom: 14 },
          records: { type: 'geojson', data: points },
          ...(data.basemap ? { basemap: { type: 'raster', tiles: [data.basemap], tileSize: 256, maxzoom: 19 } } : {}),
        },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': '#f3f2f1' } },
          ...(data.basemap ? [{ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-saturation': -0.6 } }] : []),
          {
            id: 'fill',
            type: 'fill',
            source: 'areas',
            'source-layer': data.layer,
            paint: { 'fill-color': banded.length ? ['match', ['get', 'code'], ...banded, '#b1b4b6'] : '#b1b4b6', 'fill-opacity': ['case', inArea, data.basemap ? 0.6 : 0.8, 0.15] },
          },
          { id: 'lines', type: 'line', source: 'areas', 'source-layer': data.layer, paint: { 'line-color': '#0b0c0c', 'line-opacity': ['case', inArea, 0.6, 0.2], 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.2, 14, 1.2] } },
          {
            id: 'records',
            type: 'circle',
            source: 'records',
            paint: { 'circle-color': pointColour, 'circle-stroke-color': '#0b0c0c', 'circle-stroke-width': 1, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 3, 15, 7] },
          },
        ],
      },
    });
  } catch {
    return; // No WebGL: the fallback text stays.
  }
  element.querySelector('.pw-map__fallback')?.remove();
  map.once('idle', () => element.setAttribute('data-pw-map-drawn', ''));
  map.on('error', (event) => element.setAttribute('data-pw-map-error', String(event.error?.message ?? event.error)));
  map.getCanvas().setAttribute('aria-label', `${data.label}. The tables on this page give the same figures.`);
  map.addControl(new NavigationControl({ showCompass: false }));

  const describe = (feature) => {
    if (!feature) return '';
    if (feature.layer.id === 'records') return `Counted: ${feature.properties.text}.`;
    const figure = values.areas[feature.properties.code];
    return figure ? `${figure[1]}.` : `${feature.properties.name} (${feature.properties.code}): outside the area.`;
  };
  // A dot over an LSOA is what the pointer means.
  const under = (point) => map.queryRenderedFeatures(point, { layers: ['records'] })[0] ?? map.queryRenderedFeatures(point, { layers: ['fill'] })[0];
  const show = (feature) => {
    if (details) details.textContent = describe(feature);
  };
  const open = (feature) => {
    if (feature && feature.layer.id === 'fill' && values.areas[feature.properties.code]) window.location.href = data.link.replace('{code}', encodeURIComponent(feature.properties.code));
  };
  const atCentre = () => under(map.project(map.getCenter()));
  map.on('mousemove', (event) => {
    const feature = under(event.point);
    map.getCanvas().style.cursor = feature ? 'pointer' : '';
    show(feature);
  });
  map.on('click', 'fill', (event) => open(event.features[0]));
  map.on('moveend', () => {
    if (element.contains(document.activeElement)) show(atCentre());
  });
  map.getCanvas().addEventListener('focus', () => show(atCentre()));
  map.getCanvas().addEventListener('keydown', (event) => {
    if (event.key === 'Enter') open(under(map.project(map.getCenter())));
  });
}

document.querySelectorAll('[data-pw-gap-map]').forEach(start);
