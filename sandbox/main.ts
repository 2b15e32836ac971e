/**
 * The sandbox on its own (docker-compose's `sandbox` profile): demo versions, router and traffic,
 * bound to SANDBOX_HOST (0.0.0.0 in a container). Prometheus and the engine run as other services.
 */
import { startSandbox } from './index.js';

const host = process.env.SANDBOX_HOST ?? '127.0.0.1';
const routerPort = Number(process.env.SANDBOX_ROUTER_PORT ?? 8089);
const rps = process.env.SANDBOX_RPS ? Number(process.env.SANDBOX_RPS) : undefined;
if (!Number.isInteger(routerPort) || routerPort <= 0 || (rps !== undefined && !(rps > 0))) {
  console.error(
    'sandbox: SANDBOX_ROUTER_PORT must be a port number and SANDBOX_RPS a positive number',
  );
  process.exit(2);
}
// traffic for as long as the container runs (the generator's own default stops after 2 h)
const sandbox = await startSandbox({
  host,
  routerPort,
  traffic: { maxDurationMs: Number.POSITIVE_INFINITY, ...(rps ? { ratePerSecond: rps } : {}) },
});
console.error(
  `[sandbox] router on ${host}:${routerPort}; demo ${Object.values(sandbox.demo)
    .map((d) => d.port)
    .join(', ')}`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sandbox.stop().then(() => process.exit(0));
  });
}
