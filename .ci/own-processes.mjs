// Prints `<pid> <command line>` for each live process whose environment holds
// LLMUX_CI_RUN=<argv[2]>, other than the pid argv[3] (the CI script). Waits up
// to 5 s for such processes to go before reporting them.
import { readFileSync, readdirSync } from "node:fs";

const needle = `LLMUX_CI_RUN=${process.argv[2]}`;
const skip = new Set([process.argv[3], String(process.pid)]);

function marked() {
  const found = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || skip.has(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(needle)) continue;
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim()}`);
    } catch {
      // Exited meanwhile, or another user's process.
    }
  }
  return found;
}

let found = marked();
for (let waited = 0; found.length > 0 && waited < 5_000; waited += 250) {
  await new Promise((resolve) => setTimeout(resolve, 250));
  found = marked();
}
if (found.length > 0) console.log(found.join("\n"));
