/**
 * The one rule for text from servers the engine calls: it goes into errors, and errors go into a
 * release's outcome that every viewer reads, so an answer body is never echoed. A status line (HTTP
 * status and reason phrase) is always safe; an operator-run server's own explanation (Prometheus's
 * JSON `error`, the Kubernetes API's Status message) may stay, capped and on one printable line.
 * Pure and workflow-safe.
 */

/** How much of an operator-run server's explanation is kept. */
export const FOREIGN_MESSAGE_MAX = 300;

/** Printable, one line, at most `max` characters (an ellipsis marks a cut). */
export function foreignMessage(text: string, max = FOREIGN_MESSAGE_MAX): string {
  const line = text
    // control characters (C0, DEL, C1) and line separators would forge lines in logs and terminals
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** "HTTP 502 Bad Gateway": the status and, when it is a plain phrase, the reason. */
export function statusLine(status: number, statusText = ''): string {
  const reason = /^[A-Za-z][A-Za-z '-]{0,60}$/.test(statusText) ? ` ${statusText}` : '';
  return `HTTP ${status}${reason}`;
}
