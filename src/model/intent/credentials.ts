import type { Refusal, SourceLocation } from '../types.js';
import { formatPath } from '../yaml-source.js';

/**
 * The one definition of "is a credential", for variables, values and command arguments. A
 * credential reaches the cloud as a Secrets Manager reference or not at all: it is never written
 * into a template, a log or the terminal (`redact*` below is what every printer uses).
 *
 * Written by hand: this is shipshape's own judgement of compose values; no library reads
 * connection strings, JDBC URLs and command lines for passwords.
 */

/**
 * Variable names that hold credentials: passwords (`*PASSWORD*`, `MYSQL_PWD`, `*_PASS`,
 * passphrases), secrets and tokens, keys that sign or encrypt (`APP_KEY`, `ENCRYPTION_KEY`,
 * `SECRET_KEY_BASE`, API, access and private keys), salts, credentials and auth settings.
 * `PWD`/`OLDPWD` are the shell's working directory, not a password.
 */
const CREDENTIAL_NAME =
  /(PASSWORD|PASSWD|PASSPHRASE|_PWD$|_PASS$|^PASS$|(^|_)PW$|PGPASS$|SECRET|TOKEN|CREDENTIAL|(^|_)AUTH$|BASIC_?AUTH|SALT|PEPPER|(API|ACCESS|PRIVATE|APP|ENCRYPTION|ENCRYPT|CRYPT|CIPHER|SIGNING|SIGN|MASTER|LICEN[CS]E|JWT|SESSION|COOKIE|HMAC|SSH|GPG|PGP|RSA|CLIENT|WEBHOOK|DEPLOY|NONCE|LOGGED_IN|SECURE_AUTH)_?KEY)/i;

/**
 * Names that say "where the credential is" or "a setting about credentials", not the credential:
 * a path, a URL or host (`NEXTAUTH_URL`: a URL with a password is caught by its value), a length,
 * a lifetime, a switch, a user name or client id.
 */
const NOT_THE_VALUE =
  /(_FILE|_PATH|_DIR|_LENGTH|_EXPIRY|_EXPIRES|_TTL|_TIMEOUT|_ENABLED|_DISABLED|_TYPE|_METHOD|_MODE|_URL|_URI|_HOST|_PORT|_ENDPOINT|_ISSUER|_DOMAIN|_REALM|_SCOPES?|_PROVIDER|_CLIENT_ID|_ID|_USER|_USERNAME|_NAME|_EMAIL|_HEADER|_ALGORITHM)$/i;

/** Whether a variable's name says it holds a credential. */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && !NOT_THE_VALUE.test(name);
}

/** A switch or a number is never a credential, whatever the variable is called (`SMTP_AUTH=true`). */
const NOT_A_SECRET_VALUE = /^(true|false|yes|no|on|off|enabled?|disabled?|none|null|\d{1,5})$/i;

/** A URL (any scheme, `jdbc:mysql:` too) whose userinfo has a password: `postgres://app:pw@db`. */
const USERINFO_PASSWORD = /[a-z][a-z0-9+.:-]*:\/\/[^/\s:@?#]*:[^/\s@?#]+@/i;
/** A password in a query string or a `key=value;` connection string (JDBC, ADO.NET, libpq). */
const PASSWORD_PARAMETER =
  /(^|[?&;\s])(password|passwd|pwd|pass|secret|token|access_token|api_?key|apikey|auth_token|sig)\s*=\s*[^&;\s]/i;
/** A Go SQL driver DSN: `user:password@tcp(db:3306)/app`. */
const GO_DSN = /^[^:@\s/]*:[^@\s]+@(tcp|unix)\(/;
/** Oracle's JDBC thin driver with `user/password@`: `jdbc:oracle:thin:scott/tiger@db:1521:ORCL`. */
const ORACLE_THIN_PASSWORD = /jdbc:oracle:[a-z0-9]+:[^/\s@:]+\/[^@\s]+@/i;
/** An HTTP authorization value by its scheme: `Basic dXNlcjpwYXNz`, `Bearer eyJ…`. */
const AUTH_SCHEME_VALUE = /^(basic|bearer|token|digest)\s+[A-Za-z0-9._~+/=-]{8,}/i;
/** A password in a JSON document: `{"password": "…"}`. */
const JSON_PASSWORD = /"(password|passwd|secret|token|api_?key|client_secret|private_key)"\s*:\s*"[^"$\s]/i;
/** An HTTP Authorization (or API key) header with its value. */
const AUTH_HEADER = /^(authorization|proxy-authorization|x-api-key|api-key|x-auth-token)\s*:\s*\S/i;

/**
 * Tokens whose format says what they are, whatever the variable is called: GitHub, GitLab,
 * Stripe, Slack, AWS access keys, Google API keys, PEM private keys.
 */
const TOKEN_FORMAT =
  /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}|[sr]k_(live|test)_[A-Za-z0-9]{10,}|xox[abprs]-[A-Za-z0-9-]{10,}|(AKIA|ASIA)[0-9A-Z]{16}|AIza[\w-]{35})\b|-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Why a value is a credential whatever its name, or undefined: a URL with a password, a password parameter. */
