// Choropleth maps of LSOAs from Patchwork's own vector tiles. The page works without this file: every map
// sits beside a table with the same figures.
import { Map as MapLibreMap, NavigationControl, setWorkerUrl } from '__MAPLIBRE__';

setWorkerUrl(new URL('__MAPLIBRE_WORKER__', window.location.href).href);

// Figures a page carries (code → [band, description]) are keyed by the LSOA's own code, by the area it lies
// in (`within`, for areas without boundaries), or by a tile property naming its district or ward (`property`).
function keyOf(properties, values) {
  if (values.property && values.property !== 'code') return properties[values.property];
  return values.within[properties.code] ?? properties.code;
}

function describe(feature, values) {
  const p = feature.properties;
  if (values) {
    const key = keyOf(p, values);
    const figure = values.areas[key];
    if (!figure) return `${p.name} (${p.code}): no figure.`;
    return key !== p.code ? `${p.name} (${p.code}) lies in ${figure[1]}.` : `${figure[1]}.`;
  }
  const rank = p.rank === null || p.rank === undefined ? 'no rank' : `rank ${Number(p.rank).toLocaleString('en-GB')}`;
  const decile = p.decile ? `decile ${p.decile}` : 'no decile';
  return `${p.name} (${p.code}): ${decile}, ${rank}.`;
}

/** The fill colour and which features are in full colour, for the page's figures or the tiles' deciles. */
function paint(values, colours, data) {
  if (!values) {
    return {
      fill: ['match', ['get', 'decile'], ...colours.flatMap((c, i) => [i + 1, c]), '#b1b4b6'],
      focused: data.focusProperty ? ['==', ['get', data.focusProperty], data.focusCode] : true,
    };
  }
  const byProperty = values.property && values.property !== 'code';
  const input = ['get', byProperty ? values.property : 'code'];
  const codes = byProperty || !Object.keys(values.within).length ? Object.keys(values.areas) : Object.keys(values.within);
  const bandOf = (code) => values.areas[byProperty ? code : (values.within[code] ?? code)]?.[0];
  const banded = colours.flatMap((colour, i) => {
    const inBand = codes.filter((code) => bandOf(code) === i + 1);
    return inBand.length ? [inBand, colour] : [];
  });
  return {
    fill: banded.length ? ['match', input, ...banded, '#b1b4b6'] : '#b1b4b6',
    focused: ['has', input, ['literal', Object.fromEntries(codes.map((c) => [c, true]))]],
  };
}

function start(element) {
  const data = element.dataset;
  const colours = data.colours.split(',');
  const [west, south, east, north] = data.bounds.split(',').map(Number);
  const details = element.parentElement.querySelector('[data-pw-map-details]');
  const pageValues = data.values ? JSON.parse(document.getElementById(data.values).textContent) : null;
  // A map of a table's members may be switched to the LSOAs' own deciles, which the tiles carry.
  let values = pageValues;
  const { fill, focused } = paint(values, colours, data);
  const opacity = (f) => ['case', f, data.basemap ? 0.7 : 0.9, 0.2];
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
          { id: 'fill', type: 'fill', source: 'areas', 'source-layer': data.layer, paint: { 'fill-color': fill, 'fill-opacity': opacity(focused) } },
          { id: 'lines', type: 'line', source: 'areas', 'source-layer': data.layer, paint: { 'line-color': '#0b0c0c', 'line-opacity': 0.35, 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 0.05, 12, 0.8] } },
          ...(data.focusProperty ? [{ id: 'focus', type: 'line', source: 'areas', 'source-layer': data.layer, filter: ['==', ['get', data.focusProperty], data.focusCode], paint: { 'line-color': '#0b0c0c', 'line-width': 1.5 } }] : []),
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
  const choice = element.parentElement.querySelector('[data-pw-map-colour]');
  if (choice) {
    choice.hidden = false;
    choice.addEventListener('change', (event) => {
      values = event.target.value === 'lsoas' ? null : pageValues;
      const next = paint(values, colours, data);
      map.setPaintProperty('fill', 'fill-color', next.fill);
      map.setPaintProperty('fill', 'fill-opacity', opacity(next.focused));
    });
  }
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
