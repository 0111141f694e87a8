#!/usr/bin/env node
// Checks the harness's Cucumber outputs with Cucumber's own npm tools.
//
// Usage:
//   node tests/tools/cucumber.mjs json FILE [--impl NAME] [--summary]
//   node tests/tools/cucumber.mjs messages FILE.ndjson [--strict]
//   node tests/tools/cucumber.mjs html MESSAGES.ndjson OUT.html
//   node tests/tools/cucumber.mjs page OUT.html [--screenshot PNG]
//
// json: validates a cucumber.json with @cucumber/cucumber-json-converter.
//   That package carries one JSON schema per implementation that writes the
//   format (cucumber-js, cucumber-jvm, cucumber-ruby, behave), plus a
//   converter from each to a common shape. Its convert() tries every schema
//   and takes the file if at least one accepts it (and the converted result
//   validates against its common schema); it has no way to name one. This
//   command does the same by default, or, with --impl NAME, accepts only
//   what NAME's schema accepts. Every schema error is printed with its JSON
//   path (the converter itself stops at the first one per schema), after a
//   count of the distinct ones (--summary: the counts only). Prints
//   `accepted as: NAME[, NAME]` on success.
//
// messages: validates every envelope of a messages.ndjson against
//   @cucumber/messages' JSON schema (messages.schema.json), then checks the
//   links the HTML report's queries follow (a gherkinDocument before the
//   pickles of its uri, pickle astNodeIds that exist in it, a testCase and
//   testCaseStarted per pickle, steps and attempts that point at known ids,
//   ...). Errors fail; warnings (an empty part of the report, attempts
//   numbered oddly, ...) fail only with --strict.
//
// html: renders messages with @cucumber/html-formatter (CucumberHtmlStream)
//   into the standard, self-contained Cucumber HTML report. The formatter
//   only embeds the envelopes: a page that React cannot render still writes
//   fine, so follow with `page` (or `messages`).
//
// page: loads OUT.html in headless Chromium (puppeteer-core, no browser
//   download) and prints ONE JSON object: whether React rendered the report,
//   the summary (scenario count per status, as the filter bar shows it), per
//   feature the status its icon shows, and per scenario shown its name, the
//   status of each step (li[data-status]) and hook, and the status the page
//   implies for it (the worst of those, in Cucumber's order), with the
//   error, notes and attachments shown under each, plus console and page
//   errors and the pickles the page did not show. The page shows only each
//   test case's last attempt (willBeRetried: false) and no retry count.
//
// Exit codes: 0 accepted / written / rendered; 1 errors found, the file
// could not be read, Chromium could not start, or the page rendered nothing;
// 2 bad usage. Diagnostics go to stderr; `page` prints its JSON on stdout
// even when it exits 1.
//
// Chromium: $CHROMIUM, else `chromium` on PATH (Debian's package).

