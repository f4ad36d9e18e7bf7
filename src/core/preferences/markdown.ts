/**
 * A tiny markdown reader for labeling guidelines: headings, paragraphs, bullet and numbered
 * lists, fenced code blocks, and inline **bold**, *italic* / _italic_ and `code`. It returns a
 * plain tree of text nodes that a component renders as elements with text content, so HTML in
 * the guidelines ("<script>", "<b>") is shown literally and never interpreted.
 */
export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] };

export type Block =
  | { type: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'list'; ordered: boolean; items: Inline[][] }
  | { type: 'code'; text: string };

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const FENCE = /^\s*```/;

/** Inline markup: the first marker wins; an unclosed marker is plain text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push({ type: 'text', text: plain });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    if (rest[0] === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        out.push({ type: 'code', text: text.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    const strong = rest.startsWith('**') ? '**' : rest.startsWith('__') ? '__' : null;
    if (strong) {
      const end = text.indexOf(strong, i + 2);
      if (end > i + 2) {
        flush();
        out.push({ type: 'strong', children: parseInline(text.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    }
    if ((rest[0] === '*' || rest[0] === '_') && rest[1] !== undefined && rest[1] !== ' ') {
      const end = text.indexOf(rest[0], i + 1);
      if (end > i + 1) {
        flush();
        out.push({ type: 'em', children: parseInline(text.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    plain += text[i];
    i++;
  }
  flush();
  return out;
}

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const endParagraph = () => {
    if (paragraph.length) blocks.push({ type: 'paragraph', children: parseInline(paragraph.join(' ')) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (FENCE.test(line)) {
      endParagraph();
      const code: string[] = [];
      for (i++; i < lines.length && !FENCE.test(lines[i]); i++) code.push(lines[i]);
      blocks.push({ type: 'code', text: code.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph();
      blocks.push({ type: 'heading', level: heading[1].length as 1, children: parseInline(heading[2]) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      endParagraph();
      const ordered = !bullet;
      const item = parseInline((bullet ?? numbered)![1]);
      const last = blocks.at(-1);
      if (last?.type === 'list' && last.ordered === ordered && !/^\s*$/.test(lines[i - 1] ?? '')) last.items.push(item);
      else blocks.push({ type: 'list', ordered, items: [item] });
      continue;
    }
    if (line.trim() === '') endParagraph();
    else paragraph.push(line.trim());
  }
  endParagraph();
  return blocks;
}

/** Starting guidelines for a new dataset (the happy-ending preference the simulated annotator has). */
export const DEFAULT_GUIDELINES = `## How to label

Read the prompt, then each story. Pick the story that is **better for this prompt**:

1. It ends **happily** (this class's preference).
2. It stays on the prompt's topic (the animal asked for).
3. It reads well: whole sentences, not too short, not rambling.

Press **Tie** when both are equally good (or equally bad), and **Discard** when a story is broken or
unreadable. Do not guess from the position: the order of A and B is random.`;
