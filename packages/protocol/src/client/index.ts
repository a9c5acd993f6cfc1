/** The typed client of the engine (`@skyflo/protocol/client`): HTTP routes and event streams. */
export * from './client-errors.ts';
export * from './agent-event-stream.ts';
export * from './skyflo-client.ts';
