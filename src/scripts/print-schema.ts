import { writeFileSync } from 'node:fs';
import { buildAppSchema, printAppSchema } from '../app/schema.js';

/** Writes the SDL to schema.graphql (checked in; a test fails when it drifts from the code). */
const target = new URL('../../schema.graphql', import.meta.url);
writeFileSync(target, printAppSchema(await buildAppSchema()));
console.log(`wrote ${target.pathname}`);
