import pkg from "../package.json" with { type: "json" };

/** This package's version, read from its package.json at build time. */
export const VERSION: string = pkg.version;
