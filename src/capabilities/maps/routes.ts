import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../platform/auth/permissions.ts';
import { sendProblem } from '../../platform/web/errors.ts';
import { tileServiceFor } from './tiles.ts';

// Digits only: a coercing number parser would also take "0x1", " 1" or "" as a tile address.
const coordinate = (name: string) => z.string().regex(/^\d{1,10}$/, `${name} must be a whole number, 0 or more`);

export const mapRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tiles = tileServiceFor(app.database);

  app.get(
    '/tiles/:layer/:z/:x/:y.mvt',
    {
      config: { access: access.public },
      schema: {
        tags: ['maps'],
        summary: 'A Mapbox Vector Tile of a boundary vintage (lsoa11, lsoa21, ward25) or of an edition’s index (e.g. iod2019.imd, with decile, rank, lad and ward on each LSOA)',
        params: z.object({
          layer: z.string().regex(/^[a-z0-9]{2,20}(\.[a-z]{2,20})?$/, 'layer must be a boundary vintage such as lsoa21, or an edition and index such as iod2019.imd'),
          z: z.string().regex(/^([0-9]|1[0-6])$/, 'z must be a whole number from 0 to 16'),
          x: coordinate('x'),
          y: coordinate('y'),
        }),
        querystring: z.object({ v: z.string().max(80).optional().describe('the layer version the page was made with; a match makes the tile cacheable for a year') }),
      },
    },
    async (request, reply) => {
      const { layer: name } = request.params;
      const [zoom, x, y] = [request.params.z, request.params.x, request.params.y].map(Number) as [number, number, number];
      const problem = (status: 400 | 404, title: string, detail: string) => sendProblem(reply, { type: 'about:blank', title, status, detail, instance: request.url });
      if (x >= 2 ** zoom || y >= 2 ** zoom) return problem(400, 'No such tile', `At zoom ${zoom}, x and y run from 0 to ${2 ** zoom - 1}.`);
      const layer = await tiles.resolve(name);
      if (!layer) return problem(404, 'Layer not found', `No boundaries or index "${name}" are loaded.`);
      const version = await tiles.version(layer);
      const tile = await tiles.tile(layer, zoom, x, y);
      // A page names the version it was drawn with, so a tile at that address never changes; without one a
      // client re-checks after a few minutes (boundaries may still be loading).
      reply.header('cache-control', request.query.v === version ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
      if (!tile) return reply.code(204).send();
      reply.header('etag', tile.etag);
      if (request.headers['if-none-match'] === tile.etag) return reply.code(304).send();
      return reply.type('application/vnd.mapbox-vector-tile').send(tile.body);
    },
  );
};
