import { getHeapStatistics } from 'node:v8';

/** Liveness fails when the used heap passes this share of V8's ceiling. */
export const LIVENESS_HEAP_RATIO = 0.9;

/**
 * The heap size above which liveness fails: a little below V8's own ceiling (heap_size_limit,
 * which NODE_OPTIONS' --max-old-space-size and --max-semi-space-size set; the manifests set it
 * below the container's memory limit), so the pod is restarted before V8 aborts on a full heap.
 * A fixed number could sit above the process's real ceiling and never fire.
 */
export function livenessHeapLimit(heapSizeLimit = getHeapStatistics().heap_size_limit): number {
  return Math.floor(heapSizeLimit * LIVENESS_HEAP_RATIO);
}
