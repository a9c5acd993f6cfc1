/**
 * GET /analytics/metrics (spec §1, §4; any signed-in user): tokens, cost, conversations, TTFT/TTR, cache hit rate,
 * approvals and tool calls for a window, with daily or adaptive buckets.
 *   ?last_n_days=7 | start_date&end_date (UTC days, end inclusive) | start_datetime&end_datetime; user_id (admins)
 * Members always see their own figures; admins see everyone's, or one user's with user_id.
 */
import { analyticsQuerySchema, type AnalyticsResponse } from '@skyflo/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { resolveWindow, WindowError } from '../../../app/analytics/analytics-window.ts';
import { computeMetrics } from '../../../app/analytics/compute-metrics.ts';
import type { PriceLookup } from '@skyflo/protocol';
import type { AnalyticsReader } from '../../../platform/ports/index.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface AnalyticsRouteDeps {
  analytics: AnalyticsReader;
  /** the built-in price table with ANALYTICS_MODEL_PRICES applied */
  priceOf: PriceLookup;
  now?: () => Date;
}

export const analyticsRoutes: FastifyPluginAsync<AnalyticsRouteDeps> = async (app, { analytics, priceOf, now = () => new Date() }) => {
  app.get('/analytics/metrics', async (request): Promise<AnalyticsResponse> => {
    const query = parseInput(analyticsQuerySchema, request.query, 'query');
    const user = request.user;
    if (query.user_id && query.user_id !== user.id && user.role !== 'admin') {
      throw new HttpError(403, 'user_id: only admins can see another user\'s figures; leave it out to see your own', 'FORBIDDEN');
    }
    let window;
    try {
      window = resolveWindow(query, now());
    } catch (error) {
      if (error instanceof WindowError) throw new HttpError(400, error.message, 'INVALID_INPUT');
      throw error;
    }
    // Members: their own figures, whatever they ask. Admins: everyone's unless they name one user.
    const userId = user.role === 'admin' ? query.user_id : user.id;
    const scope: AnalyticsResponse['scope'] = user.role !== 'admin' ? 'self' : userId ? 'user' : 'all';
    const range = { from: window.start, to: window.end, ...(userId ? { userId } : {}) };
    const [usage, approvals] = await Promise.all([analytics.usage(range), analytics.approvals(range)]);
    return computeMetrics({ window, scope, usage, approvals, priceOf });
  });
};
