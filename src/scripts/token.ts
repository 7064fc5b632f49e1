import { parseArgs } from 'node:util';
import { signToken } from '../infra/auth.js';
import { loadConfig } from '../infra/config.js';
import { ROLES, type Role } from '../services/common/caller.js';

/**
 * Mints a development token signed with JWT_SECRET (or the development default).
 *   npm run token -- --role admin
 *   npm run token -- --role staff --hotel <id> [--hotel <id> ...] [--venue <id> ...]
 *   npm run token -- --role guest --sub <id>
 */
const usage = 'usage: npm run token -- --role admin|staff|guest [--sub <id>] [--hotel <id>]... [--venue <id>]... [--expires 12h]';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    sub: { type: 'string' },
    hotel: { type: 'string', multiple: true },
    venue: { type: 'string', multiple: true },
    expires: { type: 'string', default: '12h' },
  },
});

const role = values.role as Role | undefined;
if (!role || !ROLES.includes(role)) {
  console.error(usage);
  process.exit(2);
}
const config = loadConfig();
if (!config.auth.jwtSecret) {
  console.error('JWT_SECRET is not set (JWKS_URL is in use): tokens come from your identity provider');
  process.exit(2);
}
const token = await signToken(
  config.auth.jwtSecret,
  { sub: values.sub ?? `dev-${role}`, role, hotels: values.hotel ?? [], venues: values.venue ?? [] },
  values.expires,
);
console.log(token);
