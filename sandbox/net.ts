/**
 * Listening and closing for the sandbox's HTTP servers. Everything binds to the loopback
 * interface; port 0 asks the kernel for a free port.
 */
import type { Server } from 'node:http';

/** The only address the sandbox listens on or sends to. */
export const LOOPBACK = '127.0.0.1';

/**
 * Starts listening on host:port (127.0.0.1 unless a container needs 0.0.0.0) and resolves with the
 * port actually bound.
 */
export function listen(
  server: Server,
  port: number,
  what: string,
  host: string = LOOPBACK,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const hint =
        error.code === 'EADDRINUSE'
          ? ` (port ${port} is in use; pick another port or pass 0 for a free one)`
          : '';
      reject(
        new Error(`${what} cannot listen on ${host}:${port}: ${error.message}${hint}`, {
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Stops accepting connections, drops idle keep-alive ones and resolves once the server is closed. */
export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // Requests still in flight get a moment to finish; after that their sockets are cut.
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}
