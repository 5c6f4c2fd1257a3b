// Node status as the explorer shows it (grid-proxy's rule, with the chain's uptime interval):
//   up      — reported within 2 uptime intervals, and neither the farmer's power target nor the
//             node's power state is Down;
//   standby — powered down (target or state Down) by the farmer(bot) and reported within 24 h:
//             farmerbot wakes such nodes about once a day, so they are capacity, not failures;
//   down    — anything else.
// "Now" is the time of the newest indexed block, not the wall clock: answers follow the chain
// (and stay reproducible), and /health shows how old that block is.
export const ExplorerStatus = { up: 'up', standby: 'standby', down: 'down' } as const;
export type ExplorerStatusName = (typeof ExplorerStatus)[keyof typeof ExplorerStatus];
export const explorerStatuses = [ExplorerStatus.up, ExplorerStatus.standby, ExplorerStatus.down] as const;

export const upIntervals = 2;
export const standbyWindowMs = 24 * 3_600_000;

export interface StatusInput {
  readonly lastUptimeMs: number;
  readonly powerTarget: string;
  readonly powerState: string;
}

export interface StatusBounds {
  /** Reports at or after this time count for up. */
  readonly upSinceMs: number;
  /** Reports at or after this time count for standby. */
  readonly standbySinceMs: number;
}

export function statusBounds(nowMs: number, uptimeIntervalMs: number): StatusBounds {
  return { upSinceMs: nowMs - upIntervals * uptimeIntervalMs, standbySinceMs: nowMs - standbyWindowMs };
}

export function nodeStatus(node: StatusInput, bounds: StatusBounds): ExplorerStatusName {
  const poweredDown = node.powerTarget === 'Down' || node.powerState === 'Down';
  if (!poweredDown && node.lastUptimeMs >= bounds.upSinceMs) return ExplorerStatus.up;
  if (poweredDown && node.lastUptimeMs >= bounds.standbySinceMs) return ExplorerStatus.standby;
  return ExplorerStatus.down;
}

/** Is the node powered down (farmer's target or node's state Down)? SQL over the nodes table's
 *  own columns: the index stores it as the generated column `powered_down` (0/1). */
export const poweredDownExprSql = "(power_target = 'Down' OR power_state = 'Down')";
const poweredDown = 'n.powered_down = 1';
const poweredUp = 'n.powered_down = 0';

/** The same rule in SQL over the nodes table aliased `n` (its stored `powered_down` and indexed
 *  `last_uptime_ms`): one condition per status, with its parameters. */
export function statusConditionSql(status: ExplorerStatusName, bounds: StatusBounds): { sql: string; params: number[] } {
  switch (status) {
    case ExplorerStatus.up:
      return { sql: `(${poweredUp} AND n.last_uptime_ms >= ?)`, params: [bounds.upSinceMs] };
    case ExplorerStatus.standby:
      return { sql: `(${poweredDown} AND n.last_uptime_ms >= ?)`, params: [bounds.standbySinceMs] };
    case ExplorerStatus.down:
      return { sql: `NOT ((${poweredUp} AND n.last_uptime_ms >= ?) OR (${poweredDown} AND n.last_uptime_ms >= ?))`, params: [bounds.upSinceMs, bounds.standbySinceMs] };
  }
}

/** A sortable rank of the status (up 0, standby 1, down 2) in SQL, with its parameters. */
export function statusRankSql(bounds: StatusBounds): { sql: string; params: number[] } {
  return {
    sql: `(CASE WHEN ${poweredUp} AND n.last_uptime_ms >= ? THEN 0 WHEN ${poweredDown} AND n.last_uptime_ms >= ? THEN 1 ELSE 2 END)`,
    params: [bounds.upSinceMs, bounds.standbySinceMs],
  };
}
