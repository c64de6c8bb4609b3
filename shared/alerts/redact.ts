/**
 * Secrets never reach a log line, a status screen or the DB: every text that may carry one (an error from
 * an HTTP client or an SMTP server, a URL) goes through `redact` with the channel's secrets first.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(secret).join('[redacted]');
  return out;
}

/** The parts of a secret URL worth hiding: the whole URL, its path and query (tokens), its password. */
export function secretPartsOfUrl(url: string): string[] {
  const parts = [url];
  try {
    const parsed = new URL(url);
    if (parsed.password) parts.push(parsed.password, decodeURIComponent(parsed.password));
    if (parsed.pathname.length > 1) parts.push(parsed.pathname);
    if (parsed.search) parts.push(parsed.search);
    if (parsed.username && parsed.password) parts.push(`${parsed.username}:${parsed.password}`);
  } catch {
    /* not a URL: the whole string is hidden */
  }
  return parts;
}

/** A URL shown without what makes it a credential: scheme, host and port only (https://hooks.slack.com/…). */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.username ? `${decodeURIComponent(parsed.username)}@` : ''}${parsed.host}${parsed.pathname.length > 1 || parsed.search ? '/…' : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}
