import type { TrafficEdge, TrafficGraph } from './types.js';

/**
 * The "who may talk to whom" graph is decided with the rest of the production intent
 * (src/model/intent): internet → entry ports of public services, and caller → callee calls from
 * depends_on, allow-from and hostname references, each with its ports and evidence.
 */

/** Edges into `name` (its callers, and the internet for a public service). */
export function callersOf(graph: TrafficGraph, name: string): TrafficEdge[] {
  return graph.edges.filter((e) => e.to === name);
}

/** Edges out of `name` (the services it calls). */
export function calleesOf(graph: TrafficGraph, name: string): TrafficEdge[] {
  return graph.edges.filter((e) => e.from === name);
}
