export { createEventBus, type EventBusConfig } from './create-event-bus.ts';
export { createMemoryEventBus, type MemoryEventBusOptions } from './memory-event-bus.ts';
export { createRedisEventBus, type RedisEventBusOptions } from './redis-event-bus.ts';
export { RedisConnectionError } from './redis-connection-error.ts';
export type { BusLogger, ReadyEventBus } from './bus-types.ts';
