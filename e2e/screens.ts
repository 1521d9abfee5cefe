import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, TestInfo } from '@playwright/test';

/**
 * Screenshots of every screen of the user guides, looked at rather than only asserted: each screen at a
 * desktop width and at a phone's, attached to the Playwright report and written to
 * test-results/screens/<guide>/<nn>-<name>-<width>.png, with an index page (test-results/screens/index.html).
 */
export const screensDir = join(process.cwd(), 'test-results', 'screens');
export const screenWidths = [1280, 390] as const;

export type Guide = 'las-upp-kort' | 'aktivera-reservkort' | 'assisterad-upplasning';

const guideTitles: Record<Guide, string> = {
  'las-upp-kort': 'Lås upp SITHS-kort med Mobilt SITHS',
  'aktivera-reservkort': 'Aktivera ditt reservkort',
  'assisterad-upplasning': 'Lås upp kort med support i telefon',
};

/** `name` is "<nn>-<what>" (the screen's place in the guide); `caption` says what the screen shows. */
export async function captureScreen(
  page: Page,
  testInfo: TestInfo,
  guide: Guide,
  name: string,
  caption: string,
) {
  const original = page.viewportSize();
  mkdirSync(join(screensDir, guide), { recursive: true });
  for (const width of screenWidths) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
    await page.evaluate(() => document.fonts.ready);
    const file = join(screensDir, guide, `${name}-${width}.png`);
    const body = await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
    await testInfo.attach(`${guide}/${name}-${width}.png`, { body, contentType: 'image/png' });
  }
  if (original) await page.setViewportSize(original);
  writeCaption(guide, name, caption);
  writeIndex();
}

const captionsFile = () => join(screensDir, 'captions.json');

function readCaptions(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(captionsFile(), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

function writeCaption(guide: Guide, name: string, caption: string) {
  writeFileSync(
    captionsFile(),
    JSON.stringify({ ...readCaptions(), [`${guide}/${name}`]: caption }, null, 2),
  );
}

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (character) => `&#${character.charCodeAt(0)};`);

/** One page listing every screen written so far, guide by guide, each at both widths with its caption. */
function writeIndex() {
  const captions = readCaptions();
  const sections = (Object.keys(guideTitles) as Guide[]).map((guide) => {
    let files: string[] = [];
    try {
      files = readdirSync(join(screensDir, guide));
    } catch {}
    const names = [...new Set(files.map((file) => file.replace(/-\d+\.png$/, '')))].sort();
    const rows = names.map((name) => {
      const images = screenWidths
        .filter((width) => files.includes(`${name}-${width}.png`))
        .map(
          (width) =>
            `<a href="${guide}/${name}-${width}.png"><img src="${guide}/${name}-${width}.png" alt="${escapeHtml(
              `${captions[`${guide}/${name}`] ?? name}, ${width} px`,
            )}" width="${width === 390 ? 195 : 480}"></a>`,
        )
        .join('');
      return `<figure><figcaption>${escapeHtml(name.slice(0, 2))}. ${escapeHtml(
        captions[`${guide}/${name}`] ?? name,
      )}</figcaption>${images}</figure>`;
    });
    return `<section><h2>${escapeHtml(guideTitles[guide])}</h2>${rows.join('\n') || '<p>Inga skärmbilder.</p>'}</section>`;
  });
  writeFileSync(
    join(screensDir, 'index.html'),
    `<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Skärmbilder av användarguiderna</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem}figure{margin:0 0 2rem}figcaption{font-weight:600;margin-bottom:.5rem}img{border:1px solid #ccc;margin-right:1rem;vertical-align:top}</style>
</head><body><h1>Skärmbilder av användarguiderna (1280 px och 390 px)</h1>
${sections.join('\n')}
</body></html>
`,
  );
}
