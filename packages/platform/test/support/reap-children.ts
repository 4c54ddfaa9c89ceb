// A Vitest setup file (vitest.config.ts): it runs before each test file, and its after-hook after the file's own.
import { afterAll } from 'vitest';
import { stopOwnChildren } from './process.js';

afterAll(() => stopOwnChildren());
