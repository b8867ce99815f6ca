import type Docker from 'dockerode';
import { architectureGraph, renderDiagram } from '../infra/diagram.js';
import type { AppModel, ServiceModel } from '../model/types.js';
import { runCheck, type CheckResult } from '../policy/check.js';
import { SHIPSHAPE_VERSION } from '../support/version.js';
import { lastDeployment, type DeploymentState } from '../deploy/record.js';

/**
 * Everything the report page shows, gathered once: the model's decisions, the diagram, the check
 * (which also reads the images and prices the synthesized templates), the last deployment.
 */
export interface ExposureRow {
  service: string;
  local: string;
  cloud: string;
  why: string;
}

export interface ReportData {
  app: string;
  environment: string;
  region: string;
  generatedAt: string;
  version: string;
  services: { name: string; image: string; exposure: string; user: string; replicas: number }[];
  diagramSvg: string;
  exposure: ExposureRow[];
  decisions: string[];
  check: CheckResult;
  deployment?: DeploymentState;
}

export interface GatherOptions {
  docker?: Docker;
  onProgress?: (message: string) => void;
}

export async function gatherReport(app: AppModel, options: GatherOptions = {}): Promise<ReportData> {
  const check = await runCheck(app, { docker: options.docker, onProgress: options.onProgress });
  return {
    app: app.name,
    environment: app.x.environment,
    region: app.x.aws.region,
    generatedAt: new Date().toISOString(),
    version: SHIPSHAPE_VERSION,
    services: app.services.map((s) => ({
      name: s.name,
      image: s.build ? `built from ${s.build.dockerfile}` : (s.image ?? ''),
      exposure: s.intent.exposure,
      user: s.intent.user.user ?? (s.intent.user.root === 'unknown' ? "image's own" : 'root'),
      replicas: s.replicas,
    })),
    diagramSvg: await renderDiagram(architectureGraph(app), `${app.name} (${app.x.environment})`),
    exposure: app.services.map(exposureRow),
    decisions: app.intent.decisions.map((d) => d.text),
    check,
    deployment: lastDeployment(app),
  };
}

/** Which ports are reachable where, and why: the model's decisions side by side. */
export function exposureRow(s: ServiceModel): ExposureRow {
  const local =
    s.ports.length === 0
      ? 'not published'
      : s.ports
          .map((p) => {
            const host = p.hostIp && p.hostIp !== '0.0.0.0' ? p.hostIp : 'all interfaces';
            return `${host}:${p.published ?? 'any'} → ${p.target}/${p.protocol}`;
          })
          .join(', ');
  let cloud: string;
  if (s.intent.placement === 'local-only') cloud = 'not deployed (local only)';
  else if (s.intent.placement === 'managed') cloud = `private: ${s.intent.datastore?.managedBy}`;
  else if (s.intent.exposure === 'public')
    cloud = `public: ${s.intent.entryPorts
      .map((p) => `${p.port}/${p.protocol} via ${p.balancer === 'application' ? 'ALB' : 'NLB'}`)
      .join(', ')}`;
  else cloud = 'private';
  return { service: s.name, local, cloud, why: s.intent.exposureReason };
}
