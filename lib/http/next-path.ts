/** Only same-site paths are allowed as a post-sign-in destination (no open redirects); default `/`, which sends each role to its home. */
export function safeNextPath(value: string | string[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v?.startsWith('/') || v.startsWith('//') || v.startsWith('/\\')) return '/';
  return v;
}
