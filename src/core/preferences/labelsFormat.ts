/**
 * The version mark on rows of the labels files the playground writes (classLabels.ts says what
 * each version holds). Every reader of preference files checks it, so a file from a newer
 * playground is refused whole instead of being read as if its new columns did not exist.
 */
export const LABELS_FORMAT_VERSION = 2;
export const VERSION_FIELD = 'playground_version';

/** The versions this playground reads; a row without the field is version 1 (plain TRL JSONL reads the same). */
export const READABLE_LABELS_VERSIONS: readonly number[] = [1, LABELS_FORMAT_VERSION];

/**
 * Why a row's version mark cannot be read, or null when it can (or the row has none). `where`
 * names the row in the message ("line 3").
 */
export function labelsVersionProblem(row: Record<string, unknown>, where: string): string | null {
  if (!Object.hasOwn(row, VERSION_FIELD)) return null;
  const v = row[VERSION_FIELD];
  if (typeof v !== 'number' || !Number.isInteger(v)) return `${where}: "${VERSION_FIELD}" must be a whole number`;
  if (READABLE_LABELS_VERSIONS.includes(v)) return null;
  const which = v > LABELS_FORMAT_VERSION ? 'a newer version of the playground' : 'an unknown version of the playground';
  return `${where} is marked ${VERSION_FIELD} ${v}, from ${which}; this version reads labels files of version ${READABLE_LABELS_VERSIONS.join(' and ')} and plain TRL preference JSONL`;
}
