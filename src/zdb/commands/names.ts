// Command name lookup without a string per command: the name argument is compared, ASCII
// case-insensitively, with the table's names of the same length. Making a latin1 string,
// upper-casing it and hashing it into the Map cost a few percent of a pipelined GET.

/** The table's names grouped by length, as strings and as upper-case ASCII bytes. */
export class CommandNames {
  private readonly byLength: { name: string; bytes: Buffer }[][] = [];

  constructor(names: Iterable<string>) {
    for (const name of names) {
      const bytes = Buffer.from(name, 'latin1');
      (this.byLength[bytes.length] ??= []).push({ name, bytes });
    }
  }

  /**
   * The upper-case name of `argument`: a table name when it matches one ASCII case-insensitively
   * (the same string every time), else what toUpperCase() makes of it (not in the table, so the
   * caller answers "Command not supported" exactly as before).
   */
  resolve(argument: Buffer): string {
    const candidates = this.byLength[argument.length];
    if (candidates !== undefined) {
      for (const { name, bytes } of candidates) if (equalsUpper(argument, bytes)) return name;
    }
    return argument.toString('latin1').toUpperCase();
  }
}

/** Whether `argument` upper-cased (ASCII letters only) equals `upper`, of the same length. */
function equalsUpper(argument: Buffer, upper: Buffer): boolean {
  for (let i = 0; i < upper.length; i++) {
    const c = argument[i]!;
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== upper[i]) return false;
  }
  return true;
}
