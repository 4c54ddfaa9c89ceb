import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Bodies are validated strictly (no type coercion: "42" is not a number, 42 is not a string); the query string
 * and path parameters are text by nature, so there numbers and booleans are coerced.
 */
export function installValidation(app: FastifyInstance): void {
  const make = (coerceTypes: boolean) => {
    const ajv = new Ajv.default({
      allErrors: true,
      coerceTypes,
      useDefaults: true,
      removeAdditional: false,
      strict: false,
    });
    addFormats.default(ajv);
    return ajv;
  };
  const strict = make(false);
  const coercing = make(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
