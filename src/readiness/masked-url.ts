// A URL with credentials, as it may be shown: in a log, a plan or an error message.

/** `url` as it may be shown in a log or a plan: a password in it is masked (`user:***@host`). */
export function maskedUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i.exec(url);
  return match === null ? url : `${match[1]}:***@${url.slice(match[0].length)}`;
}
