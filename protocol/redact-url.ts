/**
 * What a URL may show in a log: no personnummer or samordningsnummer (10 or 12 digits, with an optional
 * dash, plus or encoded separator) anywhere in it, and no value of a query parameter whose name says it
 * carries a secret. Shared by the server's request log and the card-agent's log, which both print URLs.
 */
const hidden = '[hidden]';

/**
 * 10 or 12 digits not part of a longer run, so a 19-digit card serial stays whole. Only digits bound it:
 * in `%3D19840312-9820` a letter of the escape stands right before the number.
 */
const personalIdentityNumber = /(?<!\d)(?:\d{2})?\d{6}(?:[-+ ]|%2[Bb]|%20)?\d{4}(?!\d)/g;

/** Query parameter names that carry a credential: ?key= of the SITHS eID-app page, tokens, codes. */
const secretParameter = /key|token|code|secret|password|passwd|pin|puk|signature|session|auth|otp|ticket/i;

export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  const withoutSecrets =
    queryStart === -1
      ? url
      : `${url.slice(0, queryStart + 1)}${url
          .slice(queryStart + 1)
          .split('&')
          .map(redactParameter)
          .join('&')}`;
  return withoutSecrets.replace(personalIdentityNumber, hidden);
}

function redactParameter(parameter: string): string {
  const equals = parameter.indexOf('=');
  if (equals === -1) return parameter;
  return secretParameter.test(decodeName(parameter.slice(0, equals)))
    ? `${parameter.slice(0, equals)}=${hidden}`
    : parameter;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}
