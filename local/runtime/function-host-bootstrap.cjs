// Worker entry point: plain JavaScript, because a worker thread starts without a TypeScript
// loader. It registers tsx for this thread, then loads the host (and through it the handler).
require('tsx/cjs/api').register();
require('./function-host.ts');
