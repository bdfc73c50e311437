// What each module group costs the gzipped bundle: every byte of the minified output is given to
// the source file its source-map segment names, then a group's cost is gzip(bundle) minus
// gzip(bundle without that group's bytes). Unlike a pro-rata share of the total, this charges
// text that compresses well (policy prose) and code that does not (minified identifiers) what
// they really add. Plain Node ESM; no dependency (the source-map VLQ is decoded here).
import zlib from "node:zlib";

const B64 = new Map([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].map((ch, i) => [ch, i]));

/** The source index of every UTF-16 unit of `code` (-1 where no segment maps it), from a v3 source map's `mappings`. */
function owners(code, mappings) {
  const owner = new Int32Array(code.length).fill(-1);
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) lineStarts.push(i + 1);
  let source = 0;
  let prev = -1; // [offset of the previous segment]
  let prevSource = -1;
  const close = (end) => {
    if (prev >= 0 && prevSource >= 0) owner.fill(prevSource, prev, end);
  };
  mappings.split(";").forEach((line, lineNo) => {
    if (lineNo >= lineStarts.length) return;
    let col = 0;
    for (const seg of line.split(",")) {
      if (!seg) continue;
      const fields = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.get(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      col += fields[0];
      const at = lineStarts[lineNo] + col;
      close(at);
      prev = at;
      if (fields.length >= 4) {
        source += fields[1];
        prevSource = source;
      } else prevSource = -1;
    }
  });
  close(code.length);
  return owner;
}

/**
 * For `code` and its source map, the gzip bytes each group would save if its bytes were gone:
 * Map(group → bytes), with `groupOf(sourcePath)` naming a source's group ("(unmapped)" for bytes
 * no segment maps).
 */
export function gzipCostByGroup(code, map, groupOf) {
  const owner = owners(code, map.mappings);
  const groupOfSource = map.sources.map((s) => groupOf(s));
  const total = zlib.gzipSync(code).length;
  const groups = new Set(groupOfSource);
  groups.add("(unmapped)");
  const cost = new Map();
  for (const g of groups) {
    let rest = "";
    let start = -1;
    for (let i = 0; i <= code.length; i++) {
      const mine = i < code.length && (owner[i] >= 0 ? groupOfSource[owner[i]] : "(unmapped)") === g;
      if (!mine && start < 0) start = i;
      if ((mine || i === code.length) && start >= 0) {
        rest += code.slice(start, i);
        start = -1;
      }
    }
    if (rest.length !== code.length) cost.set(g, total - zlib.gzipSync(rest).length);
  }
  return cost;
}
