export * from './events.ts';
export * from './api.ts';
export * from './governance.ts';
export * from './timeline.ts';
export * from './timeline-fold.ts';
export * from './conversation-detail.ts';
export * from './notifications.ts';