import { accessSync, constants, readFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';

const USAGE = `usage:
  node tests/tools/cucumber.mjs json FILE [--impl cucumber-js|cucumber-jvm|cucumber-ruby|behave] [--summary]
  node tests/tools/cucumber.mjs messages FILE.ndjson [--strict]
  node tests/tools/cucumber.mjs html MESSAGES.ndjson OUT.html
  node tests/tools/cucumber.mjs page OUT.html [--screenshot PNG]`;

function usage(msg) {
  process.stderr.write(`cucumber.mjs: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

class Fatal extends Error {}
function fail(msg) {
  throw new Fatal(msg);
}

function readText(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    fail(`cannot read ${file}: ${e.message}`);
  }
}

// JSON Pointer (ajv's instancePath) -> $[0].elements[1].steps[0]
function jsonPath(pointer, extra) {
  const parts = pointer === '' ? [] : pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '$';
  for (const p of parts) {
    if (/^[0-9]+$/.test(p)) out += `[${p}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

function describeAjvError(e) {
  const p = e.params || {};
  switch (e.keyword) {
    case 'required':
      return { path: jsonPath(e.instancePath, p.missingProperty), message: 'is required but missing' };
    case 'additionalProperties':
      return { path: jsonPath(e.instancePath, p.additionalProperty), message: 'is not allowed here (additionalProperties: false)' };
    case 'enum':
      return { path: jsonPath(e.instancePath), message: `must be one of ${JSON.stringify(p.allowedValues)}` };
    case 'const':
      return { path: jsonPath(e.instancePath), message: `must be ${JSON.stringify(p.allowedValue)}` };
    default:
      return { path: jsonPath(e.instancePath), message: e.message || e.keyword };
  }
}

// Names of the feature/scenario/step a path points into, for humans.
function contextOf(doc, pointer) {
  const parts = pointer.split('/').slice(1);
  const bits = [];
  let node = doc;
  for (let i = 0; i < parts.length && node && typeof node === 'object'; i++) {
    node = node[parts[i]];
    if (node && typeof node === 'object' && !Array.isArray(node) && /^[0-9]+$/.test(parts[i])) {
      const parent = parts[i - 1];
      if (i === 0 && typeof node.name === 'string') bits.push(`feature ${JSON.stringify(node.name)}`);
      else if (parent === 'elements' && typeof node.name === 'string') bits.push(`scenario ${JSON.stringify(node.name)}`);
      else if (parent === 'steps' && typeof node.name === 'string') bits.push(`step ${JSON.stringify(`${node.keyword ?? ''}${node.name}`)}`);
    }
  }
  return bits.join(' > ');
}

// ---------------------------------------------------------------- json

const IMPLEMENTATIONS = {
  'cucumber-js': 'cucumber-js/CucumberJsSchema.js',
  'cucumber-jvm': 'cucumber-jvm/CucumberJvmSchema.js',
  'cucumber-ruby': 'cucumber-ruby/CucumberRubySchema.js',
  behave: 'behave/BehaveSchema.js',
};

// One implementation's schema, compiled so that every definition can be
// checked on its own: an `anyOf` that fails (a cucumber-js step is a step
// or a hook) is reported as the errors of its closest branch only.
function schemaChecker(schema, doc) {
  const defs = schema.definitions || {};
  const nameOf = new Map(Object.entries(defs).map(([k, v]) => [v, k]));
  const ajv = new JsonAjv({ allErrors: true, strict: false, verbose: true });
  ajv.addSchema(schema, 'root');
  const compiled = new Map();
  const validatorFor = (def) => {
    if (!compiled.has(def)) compiled.set(def, ajv.compile({ $ref: `root#/definitions/${def}` }));
    return compiled.get(def);
  };
  const valueAt = (pointer) =>
    pointer
      .split('/')
      .slice(1)
      .reduce((v, k) => (v == null ? v : v[k.replace(/~1/g, '/').replace(/~0/g, '~')]), doc);
  const errorsFor = (def, value, base) => {
    const validate = validatorFor(def);
    if (validate(value)) return [];
    const errs = validate.errors.map((e) => ({
      ...e,
      instancePath: base + e.instancePath,
      definition: nameOf.get(e.parentSchema) || null,
    }));
    let out = errs.filter((e) => e.keyword !== 'anyOf');
    const anyOfs = errs.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.instancePath.length - b.instancePath.length);
    const done = [];
    for (const a of anyOfs) {
      const p = a.instancePath;
      if (done.some((d) => p === d || p.startsWith(`${d}/`))) continue;
      done.push(p);
      const branches = (a.parentSchema.anyOf || []).map((b) => (b.$ref || '').split('/').pop());
      const tried = branches.map((b) => ({ b, errs: errorsFor(b, valueAt(p), p) }));
      const best = tried.reduce((x, y) => (y.errs.length < x.errs.length ? y : x));
      out = out.filter((e) => !(e.instancePath === p || e.instancePath.startsWith(`${p}/`)));
      out.push({
        keyword: 'anyOf',
        instancePath: p,
        definition: a.definition,
        message: `matches none of ${branches.join(' | ')}; closest is ${best.b}, which says:`,
        params: {},
      });
      out.push(...best.errs);
    }
    return out;
  };
  return () => {
    const top = (schema.$ref || '').split('/').pop();
    const errs = errorsFor(top, doc, '');
    const key = (e) => e.instancePath.split('/').slice(1).map((k) => (/^[0-9]+$/.test(k) ? k.padStart(8, '0') : k)).join('/');
    // Stable: document order, anyOf notes before the errors they explain.
    return errs.map((e, i) => ({ e, i })).sort((x, y) => (key(x.e) < key(y.e) ? -1 : key(x.e) > key(y.e) ? 1 : x.i - y.i)).map((x) => x.e);
  };
}

// "JsFeature: $[*].line is required but missing", the same for every index.
function problemKey(e) {
  const d = describeAjvError(e);
  return `${e.definition ? `${e.definition}: ` : ''}${d.path.replace(/\[[0-9]+\]/g, '[*]')} ${d.message}`;
}

let JsonAjv;

async function cmdJson(args) {
  let impl = null;
  let details = true;
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--impl') {
      if (i + 1 >= args.length) usage('--impl needs a value');
      impl = args[++i];
    } else if (a.startsWith('--impl=')) impl = a.slice('--impl='.length);
    else if (a === '--summary') details = false;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 1) usage('json wants exactly one FILE');
  if (impl !== null && !(impl in IMPLEMENTATIONS)) usage(`--impl must be one of ${Object.keys(IMPLEMENTATIONS).join(', ')}`);
  const [file] = positional;
  let doc;
  try {
    doc = JSON.parse(readText(file));
  } catch (e) {
    if (e instanceof Fatal) throw e;
    process.stdout.write(`${file}: not JSON: ${e.message}\n`);
    return 1;
  }

  const converter = await import('@cucumber/cucumber-json-converter');
  // The per-implementation schemas are not exported; they sit beside the
  // package's ESM entry point, which is what its convert() uses.
  const entry = import.meta.resolve('@cucumber/cucumber-json-converter');
  JsonAjv = (await import('ajv')).default;

  const names = impl ? [impl] : Object.keys(IMPLEMENTATIONS);
  const results = {};
  for (const name of names) {
    const schema = (await import(new URL(`./${IMPLEMENTATIONS[name]}`, entry).href)).default;
    results[name] = schemaChecker(schema, doc)();
  }

  // The package's own verdict (every schema, then its converter and the
  // common schema); with --impl, only that implementation's verdict counts.
  let acceptedAs = [];
  let convertError = null;
  try {
    acceptedAs = converter.convertMulti(doc).map((c) => c.implementation);
  } catch (e) {
    convertError = e;
  }
  if (impl) acceptedAs = acceptedAs.filter((n) => n === impl);
  const schemaAccepted = names.filter((n) => results[n].length === 0);

  if (acceptedAs.length > 0) {
    process.stdout.write(`${file}: accepted as: ${acceptedAs.join(', ')}\n`);
    return 0;
  }
  process.stdout.write(`${file}: NOT accepted by @cucumber/cucumber-json-converter${impl ? ` as ${impl}` : ''}\n`);
  if (schemaAccepted.length > 0 && convertError) {
    // A schema took it but the conversion to the common shape failed.
    process.stdout.write(`  the ${schemaAccepted.join(', ')} schema accepted it, but the conversion failed:\n`);
    process.stdout.write(`  ${String(convertError.message).split('\n').slice(0, 40).join('\n  ')}\n`);
  }
  for (const name of names) {
    const errors = results[name];
    if (errors.length === 0) continue;
    const counts = new Map();
    for (const e of errors) if (e.keyword !== 'anyOf') counts.set(problemKey(e), (counts.get(problemKey(e)) || 0) + 1);
    process.stdout.write(`\n[${name}] ${errors.filter((e) => e.keyword !== 'anyOf').length} error(s), ${counts.size} distinct:\n`);
    for (const [k, n] of counts) process.stdout.write(`  ${String(n).padStart(4)} x ${k}\n`);
    if (!details) continue;
    process.stdout.write(`[${name}] every error:\n`);
    for (const e of errors) {
      const d = e.keyword === 'anyOf' ? { path: jsonPath(e.instancePath), message: e.message } : describeAjvError(e);
      const ctx = contextOf(doc, e.instancePath);
      process.stdout.write(`  ${d.path}: ${d.message}${e.definition ? `  (${e.definition}.${e.keyword})` : ''}${ctx ? `  [${ctx}]` : ''}\n`);
    }
  }
  return 1;
}

// ---------------------------------------------------------------- messages

function readEnvelopes(file) {
  const text = readText(file);
  const envelopes = [];
  const errors = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      envelopes.push({ line: i + 1, envelope: JSON.parse(line) });
    } catch (e) {
      errors.push(`${file}:${i + 1}: not JSON: ${e.message}`);
    }
  });
  return { envelopes, errors };
}

