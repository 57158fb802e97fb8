/**
 * Watched words: finding an admin's words and phrases in a reply, however
 * it is spelled. Both sides go through the same normalisation:
 *
 * 1. NFKC, so look-alike compatibility forms become the plain letter
 *    (fullwidth "ｋｉｌｌ", ligatures "ﬁ", circled or mathematical letters);
 * 2. invisible characters removed — every Unicode default-ignorable code
 *    point and format character: zero-width spaces and joiners, soft
 *    hyphen, word joiner, variation selectors, bidi controls, tag
 *    characters, Hangul fillers — so "ki\u200Bll" is "kill";
 * 3. lower-cased (after NFKC, which can produce capitals);
 * 4. split into words: runs of letters, marks and digits. Everything else
 *    separates words, so "self-harm", "self harm" and "self—harm" are the
 *    same phrase, and "skill" does not contain "kill" (word boundaries).
 *
 * Matching is Aho–Corasick over words: the watched phrases form a trie whose
 * edges are whole words, with failure links, and the reply's words are fed
 * through it once. Each step is one hash lookup of a word (time proportional
 * to the word's length) plus amortised constant failure moves, so a reply of
 * n characters is scanned in O(n) whatever the number of watched phrases,
 * and building the automaton is linear in their total length. No regular
 * expression is built from anything an admin or a remote party typed.
 */

const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu;
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/** The words of `text` after normalisation (steps 1–4 above). */
export function normalizedWords(text: string): string[] {
  const cleaned = text.normalize("NFKC").replace(INVISIBLE, "").toLowerCase().normalize("NFKC");
  return cleaned.match(WORD) ?? [];
}

/** The stored key of a watched word or phrase: its words joined by one space ("" if none). */
export function watchedWordKey(word: string): string {
  return normalizedWords(word).join(" ");
}

interface TrieNode {
  next: Map<string, TrieNode>;
  fail: TrieNode | null;
  /** The phrase ending here (as typed), or, through the failure chain, a shorter one. */
  word: string | null;
  /** Nearest node on the failure chain that ends a phrase (a shorter phrase inside this one). */
  output: TrieNode | null;
}

const node = (): TrieNode => ({ next: new Map(), fail: null, word: null, output: null });

export interface WatchedWordMatcher {
  /** The first watched word (as typed) found in any of `texts`, else null. */
  firstMatch(texts: readonly string[]): string | null;
}

/** Builds the automaton; `words` are as the admin typed them. */
export function buildWatchedWordMatcher(words: readonly string[]): WatchedWordMatcher {
  const root = node();
  for (const word of words) {
    const tokens = normalizedWords(word);
    if (tokens.length === 0) continue;
    let at = root;
    for (const token of tokens) {
      let child = at.next.get(token);
      if (!child) {
        child = node();
        at.next.set(token, child);
      }
      at = child;
    }
    at.word ??= word;
  }
  // Failure links, breadth first (the classic construction).
  const queue: TrieNode[] = [];
  for (const child of root.next.values()) {
    child.fail = root;
    queue.push(child);
  }
  for (let i = 0; i < queue.length; i++) {
    const current = queue[i]!;
    for (const [token, child] of current.next) {
      let f = current.fail;
      while (f && !f.next.has(token)) f = f.fail;
      child.fail = f?.next.get(token) ?? root;
      child.output = child.fail.word !== null ? child.fail : child.fail.output;
      queue.push(child);
    }
  }
  const scan = (text: string): string | null => {
    let at = root;
    for (const token of normalizedWords(text)) {
      while (at !== root && !at.next.has(token)) at = at.fail ?? root;
      at = at.next.get(token) ?? root;
      if (at.word !== null) return at.word;
      if (at.output) return at.output.word;
    }
    return null;
  };
  return {
    firstMatch(texts) {
      if (root.next.size === 0) return null;
      for (const text of texts) {
        const found = scan(text);
        if (found !== null) return found;
      }
      return null;
    },
  };
}
