import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

const make = (coerceTypes: boolean) => {
  const ajv = new Ajv.default({
    allErrors: true,
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
    // The route table's schemas are TypeBox's, and the OpenAPI document made of them is linted in the tests:
    // checking each against the meta-schema (compiling the meta-schema first) would cost every start.
    validateSchema: false,
  });
  addFormats.default(ajv);
  return ajv;
};
// One of each per process, keyed by schema object: the route table's schemas are constants, so a second app in one
// process (the tests start dozens) compiles nothing again. Ajv keeps what it compiled itself; Fastify's
// serializer compiler (fast-json-stringify, its default) does not, so its serializers are kept here.
const strict = make(false);
const coercing = make(true);
// Built as Fastify builds its default, less what the platform never uses: shared schemas (addSchema) and serializerOpts.
const serializerOf = SerializerSelector()({}, {});
const serializers = new WeakMap<object, ReturnType<typeof serializerOf>>();

/**
 * Bodies are validated strictly (no type coercion: "42" is not a number, 42 is not a string); the query string
 * and path parameters are text by nature, so there numbers and booleans are coerced. Responses are serialized by
 * Fastify's default compiler.
 */
export function installSchemaCompilers(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
  app.setSerializerCompiler(({ schema, method, url, httpStatus = 'default' }) => {
    const compile = () => serializerOf({ schema, method, url, httpStatus });
    if (typeof schema !== 'object' || schema === null) return compile(); // a boolean schema cannot key a WeakMap
    let serialize = serializers.get(schema);
    if (!serialize) serializers.set(schema, (serialize = compile()));
    return serialize;
  });
}
