// Preloaded by `npm test` (uvu -r): when the run is over, exit with its code at once. Left to exit
// by itself, a process that used @roamhq/wrtc sometimes crashes while Node tears down (SIGSEGV or
// SIGABRT in wrtc's native code after every test passed), turning a green run red at random, and
// now and then a connection's native handle outlives its test and keeps the process running with
// nothing left to do (seen twice in a full run: 30 minutes after the summary, which CI would only
// end at its 90-minute limit). So the exit follows uvu's summary, not the event loop emptying.
const uvu = require('uvu');
const exec = uvu.exec;
uvu.exec = async (...args) => {
  try {
    await exec(...args);
  } finally {
    process.exit(process.exitCode ?? 0);
  }
};
process.on('beforeExit', () => process.exit(process.exitCode ?? 0));
