import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serveRpc } from "../support/rpc.ts";

/** Baseline for S7: bare `node:http` + `fs.createReadStream` answering one file with Range. */
serveRpc({
  async start(args: { file: string }) {
    const size = statSync(args.file).size;
    const server = createServer((req, res) => {
      const headers: Record<string, string | number> = {
        "content-type": "video/mp4",
        "accept-ranges": "bytes",
      };
      const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
      let start = 0;
      let end = size - 1;
      let status = 200;
      if (m) {
        if (m[1] === "") start = Math.max(0, size - Number(m[2]));
        else {
          start = Number(m[1]);
          if (m[2] !== "") end = Math.min(Number(m[2]), size - 1);
        }
        if (start >= size || start > end) {
          res.writeHead(416, { "content-range": `bytes */${size}`, "content-length": 0 }).end();
          return;
        }
        status = 206;
        headers["content-range"] = `bytes ${start}-${end}/${size}`;
      }
      headers["content-length"] = end - start + 1;
      res.writeHead(status, headers);
      createReadStream(args.file, { start, end }).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { port: (server.address() as AddressInfo).port };
  },
});
