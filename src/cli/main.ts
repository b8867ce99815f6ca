#!/usr/bin/env -S node --
// `--` ends Node's own options: Node 20 otherwise takes a user's `--env-file` (even after the
// script name) as its own and exits 9 before shipshape runs. bin/shipshape launches the same way.
import { main } from './entry.js';

process.exitCode = await main(process.argv.slice(2));
