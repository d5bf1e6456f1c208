import getReleasePlan from "@changesets/get-release-plan";
import { describe, expect, it } from "vitest";
import { PUBLIC_PACKAGES, manifestOf, repoRoot } from "./workspace.js";

const publicNames = PUBLIC_PACKAGES.map((dir) => manifestOf(dir).name).sort();

describe("the pending release (what `changeset version` would do now)", () => {
  it("versions exactly the seven public packages, together, at the intended first version 0.1.0", async () => {
    const plan = await getReleasePlan(repoRoot);
    const released = plan.releases.filter((release) => release.type !== "none");
    expect(released.map((release) => release.name).sort()).toEqual(publicNames);
    for (const release of released) expect(`${release.name}@${release.newVersion}`).toBe(`${release.name}@0.1.0`);
  });

  it("has changesets only for public packages (one naming only a private package would never be consumed)", async () => {
    const plan = await getReleasePlan(repoRoot);
    const strays = plan.changesets.flatMap((changeset) =>
      changeset.releases.filter((release) => !publicNames.includes(release.name)).map((release) => `${changeset.id}: ${release.name}`),
    );
    expect(strays).toEqual([]);
    expect(plan.changesets.length).toBeGreaterThan(0);
  });
});
