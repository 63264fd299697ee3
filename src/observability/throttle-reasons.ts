// Which throttle answered a request 429, for the `reason` label of
// scopekeeper_throttled_requests_total (the doors mark it; the metrics hook reads it).
import type { FastifyRequest } from "fastify";

const reasons = new WeakMap<FastifyRequest, string>();

export function markThrottled(request: FastifyRequest, reason: string): void {
  reasons.set(request, reason);
}

export function throttleReason(request: FastifyRequest): string {
  return reasons.get(request) ?? "other";
}