// What @cucumber/query (inside the HTML report) follows from one message to
// another. Each problem: { level, line, path, message }. 'error': the
// report crashes, or shows a scenario or a status wrongly or not at all;
// 'warning': a part of the report stays empty (tool, timing) or another
// reader of the messages would be misled. Found by rendering variants of a
// small run with @cucumber/html-formatter 24.2.0.
function linkChecks(envelopes) {
  const problems = [];
  const error = (line, p, message) => problems.push({ level: 'error', line, path: p, message });
  const warning = (line, p, message) => problems.push({ level: 'warning', line, path: p, message });
  const docs = new Map(); // uri -> { nodes: Set of scenario/background/rule/examples-row ids, steps: Set, tags: Set }
  const pickles = new Map(); // id -> { line, name, steps: Set of pickle step ids }
  const testCases = new Map(); // id -> { pickleId, steps: Set of test step ids }
  const stepDefs = new Set();
  const hooks = new Set();
  const started = new Map(); // testCaseStartedId -> { testCaseId, line, finished, steps: Set }
  const attemptsByCase = new Map();
  let meta = false;
  let runStarted = false;
  let runFinished = false;
  const walk = (node, ids) => {
    if (!node || typeof node !== 'object') return;
    for (const key of ['scenario', 'background', 'rule']) if (node[key]) walk(node[key], ids);
    if (typeof node.id === 'string') ids.nodes.add(node.id);
    for (const t of node.tags || []) if (t && typeof t.id === 'string') ids.tags.add(t.id);
    for (const st of node.steps || []) if (st && typeof st.id === 'string') ids.steps.add(st.id);
    for (const key of ['children', 'examples', 'tableBody']) if (Array.isArray(node[key])) node[key].forEach((c) => walk(c, ids));
  };
  envelopes.forEach(({ line, envelope }, index) => {
    const [key] = Object.keys(envelope);
    const m = envelope[key] || {};
    if (key === 'meta') {
      meta = true;
      if (index !== 0) warning(line, '$.meta', 'meta should be the first envelope');
    } else if (key === 'gherkinDocument') {
      const ids = { nodes: new Set(), steps: new Set(), tags: new Set() };
      if (!m.feature) warning(line, '$.gherkinDocument.feature', 'no feature: the report shows nothing for this uri');
      else {
        walk(m.feature, ids);
        docs.set(m.uri, ids);
      }
    } else if (key === 'pickle') {
      const ids = docs.get(m.uri);
      if (!ids) {
        error(line, '$.pickle.uri', `no gherkinDocument (with a feature) for uri ${JSON.stringify(m.uri)} before this pickle: the HTML report crashes (blank page)`);
      } else {
        (m.astNodeIds || []).forEach((id, i) => {
          if (!ids.nodes.has(id)) error(line, `$.pickle.astNodeIds[${i}]`, `${JSON.stringify(id)} is no scenario (or examples row) id in the gherkinDocument of ${m.uri}: the HTML report crashes ("No Lineage found for Pickle")`);
        });
        (m.steps || []).forEach((st, j) =>
          (st.astNodeIds || []).forEach((id, i) => {
            if (!ids.steps.has(id) && !ids.nodes.has(id)) warning(line, `$.pickle.steps[${j}].astNodeIds[${i}]`, `${JSON.stringify(id)} is no step (or examples row) id in the gherkinDocument of ${m.uri}`);
          }),
        );
        (m.tags || []).forEach((t, i) => {
          if (!ids.tags.has(t.astNodeId)) warning(line, `$.pickle.tags[${i}].astNodeId`, `${JSON.stringify(t.astNodeId)} is no tag id in the gherkinDocument of ${m.uri}`);
        });
      }
      pickles.set(m.id, { line, name: m.name, steps: new Set((m.steps || []).map((x) => x.id)) });
    } else if (key === 'stepDefinition') stepDefs.add(m.id);
    else if (key === 'hook') hooks.add(m.id);
    else if (key === 'testRunStarted') runStarted = true;
    else if (key === 'testCase') {
      const pickle = pickles.get(m.pickleId);
      if (!pickle) error(line, '$.testCase.pickleId', `no pickle ${JSON.stringify(m.pickleId)} before this`);
      (m.testSteps || []).forEach((st, i) => {
        if (st.pickleStepId !== undefined && pickle && !pickle.steps.has(st.pickleStepId)) error(line, `$.testCase.testSteps[${i}].pickleStepId`, `${JSON.stringify(st.pickleStepId)} is no step of pickle ${JSON.stringify(m.pickleId)}`);
        if (st.hookId !== undefined && !hooks.has(st.hookId)) error(line, `$.testCase.testSteps[${i}].hookId`, `no hook ${JSON.stringify(st.hookId)} before this`);
        (st.stepDefinitionIds || []).forEach((d, j) => {
          if (!stepDefs.has(d)) warning(line, `$.testCase.testSteps[${i}].stepDefinitionIds[${j}]`, `no stepDefinition ${JSON.stringify(d)} before this`);
        });
      });
      testCases.set(m.id, { pickleId: m.pickleId, steps: new Set((m.testSteps || []).map((x) => x.id)) });
    } else if (key === 'testCaseStarted') {
      if (!testCases.has(m.testCaseId)) error(line, '$.testCaseStarted.testCaseId', `no testCase ${JSON.stringify(m.testCaseId)} before this`);
      started.set(m.id, { testCaseId: m.testCaseId, line, finished: false, steps: new Set() });
      const list = attemptsByCase.get(m.testCaseId) || [];
      list.push(m.attempt ?? 0);
      attemptsByCase.set(m.testCaseId, list);
    } else if (key === 'testStepStarted' || key === 'testStepFinished' || key === 'attachment') {
      if (key === 'attachment' && m.testCaseStartedId === undefined) return;
      const st = started.get(m.testCaseStartedId);
      if (!st) error(line, `$.${key}.testCaseStartedId`, `no testCaseStarted ${JSON.stringify(m.testCaseStartedId)} before this`);
      else if (m.testStepId !== undefined && !testCases.get(st.testCaseId)?.steps.has(m.testStepId)) error(line, `$.${key}.testStepId`, `${JSON.stringify(m.testStepId)} is no step of test case ${JSON.stringify(st.testCaseId)}`);
      if (st && key === 'testStepFinished') st.steps.add(m.testStepId);
    } else if (key === 'testCaseFinished') {
      const st = started.get(m.testCaseStartedId);
      if (!st) error(line, '$.testCaseFinished.testCaseStartedId', `no testCaseStarted ${JSON.stringify(m.testCaseStartedId)} before this`);
      else st.finished = true;
    } else if (key === 'testRunFinished') runFinished = true;
  });
  if (!meta) warning(null, '$.meta', 'no meta envelope: the report names no tool, runtime or os');
  if (!runStarted) warning(null, '$.testRunStarted', 'no testRunStarted envelope: the report shows no start time');
  if (!runFinished) warning(null, '$.testRunFinished', 'no testRunFinished envelope: the report shows no duration');
  const startedCases = new Set([...started.values()].map((x) => x.testCaseId));
  const casedPickles = new Set([...testCases].filter(([caseId]) => startedCases.has(caseId)).map(([, c]) => c.pickleId));
  for (const [id, p] of pickles) {
    if (!casedPickles.has(id)) error(p.line, '$.pickle', `pickle ${JSON.stringify(p.name)} has no testCase with a testCaseStarted: the report does not show it`);
  }
  for (const [id, st] of started) {
    if (!st.finished) warning(st.line, '$.testCaseStarted', `attempt ${JSON.stringify(id)} never finished (no testCaseFinished)`);
    const all = testCases.get(st.testCaseId);
    if (all) for (const stepId of all.steps) if (!st.steps.has(stepId)) error(st.line, '$.testCaseStarted', `attempt ${JSON.stringify(id)} has no testStepFinished for step ${JSON.stringify(stepId)}`);
  }
  for (const [caseId, attempts] of attemptsByCase) {
    const sorted = [...attempts].sort((a, b) => a - b);
    if (sorted.some((a, i) => a !== i)) warning(null, '$.testCaseStarted.attempt', `test case ${JSON.stringify(caseId)} has attempts ${JSON.stringify(attempts)}: attempts are numbered 0, 1, ..., one testCaseStarted each, every one but the last finished with willBeRetried: true (the report shows the last only)`);
  }
  return problems;
}

