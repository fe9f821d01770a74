// Preloaded by `npm test` (uvu -r): when the run is over, exit with its code at once. Left to exit
// by itself, a process that used @roamhq/wrtc sometimes crashes while Node tears down (SIGSEGV or
// SIGABRT in wrtc's native code after every test passed), turning a green run red at random.
process.on('beforeExit', () => process.exit(process.exitCode ?? 0));
