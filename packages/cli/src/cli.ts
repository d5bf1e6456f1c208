#!/usr/bin/env node
import { main } from "./program.js";

// Exit explicitly: a keep-alive socket or timer left by a library must not keep
// a finished llmux alive. Every log write is synchronous, so nothing is lost.
const code = await main(process.argv.slice(2));
process.exit(code);
