// Renders a Markdown file as GitHub does (CommonMark with tables, raw HTML
// allowed: markdown-it with html: true) and prints, as JSON, what a test
// needs to tell whether text from outside stayed inert:
//   raw_html: every piece of raw HTML the renderer would pass through
//             (html_inline / html_block tokens), verbatim;
//   tables:   for each table, the number of cells in each row (header
//             first), so a `|` that escaped its cell shows as an extra cell;
//   text:     the rendered document's text content.
//
//   node tests/tools/markdown.mjs FILE.md
import { readFileSync } from "node:fs";
import markdownit from "markdown-it";

const file = process.argv[2];
if (!file) {
  console.error("usage: node tests/tools/markdown.mjs FILE.md");
  process.exit(2);
}
const md = markdownit({ html: true, linkify: false });
const tokens = md.parse(readFileSync(file, "utf8"), {});
const rawHtml = [];
const tables = [];
let rows = null;
let cells = 0;
const walk = (list) => {
  for (const t of list) {
    if (t.type === "html_inline" || t.type === "html_block") rawHtml.push(t.content);
    if (t.type === "table_open") rows = [];
    if (t.type === "tr_open") cells = 0;
    if (t.type === "th_open" || t.type === "td_open") cells += 1;
    if (t.type === "tr_close" && rows) rows.push(cells);
    if (t.type === "table_close") {
      tables.push(rows);
      rows = null;
    }
    if (t.children) walk(t.children);
  }
};
walk(tokens);
const html = md.renderer.render(tokens, md.options, {});
const text = html.replace(/<[^>]*>/g, "");
process.stdout.write(JSON.stringify({ raw_html: rawHtml, tables, text }) + "\n");
