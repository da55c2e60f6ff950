#!/usr/bin/env node
// Committed, so that pnpm can link the command before the first build; the CLI is dist/load/cli.js.
require('../dist/load/cli.js');
