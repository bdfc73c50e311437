/**
 * Finds the first syntax error of a JSON text (RFC 8259) and says where it is, as line and
 * column, for the policy build's error messages (`JSON.parse` gives a character offset at
 * best, and none at all for an unexpected token). Pure; no I/O.
 */

export interface JsonSyntaxError {
  /** 1-based line. */
  line: number;
  /** 1-based column, in UTF-16 code units as editors count them. */
  column: number;
  /** 0-based offset into the text. */
  offset: number;
  reason: string;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

class Syntax {
  constructor(readonly at: number, readonly reason: string) {}
}

/** The first syntax error of `text`, or null when `JSON.parse` would accept it. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new Syntax(at, reason);
  };
  const describe = (): string => (i >= text.length ? "end of file" : JSON.stringify(text[i]));
  const ws = () => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  };

  function value(): void {
    ws();
    if (i >= text.length) fail("unexpected end of file, a value was expected");
    const c = text[i];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER_RE.lastIndex = i;
    if (NUMBER_RE.test(text)) {
      i = NUMBER_RE.lastIndex;
      return;
    }
    fail(c === "'" ? "strings need double quotes" : `unexpected ${describe()}, a value was expected`);
  }

  function object(): void {
    i++; // {
    ws();
    if (text[i] === "}") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === "}") fail("trailing comma before '}'");
      if (text[i] !== '"') fail(`unexpected ${describe()}, a property name in double quotes was expected`);
      string();
      ws();
      if (text[i] !== ":") fail(`unexpected ${describe()}, ':' was expected after the property name`);
      i++;
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "}") {
        i++;
        return;
      }
      fail(`unexpected ${describe()}, ',' or '}' was expected`);
    }
  }

  function array(): void {
    i++; // [
    ws();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === "]") fail("trailing comma before ']'");
      value();
      ws();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "]") {
        i++;
        return;
      }
      fail(`unexpected ${describe()}, ',' or ']' was expected`);
    }
  }

  function string(): void {
    const start = i;
    i++; // "
    for (;;) {
      if (i >= text.length) fail("unterminated string", start);
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i++;
        return;
      }
      if (code < 0x20) fail(code === 0x0a ? "line break inside a string" : "control character inside a string");
      if (code === 0x5c) {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) fail("invalid \\u escape");
          i += 6;
          continue;
        }
        if (e === undefined || !ESCAPES.has(e)) fail(`invalid escape "\\${e ?? ""}"`);
        i += 2;
        continue;
      }
      i++;
    }
  }

  try {
    if (text.charCodeAt(0) === 0xfeff) fail("byte order mark before the JSON text (save the file as UTF-8 without BOM)");
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the JSON value`);
    return null;
  } catch (e) {
    // Nesting deeper than the stack: no policy looks like that; say so rather than crash.
    if (e instanceof RangeError) return { ...lineColumn(text, i), offset: i, reason: "nested too deeply" };
    if (!(e instanceof Syntax)) throw e;
    return { ...lineColumn(text, e.at), offset: e.at, reason: e.reason };
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
