/**
 * The Temporal SDK's logs as the engine's JSON lines: the Runtime's logger (worker, bundler and
 * forwarded Core lines, activity `log` calls with the activity's attributes, workflow `log` sink
 * calls with the workflow's) written through pino, so they carry the same fields, trace ids
 * included, as everything else the worker writes.
 */
import type {
  LogLevel as TemporalLevel,
  LogMetadata,
  Logger as TemporalLogger,
} from '@temporalio/common';
import { LogTimestamp, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { Logger, LogLevel } from './logger.js';

const LEVELS: Record<TemporalLevel, LogLevel> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Components whose lines are the engine's own: activity `log` calls and the workflow `log` sink. */
const ENGINE_COMPONENTS = new Set(['activity', 'workflow']);

/**
 * A Temporal Logger writing to pino. Lines of the engine's activities and workflows pass at the
 * logger's level; the SDK's own (worker state, bundler, Core) only from warn, unless the operator
 * asked for debug or trace, when everything passes.
 */
export class PinoTemporalLogger implements TemporalLogger {
  private readonly sdkFloor: number;

  constructor(private readonly pino: Logger) {
    this.sdkFloor = Math.max(pino.levelVal, pino.levels.values.warn ?? 40);
    if (pino.levelVal <= (pino.levels.values.debug ?? 20)) this.sdkFloor = pino.levelVal;
  }

  log(level: TemporalLevel, message: string, meta?: LogMetadata): void {
    const name = LEVELS[level] ?? 'info';
    const { [LogTimestamp]: _time, ...fields } = (meta ?? {}) as LogMetadata & {
      [LogTimestamp]?: unknown;
    };
    const component = typeof fields.sdkComponent === 'string' ? fields.sdkComponent : undefined;
    const value = this.pino.levels.values[name] ?? 30;
    if (!(component && ENGINE_COMPONENTS.has(component)) && value < this.sdkFloor) return;
    this.pino[name](fields, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * Installs the process's Temporal Runtime with its logs through `logger` (Core's own forwarded
 * from warn), and without the SDK's signal handlers: the process decides its shutdown order.
 */
export function installTemporalRuntime(logger: Logger): void {
  Runtime.install({
    logger: new PinoTemporalLogger(logger),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
    },
  });
}
