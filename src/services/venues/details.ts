import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { badInput, DomainError, ErrorCode } from '../common/errors.js';

/**
 * Booking details as JSON, checked against the offering's JSON Schema (draft 2020-12)
 * with ajv (VENUES.md, "Details as JSON"). Staff set the schema, so it is checked when
 * set: a schema ajv cannot compile never reaches checkout.
 */

/** One violation, at its JSON pointer into the details ("" is the whole object). */
export interface DetailsViolation {
  path: string;
  message: string;
}

export type DetailsSchema = Record<string, unknown>;

/** A schema is a form, not a document store: past this it is refused. */
export const MAX_SCHEMA_BYTES = 64 * 1024;
/** Compiled validators kept per server (schemas differ per offering, not per booking). */
const CACHE_SIZE = 500;

// strictSchema (the default) refuses unknown keywords, so a typo such as "requried" is
// reported when staff set the schema instead of silently validating nothing; no remote
// $ref is ever fetched (there is no loadSchema), so one is refused as unresolvable.
const ajv = new Ajv2020({ allErrors: true, logger: false });
addFormats.default(ajv);

const compiled = new Map<string, ValidateFunction>();

/** Throws BAD_USER_INPUT on `field`, with ajv's reason, unless `schema` is a schema ajv can validate with. */
export function assertValidSchema(schema: DetailsSchema, field = 'detailsSchema'): void {
  const json = JSON.stringify(schema);
  if (Buffer.byteLength(json) > MAX_SCHEMA_BYTES) throw badInput(field, `at most ${MAX_SCHEMA_BYTES} bytes of JSON`);
  if (compiled.has(json)) return;
  let reason: string;
  try {
    // Throws, rather than answering false, for a $schema other than draft 2020-12.
    if (ajv.validateSchema(schema)) {
      validatorFor(schema, json);
      return;
    }
    reason = ajv.errorsText(ajv.errors, { dataVar: 'schema' });
  } catch (error) {
    reason = (error as Error).message;
  }
  throw badInput(field, `not a usable JSON Schema (draft 2020-12): ${reason}`);
}

/**
 * Every violation of `schema` by `details`, each with its JSON pointer; empty when they
 * conform. Absent details are `{}`. Without a schema, details must be absent or `{}`.
 * The schema is one `assertValidSchema` accepted.
 */
export function validateDetails(schema: DetailsSchema | null, details: unknown): DetailsViolation[] {
  const value = details ?? {};
  if (schema === null) {
    const empty = typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0;
    return empty ? [] : [{ path: '', message: 'this offering takes no details: send none, or {}' }];
  }
  const validate = validatorFor(schema, JSON.stringify(schema));
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => ({ path: pathOf(error), message: error.message ?? 'is invalid' }));
}

/** BAD_USER_INPUT on `details`, listing every violation in extensions.detailsErrors, unless they conform. */
export function assertDetails(schema: DetailsSchema | null, details: unknown): void {
  const errors = validateDetails(schema, details);
  if (errors.length === 0) return;
  throw new DomainError(ErrorCode.BAD_USER_INPUT, `details: ${errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`, {
    field: 'details',
    detailsErrors: errors,
  });
}

function validatorFor(schema: DetailsSchema, json: string): ValidateFunction {
  let validate = compiled.get(json);
  if (validate) {
    compiled.delete(json);
  } else {
    // A copy, compiled and then dropped from ajv's own registry: two offerings may use
    // the same $id, and ajv would otherwise keep every schema it ever compiled.
    const copy = JSON.parse(json) as DetailsSchema;
    try {
      validate = ajv.compile(copy);
    } finally {
      ajv.removeSchema(copy);
    }
  }
  compiled.set(json, validate);
  if (compiled.size > CACHE_SIZE) compiled.delete(compiled.keys().next().value!);
  return validate;
}

/** The pointer of the value at fault: for a missing or extra property, the property itself. */
function pathOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const property = params.missingProperty ?? params.additionalProperty ?? params.unevaluatedProperty;
  return typeof property === 'string' ? `${error.instancePath}/${escapePointer(property)}` : error.instancePath;
}

const escapePointer = (token: string) => token.replaceAll('~', '~0').replaceAll('/', '~1');
