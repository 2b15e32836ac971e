/**
 * Zod building blocks shared by the release spec, the metrics and the routing configuration, so a
 * field of one kind is checked, and its problem worded, the same way everywhere. Kept apart from
 * core/names.ts and core/duration.ts, which workflow code imports without zod.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { DNS_LABEL_RE, DNS_NAME_RE } from './names.js';

/** A Kubernetes DNS-1123 label: namespaces, services, Deployments, subsets. */
export const dnsLabel = z
  .string()
  .regex(DNS_LABEL_RE, 'must be a DNS-1123 label (lowercase letters, digits and "-", at most 63)');

/** A Kubernetes DNS-1123 subdomain: hosts and object names that may contain dots. */
export const dnsName = z
  .string()
  .max(253)
  .regex(DNS_NAME_RE, 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")');

/** A Go/Prometheus-style duration such as "90s" or "1h30m" (see core/duration.ts). */
export const durationString = z.string().refine((s) => parseDuration(s) !== undefined, {
  message: 'must be a duration such as "30s", "5m" or "1h30m"',
});
