#!/usr/bin/env node
// Validates a HAR (HTTP Archive) 1.2 file.
//
// Usage: node tests/tools/har.mjs FILE.har [--schema-only]
//
// 1. The schema: har-validator (its har() check, ajv with allErrors over
//    the har-schema package's JSON schemas, one per HAR 1.2 object). Every
//    error is printed as `schema: $.log.entries[0].timings.send: ...`.
// 2. The HAR 1.2 text's rules the schema cannot say (har-schema writes
//    "min": -1, which JSON Schema ignores), unless --schema-only:
//    - timings.send, .wait and .receive are >= 0 (no -1: they always apply);
//    - timings.blocked, .dns, .connect and .ssl are >= 0, or -1 when they
//      do not apply to the request (or are not known);
//    - timings.ssl, when given, is also counted in timings.connect, so it
//      is <= connect;
//    - entry.time is the sum of the timings that are not -1, ssl left out
//      (within 1 ms);
//    - log.version is "1.2" (1.1 files pass the schema too);
//    - entry.pageref names a page of log.pages.
//    Printed as `spec: PATH: ...`.
//
// Prints `FILE: valid HAR 1.2 (N entries)` on success.
// Exit 0 valid; 1 an error, or the file is not JSON or cannot be read;
// 2 bad usage.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const USAGE = 'usage: node tests/tools/har.mjs FILE.har [--schema-only]';
const require = createRequire(import.meta.url);

function usage(msg) {
  process.stderr.write(`har.mjs: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

// ajv 6's dataPath (".log.entries[0].timings") and property -> $.log...
function path(dataPath, prop) {
  let p = `$${dataPath || ''}`;
  if (prop !== undefined) p += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(prop) ? `.${prop}` : `[${JSON.stringify(prop)}]`;
  return p;
}

function schemaMessage(e) {
  const p = e.params || {};
  switch (e.keyword) {
    case 'required':
      return { at: path(e.dataPath, p.missingProperty.replace(/^\./, '')), message: 'is required but missing' };
    case 'type':
      return { at: path(e.dataPath), message: `must be of type ${p.type}` };
    default:
      return { at: path(e.dataPath), message: e.message.replace(/^should /, 'must ') };
  }
}

const OPTIONAL_TIMINGS = ['blocked', 'dns', 'connect', 'ssl'];
const REQUIRED_TIMINGS = ['send', 'wait', 'receive'];

function specChecks(har) {
  const errors = [];
  const add = (at, message) => errors.push({ at, message });
  const log = har && har.log;
  if (!log || typeof log !== 'object') return errors;
  if (log.version !== '1.2') add('$.log.version', `is ${JSON.stringify(log.version)}, not "1.2"`);
  const pages = new Set(Array.isArray(log.pages) ? log.pages.map((p) => p && p.id) : []);
  (Array.isArray(log.entries) ? log.entries : []).forEach((entry, i) => {
    const at = `$.log.entries[${i}]`;
    if (!entry || typeof entry !== 'object') return;
    if (entry.pageref !== undefined && !pages.has(entry.pageref)) add(`${at}.pageref`, `${JSON.stringify(entry.pageref)} is no id in $.log.pages`);
    const t = entry.timings;
    if (!t || typeof t !== 'object') return;
    for (const k of REQUIRED_TIMINGS) {
      if (typeof t[k] === 'number' && !(t[k] >= 0)) add(`${at}.timings.${k}`, `is ${t[k]}: ${k} must be >= 0 (-1 is only for blocked, dns, connect and ssl)`);
    }
    for (const k of OPTIONAL_TIMINGS) {
      if (typeof t[k] === 'number' && !(t[k] >= 0 || t[k] === -1)) add(`${at}.timings.${k}`, `is ${t[k]}: must be >= 0, or -1 when it does not apply`);
    }
    if (typeof t.ssl === 'number' && t.ssl >= 0) {
      if (typeof t.connect !== 'number' || t.connect < 0) add(`${at}.timings.ssl`, `is ${t.ssl} but connect is ${JSON.stringify(t.connect)}: ssl is part of connect, so connect must be given and >= ssl`);
      else if (t.ssl > t.connect + 1e-9) add(`${at}.timings.ssl`, `is ${t.ssl}, more than connect (${t.connect}): ssl is included in connect`);
    }
    if (typeof entry.time === 'number') {
      const parts = [...OPTIONAL_TIMINGS.filter((k) => k !== 'ssl'), ...REQUIRED_TIMINGS].filter((k) => typeof t[k] === 'number' && t[k] >= 0);
      const sum = parts.reduce((s, k) => s + t[k], 0);
      if (Math.abs(sum - entry.time) > 1) add(`${at}.time`, `is ${entry.time} but the timings (${parts.join(' + ')}, ssl counted in connect) add up to ${Number(sum.toFixed(3))}`);
    }
  });
  return errors;
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const schemaOnly = args.includes('--schema-only');
  const positional = args.filter((a) => a !== '--schema-only');
  for (const a of positional) if (a.startsWith('--')) usage(`unknown option ${a}`);
  if (positional.length !== 1) usage('expected exactly one FILE.har');
  const [file] = positional;
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`har.mjs: cannot read ${file}: ${e.message}\n`);
    return 1;
  }
  let har;
  try {
    har = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    process.stdout.write(`${file}: not JSON: ${e.message}\n`);
    return 1;
  }
  const validator = require('har-validator');
  const problems = [];
  try {
    await validator.har(har);
  } catch (e) {
    if (!Array.isArray(e.errors)) throw e;
    for (const err of e.errors) {
      const { at, message } = schemaMessage(err);
      problems.push(`schema: ${at}: ${message}  (${err.schemaPath})`);
    }
  }
  if (!schemaOnly) for (const { at, message } of specChecks(har)) problems.push(`spec: ${at}: ${message}`);
  if (problems.length) {
    for (const p of problems) process.stdout.write(`${file}: ${p}\n`);
    process.stdout.write(`${file}: NOT a valid HAR 1.2 file: ${problems.length} error(s)\n`);
    return 1;
  }
  const n = Array.isArray(har.log?.entries) ? har.log.entries.length : 0;
  process.stdout.write(`${file}: valid HAR 1.2 (${n} entr${n === 1 ? 'y' : 'ies'})\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`har.mjs: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
