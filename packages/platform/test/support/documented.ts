import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** Holds answers to what an OpenAPI document says of them: the status, its content type, the body's schema. */
export class Documented {
  private readonly ajv = new Ajv.default({ strict: false, allErrors: true });
  private readonly operations: Array<{ method: string; pattern: RegExp; op: any }> = [];

  constructor(readonly doc: any) {
    addFormats.default(this.ajv);
    for (const [name, schema] of Object.entries<object>(doc.components?.schemas ?? {}))
      this.ajv.addSchema(schema, `#/components/schemas/${name}`);
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      const pattern = new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`);
      for (const [method, op] of Object.entries<any>(ops)) this.operations.push({ method, pattern, op });
    }
  }

  /** The operation a request reached, by method and path. */
  operation(method: string, path: string): any {
    return this.operations.find((o) => o.method === method.toLowerCase() && o.pattern.test(path))?.op;
  }

  /** What is wrong with an answer of `op`, or undefined when it is one the document describes. */
  check(
    op: any,
    status: number,
    contentType: string | null,
    body: string,
    header: (name: string) => string | null | undefined = () => undefined,
  ): string | undefined {
    const type = (contentType ?? '').split(';')[0]!.trim();
    const key = `${op.operationId}: ${status} ${type || '(no content type)'}`;
    if (status >= 500) return `${key}: a 5xx`;
    const response = op.responses[String(status)];
    if (!response) return `${key}: status not documented`;
    for (const [name, spec] of Object.entries<any>(response.headers ?? {}))
      if (spec.required && !header(name)) return `${key}: no ${name} header`;
    if (!response.content) return status === 204 || body === '' ? undefined : `${key}: a body where none is documented`;
    const documented = response.content[type];
    if (!documented) return `${key}: content type not documented (${Object.keys(response.content).join(', ')})`;
    if (!type.endsWith('json') || !documented.schema) return undefined;
    // NDJSON's schema is each line's.
    const texts = type.endsWith('ndjson') ? body.split('\n').filter((l) => l !== '') : [body];
    const validate = this.ajv.compile(documented.schema);
    for (const text of texts) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return `${key}: the body is not JSON (${JSON.stringify(text.slice(0, 80))})`;
      }
      if (!validate(value)) return `${key}: ${this.ajv.errorsText(validate.errors)}`;
    }
    return undefined;
  }
}
