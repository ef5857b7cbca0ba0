export * from './load-config';
export * from './outputs';
export * from './schema';
