// Numbers as people read them: bytes in binary units, TFT from units, times, percentages.
const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(value: number): string {
  let v = Math.abs(value);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${value < 0 ? '-' : ''}${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function tft(units: string): string {
  const value = BigInt(units);
  const whole = value / 10_000_000n;
  const fraction = (value % 10_000_000n).toString().padStart(7, '0').replace(/0+$/, '');
  return `${whole}${fraction === '' ? '' : `.${fraction}`} TFT`;
}

export function time(ms: number): string {
  return ms === 0 ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(part / whole < 0.1 ? 1 : 0)}%`;
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}
