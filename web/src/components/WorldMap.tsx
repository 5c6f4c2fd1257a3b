// The node's place on a world outline drawn from world.geo.json (a coarse outline committed as
// source data): an equirectangular projection in SVG, so the map needs no tile server and works
// offline.
import type { JSX } from 'react';
import world from '../world.geo.json';

interface Geometry { type: 'Polygon'; coordinates: number[][][] }
const features = (world as { features: Array<{ properties: { name: string }; geometry: Geometry }> }).features;

const x = (longitude: number) => longitude + 180;
const y = (latitude: number) => 90 - latitude;
const outline = features.map((f) => ({ name: f.properties.name, d: f.geometry.coordinates.map((ring) => `M${ring.map(([lon = 0, lat = 0]) => `${x(lon).toFixed(1)},${y(lat).toFixed(1)}`).join('L')}Z`).join('') }));

export function WorldMap({ points }: { points: Array<{ latitude: number; longitude: number; label: string }> }): JSX.Element {
  return (
    <svg className="map" viewBox="0 5 360 150" role="img" aria-label="location on a world map">
      <rect x="0" y="5" width="360" height="150" className="sea" />
      {outline.map((o) => <path key={o.name} d={o.d} className="land" />)}
      {points.map((p) => (
        <g key={p.label} transform={`translate(${x(p.longitude)} ${y(p.latitude)})`}>
          <circle r="4" className="pin-halo" />
          <circle r="1.8" className="pin" />
          <title>{p.label}</title>
        </g>
      ))}
    </svg>
  );
}
