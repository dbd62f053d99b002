/** MongoDB's duplicate key error (E11000): a unique index refused a second document. */
export const isDuplicateKeyError = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
