import 'reflect-metadata';
import { loadConfig } from './src/infra/config.js';
import { databaseOptions, ormOptions } from './src/infra/database.js';

/** For MikroORM tooling (e.g. `npx @mikro-orm/cli migration:create`): the server's own options. */
export default ormOptions(databaseOptions(loadConfig()));
