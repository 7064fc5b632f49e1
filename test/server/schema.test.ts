import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import type { Orm } from '../../src/infra/database.js';
import { buildAppSchema, printAppSchema } from '../../src/app/schema.js';
import { openTestDatabase, testConfig } from '../helpers/server.js';

const root = path.resolve(import.meta.dirname, '../..');
/** The parts of the contract this server serves: the hotels (core) and the venues. */
const CONTRACT_FILES = ['core.graphql', 'venues.graphql'];
const vendored = (file: string) => path.join(root, 'contract', file);
/** The steering copy; present beside the repository in CI and on the team's machines. */
const shared = (file: string) => path.resolve(root, '../shared/contract', file);


let schema: GraphQLSchema;
let contract: GraphQLSchema;

beforeAll(async () => {
  schema = await buildAppSchema();
  contract = buildSchema(CONTRACT_FILES.map((file) => readFileSync(vendored(file), 'utf8')).join('\n'));
});

it('schema.graphql is the printed schema of the code (run npm run print-schema)', () => {
  expect(readFileSync(path.join(root, 'schema.graphql'), 'utf8')).toBe(printAppSchema(schema));
});

it.each(CONTRACT_FILES)('the vendored %s is the steering copy', (file) => {
  if (existsSync(shared(file))) {
    expect(readFileSync(vendored(file), 'utf8')).toBe(readFileSync(shared(file), 'utf8'));
  } else {
    // A clone on its own has only the vendored copy; it must still be the contract.
    expect(readFileSync(vendored(file), 'utf8')).toMatch(/type Query|extend type Query/);
  }
});

describe('the contract', () => {
  const contractTypes = () =>
    Object.values(contract.getTypeMap()).filter(
      (type) => !type.name.startsWith('__') && !isBuiltIn(type),
    );

  it('every type exists with the same kind', () => {
    const problems = contractTypes().flatMap((type) => {
      const ours = schema.getType(type.name);
      if (!ours) return [`missing type ${type.name}`];
      return kindOf(ours) === kindOf(type) ? [] : [`${type.name} is ${kindOf(ours)}, contract says ${kindOf(type)}`];
    });
    expect(problems).toEqual([]);
  });

  it('every field, argument, input field and enum value is served as written', () => {
    const problems = contractTypes().flatMap((type) => compareMembers(type, schema.getType(type.name)));
    expect(problems).toEqual([]);
  });
});

function compareMembers(type: GraphQLNamedType, ours: GraphQLNamedType | null | undefined): string[] {
  if (!ours) return [];
  if (isEnumType(type) && isEnumType(ours)) {
    const values = new Set(ours.getValues().map((v) => v.name));
    return type.getValues().filter((v) => !values.has(v.name)).map((v) => `missing enum value ${type.name}.${v.name}`);
  }
  if ((isObjectType(type) && isObjectType(ours)) || (isInputObjectType(type) && isInputObjectType(ours))) {
    const ourFields = ours.getFields() as Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>;
    const theirFields = type.getFields() as Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>;
    return Object.values(theirFields).flatMap((field) => compareField(`${type.name}.${field.name}`, field, ourFields[field.name]));
  }
  return [];
}

function compareField(
  where: string,
  theirs: GraphQLField<unknown, unknown> | GraphQLInputField,
  ours: GraphQLField<unknown, unknown> | GraphQLInputField | undefined,
): string[] {
  if (!ours) return [`missing ${where}`];
  const problems: string[] = [];
  if (String(ours.type) !== String(theirs.type)) problems.push(`${where} is ${ours.type}, contract says ${theirs.type}`);
  if ('defaultValue' in theirs && theirs.defaultValue !== (ours as GraphQLInputField).defaultValue) {
    problems.push(`${where} defaults to ${(ours as GraphQLInputField).defaultValue}, contract says ${theirs.defaultValue}`);
  }
  if ('args' in theirs) {
    const ourArgs = new Map(((ours as GraphQLField<unknown, unknown>).args ?? []).map((a) => [a.name, a]));
    for (const arg of theirs.args) problems.push(...compareArg(`${where}(${arg.name})`, arg, ourArgs.get(arg.name)));
    // Extra arguments are allowed only when optional: they must not tighten the contract.
    for (const arg of ourArgs.values()) {
      if (!theirs.args.some((a) => a.name === arg.name) && String(arg.type).endsWith('!') && arg.defaultValue === undefined) {
        problems.push(`${where}(${arg.name}) is an extra required argument`);
      }
    }
  }
  return problems;
}

function compareArg(where: string, theirs: GraphQLArgument, ours: GraphQLArgument | undefined): string[] {
  if (!ours) return [`missing argument ${where}`];
  const problems: string[] = [];
  if (String(ours.type) !== String(theirs.type)) problems.push(`${where} is ${ours.type}, contract says ${theirs.type}`);
  if (ours.defaultValue !== theirs.defaultValue) {
    problems.push(`${where} defaults to ${ours.defaultValue}, contract says ${theirs.defaultValue}`);
  }
  return problems;
}

function kindOf(type: GraphQLNamedType): string {
  return type.constructor.name;
}

function isBuiltIn(type: GraphQLNamedType): boolean {
  return isScalarType(type) && ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name);
}

describe('migrations', () => {
  let orm: Orm;

  beforeAll(async () => {
    orm = await openTestDatabase(testConfig(), 2);
  });

  afterAll(() => orm.close());

  it('bring the database exactly to the schema the entities describe', async () => {
    const diff = await orm.schema.getUpdateSchemaSQL();
    const statements = diff
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && line !== "set names 'utf8';");
    expect(statements).toEqual([]);
  });
});
