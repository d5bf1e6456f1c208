import { cpSync } from "node:fs";
import { packageBuild } from "../../tsup.base.js";

// The status page's files are served as they are; the bundle finds them in ./ui beside it.
export default packageBuild(["src/index.ts"], {
  onSuccess: async () => cpSync("src/ui", "dist/ui", { recursive: true }),
});
