/**
 * An execution's event history in Step Functions' own terms (GetExecutionHistory): the event
 * types, their `…EventDetails` fields and the id chain the AWS CLI and console show. Pure: local
 * Step Functions records `HistoryEvent`s as the run goes; this module names and shapes them.
 */

/** One recorded event: when, what, and the details object AWS puts under `<type>EventDetails`. */
export interface HistoryEvent {
  /** Epoch milliseconds. */
  timestamp: number;
  type: string;
  details?: Record<string, unknown>;
}

/** What a state type's entered/exited events are called: `TaskStateEntered`, `ChoiceStateExited`… */
export const stateEventType = (stateType: string, phase: 'Entered' | 'Exited') => `${stateType}State${phase}`;

/**
 * The details key AWS uses for an event type: `TaskScheduled` → `taskScheduledEventDetails`, every
 * `…StateEntered` → `stateEnteredEventDetails`, every `…StateExited` → `stateExitedEventDetails`.
 */
export function detailsKey(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/** How a Task's Resource reads in the history: `arn:aws:states:::lambda:invoke.waitForTaskToken` → lambda / invoke.waitForTaskToken. */
export function taskResource(resource: string): { resourceType: string; resource: string } {
  const integration = /^arn:[a-z-]+:states:::([a-z0-9-]+):([A-Za-z0-9.:-]+)$/.exec(resource);
  if (integration) return { resourceType: integration[1]!, resource: integration[2]! };
  const [, , service = 'unknown'] = resource.split(':');
  return { resourceType: service, resource };
}

/** A JSON value as AWS writes it in a history (a string), with the `…Details.truncated` flag beside it. */
export const json = (value: unknown) => (value === undefined ? 'null' : JSON.stringify(value));

export interface HistoryPage {
  events: Record<string, unknown>[];
  nextToken?: string;
}

/**
 * The API's view of a history: ids from 1 in order, each event's `previousEventId` the one before
 * it, input and output left out unless `includeExecutionData`, newest first with `reverseOrder`,
 * `maxResults` (1–1,000, default 100) a page, continued by `nextToken` (the next event's id).
 */
export function historyPage(
  events: readonly HistoryEvent[],
  options: { maxResults?: number; nextToken?: string; reverseOrder?: boolean; includeExecutionData?: boolean },
): HistoryPage {
  const all = events.map((event, index) => {
    const details = event.details ? (options.includeExecutionData === false ? withoutData(event.details) : event.details) : undefined;
    return {
      timestamp: event.timestamp / 1000,
      type: event.type,
      id: index + 1,
      previousEventId: index,
      ...(details ? { [detailsKey(event.type)]: details } : {}),
    };
  });
  const ordered = options.reverseOrder ? all.reverse() : all;
  const size = options.maxResults && options.maxResults > 0 ? Math.min(options.maxResults, 1000) : 100;
  const start = options.nextToken === undefined ? 0 : ordered.findIndex((e) => String(e.id) === pageId(options.nextToken!));
  if (start < 0) throw new RangeError('invalid token');
  const page = ordered.slice(start, start + size);
  const next = ordered[start + size];
  return { events: page, ...(next ? { nextToken: pageToken(next.id) } : {}) };
}

/** Pagination tokens: opaque to callers, as AWS's are (base64url of the next item's key). */
export const pageToken = (key: string | number) => Buffer.from(`page:${key}`).toString('base64url');
export function pageId(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith('page:')) throw new RangeError('invalid token');
  return text.slice(5);
}

/** The details without execution data (input, output, parameters), as with includeExecutionData false. */
function withoutData(details: Record<string, unknown>): Record<string, unknown> {
  const { input: _input, output: _output, parameters: _parameters, inputDetails: _inputDetails, outputDetails: _outputDetails, ...rest } = details;
  return rest;
}