export function credentialInValue(value: string): string | undefined {
  if (TOKEN_FORMAT.test(value)) return 'a token or key by its format';
  if (USERINFO_PASSWORD.test(value)) return 'a URL with a password';
  if (GO_DSN.test(value) || ORACLE_THIN_PASSWORD.test(value)) return 'a connection string with a password';
  if (JSON_PASSWORD.test(value)) return 'a JSON document with a password';
  if (AUTH_SCHEME_VALUE.test(value)) return 'an authorization value';
  const p = PASSWORD_PARAMETER.exec(value);
  if (p && !isReference(value.slice(p.index + p[0].length - 1).split(/[&;\s]/)[0]!))
    return `a connection string with ${p[2]!.toLowerCase()}=`;
  if (AUTH_HEADER.test(value)) return 'an authorization header';
  return undefined;
}

/** Whether a variable holds a credential: by its name, or by its value. */
export function isSensitive(name: string, value: string): boolean {
  return (
    (isCredentialName(name) && !NOT_A_SECRET_VALUE.test(value)) || credentialInValue(value) !== undefined
  );
}

/** A value that names a variable instead of holding one (`$DB_PASSWORD`, `${X}`, `$(cat f)`), or a secret file. */
function isReference(value: string): boolean {
  const v = value.replace(/^["']|["']$/g, '');
  return v === '' || /^\$(\{|\(|[A-Za-z_])/.test(v) || v.startsWith('/run/secrets/');
}

/** Programs whose `-p<password>` (no blank) is a password (elsewhere `-p` is usually a port). */
const MYSQL_CLIENTS =
  /(^|\/)(mysql|mysqladmin|mysqldump|mysqlcheck|mysqlimport|mysqlshow|mysqlpump|mariadb|mariadb-admin|mariadb-dump|mariadb-check|mariadb-import|mariadb-show)$/;

/** Flags whose value is a credential (`--db-password X`, `--requirepass X`, `--token=X`, `--masterauth`). */
const CREDENTIAL_FLAG =
  /^-{1,2}([a-z0-9]+[-_])*(password|passwd|pwd|pass|passphrase|secret|token|api-?key|apikey|access-?key|secret-?key|private-?key|auth|auth-?token|credentials?|requirepass|masterauth|client-?secret)$/i;
/** Programs whose short flag before a password is not `-p` (`redis-cli -a X`, `mongosh -p X`). */
const SHORT_PASSWORD_FLAG: [RegExp, string][] = [
  [/(^|\/)(redis-cli|valkey-cli|keydb-cli)$/, '-a'],
  [/(^|\/)(mongosh|mongo|mongodump|mongorestore|mongoexport|mongoimport|mongostat|mongotop)$/, '-p'],
];
/** A Java system property that is a credential: `-Dspring.datasource.password=X`. */
const CREDENTIAL_PROPERTY = /^-D[\w.-]*(password|passwd|secret|token|api[-_]?key|private[-_]?key)=(.+)$/is;
/** Flags whose `user:password` value carries a password (`curl -u admin:pw`, `--user admin:pw`). */
const USER_FLAG = /^(-[A-Za-z]*u|--user|--proxy-user|--basic-auth|--http-user)$/;

export interface ArgumentCredential {
  /** Index of the word holding the credential. */
  index: number;
  reason: string;
}

/**
 * Credentials written into a command line: `--db-password X`, `--password=X`, `-u admin:pw`,
 * `-pX` for MySQL clients, `PGPASSWORD=x psql`, a URL with a password, an Authorization header.
 * A value that is a variable (`$DB_PASSWORD`: the shell reads it at run time from a secret) or a
 * secret file is not one. `words` is the argv, or the words of a `sh -c` / CMD-SHELL string.
 */
export function credentialArguments(words: readonly string[]): ArgumentCredential[] {
  const out: ArgumentCredential[] = [];
  const add = (index: number, reason: string) => {
    if (!out.some((o) => o.index === index)) out.push({ index, reason });
  };
  const programs = programOfEachWord(words);
  words.forEach((raw, i) => {
    const word = unquote(raw);
    const prev = i > 0 ? unquote(words[i - 1]!) : '';
    const eq = /^(-{1,2}[A-Za-z0-9][\w-]*)=(.*)$/s.exec(word);
    if (eq && CREDENTIAL_FLAG.test(eq[1]!) && !isReference(eq[2]!)) add(i, `${eq[1]}= is a credential`);
    if (CREDENTIAL_FLAG.test(prev) && !word.startsWith('-') && !isReference(word))
      add(i, `${prev} is followed by a credential`);
    if (USER_FLAG.test(prev) && isUserPassword(word)) add(i, `${prev} user:password`);
    const attached = /^-u(.+)$/s.exec(word);
    if (attached && isUserPassword(attached[1]!)) add(i, '-u user:password');
    if (MYSQL_CLIENTS.test(programs[i]!) && /^-p.+/s.test(word) && !isReference(word.slice(2)))
      add(i, `${programs[i]} -p<password>`);
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/s.exec(word);
    if (assignment && isCredentialName(assignment[1]!) && !isReference(assignment[2]!))
      add(i, `${assignment[1]}= is a credential`);
    if (AUTH_HEADER.test(word) && !word.includes('$')) add(i, 'an authorization header');
    if (eq && AUTH_HEADER.test(eq[2]!) && !eq[2]!.includes('$')) add(i, 'an authorization header');
    const property = CREDENTIAL_PROPERTY.exec(word);
    if (property && !isReference(property[2]!)) add(i, `a -D property ${property[1]!.toLowerCase()}`);
    for (const [program, flag] of SHORT_PASSWORD_FLAG)
      if (program.test(programs[i]!) && prev === flag && !word.startsWith('-') && !isReference(word))
        add(i, `${programs[i]} ${flag} <password>`);
    const inValue = credentialInValue(word);
    if (inValue && inValue !== 'an authorization header') add(i, inValue);
  });
  return out.sort((a, b) => a.index - b.index);
}

/** `user:password` (not `1000:1000`, not a URL, not a variable password). */
function isUserPassword(value: string): boolean {
  const m = /^([^:\s$/]+):(\S+)$/.exec(value);
  return m !== null && !value.includes('://') && !/^\d+:\d+$/.test(value) && !isReference(m[2]!);
}

const WRAPPERS = /^(exec|sudo|env|nice|nohup|gosu|su-exec|tini|dumb-init|time|command)$/;

/** For each word, the program of the simple command it belongs to (after `;`, `&&`, `|`, wrappers and `VAR=x`). */
function programOfEachWord(words: readonly string[]): string[] {
  let program = '';
  let expecting = true;
  return words.map((raw) => {
    const word = unquote(raw);
    if (/^(;|&&|\|\||\|)$/.test(word)) {
      expecting = true;
      program = '';
      return '';
    }
    if (
      expecting &&
      !word.startsWith('-') &&
      !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) &&
      !WRAPPERS.test(word)
    ) {
      program = word;
      expecting = false;
    }
    return program;
  });
}

/**
 * The words of a shell command line, for credential and host scanning: quotes kept with their
 * word, operators (`;`, `&&`, `|`) as words of their own. Not a shell: no expansion.
 */
export function shellWords(line: string): string[] {
  return (
    line.match(/"(?:[^"\\]|\\.)*"|'[^']*'|&&|\|\||[;|]|(?:[^\s;&|"']|"(?:[^"\\]|\\.)*"|'[^']*')+/g) ?? []
  );
}

function unquote(word: string): string {
  return word.replace(/^(["'])([\s\S]*)\1$/, '$2');
}

/**
 * The words a command runs, with the `sh -c "…"` script (or a CMD-SHELL string) split into its
 * own words, each with the index of the argv word it came from.
 */
export function commandWords(argv: readonly string[]): { word: string; arg: number }[] {
  const out: { word: string; arg: number }[] = [];
  argv.forEach((arg, i) => {
    const script = i > 0 && /^-\w*c$/.test(argv[i - 1]!) && /(^|\/)(ba|da|z|k|a)?sh$/.test(argv[i - 2] ?? '');
    if (script || (i === 0 && /\s/.test(arg) && argv.length === 1)) {
      // The script is a command line of its own: its first word is a program.
      out.push({ word: ';', arg: i });
      for (const w of shellWords(arg)) out.push({ word: w, arg: i });
    } else out.push({ word: arg, arg: i });
  });
  return out;
}

/** A health check's test with every credential argument masked (CMD-SHELL as the shell reads it). */
function redactHealthTest(test: string[]): string[] {
  return test[0] === 'CMD-SHELL'
    ? ['CMD-SHELL', ...redactArguments(['sh', '-c', ...test.slice(1)]).slice(2)]
    : [test[0]!, ...redactArguments(test.slice(1))];
}

/** The text with the password of every URL, password parameter and `user:password` masked. */
export function redactCredentials(text: string): string {
  return text
    .replace(new RegExp(TOKEN_FORMAT.source, 'g'), (m) => `${m.slice(0, 4)}***`)
    .replace(/([a-z][a-z0-9+.:-]*:\/\/[^/\s:@?#]*:)[^/\s@?#]+@/gi, '$1***@')
    .replace(/^([^:@\s/]*:)[^@\s]+(@(tcp|unix)\()/, '$1***$2')
    .replace(/(jdbc:oracle:[a-z0-9]+:[^/\s@:]+\/)[^@\s]+@/gi, '$1***@')
    .replace(/^((?:basic|bearer|token|digest)\s+)\S+/i, '$1***')
    .replace(
      /("(?:password|passwd|secret|token|api_?key|client_secret|private_key)"\s*:\s*")[^"]*"/gi,
      '$1***"',
    )
    .replace(
      /((?:^|[?&;\s])(?:password|passwd|pwd|pass|secret|token|access_token|api_?key|apikey|auth_token|sig)\s*=\s*)[^&;\s]+/gi,
      '$1***',
    );
}

/** The argv with every credential argument masked (the flag kept: `--db-password=***`). */
export function redactArguments(argv: readonly string[]): string[] {
  const words = commandWords(argv);
  const bad = new Set(credentialArguments(words.map((w) => w.word)).map((c) => c.index));
  if (bad.size === 0) return argv.map(redactCredentials);
  const out = argv.map(redactCredentials);
  words.forEach((w, j) => {
    if (!bad.has(j)) return;
    const masked = maskWord(w.word);
    out[w.arg] =
      out[w.arg] === w.word || words.filter((x) => x.arg === w.arg).length === 1
        ? masked
        : out[w.arg]!.replace(w.word, masked);
  });
  return out;
}

function maskWord(word: string): string {
  const bare = unquote(word);
  if (USERINFO_PASSWORD.test(bare) || PASSWORD_PARAMETER.test(bare) || GO_DSN.test(bare))
    return redactCredentials(bare);
  const flag = /^(-{1,2}[A-Za-z0-9][\w-]*=|[A-Za-z_][A-Za-z0-9_]*=|-p|-u[^:]*:|[^:\s]+:)/.exec(bare);
  return `${flag?.[0] ?? ''}***`;
}

export interface ArgumentRefusalContext {
  locate(path: readonly (string | number)[]): SourceLocation;
}

/**
 * Credentials in `command`, `entrypoint` and `healthcheck.test`: ECS writes these into the task
 * definition as plain text, and no secret reference can stand in for one word of a command, so
 * each is refused (wherever its value came from: `.env` interpolation lands in the template too).
 */
export function argumentRefusals(
  s: { name: string; command?: string[]; entrypoint?: string[]; healthcheck?: { test: string[] } },
  ctx: ArgumentRefusalContext,
): Refusal[] {
  const out: Refusal[] = [];
  const scan = (key: 'command' | 'entrypoint' | 'healthcheck', argv: readonly string[] | undefined) => {
    if (!argv) return;
    const shell = key === 'healthcheck' && argv[0] === 'CMD-SHELL';
    const args = key === 'healthcheck' ? (shell ? ['sh', '-c', ...argv.slice(1)] : argv.slice(1)) : argv;
    const words = commandWords(args);
    for (const c of credentialArguments(words.map((w) => w.word))) {
      const arg = words[c.index]!.arg;
      const index = key === 'healthcheck' ? (shell ? arg - 1 : arg + 1) : arg;
      const path =
        key === 'healthcheck'
          ? ['services', s.name, 'healthcheck', 'test']
          : ['services', s.name, key, index];
      out.push({
        rule: 'secret-argument',
        path: formatPath(path),
        location: ctx.locate(path),
        message: `${key === 'healthcheck' ? 'healthcheck.test' : key} carries a credential (${c.reason}): ${maskWord(words[c.index]!.word)}; ECS writes commands into the task definition in plain text`,
        fix: `pass it in an environment variable delivered from a secret and read it at run time: ["sh", "-c", "exec app --password \\"$$DB_PASSWORD\\""] with DB_PASSWORD: \${DB_PASSWORD} (from .env) — shipshape makes that variable a Secrets Manager reference`,
      });
    }
  };
  scan('command', s.command);
  scan('entrypoint', s.entrypoint);
  scan('healthcheck', s.healthcheck?.test);
  return out;
}

const MASK = '***';

/**
 * A service as printers show it (`config`, `report`): every value the model classified as a
 * credential masked — variables it delivers as secrets (or as a datastore's generated password),
 * credentials inside values and command lines, credential build args.
 */
export function redactService<
  S extends {
    environment: Record<string, string>;
    command?: string[];
    entrypoint?: string[];
    healthcheck?: { test: string[] };
    build?: { args: Record<string, string> };
    intent: {
      environment: readonly { name: string; handling: string; cloud?: unknown }[];
      healthcheck?: { check: { test: string[] } };
    };
  },
>(s: S): S {
  const secret = new Set(
    s.intent.environment
      .filter(
        (e) =>
          e.handling === 'secret' ||
          (e.handling === 'datastore' && JSON.stringify(e.cloud).includes('"password"')),
      )
      .map((e) => e.name),
  );
  const environment = Object.fromEntries(
    Object.entries(s.environment).map(([k, v]) => [
      k,
      secret.has(k) || isSensitive(k, v) ? (v === '' ? '' : MASK) : v,
    ]),
  );
  return {
    ...s,
    environment,
    ...(s.command ? { command: redactArguments(s.command) } : {}),
    ...(s.entrypoint ? { entrypoint: redactArguments(s.entrypoint) } : {}),
    ...(s.healthcheck
      ? { healthcheck: { ...s.healthcheck, test: redactHealthTest(s.healthcheck.test) } }
      : {}),
    // The decided health check (compose's or the image's) is printed too.
    ...(s.intent.healthcheck
      ? {
          intent: {
            ...s.intent,
            healthcheck: {
              ...s.intent.healthcheck,
              check: {
                ...s.intent.healthcheck.check,
                test: redactHealthTest(s.intent.healthcheck.check.test),
              },
            },
          },
        }
      : {}),
    ...(s.build
      ? {
          build: {
            ...s.build,
            args: Object.fromEntries(
              Object.entries(s.build.args).map(([k, v]) => [k, isSensitive(k, v) && v !== '' ? MASK : v]),
            ),
          },
        }
      : {}),
  };
}