async function cmdMessages(args) {
  const strict = args.includes('--strict');
  const rest = args.filter((a) => a !== '--strict');
  if (rest.length !== 1 || rest[0].startsWith('--')) usage('messages wants exactly one FILE.ndjson [--strict]');
  const [file] = rest;
  const { envelopes, errors } = readEnvelopes(file);
  const { default: Ajv2020 } = await import('ajv/dist/2020.js');
  const schema = JSON.parse(readFileSync(new URL(import.meta.resolve('@cucumber/messages/schema')), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  let schemaErrors = errors.length;
  for (const e of errors) process.stdout.write(`${e}\n`);
  for (const { line, envelope } of envelopes) {
    if (!validate(envelope)) {
      for (const e of validate.errors) {
        const d = describeAjvError(e);
        process.stdout.write(`${file}:${line}: schema: ${d.path}: ${d.message}  (${e.schemaPath})\n`);
        schemaErrors++;
      }
    }
  }
  const problems = linkChecks(envelopes);
  for (const p of problems) process.stdout.write(`${file}:${p.line ?? '-'}: ${p.level}: ${p.path}: ${p.message}\n`);
  const linkErrors = problems.filter((p) => p.level === 'error').length;
  const warnings = problems.length - linkErrors;
  process.stdout.write(
    `${file}: ${envelopes.length} envelope(s); ${schemaErrors} schema error(s) (@cucumber/messages ${messagesVersion()} messages.schema.json), ${linkErrors} link error(s), ${warnings} warning(s)\n`,
  );
  return schemaErrors + linkErrors + (strict ? warnings : 0) === 0 ? 0 : 1;
}

function messagesVersion() {
  try {
    const pkg = new URL('../package.json', import.meta.resolve('@cucumber/messages'));
    return JSON.parse(readFileSync(pkg, 'utf8')).version;
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------- html

async function cmdHtml(args) {
  if (args.length !== 2 || args.some((a) => a.startsWith('--'))) usage('html wants MESSAGES.ndjson OUT.html');
  const [input, output] = args;
  const { envelopes, errors } = readEnvelopes(input);
  if (errors.length) {
    for (const e of errors) process.stdout.write(`${e}\n`);
    return 1;
  }
  const { CucumberHtmlStream } = await import('@cucumber/html-formatter');
  try {
    await pipeline(
      Readable.from(envelopes.map((e) => e.envelope)),
      new CucumberHtmlStream(),
      createWriteStream(output),
    );
  } catch (e) {
    process.stdout.write(`${input}: @cucumber/html-formatter failed: ${e && e.stack ? e.stack : String(e)}\n`);
    return 1;
  }
  process.stderr.write(`cucumber.mjs: wrote ${output} from ${envelopes.length} envelope(s)\n`);
  return 0;
}

// ---------------------------------------------------------------- page

function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

// Runs in the page, after the report rendered and every feature and hook
// list was opened. The report's class names are hashed CSS modules, so only
// elements, ARIA and data-* attributes are used.
function extractReport() {
  const ORDER = ['UNKNOWN', 'PASSED', 'SKIPPED', 'PENDING', 'UNDEFINED', 'AMBIGUOUS', 'FAILED'];
  const worst = (list) => list.reduce((w, s) => (ORDER.indexOf(s) > ORDER.indexOf(w) ? s : w), 'UNKNOWN');
  const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : null);
  const root = document.getElementById('content');
  const out = { rendered: !!root && root.children.length > 0 };
  const setup = document.querySelector('[data-testid="cucumber.summary.setup.phrase"]');
  out.summary = {
    setup: text(setup),
    status: text(document.querySelector('[data-testid="cucumber.summary.status"] span')),
    timing: text(document.querySelector('[data-testid="cucumber.summary.timing"]')),
    // The filter bar: one checkbox per scenario status present, with its count.
    scenariosByStatus: Object.fromEntries(
      [...document.querySelectorAll('label input[type="checkbox"] + span[data-status]')].map((s) => [
        s.getAttribute('data-status'),
        Number(text(s.querySelector('strong'))),
      ]),
    ),
  };
  const features = [];
  // One disclosure per gherkin document: h3 > button[aria-expanded] with the
  // document's worst status as the icon's data-status, and the uri as text.
  for (const button of document.querySelectorAll('h3 > button[aria-expanded]')) {
    const panel = document.getElementById(button.getAttribute('aria-controls'));
    const icon = button.querySelector('svg[data-status]');
    const feature = {
      uri: text(button),
      status: icon ? icon.getAttribute('data-status') : null,
      name: null,
      scenarios: [],
    };
    if (panel) {
      const h1 = panel.querySelector('h1');
      feature.name = h1 ? text(h1.querySelector('span:last-child')) : null;
      // Scenario (and Background) headings: h2 inside a section, keyword in
      // the first span, name in the last.
      for (const h2 of panel.querySelectorAll('section h2')) {
        const section = h2.closest('section');
        const spans = h2.querySelectorAll(':scope > span');
        const keyword = spans.length ? text(spans[0]).replace(/:$/, '') : null;
        const name = spans.length > 1 ? text(spans[spans.length - 1]) : '';
        const article = section.querySelector('article');
        // One li[data-status] per test step, in order: a Gherkin step has
        // its keyword in the h3's first span, a hook (listed once its
        // "N hooks" button was pressed) has a bare h3 (hook name or
        // Before/After). An error is a <pre> beside a Copy button; a doc
        // string is a <pre> without one.
        const steps = [];
        const hooks = [];
        for (const li of article ? article.querySelectorAll(':scope > ol > li[data-status]') : []) {
          const h = li.querySelector('h3');
          const kwSpan = h ? h.querySelector(':scope > span') : null;
          const errorPre = [...li.querySelectorAll('pre')].find(
            (pre) => pre.closest('ol') === li.parentElement && pre.parentElement.querySelector(':scope > button[aria-label="Copy"]'),
          );
          // Other result messages (PENDING, SKIPPED, "No step definition
          // found."...) are a <p> in the step's body.
          const notes = [...li.querySelectorAll(':scope > div > p')].map(text).filter(Boolean);
          // Attachments: the step body's own list. A log
          // (text/x.cucumber.log+plain) is shown as is; anything else sits
          // in a closed <details> whose <summary> names its media type.
          const attachments = [...li.querySelectorAll(':scope > div > ol > li')].map((a) => {
            const summary = a.querySelector('details > summary');
            const pre = a.querySelector('pre');
            return { shown: summary ? 'details' : 'inline', summary: summary ? text(summary) : null, text: pre ? pre.textContent.trim() : text(a) };
          });
          const item = { status: li.getAttribute('data-status'), error: errorPre ? errorPre.textContent.trim() : null, notes, attachments };
          if (kwSpan) {
            const kw = text(kwSpan);
            steps.push({ keyword: kw, text: text(h).slice(kw.length).trim(), ...item });
          } else {
            hooks.push({ name: text(h), ...item });
          }
        }
        feature.scenarios.push({
          keyword,
          name,
          id: h2.id || null,
          // What the page implies: the worst of what it shows for the
          // scenario's steps and hooks (@cucumber/messages' order).
          status: steps.length || hooks.length ? worst([...steps, ...hooks].map((x) => x.status)) : null,
          steps,
          hooks,
        });
      }
    }
    features.push(feature);
  }
  out.features = features;
  // What the page was given, to tell what it did not show.
  const msgs = Array.isArray(window.CUCUMBER_MESSAGES) ? window.CUCUMBER_MESSAGES : [];
  const pickles = msgs.filter((m) => m.pickle).map((m) => m.pickle.name);
  const shown = new Set(features.flatMap((f) => f.scenarios.map((s) => s.name)));
  out.messages = {
    envelopes: msgs.length,
    pickles: pickles.length,
    gherkinDocuments: msgs.filter((m) => m.gherkinDocument).length,
    picklesNotShown: pickles.filter((n) => !shown.has(n)),
  };
  return out;
}

async function cmdPage(args) {
  let screenshot = null;
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--screenshot') {
      if (i + 1 >= args.length) usage('--screenshot needs a value');
      screenshot = args[++i];
    } else if (a.startsWith('--screenshot=')) screenshot = a.slice('--screenshot='.length);
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 1) usage('page wants exactly one OUT.html');
  const file = path.resolve(positional[0]);
  try {
    accessSync(file, constants.R_OK);
  } catch (e) {
    fail(`cannot read ${file}: ${e.message}`);
  }
  const executablePath = findChromium();
  if (!executablePath) fail('no Chromium: set CHROMIUM or put `chromium` on PATH (apt-get install chromium)');
  const { default: puppeteer } = await import('puppeteer-core');
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  } catch (e) {
    fail(`cannot start Chromium (${executablePath}): ${e.message}`);
  }
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900, deviceScaleFactor: 1 });
    const consoleErrors = [];
    const pageErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e && e.message ? e.message : String(e)));
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 30_000 });
    } catch (e) {
      fail(`page did not load: ${file}: ${e.message}`);
    }
    // React renders after load; wait for the report root (or give up: a
    // crash leaves #content empty).
    await page
      .waitForFunction(() => document.querySelector('#content > *') !== null, { timeout: 10_000 })
      .catch(() => {});
    // The report opens only the documents that have a scenario that did
    // not pass. Open every closed one, then every "N hooks" list, one real
    // click at a time (clicks in one tick lose all but the last update), so
    // that every status is in the DOM.
    const openedByDefault = await page.evaluate(() =>
      [...document.querySelectorAll('h3 > button[aria-expanded]')].map((b) => b.getAttribute('aria-expanded') === 'true'),
    );
    for (const b of await page.$$('h3 > button[aria-expanded="false"]')) {
      await b.click();
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const b of await page.$$('article > button')) {
      const label = await b.evaluate((el) => el.textContent);
      if (/^\s*\d+\s+hooks?\s*$/i.test(label)) {
        await b.click();
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    const report = await page.evaluate(extractReport);
    report.features.forEach((f, i) => {
      f.openedByDefault = openedByDefault[i] ?? null;
    });
    if (screenshot) await page.screenshot({ path: path.resolve(screenshot), fullPage: true });
    const out = { file, ...report, consoleErrors, pageErrors };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    if (!report.rendered) {
      process.stderr.write(`cucumber.mjs: the report rendered nothing${pageErrors.length ? `: ${pageErrors[0]}` : ''}\n`);
      return 1;
    }
    return 0;
  } finally {
    await browser.close().catch((e) => process.stderr.write(`cucumber.mjs: closing Chromium: ${e.message}\n`));
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === '-h' || cmd === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  switch (cmd) {
    case 'json':
      return cmdJson(args);
    case 'messages':
      return cmdMessages(args);
    case 'html':
      return cmdHtml(args);
    case 'page':
      return cmdPage(args);
    default:
      return usage(cmd ? `unknown command ${cmd}` : 'no command');
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    const msg = e instanceof Fatal ? e.message : e && e.stack ? e.stack : String(e);
    process.stderr.write(`cucumber.mjs: ${msg}\n`);
    process.exitCode = 1;
  },
);
