import { builtInSolutions, routes, type SolutionDefinition, type SolutionSummary } from '@connected-cloud/contract';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { TSchema } from 'typebox';
import { addRecordFormats } from './formats.js';
import { linkTo } from '../../infra/http/links.js';

// One compiler for the process, without checking schemas against the 2020-12 meta-schema at each start (compiling
// the meta-schema cost every start about 0.13 s): every served schema is checked against it in test/solutions.
const ajv = addRecordFormats(new Ajv2020({ allErrors: true, strict: false, validateSchema: false }));
/** Validators by record schema (the contract's constants): a second registry in one process compiles nothing. */
const compiled = new WeakMap<TSchema, ValidateFunction>();
function compile(record: TSchema): ValidateFunction {
  let validate = compiled.get(record);
  if (!validate) {
    const schema = JSON.parse(JSON.stringify(record)) as object;
    compiled.set(record, (validate = ajv.compile(schema)));
    ajv.removeSchema(schema); // kept by the map above for as long as its record lives, not by Ajv for ever
  }
  return validate;
}

export type JsonSchemaDocument = Record<string, unknown> & { $id: string; $schema: string };

/**
 * The solutions the platform serves, with one JSON Schema document (draft 2020-12) per scope, upload type and
 * upload result. A schema's `$id` is the URL it is served at.
 */
export class SolutionRegistry {
  readonly #solutions = new Map<string, SolutionDefinition>();
  readonly #schemas = new Map<string, JsonSchemaDocument>();
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(
    private readonly publicUrl: string,
    definitions: SolutionDefinition[] = builtInSolutions,
  ) {
    for (const s of definitions) {
      this.#solutions.set(s.domain, s);
      for (const scope of s.scopes)
        this.#add(s, scope.name, scope.title, scope.record, 'one record of a scope file (a JSON array of them)');
      for (const u of s.uploads) {
        this.#add(s, u.type, u.title, u.record, 'one record of an upload (a JSON array of them)');
        this.#add(s, `${u.type}-result`, `${u.title}: result`, u.result, 'one record of the result file of an upload');
      }
    }
  }

  has(domain: string): boolean {
    return this.#solutions.has(domain);
  }

  list(): SolutionSummary[] {
    return [...this.#solutions.keys()].map((d) => this.get(d)!);
  }

  get(domain: string): SolutionSummary | undefined {
    const s = this.#solutions.get(domain);
    if (!s) return undefined;
    return {
      domain: s.domain,
      title: s.title,
      version: s.version,
      description: s.description,
      scopes: s.scopes.map((c) => ({ name: c.name, title: c.title, schemaUrl: this.schemaUrl(s.domain, c.name) })),
      uploads: s.uploads.map((u) => ({
        type: u.type,
        title: u.title,
        schemaUrl: this.schemaUrl(s.domain, u.type),
        resultSchemaUrl: this.schemaUrl(s.domain, `${u.type}-result`),
      })),
    };
  }

  schema(domain: string, name: string): JsonSchemaDocument | undefined {
    return this.#schemas.get(`${domain}/${name}`);
  }

  /** The compiled validator of a record schema (scope, upload type or result), or undefined if there is none. */
  validator(domain: string, name: string): ValidateFunction | undefined {
    return this.#validators.get(`${domain}/${name}`);
  }

  hasUploadType(domain: string, type: string): boolean {
    return this.#solutions.get(domain)?.uploads.some((u) => u.type === type) ?? false;
  }

  hasScope(domain: string, scope: string): boolean {
    return this.#solutions.get(domain)?.scopes.some((s) => s.name === scope) ?? false;
  }

  schemaUrl(domain: string, name: string): string {
    return linkTo(this.publicUrl, routes.getSchema, { domain, name });
  }

  #add(s: SolutionDefinition, name: string, title: string, record: TSchema, what: string): void {
    const key = `${s.domain}/${name}`;
    if (this.#schemas.has(key)) throw new Error(`solution ${s.domain} names ${name} twice`);
    const schema: JsonSchemaDocument = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: this.schemaUrl(s.domain, name),
      title: `${s.title}: ${title}`,
      description: `${what}; solution ${s.domain} ${s.version}`,
      ...JSON.parse(JSON.stringify(record)),
    };
    this.#schemas.set(key, schema);
    // Compiled at start: a schema Ajv refuses stops the start, and no upload waits for a compile.
    this.#validators.set(key, compile(record));
  }
}
