export * from './common.js';
export * from './onboarding.js';
export * from './solutions/index.js';
export * from './events.js';
export * from './consent.js';
export * from './files.js';
export * from './uploads.js';
export * from './routes/index.js';
