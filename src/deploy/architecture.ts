import type Docker from 'dockerode';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel, Diagnostic } from '../model/types.js';
import type { LocalImage } from './images.js';

/** The engine's architecture names → the task's (`runtimePlatform.cpuArchitecture`). */
const ENGINE_ARCHITECTURES: Record<string, 'amd64' | 'arm64'> = {
  amd64: 'amd64',
  x86_64: 'amd64',
  arm64: 'arm64',
  aarch64: 'arm64',
};

/**
 * Each image deploy is about to push must be built for the CPU architecture its task runs on:
 * an image built on Apple silicon or a Graviton CI runner (arm64) in an X86_64 task fails at every
 * start with "exec format error", after the deploy has replaced the running version. The task's
 * architecture is the model's (`intent.platform`: compose `platform:`, else the image's); a
 * mismatch stops the deploy before anything is pushed.
 */
export async function assertImageArchitectures(
  docker: Docker,
  app: AppModel,
  images: readonly LocalImage[],
): Promise<void> {
  const problems: Diagnostic[] = [];
  for (const image of images) {
    // Helper images (the init container) serve every task: they are checked by the engine's pull.
    const service = app.services.find((s) => s.name === image.service);
    if (!service) continue;
    const built = (await docker.getImage(image.imageId).inspect()).Architecture;
    const arch = ENGINE_ARCHITECTURES[built];
    const task = service.intent.platform.architecture;
    if (arch === task) continue;
    problems.push({
      severity: 'error',
      message: `${service.name}: the image is built for ${built}, its task runs on ${task} (${service.intent.platform.reason})`,
      path: `services.${service.name}.platform`,
      location: service.location,
      hint:
        arch === 'arm64' || arch === 'amd64'
          ? `set \`platform: linux/${arch}\` on ${service.name} (Fargate runs ${arch === 'arm64' ? 'ARM64 (Graviton)' : 'X86_64'} tasks), or build on a ${task} machine`
          : `Fargate runs linux/amd64 and linux/arm64 images only`,
    });
  }
  if (problems.length === 0) return;
  const [first, ...more] = problems;
  throw new ShipshapeError(
    `${problems.length} image(s) would not run on their tasks' CPU: ${first!.message}`,
    {
      exitCode: ExitCode.usage,
      location: first!.location,
      path: first!.path,
      hint: first!.hint,
      more,
    },
  );
}
