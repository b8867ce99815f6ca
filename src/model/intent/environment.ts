import { credentialInValue, isCredentialName, isSensitive } from './credentials.js';
import type {
  AppModel,
  EnvironmentDecision,
  SecretDelivery,
  ServiceModel,
  SourceLocation,
} from '../types.js';

/** The `*_FILE` convention of the official images: the variable names a file holding the value. */
const FILE_VARIABLE = /_FILE$/;

/** Whether a value is a URL with a password in it (any scheme, `jdbc:` too). */
export function hasCredentialUrl(value: string): boolean {
  return credentialInValue(value) === 'a URL with a password';
}

/** Where an environment value came from, as far as the loader can tell. */
export interface EnvironmentOrigin {
  /** True when the value is written in a compose file without interpolation. */
  literal: boolean;
  location?: SourceLocation;
}

/**
 * How each variable reaches the container in the cloud. A credential becomes a Secrets Manager
 * reference; a `*_FILE` variable pointing at a compose secret (or any file under /run/secrets) is
 * a path, not a credential; everything else is plain. `literal` records whether the value was
 * written in a compose file (a finding) or interpolated from `.env`/the shell/an env_file
 * (configuration).
 */
export function decideEnvironment(
  s: Pick<ServiceModel, 'name' | 'environment' | 'secrets'>,
  origin: (name: string) => EnvironmentOrigin,
): EnvironmentDecision[] {
  const secretPaths = new Set(s.secrets.map((r) => r.target));
  return Object.entries(s.environment)
    .map(([name, value]): EnvironmentDecision => {
      const { literal, location } = origin(name);
      if (FILE_VARIABLE.test(name) && (secretPaths.has(value) || value.startsWith('/run/secrets/'))) {
        const secret = s.secrets.find((r) => r.target === value);
        return {
          name,
          handling: 'secret-file',
          literal,
          reason: secret
            ? `points at compose secret "${secret.source}" (delivered as a file)`
            : `points at a file under /run/secrets`,
          location,
        };
      }
      if (isSensitive(name, value)) {
        const why = isCredentialName(name) ? 'its name says credential' : credentialInValue(value)!;
        return {
          name,
          handling: 'secret',
          literal: literal && value !== '',
          reason: `${why}: a Secrets Manager reference in the cloud${literal && value !== '' ? '; written in plain text in the compose file' : ''}`,
          location,
        };
      }
      return { name, handling: 'plain', literal, reason: 'plain setting', location };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Each compose secret arrives as a file at its target, in the cloud too. */
export function decideSecrets(
  s: Pick<ServiceModel, 'secrets' | 'environment'>,
  app: Pick<AppModel, 'secrets'>,
): SecretDelivery[] {
  return s.secrets.map((ref) => {
    const fileVariables = Object.entries(s.environment)
      .filter(([name, value]) => FILE_VARIABLE.test(name) && value === ref.target)
      .map(([name]) => name)
      .sort();
    const def = app.secrets.find((d) => d.name === ref.source);
    const local = def?.file
      ? 'a read-only bind of its file'
      : def?.environment
        ? `the variable ${def.environment}`
        : 'an external secret';
    return {
      name: ref.source,
      target: ref.target,
      fileVariables,
      reason: `file ${ref.target}: locally ${local}; in the cloud a Secrets Manager value written to a read-only task volume${
        fileVariables.length > 0
          ? `; ${fileVariables.join(', ')} point${fileVariables.length === 1 ? 's' : ''} at it`
          : ''
      }`,
    };
  });
}
