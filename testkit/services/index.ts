/** Real services of a test's own, on loopback, that a suite may restart, stop or kill without touching shared ones. */
export { freeLoopbackPort } from './free-loopback-port.ts';
export { startThrowawayPostgres, type ThrowawayPostgres } from './throwaway-postgres.ts';
export { startThrowawayRedis, type ThrowawayRedis } from './throwaway-redis.ts';
export { testDatabaseName, testNamePrefix, testPostgresAdminUrl, testPostgresUrl, testRedisKeyPrefix, testRedisUrl } from './shared-services.ts';
export { startServeProcess, type ServeProcess } from './serve-process.ts';
export { skyfloEntry } from './skyflo-command.ts';
export { startRealPrometheus, prometheusBinary, type RealPrometheus, type RealPrometheusOptions, type RealPrometheusTarget } from './real-prometheus.ts';
export { startRealAlertmanager, alertmanagerBinary, type RealAlertmanager, type RealAlertmanagerOptions } from './real-alertmanager.ts';
