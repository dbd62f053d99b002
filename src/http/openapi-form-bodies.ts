import type { OpenAPIObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';

const FORM = 'application/x-www-form-urlencoded';
const SCHEMAS = '#/components/schemas/';

/**
 * The form content of each request body, described as a form carries it.
 *
 * @nestjs/swagger gives every media type of a body the same schema, the DTO's, whose list
 * fields are arrays. A form has no arrays: a list is its key repeated (style form, explode
 * true, stated here in the media type's `encoding`), and a list of one is the key sent once,
 * which a reader of the form (the server's parser, a schema checker such as Schemathesis) sees
 * as one string. The DTOs read it as the one-element list (formList in
 * src/shared/form-body.ts, which every list field of a body DTO uses), so the form content gets
 * a schema of its own, `<Dto>Form`: the DTO's, with each list of scalars also accepting one
 * item. JSON keeps the DTO's schema, where a string is not a list and is refused.
 *
 * A nested object (CreateCampaignDto's deliveryWindow) is left out of the form content: a form
 * cannot carry one, so it is JSON only.
 *
 * Nothing else changes: the DTO's bounds still hold (maxItems does not bound a string, which is
 * one item), and the DTO's own schema-level rules (a media count) must count a lone string as
 * one item; SendMmsDto's does.
 */
export function describeFormBodies(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components ??= {}).schemas ?? {};
  for (const path of Object.values(document.paths))
    for (const operation of [path.post, path.put, path.patch]) {
      const body = operation?.requestBody;
      const form = body && 'content' in body ? body.content[FORM] : undefined;
      const ref = form?.schema && '$ref' in form.schema ? form.schema.$ref : undefined;
      if (!form || !ref?.startsWith(SCHEMAS)) continue;
      const name = ref.slice(SCHEMAS.length);
      const schema = schemas[name];
      if (!schema || '$ref' in schema) continue;
      const lists = Object.entries(schema.properties ?? {}).filter(([, p]) => isScalarList(p));
      if (lists.length === 0) continue;
      schemas[`${name}Form`] ??= {
        ...schema,
        description: [
          schema.description,
          'As a form: a list field is its key repeated, and a list of one is its key sent once.',
        ]
          .filter(Boolean)
          .join(' '),
        properties: Object.fromEntries(
          Object.entries(schema.properties ?? {})
            .filter(([, property]) => !isObject(property))
            .map(([key, property]) => [
              key,
              isScalarList(property) ? oneOrMany(property) : property,
            ]),
        ),
      };
      form.schema = { $ref: `${SCHEMAS}${name}Form` };
      form.encoding = Object.fromEntries(
        lists.map(([key]) => [key, { style: 'form', explode: true }]),
      );
    }
  return document;
}

type Schema = SchemaObject | ReferenceObject;

/**
 * A nested object (a $ref, an object, an allOf): a form has no way to carry one (style form
 * would spread its fields among the body's own), so the form content leaves it out: JSON only.
 */
function isObject(p: Schema): boolean {
  return '$ref' in p || p.type === 'object' || 'allOf' in p;
}

/** An array of strings, numbers or booleans: what a form can carry as a repeated key. */
function isScalarList(p: Schema): p is SchemaObject & { items: SchemaObject } {
  if ('$ref' in p || p.type !== 'array' || !p.items || '$ref' in p.items) return false;
  return ['string', 'number', 'integer', 'boolean'].includes(p.items.type ?? '');
}

/** The list, or one of its items. */
function oneOrMany(list: SchemaObject & { items: SchemaObject }): SchemaObject {
  const { description, example, ...array } = list;
  return {
    ...(description === undefined ? {} : { description }),
    ...(example === undefined ? {} : { example }),
    anyOf: [array, list.items],
  };
}
