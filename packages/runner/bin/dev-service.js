#!/usr/bin/env node
// `dev-service`: the `dev` script of every service (see src/dev-service.ts).
require('../dist/dev-service.js');
