/**
 * Windows four-part numeric versions, `major.minor.build.revision` (VS_FIXEDFILEINFO and the
 * DisplayVersion of Windows uninstall data). One to four parts; missing parts are 0, so `7.4`,
 * `7.4.0` and `7.4.0.0` are equal. Each part is 0–2147483647 (file versions are 16-bit per part,
 * but DisplayVersion is free text and vendors put larger build numbers there).
 */
export type WindowsVersion = readonly [number, number, number, number];

export function parseWindowsVersion(text: string): WindowsVersion | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const numbers = [0, 0, 0, 0];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (!/^[0-9]{1,10}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 2_147_483_647) return undefined;
    numbers[i] = n;
  }
  return numbers as unknown as WindowsVersion;
}

export function formatWindowsVersion(v: WindowsVersion): string {
  return v.join('.');
}

export function compareWindows(a: WindowsVersion, b: WindowsVersion): number {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number) ? -1 : 1;
  return 0;
}
