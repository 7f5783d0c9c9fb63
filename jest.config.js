/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // middy 6 ships ESM only; everything else is CommonJS or TypeScript.
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node10', isolatedModules: true, esModuleInterop: true, allowJs: true }, diagnostics: false }],
    '^.+\\.m?js$': ['ts-jest', { tsconfig: { module: 'commonjs', allowJs: true, isolatedModules: true }, diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  moduleNameMapper: {
    '^#core/(.*)$': '<rootDir>/functions/core/$1',
  },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
