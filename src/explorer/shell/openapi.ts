// The OpenAPI 3.1 document served at /openapi.json. Query parameters are generated from the
// same zod schemas that check requests, so the document cannot drift from what is accepted.
import { z } from 'zod';
import { billQuerySchema, contractQuerySchema, farmQuerySchema, twinQuerySchema } from '../core/list-query.ts';
import { nodeQuerySchema } from '../core/node-query.ts';

type Parameter = { name: string; in: 'query' | 'path'; required: boolean; schema: unknown };

function queryParameters(schema: z.ZodObject): Parameter[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _, ...json } = z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' });
    return { name, in: 'query', required: false, schema: json };
  });
}

const idParameter: Parameter = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
const error = { description: 'EXPLORER_INVALID_QUERY (400) or EXPLORER_NOT_FOUND (404): {"error":{"code","message"}}' };
const page = (what: string) => ({ description: `a page of ${what}: {"total","page","size","items":[…]}` });

function get(summary: string, parameters: Parameter[], ok: { description: string }): object {
  return { get: { summary, parameters, responses: { 200: ok, 400: error, 404: error } } };
}

let cached: object | undefined;

export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: { title: 'tfgrid explorer', version: '1', description: 'Farms, nodes, twins and contracts of a tfgrid chain, indexed from its verified blocks (src/explorer/README.md).' },
    paths: {
      '/health': get('indexer state: head height and hash, chain height, age of the head, last error (503 while not following)', [], { description: 'health' }),
      '/stats': get('grid totals and chart series', [], { description: 'statistics' }),
      '/nodes': get('nodes, filtered (grid-proxy names), sorted and paged, with the total', queryParameters(nodeQuerySchema), page('nodes')),
      '/nodes/{id}': get('one node, its uptime timeline and (live=true) statistics asked of the node over the message bus', [idParameter, { name: 'live', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] } }], { description: 'node' }),
      '/farms': get('farms', queryParameters(farmQuerySchema), page('farms')),
      '/farms/{id}': get('one farm and its public IPs', [idParameter], { description: 'farm' }),
      '/twins': get('twins', queryParameters(twinQuerySchema), page('twins')),
      '/twins/{id}': get('one twin, its farms, node and contract counts', [idParameter], { description: 'twin' }),
      '/contracts': get('contracts (deleted ones too)', queryParameters(contractQuerySchema), page('contracts')),
      '/contracts/{id}': get('one contract', [idParameter], { description: 'contract' }),
      '/contracts/{id}/bills': get("a contract's bills", [idParameter, ...queryParameters(billQuerySchema)], page('bills')),
      '/openapi.json': get('this document', [], { description: 'OpenAPI 3.1' }),
    },
  };
  return cached;
}
