import type { OpenAPIObject, SchemaObject } from '@nestjs/swagger';
import { describeFormBodies } from './openapi-form-bodies';

const ID = { type: 'string', pattern: '^[a-z]+$' } as const;

function document(content: string[]): OpenAPIObject {
  const ref = { $ref: '#/components/schemas/Dto' };
  return {
    openapi: '3.0.0',
    info: { title: 't', version: '1' },
    paths: {
      '/x': {
        post: {
          responses: {},
          requestBody: { content: Object.fromEntries(content.map((t) => [t, { schema: ref }])) },
        },
      },
    },
    components: {
      schemas: {
        Dto: {
          type: 'object',
          description: 'A body.',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string' },
            ids: { type: 'array', items: ID, maxItems: 3, description: 'Ids.', example: ['a'] },
            nested: { type: 'array', items: { $ref: '#/components/schemas/Other' } },
          },
          allOf: [{ properties: { ids: { maxItems: 2 } } }],
        },
      },
    },
  };
}

describe('describeFormBodies', () => {
  it('gives the form content its own schema: a list of scalars or one item', () => {
    const doc = describeFormBodies(
      document(['application/json', 'application/x-www-form-urlencoded']),
    );
    const content = (doc.paths['/x'].post!.requestBody as { content: Record<string, object> })
      .content;
    expect(content['application/json']).toEqual({ schema: { $ref: '#/components/schemas/Dto' } });
    expect(content['application/x-www-form-urlencoded']).toEqual({
      schema: { $ref: '#/components/schemas/DtoForm' },
      encoding: { ids: { style: 'form', explode: true } },
    });
    const dto = doc.components!.schemas!.Dto;
    expect(dto).toEqual(document([]).components!.schemas!.Dto); // JSON's schema is untouched
    expect(doc.components!.schemas!.DtoForm).toEqual({
      ...dto,
      description: expect.stringMatching(/^A body\. As a form: /),
      properties: {
        name: { type: 'string' },
        ids: {
          description: 'Ids.',
          example: ['a'],
          anyOf: [{ type: 'array', items: ID, maxItems: 3 }, ID],
        },
        // Objects cannot be one form value: left as they are.
        nested: { type: 'array', items: { $ref: '#/components/schemas/Other' } },
      },
    });
  });

  it('leaves JSON-only bodies, and form bodies without lists, alone', () => {
    const json = document(['application/json']);
    expect(describeFormBodies(structuredClone(json))).toEqual(json);
    const flat = document(['application/x-www-form-urlencoded']);
    const dto = flat.components!.schemas!.Dto as SchemaObject;
    delete dto.properties!.ids;
    delete dto.properties!.nested;
    expect(describeFormBodies(structuredClone(flat))).toEqual(flat);
  });
});
