/**
 * Distinguished names as strings (RFC 4514): enough to build a child's DN and to split off the first RDN.
 * ldapts' DN class only builds DNs and quotes values instead of escaping them, so we keep our own few rules.
 */

/** Escapes an attribute value for use in an RDN: `,+"\<>;=` always, `#` and space at the start, space at the end. */
export function escapeDnValue(value: string): string {
  let escaped = value.replace(/[,+"\\<>;=]/g, (character) => `\\${character}`);
  if (value.startsWith('#') || value.startsWith(' ')) escaped = `\\${escaped}`;
  if (value.endsWith(' ') && value.length > 1) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/** `attribute=value,parentDn`, the value escaped. */
export function childDn(attribute: string, value: string, parentDn: string): string {
  const rdn = `${attribute}=${escapeDnValue(value)}`;
  return parentDn === '' ? rdn : `${rdn},${parentDn}`;
}

/**
 * The first RDN and the rest of a DN, split at the first comma that is neither escaped (`\,` or `\2C` stays
 * inside the value) nor inside a quoted value (the older RFC 2253 form some servers still send).
 */
export function splitDn(dn: string): { rdn: string; parentDn: string } {
  let quoted = false;
  for (let index = 0; index < dn.length; index++) {
    const character = dn[index];
    if (character === '\\') index++;
    else if (character === '"') quoted = !quoted;
    else if ((character === ',' || character === ';') && !quoted) {
      return { rdn: dn.slice(0, index).trim(), parentDn: dn.slice(index + 1).trim() };
    }
  }
  return { rdn: dn.trim(), parentDn: '' };
}

export function parentDnOf(dn: string): string {
  return splitDn(dn).parentDn;
}
