import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardSectionName } from '~/auth/sections';
import { callRoute, createRouteHarness, type RouteHarness } from '~/testing/route-harness';
import * as overview from './admin._index';
import * as administration from './admin.administration';
import * as orders from './admin.bestallningar';
import * as computers from './admin.datorer';
import * as audit from './admin.granskning';
import * as persons from './admin.personer';
import * as reserveCards from './admin.reservkort';
import * as support from './admin.support';

let harness: RouteHarness;
beforeAll(async () => {
  harness = await createRouteHarness();
});
afterAll(async () => {
  await harness.db.close();
});

const sections: Array<[DashboardSectionName, string, { loader: Parameters<typeof callRoute>[0] }]> = [
  ['overview', '/admin', overview],
  ['orders', '/admin/bestallningar', orders],
  ['reserveCards', '/admin/reservkort', reserveCards],
  ['persons', '/admin/personer', persons],
  ['audit', '/admin/granskning', audit],
  ['support', '/admin/support', support],
  ['administration', '/admin/administration', administration],
  ['computers', '/admin/datorer', computers],
];

// Who may open which section: the matrix the navigation and every loader must agree on.
const allowed: Record<string, DashboardSectionName[]> = {
  admin: ['overview', 'audit', 'support', 'administration', 'computers'],
  chef: ['overview', 'orders', 'persons'],
  kontakt: ['overview', 'orders', 'reserveCards', 'persons'],
  'kontakt.skovde': ['overview', 'orders', 'reserveCards', 'persons'],
  idadmin1: ['overview', 'orders', 'persons', 'audit'],
  support: ['overview', 'orders', 'reserveCards', 'persons', 'audit', 'support', 'computers'],
};

describe('dashboard sections by role', () => {
  for (const [username, sectionsAllowed] of Object.entries(allowed)) {
    for (const [section, path, route] of sections) {
      const expected = sectionsAllowed.includes(section) ? 200 : 403;
      it(`${username} ${expected === 200 ? 'may open' : 'is refused'} ${section}`, async () => {
        const request = await harness.request(path, { as: username });
        const outcome = await callRoute(route.loader, request, harness.context);
        expect(outcome.status).toBe(expected);
      });
    }
  }

  it('sends anonymous visitors and end users without staff roles to the login page', async () => {
    for (const as of [undefined, 'carina']) {
      const outcome = await callRoute(
        orders.loader,
        await harness.request('/admin/bestallningar', { as }),
        harness.context,
      );
      expect(outcome).toMatchObject({
        status: 302,
        location: '/logga-in?redirectTo=%2Fadmin%2Fbestallningar',
      });
    }
  });
});
