#!/usr/bin/env node
import { run } from './program.js';

// The installed CLI is a bundle (scripts/build.mjs): --debug maps its stack traces back to src/.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
process.exitCode = await run(process.argv.slice(2));
