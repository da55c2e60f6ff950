#!/usr/bin/env node
// The container health check (see src/probe.ts), as a bin: `grpc-health-probe`.
require('../dist/probe.js');
