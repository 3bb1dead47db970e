// A TCP port checked before long work that ends in serving on it (`demo --serve`): a busy
// port is reported up front, not after the whole demo ran.
import { createServer } from "node:net";
import { UsageError } from "./command.ts";

/** Resolves when `host:port` can be listened on now (port 0 always can); otherwise throws a
 *  UsageError naming the address and what to do. The probe is closed before returning. */
export async function checkPortFree(host: string, port: number, flag = "--port"): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EADDRINUSE") {
        reject(new UsageError(`port ${port} on ${host} is already in use`,
          `stop what is listening there or choose another ${flag}`));
      } else if (e.code === "EACCES") {
        reject(new UsageError(`port ${port} on ${host} needs privileges`,
          `choose a ${flag} above 1023`));
      } else {
        reject(e);
      }
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
