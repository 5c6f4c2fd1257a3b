// An entrypoint string to argv, as a POSIX shell splits words but without any expansion: blanks
// separate words; '…' keeps everything literally; "…" keeps everything but \" \\ \$ \` (escaped);
// a backslash outside quotes keeps the next character. So `/bin/sh -c 'echo a b'` is three
// words, and commands with spaces need no ${IFS} tricks. No globbing, no variables: the shell
// inside the container does that when the command asks for one.

/** argv, or a message saying why the string is not a command line (an unclosed quote). */
export function parseCommand(line: string): { args: string[] } | { error: string } {
  const args: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) args.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: `unclosed ' at character ${i + 1}` };
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) j++;
        text += line[j];
      }
      if (j >= line.length) return { error: `unclosed " at character ${i + 1}` };
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return { error: 'a trailing backslash' };
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) args.push(word);
  return { args };
}
