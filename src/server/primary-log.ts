/**
 * The primary's config line (primary.ts): what `--workers` was asked for,
 * how connections reach the workers, where they run; and the warnings a
 * server alone gives at start-up (a capped backlog, an exposed admin port or UDP address).
 */
import cluster from 'node:cluster';
import type { Logger } from '../cli/log.js';
import type { IoPath } from '../io/binding.js';
import { allowedCpus } from '../machine/cpus.js';
import { exposedWarning } from '../admin/address.js';
import type { AdminOptions } from '../admin/index.js';
import { warnIfBacklogCapped } from './listeners.js';
import { describeConfig, describeRt } from './report.js';
import type { ServerOptions } from './server.js';
import { exposedUdpWarning } from './udp.js';
import type { Distribution } from './workers.js';

/** What the primary was asked for: the config line says all of it. */
export interface PrimaryConfig {
  options: ServerOptions;
  workers: number;
  distribution: Distribution;
  /** --cpu: one worker per listed CPU, in turn. */
  cpus?: string;
  /** --rt-priority: every process (this one and each worker) sets it on itself. */
  rtPriority?: number;
  io: IoPath;
  log: Logger;
  /** --admin: the one admin port, served here for every worker. */
  admin?: AdminOptions;
}

/** The one config line of --workers, and the warnings of a capped backlog and an exposed admin port. */
export function logPrimaryConfig(p: PrimaryConfig): void {
  const { options, log } = p;
  const policy = cluster.schedulingPolicy === cluster.SCHED_RR ? 'round-robin' : 'shared handle';
  const tcpShare = options.port === undefined ? null : p.distribution === 'reuseport' ? 'reuseport' : `cluster ${policy}`;
  const unixShare = options.unix === undefined ? null : `cluster ${policy}`;
  // The cluster module shares a UDP socket's handle with every worker whatever its policy (round-robin is for connections).
  const udpShare = options.udp === undefined ? null : p.distribution === 'reuseport' ? 'reuseport' : 'cluster shared handle';
  const distribution = [tcpShare === null ? '' : `tcp: ${tcpShare}`, unixShare === null ? '' : `unix: ${unixShare}`, udpShare === null ? '' : `udp: ${udpShare}`]
    .filter((s) => s !== '')
    .join('; ');
  const adminAt = p.admin === undefined ? undefined : `${p.admin.host}:${p.admin.port}`;
  const adminCpus = p.admin?.cpus ?? null;
  log.info(
    'config',
    {
      pid: process.pid,
      ...options,
      admin: adminAt,
      adminCpus: adminAt === undefined ? undefined : adminCpus,
      workers: p.workers,
      distribution: p.distribution,
      schedulingPolicy: policy,
      io: p.io,
      cpus: allowedCpus('self'),
      rtPriority: p.rtPriority,
    },
    `${describeConfig(options)} io=${p.io} workers=${p.workers} (${distribution}) cpus=${p.cpus === undefined ? (allowedCpus('self') ?? '?') : `${p.cpus}, one worker each`}${describeRt(p.rtPriority)}${adminAt === undefined ? '' : ` admin=${adminAt}${adminCpus === null ? '' : ` admin-cpus=${adminCpus}`}`}`,
  );
  if (options.backlog !== undefined) warnIfBacklogCapped(log, options.backlog);
  const exposed = p.admin === undefined ? null : exposedWarning(p.admin, false);
  if (exposed !== null) log.warn('admin-exposed', { host: p.admin!.host }, exposed);
  const udpExposed = options.udp === undefined ? null : exposedUdpWarning(options.udp);
  if (udpExposed !== null) log.warn('udp-exposed', { host: options.udp!.host }, udpExposed);
}
