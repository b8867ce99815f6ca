import { stageBaseImage, stageUser, type ParsedDockerfile } from '../dockerfile.js';
import { parseImageRef } from '../image-ref.js';
import type { ImageFacts, ImageRef, ServiceModel, SourceLocation, UserDecision } from '../types.js';
import { knownImageUser } from './catalog.js';
import { factsSource } from './image-facts.js';

/** A user spec (`user[:group]`) read the way runc reads compose `user:` and Dockerfile `USER`. */
export interface UserSpec {
  /** The user part as written, without surrounding blanks (a name or a uid). */
  user: string;
  /** The group part, when written. */
  group?: string;
  /** The uid, when the user part is a number (`0000`, `+0`, `1000`). */
  uid?: number;
}

/**
 * Split a user spec as runc does (moby/sys/user GetExecUser): at the first `:`; the user part is
 * a uid when Go's `strconv.Atoi` reads it as one — an optional sign and decimal digits, so `0000`,
 * `+0` and `-0` are uid 0 — else a name. Blanks around either part are dropped: runc would fail to
 * find a user named " 0", and a gate must not call that "not root".
 */
export function parseUserSpec(spec: string): UserSpec {
  const colon = spec.indexOf(':');
  const user = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  const group = colon < 0 ? undefined : spec.slice(colon + 1).trim();
  const uid = /^[+-]?\d+$/.test(user) ? Number(user) : undefined;
  return {
    user,
    ...(group !== undefined ? { group } : {}),
    ...(uid !== undefined ? { uid: uid === 0 ? 0 : uid } : {}),
  };
}

/**
 * The one rule for "runs as root": the user part is uid 0 in any spelling (`0`, `0000`, `+0`,
 * ` 0 `), the name `root`, or empty (runc then keeps uid 0: `""`, `:1000`, no USER at all) —
 * whatever the group (`0:0`, `root:staff`, `0:somegroup`).
 */
export function isRootUser(user: string | undefined): boolean {
  const spec = parseUserSpec(user ?? '');
  return spec.user === '' || spec.user === 'root' || spec.uid === 0;
}

/**
 * Whether the container runs as root: the model's decision, or — when the model could only say
 * "the image's own user" — the user an engine read from the image. With neither, it is treated
 * as root: nothing proves otherwise.
 */
export function runsAsRoot(decision: UserDecision, imageUser?: string): boolean {
  if (decision.root !== 'unknown') return decision.root;
  return imageUser === undefined ? true : isRootUser(imageUser);
}

/**
 * Who a service runs as: compose `user:`, else the effective USER of the Dockerfile stage that is
 * really built (`build.target` honoured, build args and ARG defaults resolved, USER inherited from
 * the stages it builds on), else the image's own non-root USER as its config says (`facts`, from
 * shipshape.lock), else — for an official datastore image, which starts as root only to switch to
 * its data user — that data user, set by shipshape so the container needs no capabilities, else
 * the image's config saying root, else the user of a few well-known images.
 */
export function decideUser(
  s: Pick<ServiceModel, 'name' | 'user' | 'build' | 'location'>,
  dockerfile: ParsedDockerfile | undefined,
  image: ImageRef | undefined,
  userLocation: SourceLocation | undefined,
  dataUser?: string,
  facts?: ImageFacts,
): UserDecision {
  if (s.user !== undefined) {
    const root = isRootUser(s.user);
    return {
      user: s.user,
      root,
      source: 'compose',
      reason: `compose sets user: "${s.user}"${root ? ' (root)' : ''}`,
      location: userLocation,
    };
  }
  if (s.build) return fromDockerfile(s.build.target, dockerfile);
  if (facts && !isRootUser(facts.user)) {
    return {
      user: facts.user,
      root: false,
      source: 'image',
      reason: `the image's own USER ${facts.user} (${factsSource(facts)})`,
    };
  }
  if (image && dataUser) {
    const name = image.repository.replace(/^library\//, '');
    return {
      user: dataUser,
      root: false,
      source: 'image',
      setByShipshape: true,
      reason: `the ${name} image starts as root only to switch to its data user ${dataUser}; shipshape starts it as ${dataUser}, which needs no capabilities`,
    };
  }
  if (facts) {
    return {
      root: true,
      source: 'image',
      reason: `the image's config sets ${facts.user ? `USER ${facts.user}` : 'no USER'}, so it runs as root (${factsSource(facts)})`,
    };
  }
  return fromImage(image);
}

function fromDockerfile(target: string | undefined, df: ParsedDockerfile | undefined): UserDecision {
  if (!df) {
    return {
      root: 'unknown',
      source: 'dockerfile',
      reason: 'the Dockerfile cannot be read, so its USER is unknown',
    };
  }
  const stage = df.built;
  if (!stage) {
    const why = target === undefined ? 'it has no FROM' : `it has no stage named "${target}" (build.target)`;
    return { root: 'unknown', source: 'dockerfile', reason: `the Dockerfile's USER is unknown: ${why}` };
  }
  const stageName = stage.name
    ? `stage "${stage.name}"`
    : df.stages.length === 1
      ? 'Dockerfile'
      : `final stage (${stage.index + 1} of ${df.stages.length})`;
  const user = stageUser(stage);
  if (!user) {
    const base = stageBaseImage(stage);
    const known = knownImageUser(parseImageRef(base));
    if (known !== undefined) {
      return {
        user: known,
        root: false,
        source: 'dockerfile',
        reason: `${stageName} sets no USER; its base image ${base} runs as ${known}`,
        location: stage.location,
      };
    }
    return {
      root: true,
      source: 'dockerfile',
      reason: `the built ${stageName} (FROM ${base}) sets no USER, so it runs as root`,
      location: stage.location,
    };
  }
  const value = user.args.join(' ');
  if (value.includes('$')) {
    return {
      root: 'unknown',
      source: 'dockerfile',
      reason: `USER ${value} depends on a build variable without a default`,
      location: user.location,
    };
  }
  const root = isRootUser(value);
  return {
    user: value,
    root,
    source: 'dockerfile',
    reason: `USER ${value} in the built ${stageName}${root ? ' (root)' : ''}`,
    location: user.location,
  };
}

function fromImage(image: ImageRef | undefined): UserDecision {
  const known = image ? knownImageUser(image) : undefined;
  if (image && known !== undefined) {
    return {
      user: known,
      root: false,
      source: 'image',
      reason: `the ${image.repository.replace(/^library\//, '')} image runs as ${known}`,
    };
  }
  return {
    root: 'unknown',
    source: 'image',
    reason:
      "the image's own USER is not known (the image is not in shipshape.lock: `shipshape config --update-lock` reads it from its registry); read from the image when it runs locally; treated as root in the cloud until then or until compose sets `user:`",
  };
}
