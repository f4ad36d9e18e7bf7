/**
 * Turning chat records (`messages`: [{role, content}, ...]) into the (prompt, completion) text the
 * model trains on. The template is plain text a person can read and edit, one line per role:
 *
 *   system: {content}\n
 *   user: User: {content}\n
 *   assistant: Assistant: {content}
 *
 * `{content}` is where the message goes; `\n` is a newline and `\\` a backslash. The prompt is
 * every message before the last assistant message, each written with its role's line, then the
 * assistant line's text before `{content}` (the generation prompt, TRL's add_generation_prompt).
 * The completion is the last assistant message's content; the trainer appends end-of-text to it.
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export type ChatTemplate = Record<ChatRole, string>;

export const CHAT_ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];

/**
 * The default: no role prefixes, a newline after each request, which is how the built-in story
 * requests look ("Write a happy story about a cat.\n" + story), so the base model knows the format.
 */
export const DEFAULT_CHAT_TEMPLATE = 'system: {content}\\n\nuser: {content}\\n\nassistant: {content}';

/** The familiar alternative: role prefixes, as in "User: ...\nAssistant: ...". */
export const PREFIXED_CHAT_TEMPLATE = 'system: {content}\\n\\n\nuser: User: {content}\\n\nassistant: Assistant: {content}';

function unescape(text: string): string {
  return text.replace(/\\(n|\\)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Parses the template text; an error names the line and what is wrong. */
export function parseChatTemplate(text: string): { template: ChatTemplate } | { error: string } {
  const template: Partial<ChatTemplate> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const m = /^\s*(\w+):\s?(.*)$/.exec(line);
    if (!m) return { error: `line ${i + 1}: write it as "role: text with {content}" (roles: ${CHAT_ROLES.join(', ')})` };
    const role = m[1] as ChatRole;
    if (!CHAT_ROLES.includes(role)) return { error: `line ${i + 1}: unknown role "${m[1]}" (roles: ${CHAT_ROLES.join(', ')})` };
    if (template[role] !== undefined) return { error: `line ${i + 1}: the ${role} role has a line already` };
    const body = unescape(m[2]);
    if (body.split('{content}').length !== 2) return { error: `line ${i + 1}: the ${role} line must hold {content} exactly once` };
    template[role] = body;
  }
  const missing = CHAT_ROLES.filter((r) => r !== 'system' && template[r] === undefined);
  if (missing.length) return { error: `the template has no line for ${missing.join(' or ')}` };
  return { template: { system: template.system ?? '{content}\n', user: template.user!, assistant: template.assistant! } };
}

/** Checks a `messages` value; returns the messages or what is wrong with them. */
export function readMessages(value: unknown): { messages: ChatMessage[] } | { error: string } {
  if (!Array.isArray(value) || value.length === 0) return { error: '"messages" must be a non-empty list of {role, content}' };
  const messages: ChatMessage[] = [];
  for (let i = 0; i < value.length; i++) {
    const m = value[i] as { role?: unknown; content?: unknown } | null;
    if (!m || typeof m !== 'object') return { error: `message ${i + 1} is not an object with role and content` };
    if (typeof m.role !== 'string' || !CHAT_ROLES.includes(m.role as ChatRole)) {
      return { error: `message ${i + 1} has role ${JSON.stringify(m.role)}; roles are ${CHAT_ROLES.join(', ')}` };
    }
    if (typeof m.content !== 'string') return { error: `message ${i + 1} has no text "content"` };
    messages.push({ role: m.role as ChatRole, content: m.content });
  }
  return { messages };
}

/** The (prompt, completion) of a conversation under a template, or why it has none. */
export function applyChatTemplate(messages: readonly ChatMessage[], template: ChatTemplate): { prompt: string; completion: string } | { error: string } {
  const last = messages.findLastIndex((m) => m.role === 'assistant');
  if (last < 0) return { error: 'the conversation has no assistant message to learn' };
  if (last === 0) return { error: 'the conversation has no message before the assistant answer' };
  const render = (role: ChatRole, content: string) => template[role].replace('{content}', () => content);
  const prompt = messages.slice(0, last).map((m) => render(m.role, m.content)).join('') + template.assistant.split('{content}')[0];
  return { prompt, completion: messages[last].content };
}
