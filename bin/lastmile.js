#!/usr/bin/env node
'use strict';
// The CLI is TypeScript run in place, so a fresh clone needs no build step.
require('tsx/cjs');
require('../cli/main.ts').main(process.argv);
