#!/usr/bin/env node
// The package's bin: everything testable lives in runCli.ts.
import { runCli } from './runCli.js'

process.exitCode = await runCli(process.argv.slice(2))
