import { Type, type Static } from 'typebox';
import { Id, Timestamp } from './common.js';

export const FileId = Id('file');

export const ScopeFileCreated = Type.Object(
  {
    fileId: FileId,
    scope: Type.String(),
    records: Type.Integer(),
    size: Type.Integer(),
    sha256: Type.String(),
    createdAt: Timestamp,
  },
  { title: 'ScopeFileCreated' },
);

export const ScopeFile = Type.Object(
  {
    fileId: FileId,
    scope: Type.String(),
    records: Type.Integer(),
    size: Type.Integer({ description: 'bytes' }),
    sha256: Type.String({ description: 'hex SHA-256 of the content; also its ETag' }),
    createdAt: Timestamp,
    previousFileId: Type.Union([FileId, Type.Null()], { description: 'the version this one replaced, if still kept' }),
  },
  { title: 'ScopeFile' },
);
export type ScopeFile = Static<typeof ScopeFile>;

export const ScopeParams = Type.Object({
  domain: Type.String({ maxLength: 64 }),
  scope: Type.String({ maxLength: 64 }),
});
export const FileParams = Type.Object({ fileId: Type.String({ maxLength: 64 }) });
export const AppScopeParams = Type.Object({ scope: Type.String({ maxLength: 64 }) });
export const ChangesQuery = Type.Object({
  since: Type.String({ maxLength: 64, description: 'the fileId of the older version the application has' }),
});

export const Change = Type.Union(
  [
    Type.Object({
      op: Type.Literal('added'),
      id: Type.String(),
      record: Type.Object({}, { additionalProperties: true }),
    }),
    Type.Object({
      op: Type.Literal('updated'),
      id: Type.String(),
      record: Type.Object({}, { additionalProperties: true }),
    }),
    Type.Object({ op: Type.Literal('removed'), id: Type.String() }),
  ],
  { title: 'Change', description: 'one line of application/x-ndjson' },
);

export type Change = Static<typeof Change>;
