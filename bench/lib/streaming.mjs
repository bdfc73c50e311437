// Streaming through the worker: a large download and a large upload, while the workerd process's
// resident memory is sampled; growth = peak during the transfer minus the resident size before it.
import http from "node:http";
import { writeBytes } from "./bytes.mjs";
import { memoryOf, resetPeakRss } from "./processes.mjs";


function transfer({ port, path, method, headers, uploadBytes, timeoutMs }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let settled = false;
    const done = (v) => {
      if (!settled) (settled = true), resolve({ ...v, seconds: (performance.now() - t0) / 1000 });
    };
    const req = http.request({ host: "127.0.0.1", port, path, method, headers, agent: false }, (res) => {
      let bytes = 0;
      const chunks = [];
      res.on("data", (c) => {
        bytes += c.length;
        if (uploadBytes !== undefined && chunks.length < 16) chunks.push(c);
      });
      res.on("end", () => done({ status: res.statusCode, bytes, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (e) => done({ status: 0, error: e.message }));
    });
    req.on("error", (e) => done({ status: 0, error: e.message }));
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    req.on("close", () => clearTimeout(timer));
    if (uploadBytes === undefined) return void req.end();
    writeBytes(req, uploadBytes);
  });
}

/** Runs one transfer through 127.0.0.1:port while sampling `pid`'s memory every 20 ms. */
async function measured(pid, opts) {
  const before = memoryOf(pid);
  const hwmReset = resetPeakRss(pid);
  let peak = before.rss;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, memoryOf(pid).rss);
    } catch {}
  }, 20);
  const result = await transfer(opts);
  clearInterval(sampler);
  const after = memoryOf(pid);
  if (hwmReset) peak = Math.max(peak, after.hwm);
  return { ...result, rssBefore: before.rss, rssPeak: peak, rssAfter: after.rss, growth: peak - before.rss, hwmReset };
}

/**
 * Downloads `downloadBytes` and uploads `uploadBytes` through the worker on `port`.
 * Each result has `error` when the transfer did not complete with the right byte count.
 */
export async function benchStreaming({ pid, port, host, paths, downloadBytes, uploadBytes, timeoutMs = 120_000 }) {
  const download = await measured(pid, {
    port,
    path: `${paths.stream}?bytes=${downloadBytes}`,
    method: "GET",
    headers: { host },
    timeoutMs,
  });
  if (!download.error && (download.status !== 200 || download.bytes !== downloadBytes))
    download.error = `HTTP ${download.status}, ${download.bytes} of ${downloadBytes} bytes`;

  const upload = await measured(pid, {
    port,
    path: paths.upload,
    method: "POST",
    headers: { host, "content-type": "application/octet-stream", "content-length": String(uploadBytes) },
    uploadBytes,
    timeoutMs,
  });
  if (!upload.error) {
    let counted;
    try {
      counted = JSON.parse(upload.text).bytes;
    } catch {}
    if (upload.status !== 200 || counted !== uploadBytes)
      upload.error = `HTTP ${upload.status}, origin counted ${counted} of ${uploadBytes} bytes`;
  }
  delete download.text;
  delete upload.text;
  return { download, upload };
}
