import type { ManagedEngine } from '../types.js';

/**
 * The master user a managed database is created with: the name the compose image was given
 * (`POSTGRES_USER`, `MYSQL_USER`...) when the managed service accepts it, else the engine's safe
 * default, with the reason (printed by `config`, and callers receive the name actually created).
 *
 * What the services refuse ("MasterUsername admin cannot be used as it is a reserved word used by
 * the engine"), from their API references and verified deployments:
 * - every RDS engine: a letter first, then letters, digits and `_`; RDS's own accounts `rdsadmin`
 *   and `rdsrepladmin` (cfn-lint blocks `rdsadmin` on all engines after deployments failed);
 * - RDS for PostgreSQL: `admin` (verified: refused, while `postgres` is accepted), PostgreSQL's
 *   reserved key words (SQL key words table, "reserved" column), the role names `public` and
 *   `none`, and the `pg_` and `rds_` prefixes (PostgreSQL's and RDS's own roles: rds_superuser,
 *   rds_iam, rds_replication...);
 * - RDS for MySQL and MariaDB: MySQL's reserved words (the common ones a user name could be);
 * - DocumentDB: `admin` and `root`.
 * Longest names accepted: PostgreSQL 63, MySQL 32, MariaDB 16, DocumentDB 63.
 */

const RDS_ACCOUNTS = ['rdsadmin', 'rdsrepladmin'];

/** PostgreSQL's reserved key words (including those reserved but usable as function or type names). */
const POSTGRES_RESERVED = `all analyse analyze and any array as asc asymmetric authorization binary both case cast
check collate collation column concurrently constraint create cross current_catalog current_date
current_role current_schema current_time current_timestamp current_user default deferrable desc
distinct do else end except false fetch for foreign freeze from full grant group having ilike in
initially inner intersect into is isnull join lateral leading left like limit localtime
localtimestamp natural not notnull null offset on only or order outer overlaps placing primary
references returning right select session_user similar some symmetric system_user table
tablesample then to trailing true union unique user using variadic verbose when where window with`;

/** MySQL reserved words a database user could plausibly be called. */
const MYSQL_RESERVED = `add all alter analyze and as asc before between both by call cascade case change check
collate column condition constraint create cross current_user cursor database databases default
delete desc describe distinct drop dual each else exists explain false fetch for force foreign
from function grant group groups having if ignore in index inner insert interval into is join key
keys kill left like limit lines load lock match mod natural not null on option or order outer
primary procedure range read references release rename repeat replace require restrict return
revoke right schema schemas select set show signal sql ssl starting system table then to
trigger true undo union unique unlock update usage use using values when where while with write`;

const words = (list: string) => list.split(/\s+/).filter(Boolean);

interface Rules {
  /** Who refuses the name, for the reason text. */
  service: string;
  reserved: ReadonlySet<string>;
  prefixes: readonly string[];
  maxLength: number;
}

const RULES: Partial<Record<ManagedEngine, Rules>> = {
  'rds-postgres': {
    service: 'Amazon RDS for PostgreSQL',
    reserved: new Set([...RDS_ACCOUNTS, 'admin', 'public', 'none', ...words(POSTGRES_RESERVED)]),
    prefixes: ['pg_', 'rds_'],
    maxLength: 63,
  },
  'rds-mysql': {
    service: 'Amazon RDS for MySQL',
    reserved: new Set([...RDS_ACCOUNTS, ...words(MYSQL_RESERVED)]),
    prefixes: [],
    maxLength: 32,
  },
  'rds-mariadb': {
    service: 'Amazon RDS for MariaDB',
    reserved: new Set([...RDS_ACCOUNTS, ...words(MYSQL_RESERVED)]),
    prefixes: [],
    maxLength: 16,
  },
  documentdb: {
    service: 'Amazon DocumentDB',
    reserved: new Set(['admin', 'root']),
    prefixes: [],
    maxLength: 63,
  },
};

export interface MasterUser {
  username: string;
  /** Why the name differs from the one the compose image was given (absent when it does not). */
  reason?: string;
}

/** Why the service refuses `name`, or undefined when it accepts it. */
export function refusedMasterUser(engine: ManagedEngine, name: string): string | undefined {
  const rules = RULES[engine];
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name))
    return 'a master user name must start with a letter and hold only letters, digits and _';
  if (!rules) return undefined;
  const lower = name.toLowerCase();
  if (rules.reserved.has(lower)) return `${name} is a reserved name in ${rules.service}`;
  const prefix = rules.prefixes.find((p) => lower.startsWith(p));
  if (prefix) return `names starting with ${prefix} are reserved in ${rules.service}`;
  if (name.length > rules.maxLength)
    return `${rules.service} accepts master user names of up to ${rules.maxLength} characters`;
  return undefined;
}

/**
 * The master user for `engine`: `wanted` (the image's setting, `variable` names it) when the
 * service accepts it, else `fallback` (the engine's default user, which every engine accepts).
 */
export function masterUser(
  engine: ManagedEngine,
  wanted: string | undefined,
  fallback: string,
  variable = 'the configured user',
): MasterUser {
  if (!wanted) return { username: fallback };
  const refused = refusedMasterUser(engine, wanted);
  if (!refused) return { username: wanted };
  return {
    username: fallback,
    reason: `${variable} ${wanted} is not accepted (${refused}): the master user is ${fallback}, and callers get ${fallback}`,
  };
}
