/** Where a failed card order sends the user: the guide's error pages for 2004 and 2006. */
export function errorPageFor(errorCode: string | null): string | null {
  if (errorCode === 'reserve_card_not_activated') return '/mina-sidor/fel/2004';
  if (errorCode === 'no_eid_order') return '/mina-sidor/fel/2006';
  return null;
}
