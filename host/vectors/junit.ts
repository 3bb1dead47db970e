// JUnit XML for CI: one <testsuite> per vector file, one <testcase> per vector (a crypto
// test or a recorded tape) with classname, name and time; a failing vector carries a
// <failure message=…> with the details as text, a file the engine could not run an
// <error>. The layout is the one Jenkins, GitLab and GitHub reporters read
// (testsuites > testsuite > testcase > failure|error, times in seconds).
import path from "node:path";
import { type FileResult, totals } from "./results.ts";

/** XML 1.0 forbids most control characters even escaped; they become U+FFFD. */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlEscape(text: string): string {
  return text.replace(INVALID_XML, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** Attribute values also keep their line breaks and tabs as character references. */
function attr(text: string): string {
  return xmlEscape(text).replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}

const secs = (s: number): string => (Number.isFinite(s) && s > 0 ? s.toFixed(6) : "0");

function suiteName(file: string): string {
  return path.basename(file).replace(/\.json$/i, "");
}

export function junitXml(files: readonly FileResult[], timestamp: Date = new Date()): string {
  const t = totals(files);
  const time = files.reduce((s, f) => s + f.seconds, 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="offtap vectors" tests="${t.total}" failures="${t.failed}" errors="${t.errors}" time="${secs(time)}">`];
  const stamp = timestamp.toISOString().replace(/\.\d+Z$/, "");
  for (const f of files) {
    const failures = f.cases.filter((c) => !c.passed).length;
    const classname = `offtap.vectors.${f.engine}.${f.kind}.${suiteName(f.file).replace(/[^A-Za-z0-9_-]/g, "_")}`;
    out.push(`  <testsuite name="${attr(`${suiteName(f.file)} (${f.engine})`)}" tests="${f.cases.length}" failures="${failures}" ` +
      `errors="${f.error === undefined ? 0 : 1}" skipped="0" time="${secs(f.seconds)}" timestamp="${stamp}" file="${attr(f.file)}">`);
    out.push("    <properties>", `      <property name="engine" value="${attr(f.engine)}"/>`, `      <property name="kind" value="${f.kind}"/>`, "    </properties>");
    if (f.error !== undefined) {
      out.push(`    <testcase classname="${attr(classname)}" name="${attr("run the file")}" time="0">`,
        `      <error message="${attr(f.error)}" type="EngineError">${xmlEscape(f.error)}</error>`, "    </testcase>");
    }
    for (const c of f.cases) {
      const head = `    <testcase classname="${attr(classname)}" name="${attr(c.name)}" time="${secs(c.seconds)}"`;
      if (c.passed) { out.push(`${head}/>`); continue; }
      const message = c.message ?? "failed";
      out.push(`${head}>`, `      <failure message="${attr(message)}" type="VectorMismatch">${xmlEscape(c.detail ?? message)}</failure>`, "    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}
