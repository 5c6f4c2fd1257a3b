// The index's SQLite schema (version in PRAGMA user_version). The index is derived data: it can
// always be rebuilt from the chain, so a schema change bumps the version and re-indexes rather
// than migrating. Amounts of TFT are INTEGER units (10^7 per TFT; 2^63 units is far above any
// total), resources are cores and bytes, times are block timestamps in ms.
// Version 2: the nodes' stored free_* and powered_down columns and their indexes (version 1 had
// none: an index of version 1 is rebuilt, see store.ts).
import { freeSql } from '../core/resources.ts';
import { statusFreeIndex } from '../core/node-query.ts';
import { poweredDownExprSql } from '../core/status.ts';

export const indexSchemaVersion = 2;

export const indexTables = ['meta', 'blocks', 'pricing', 'twins', 'farms', 'public_ips', 'nodes', 'contracts', 'bills', 'uptime'] as const;

export const indexSchemaSql = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- One row per indexed block: the hashes a restart compares with the chain.
CREATE TABLE blocks (height INTEGER PRIMARY KEY, hash TEXT NOT NULL, timestamp_ms INTEGER NOT NULL, txs INTEGER NOT NULL);
CREATE TABLE pricing (id INTEGER PRIMARY KEY, name TEXT NOT NULL, cu INTEGER NOT NULL, su INTEGER NOT NULL, ipu INTEGER NOT NULL, unique_name INTEGER NOT NULL, discount INTEGER NOT NULL);
CREATE TABLE twins (id INTEGER PRIMARY KEY, account TEXT NOT NULL, encryption_key TEXT NOT NULL, relays TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE INDEX twins_account ON twins (account);
CREATE TABLE farms (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, twin_id INTEGER NOT NULL, pricing_policy_id INTEGER NOT NULL,
  certification TEXT NOT NULL DEFAULT 'NotCertified', created_ms INTEGER NOT NULL,
  ips_total INTEGER NOT NULL DEFAULT 0, ips_free INTEGER NOT NULL DEFAULT 0);
CREATE INDEX farms_name ON farms (name COLLATE NOCASE);
CREATE INDEX farms_twin ON farms (twin_id);
CREATE TABLE public_ips (farm_id INTEGER NOT NULL, ip TEXT NOT NULL, gateway TEXT NOT NULL, contract_id INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (farm_id, ip)) WITHOUT ROWID;
CREATE INDEX public_ips_contract ON public_ips (contract_id) WHERE contract_id > 0;
CREATE TABLE nodes (
  id INTEGER PRIMARY KEY, farm_id INTEGER NOT NULL, twin_id INTEGER NOT NULL,
  country TEXT NOT NULL, city TEXT NOT NULL, latitude REAL NOT NULL, longitude REAL NOT NULL,
  total_cru INTEGER NOT NULL, total_mru INTEGER NOT NULL, total_sru INTEGER NOT NULL, total_hru INTEGER NOT NULL,
  used_cru INTEGER NOT NULL DEFAULT 0, used_mru INTEGER NOT NULL DEFAULT 0, used_sru INTEGER NOT NULL DEFAULT 0, used_hru INTEGER NOT NULL DEFAULT 0,
  ip4 TEXT NOT NULL DEFAULT '', gw4 TEXT NOT NULL DEFAULT '', ip6 TEXT NOT NULL DEFAULT '', gw6 TEXT NOT NULL DEFAULT '', domain TEXT NOT NULL DEFAULT '',
  interfaces TEXT NOT NULL DEFAULT '[]', certification TEXT NOT NULL DEFAULT 'Diy', secure_boot INTEGER NOT NULL DEFAULT 0,
  virtualized INTEGER NOT NULL DEFAULT 0, serial TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, uptime_sec INTEGER NOT NULL DEFAULT 0, last_uptime_ms INTEGER NOT NULL,
  power_target TEXT NOT NULL DEFAULT 'Up', power_state TEXT NOT NULL DEFAULT 'Up', power_changed_ms INTEGER NOT NULL,
  rent_contract_id INTEGER NOT NULL DEFAULT 0, rented_by INTEGER NOT NULL DEFAULT 0,
  node_contracts INTEGER NOT NULL DEFAULT 0, price_usd REAL NOT NULL DEFAULT 0,
  -- Kept by SQLite itself on every write of the columns they read, by the rules in core/
  -- (free resources: resources.ts freeSql; power: status.ts), so /nodes filters, counts and sorts
  -- read stored values through the indexes below. Status itself depends on the head's time:
  -- powered_down and last_uptime_ms decide it (status.ts statusConditionSql).
  free_cru INTEGER NOT NULL GENERATED ALWAYS AS (${freeSql.cru}) STORED,
  free_mru INTEGER NOT NULL GENERATED ALWAYS AS (${freeSql.mru}) STORED,
  free_sru INTEGER NOT NULL GENERATED ALWAYS AS (${freeSql.sru}) STORED,
  free_hru INTEGER NOT NULL GENERATED ALWAYS AS (${freeSql.hru}) STORED,
  powered_down INTEGER NOT NULL GENERATED ALWAYS AS (${poweredDownExprSql}) STORED);
CREATE INDEX nodes_farm ON nodes (farm_id);
CREATE INDEX nodes_twin ON nodes (twin_id);
CREATE INDEX nodes_country ON nodes (country COLLATE NOCASE);
-- A count over status and free filters, and a page of such matches sorted by id, status, last
-- report or free resources, read this narrow index, not the rows (core/node-query.ts); it is also
-- the index by last report. last_uptime_ms leads: a status is a range of it (a filter by country,
-- farm or twin stays the planner's better choice where both apply). One index, not one per sort
-- key: each costs the indexer a write per contract created or canceled.
CREATE INDEX ${statusFreeIndex} ON nodes (last_uptime_ms, powered_down, free_mru, free_sru, free_cru, free_hru);
CREATE TABLE contracts (
  id INTEGER PRIMARY KEY, twin_id INTEGER NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
  node_id INTEGER NOT NULL DEFAULT 0, name TEXT NOT NULL DEFAULT '', deployment_hash TEXT NOT NULL DEFAULT '',
  deployment_data TEXT NOT NULL DEFAULT '', public_ips TEXT NOT NULL DEFAULT '[]',
  cru INTEGER NOT NULL DEFAULT 0, mru INTEGER NOT NULL DEFAULT 0, sru INTEGER NOT NULL DEFAULT 0, hru INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, deleted_ms INTEGER NOT NULL DEFAULT 0, delete_reason TEXT NOT NULL DEFAULT '',
  billed_total INTEGER NOT NULL DEFAULT 0, last_billed_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX contracts_twin ON contracts (twin_id);
CREATE INDEX contracts_node ON contracts (node_id) WHERE node_id > 0;
CREATE TABLE bills (contract_id INTEGER NOT NULL, height INTEGER NOT NULL, timestamp_ms INTEGER NOT NULL, amount INTEGER NOT NULL, period_ms INTEGER NOT NULL);
CREATE INDEX bills_contract ON bills (contract_id, height);
CREATE TABLE uptime (node_id INTEGER NOT NULL, timestamp_ms INTEGER NOT NULL, uptime_sec INTEGER NOT NULL, PRIMARY KEY (node_id, timestamp_ms)) WITHOUT ROWID;
`;
