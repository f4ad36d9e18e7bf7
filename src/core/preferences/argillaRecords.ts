/**
 * Argilla-style feedback records: a prompt with 2-4 completions and the annotators' responses,
 * either a ranking question or one rating question per completion. Two shapes are read:
 *
 *   nested (Argilla FeedbackRecord)  {"fields": {"prompt": "...", "response-1": "...", "response-2": "..."},
 *                                     "responses": [{"user_id": "ann", "status": "submitted",
 *                                       "values": {"ranking": {"value": [{"value": "response-1", "rank": 1}, ...]}}}]}
 *   flat (a Hugging Face export)     {"prompt": "...", "response-1": "...", "response-2": "...",
 *                                     "ranking": [{"user_id": "ann", "value": [{"value": "response-1", "rank": 1}, ...], "status": "submitted"}]}
 *
 * Ratings: {"rating-1": {"value": 4}, "rating-2": {"value": 2}}: a rating question belongs to the
 * completion whose field name it contains, or whose trailing number it shares. Higher is better;
 * equal ratings are ties; the ratings become the pairs' margins. A record with no submitted
 * response is imported unlabeled, to be labeled here.
 */
import type { ImportedLabel, ImportedRecord } from './importFormats.ts';
import type { Ranking } from './ranking.ts';

export interface RecordProblem {
  line: number;
  message: string;
}

const PROMPT_NAMES = ['prompt', 'instruction', 'question'];
/** Keys of a flat record that are bookkeeping, not text fields or questions. */
const RESERVED = new Set(['id', 'external_id', 'metadata', 'vectors', 'status', 'inserted_at', 'updated_at', 'suggestions', 'responses', '_server_id']);

export function isArgillaRecord(obj: Record<string, unknown>): boolean {
  if (obj.fields && typeof obj.fields === 'object') return true;
  // Flat: a prompt plus a question column (a list of {value, ...} responses).
  return PROMPT_NAMES.some((n) => typeof obj[n] === 'string') && Object.entries(obj).some(([k, v]) => !RESERVED.has(k) && isResponseList(v));
}

function isResponseList(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => r && typeof r === 'object' && 'value' in r);
}

interface Response {
  user: string | undefined;
  status: string | undefined;
  answers: Map<string, unknown>;
}

function responsesOf(obj: Record<string, unknown>, nested: boolean): Response[] {
  if (nested) {
    const list = Array.isArray(obj.responses) ? obj.responses : [];
    return list.filter((r) => r && typeof r === 'object').map((r: Record<string, unknown>) => {
      const values = (r.values && typeof r.values === 'object' ? r.values : {}) as Record<string, unknown>;
      const answers = new Map(Object.entries(values).map(([q, a]) => [q, a && typeof a === 'object' && 'value' in a ? (a as { value: unknown }).value : a]));
      return { user: typeof r.user_id === 'string' ? r.user_id : undefined, status: typeof r.status === 'string' ? r.status : undefined, answers };
    });
  }
  // Flat: one column per question, each a list of responses; join them by user.
  const byUser = new Map<string, Response>();
  for (const [question, column] of Object.entries(obj)) {
    if (RESERVED.has(question) || !isResponseList(column)) continue;
    column.forEach((r, i) => {
      const user = typeof r.user_id === 'string' ? r.user_id : undefined;
      const key = user ?? `#${i}`;
      const response = byUser.get(key) ?? { user, status: typeof r.status === 'string' ? r.status : undefined, answers: new Map() };
      response.answers.set(question, r.value);
      byUser.set(key, response);
    });
  }
  return [...byUser.values()];
}

/** A ranking answer: [{value: fieldName, rank: n}, ...]. */
function asRanking(answer: unknown, fields: string[]): Ranking | null | 'bad' {
  if (!Array.isArray(answer) || !answer.every((a) => a && typeof a === 'object' && 'value' in a && 'rank' in a)) return null;
  const ranks = new Map<number, number[]>();
  for (const { value, rank } of answer as { value: unknown; rank: unknown }[]) {
    const index = fields.indexOf(String(value));
    if (index < 0 || typeof rank !== 'number') return 'bad';
    ranks.set(rank, [...(ranks.get(rank) ?? []), index]);
  }
  const ranking = [...ranks.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
  return ranking.flat().length === fields.length && new Set(ranking.flat()).size === fields.length ? ranking : 'bad';
}

/** Per-completion ratings from numeric answers, matched by field name or trailing number. */
function asRatings(answers: Map<string, unknown>, fields: string[]): number[] | null {
  const trailing = (s: string) => /(\d+)$/.exec(s)?.[1];
  const scores = fields.map((field) => {
    for (const [q, a] of answers) {
      if (typeof a !== 'number') continue;
      if (q.includes(field) || (trailing(q) !== undefined && trailing(q) === trailing(field))) return a;
    }
    return undefined;
  });
  return scores.every((s) => s !== undefined) ? (scores as number[]) : null;
}

function rankingFromScores(scores: number[]): Ranking {
  const groups = new Map<number, number[]>();
  scores.forEach((s, i) => groups.set(s, [...(groups.get(s) ?? []), i]));
  return [...groups.entries()].sort((a, b) => b[0] - a[0]).map(([, g]) => g);
}

export function argillaRecord(obj: Record<string, unknown>, line: number, annotator: string): ImportedRecord | RecordProblem {
  const nested = !!obj.fields && typeof obj.fields === 'object';
  const source = (nested ? obj.fields : obj) as Record<string, unknown>;
  const promptKey = PROMPT_NAMES.find((n) => typeof source[n] === 'string');
  if (!promptKey) return { line, message: `no prompt field (it has: ${Object.keys(source).join(', ')}; accepted names: ${PROMPT_NAMES.join(', ')})` };
  const prompt = source[promptKey] as string;
  if (prompt.trim() === '') return { line, message: 'empty prompt' };
  const fields = Object.keys(source).filter((k) => k !== promptKey && !RESERVED.has(k) && typeof source[k] === 'string');
  if (fields.length < 2 || fields.length > 4) {
    return { line, message: `needs 2 to 4 completion fields besides "${promptKey}" (found ${fields.length}: ${fields.join(', ') || 'none'})` };
  }
  const completions = fields.map((f) => source[f] as string);
  if (completions.some((c) => c.trim() === '')) return { line, message: 'an empty completion' };
  const labels: ImportedLabel[] = [];
  for (const response of responsesOf(obj, nested)) {
    if (response.status !== undefined && response.status !== 'submitted') continue;
    const who = response.user?.trim() || annotator;
    let found: ImportedLabel | null = null;
    for (const answer of response.answers.values()) {
      const ranking = asRanking(answer, fields);
      if (ranking === 'bad') return { line, message: `a ranking must rank each of ${fields.join(', ')} once` };
      if (ranking) found = { annotator: who, ranking };
    }
    if (!found) {
      const scores = asRatings(response.answers, fields);
      if (scores) found = { annotator: who, ranking: rankingFromScores(scores), scores };
    }
    if (!found) {
      return { line, message: `a response has neither a ranking nor a rating for each completion (questions: ${[...response.answers.keys()].join(', ') || 'none'})` };
    }
    labels.push(found);
  }
  return { line, prompt, completions, labels };
}
