import type { Locator } from '@playwright/test';

/** How many lines an element's text takes as rendered (a date that wraps at its hyphen takes two). */
export async function renderedLines(element: Locator): Promise<number> {
  return await element.evaluate((node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return new Set(
      [...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)),
    ).size;
  });
}

/** Whether two buttons sit side by side with the same top and height (within a pixel). */
export async function sharesRow(first: Locator, second: Locator): Promise<boolean> {
  const [a, b] = [await first.boundingBox(), await second.boundingBox()];
  if (!a || !b) return false;
  return Math.abs(a.y - b.y) <= 1 && Math.abs(a.height - b.height) <= 1;
}
