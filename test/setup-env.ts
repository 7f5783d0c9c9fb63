// The AWS SDK warns once per process that Node 20 support ends; tests run on 20, Lambda on 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_REGION ??= 'us-east-1';
// dynalite shares the test's event loop; see functions/core/dynamo.ts.
process.env.DYNAMODB_CONNECTION_TIMEOUT_MS ??= '10000';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
// Quiet by default; tests that inspect log lines raise the level for themselves.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
