import type { MetaFunction } from '@remix-run/node';
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { useT } from '~/i18n/use-translation';
import { refusalText } from '~/mina-sidor/mobile-qr';
import { listDevices, removeDevice, type StoredDevice, saveDevice } from '~/mobile-siths/device-store';
import { createDeviceKey, hasWebCrypto, signText } from '~/mobile-siths/phone-crypto';
import { deviceCode, deviceNameSchema } from '~/mobile-siths/phone-schemas';
import { isQrChannelMessage, qrChannelName } from '~/mobile-siths/qr-channel';
import { enrolmentQrPrefix, mobileAuthMessage, mobileEnrolmentMessage } from '../../protocol/mobile-siths';

export const meta: MetaFunction = () => [{ title: 'Mobilt SITHS' }];

/** A QR code another tab posted longer ago than this is no longer on the screen (pages re-post every second). */
const qrFreshForMs = 3000;
const defaultDeviceName = 'Xiaomi 22126RN91Y';

type Refusal = { ok: false; refusal: string; message: string; attemptsLeft?: number };
type ScanAnswer =
  | { ok: true; kind: 'login'; orderId: string; challenge: string; purpose: string; text: string }
  | { ok: true; kind: 'sign'; orderId: string; statement: string; purpose: string; text: string }
  | { ok: true; kind: 'enrolment'; expiresAt: string }
  | Refusal;
type SignAnswer = { ok: true; message: string } | Refusal;
type RegisterAnswer =
  | {
      ok: true;
      deviceId: string;
      deviceName: string;
      certificatePem: string;
      trustLevel: number;
      validTo: string;
      holderName: string;
      message: string;
    }
  | Refusal;

type Screen =
  | { kind: 'home'; error?: string }
  | {
      kind: 'code';
      orderId: string;
      /** A login signs the order's challenge; a decision signs its statement, the very text shown. */
      signs: { kind: 'challenge'; challenge: string } | { kind: 'statement'; statement: string };
      text: string;
      purpose: string;
      device: StoredDevice;
      error?: string;
    }
  | { kind: 'enrol'; token: string; error?: string }
  | { kind: 'result'; ok: boolean; message: string };

/** The UTF-8 text the device key signs for the order on the code screen. */
function signedText(screen: Extract<Screen, { kind: 'code' }>): string {
  return screen.signs.kind === 'statement'
    ? screen.signs.statement
    : mobileAuthMessage(screen.orderId, screen.signs.challenge);
}

async function postJson<Answer>(url: string, body: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Answer;
}

/**
 * The phone simulator ("Mobilt SITHS" app), public: it is the phone. It keeps its devices' keys in this
 * browser (IndexedDB, non-extractable WebCrypto keys) and "scans" the QR code another tab of the same
 * browser shows (BroadcastChannel 'siths-mobile-qr'), or content pasted into "QR-kod (innehåll)".
 */
export default function MobileSithsSimulator() {
  const t = useT();
  const [devices, setDevices] = useState<StoredDevice[] | null>(null);
  const [selectedId, setSelectedId] = useState('');
  const [screen, setScreen] = useState<Screen>({ kind: 'home' });
  const [busy, setBusy] = useState(false);
  const latestQr = useRef<{ content: string; receivedAt: number } | null>(null);
  // Decided after hydration: the server has no WebCrypto of the browser's to ask about.
  const [cryptoAvailable, setCryptoAvailable] = useState(true);

  const reload = useCallback(async () => {
    const held = await listDevices().catch(() => [] as StoredDevice[]);
    setDevices(held);
    setSelectedId((current) =>
      held.some((device) => device.deviceId === current) ? current : (held.at(-1)?.deviceId ?? ''),
    );
  }, []);

  useEffect(() => {
    setCryptoAvailable(hasWebCrypto());
    void reload();
    if (typeof BroadcastChannel === 'undefined') return;
    const channel = new BroadcastChannel(qrChannelName);
    channel.onmessage = (event: MessageEvent) => {
      if (!isQrChannelMessage(event.data)) return;
      latestQr.current =
        event.data.content === null ? null : { content: event.data.content, receivedAt: Date.now() };
    };
    return () => channel.close();
  }, [reload]);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
    } catch {
      setScreen({ kind: 'result', ok: false, message: t('mobile.app.networkError') });
    } finally {
      setBusy(false);
    }
  };

  const scan = (content: string) =>
    run(async () => {
      const text = content.trim();
      const device = devices?.find((held) => held.deviceId === selectedId);
      const isEnrolment = text.startsWith(`${enrolmentQrPrefix}.`);
      if (!isEnrolment && !device) {
        setScreen({ kind: 'result', ok: false, message: refusalText(t, 'unknown_device') });
        return;
      }
      const answer = await postJson<ScanAnswer>('/mobilt-siths/api/skanna', {
        qrContent: text,
        ...(isEnrolment || !device ? {} : { deviceId: device.deviceId }),
      });
      if (!answer.ok) setScreen({ kind: 'result', ok: false, message: answer.message });
      else if (answer.kind === 'enrolment')
        setScreen({ kind: 'enrol', token: text.slice(enrolmentQrPrefix.length + 1) });
      else if (device) {
        const signs =
          answer.kind === 'sign'
            ? { kind: 'statement' as const, statement: answer.statement }
            : { kind: 'challenge' as const, challenge: answer.challenge };
        setScreen({
          kind: 'code',
          orderId: answer.orderId,
          signs,
          purpose: answer.purpose,
          text: answer.text,
          device,
        });
      }
    });

  const scanScreen = () => {
    const seen = latestQr.current;
    if (!seen || Date.now() - seen.receivedAt > qrFreshForMs) {
      setScreen({ kind: 'home', error: t('mobile.app.noQrSeen') });
      return;
    }
    void scan(seen.content);
  };

  if (!cryptoAvailable) {
    return (
      <PhoneFrame>
        <p role="alert">{t('mobile.app.noCrypto')}</p>
      </PhoneFrame>
    );
  }

  return (
    <PhoneFrame>
      {screen.kind === 'home' ? (
        <Home
          devices={devices}
          selectedId={selectedId}
          onSelect={setSelectedId}
          onScanScreen={scanScreen}
          onScanPasted={(content) => void scan(content)}
          onRemove={(deviceId) => void removeDevice(deviceId).then(reload)}
          busy={busy}
          error={screen.error}
        />
      ) : null}
      {screen.kind === 'code' ? (
        <CodeScreen
          screen={screen}
          busy={busy}
          onCancel={() => setScreen({ kind: 'home' })}
          onSubmit={(code) =>
            run(async () => {
              const signature = await signText(screen.device.privateKey, signedText(screen));
              const answer = await postJson<SignAnswer>('/mobilt-siths/api/signera', {
                orderId: screen.orderId,
                deviceId: screen.device.deviceId,
                code,
                signature,
              });
              if (answer.ok) setScreen({ kind: 'result', ok: true, message: answer.message });
              else if (answer.refusal === 'wrong_code') setScreen({ ...screen, error: answer.message });
              else setScreen({ kind: 'result', ok: false, message: answer.message });
            })
          }
        />
      ) : null}
      {screen.kind === 'enrol' ? (
        <EnrolScreen
          screen={screen}
          busy={busy}
          onCancel={() => setScreen({ kind: 'home' })}
          onSubmit={(name, code) =>
            run(async () => {
              const key = await createDeviceKey();
              const answer = await postJson<RegisterAnswer>('/mobilt-siths/api/registrera', {
                token: screen.token,
                deviceName: name,
                publicKey: key.publicKeySpki,
                code,
                signature: await signText(key.privateKey, mobileEnrolmentMessage(screen.token)),
              });
              if (!answer.ok) {
                setScreen({ kind: 'result', ok: false, message: answer.message });
                return;
              }
              await saveDevice({
                deviceId: answer.deviceId,
                name: answer.deviceName,
                privateKey: key.privateKey,
                certificatePem: answer.certificatePem,
                trustLevel: answer.trustLevel,
                validTo: answer.validTo,
                holderName: answer.holderName,
                addedAt: Date.now(),
              });
              await reload();
              setSelectedId(answer.deviceId);
              setScreen({ kind: 'result', ok: true, message: answer.message });
            })
          }
        />
      ) : null}
      {screen.kind === 'result' ? (
        <div className="phone-result">
          {screen.ok ? (
            <p role="status" className="phone-success">
              {screen.message}
            </p>
          ) : (
            <p role="alert" className="form-error">
              {screen.message}
            </p>
          )}
          <button type="button" className="mina-button primary" onClick={() => setScreen({ kind: 'home' })}>
            {t('mobile.app.ok')}
          </button>
        </div>
      ) : null}
    </PhoneFrame>
  );
}

function PhoneFrame({ children }: { children: React.ReactNode }) {
  const t = useT();
  return (
    <main className="phone">
      <header className="phone-top">
        <h1>{t('mobile.app.title')}</h1>
        <p className="hint">{t('mobile.app.tagline')}</p>
      </header>
      {children}
    </main>
  );
}

function Home(props: {
  devices: StoredDevice[] | null;
  selectedId: string;
  onSelect: (deviceId: string) => void;
  onScanScreen: () => void;
  onScanPasted: (content: string) => void;
  onRemove: (deviceId: string) => void;
  busy: boolean;
  error: string | undefined;
}) {
  const t = useT();
  const [pasted, setPasted] = useState('');
  const { devices } = props;
  if (devices === null) return <p>{t('mobile.app.busy')}</p>;
  return (
    <>
      {devices.length === 0 ? (
        <p>{t('mobile.app.noDevice')}</p>
      ) : (
        <>
          <p role="status" className="phone-ready">
            {t('mobile.app.ready')}
          </p>
          <table className="phone-devices">
            <caption>{t('mobile.app.devices')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('mobile.app.deviceName')}</th>
                <th scope="col">{t('mobile.app.holder')}</th>
                <th scope="col">{t('mobile.app.trustLevel')}</th>
                <th scope="col">{t('mobile.app.validTo')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('mobile.app.remove')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {devices.map((device) => (
                <tr key={device.deviceId} data-device-id={device.deviceId}>
                  <td>{device.name}</td>
                  <td>{device.holderName}</td>
                  <td>{device.trustLevel}</td>
                  <td>{device.validTo.slice(0, 10)}</td>
                  <td>
                    <button
                      type="button"
                      className="link-button"
                      aria-label={`${t('mobile.app.remove')} ${device.name} (${device.holderName})`}
                      onClick={() => props.onRemove(device.deviceId)}
                    >
                      {t('mobile.app.remove')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <label className="phone-field">
            {t('mobile.app.useDevice')}
            <select value={props.selectedId} onChange={(event) => props.onSelect(event.target.value)}>
              {devices.map((device) => (
                <option key={device.deviceId} value={device.deviceId}>
                  {`${device.name} – ${device.holderName}`}
                </option>
              ))}
            </select>
          </label>
        </>
      )}
      <p>
        <button
          type="button"
          className="mina-button primary"
          onClick={props.onScanScreen}
          disabled={props.busy}
        >
          {t('mobile.app.scan')}
        </button>
      </p>
      <p className="hint">{t('mobile.app.scanHint')}</p>
      {props.error ? (
        <p role="alert" className="form-error">
          {props.error}
        </p>
      ) : null}
      <form
        className="phone-paste"
        onSubmit={(event) => {
          event.preventDefault();
          if (pasted.trim()) props.onScanPasted(pasted);
        }}
      >
        <label className="phone-field">
          {t('mobile.app.pasteLabel')}
          <input
            name="qrContent"
            value={pasted}
            onChange={(event) => setPasted(event.target.value)}
            autoComplete="off"
          />
        </label>
        <button type="submit" className="mina-button" disabled={props.busy}>
          {t('mobile.app.pasteSubmit')}
        </button>
      </form>
    </>
  );
}

function CodeScreen(props: {
  screen: Extract<Screen, { kind: 'code' }>;
  busy: boolean;
  onCancel: () => void;
  onSubmit: (code: string) => void;
}) {
  const t = useT();
  const [error, setError] = useState<string | undefined>(undefined);
  const shownError = error ?? props.screen.error;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const code = deviceCode.safeParse(new FormData(event.currentTarget).get('code'));
    if (!code.success) {
      setError(t('mobile.app.codeFormat'));
      return;
    }
    setError(undefined);
    event.currentTarget.reset();
    props.onSubmit(code.data);
  };
  const { signs } = props.screen;
  return (
    <form className="phone-code" onSubmit={submit}>
      <h2>{props.screen.text}</h2>
      {props.screen.purpose === 'unlock_reauth' ? <p>{t('mobile.app.purposeReauth')}</p> : null}
      {signs.kind === 'statement' ? <StatementToSign statement={signs.statement} /> : null}
      <p className="hint">{`${props.screen.device.name} – ${props.screen.device.holderName}`}</p>
      <label className="phone-field">
        {signs.kind === 'statement' ? t('mobile.app.signCodeLabel') : t('mobile.app.codeLabel')}
        <input
          type="password"
          name="code"
          inputMode="numeric"
          autoComplete="off"
          // biome-ignore lint/a11y/noAutofocus: the phone asks for the code at once, as the app does
          autoFocus
          aria-invalid={shownError ? true : undefined}
          aria-describedby={shownError ? 'code-error' : undefined}
        />
      </label>
      {shownError ? (
        <p id="code-error" role="alert" className="form-error">
          {shownError}
        </p>
      ) : null}
      <p className="phone-actions">
        <button type="submit" className="mina-button primary" disabled={props.busy}>
          {signs.kind === 'statement' ? t('mobile.app.sign') : t('mobile.app.identify')}
        </button>
        <button type="button" className="mina-button" onClick={props.onCancel}>
          {t('mobile.app.cancel')}
        </button>
      </p>
    </form>
  );
}

/** The decision's text as the phone signs it, line breaks kept: the user reads exactly what they sign. */
function StatementToSign({ statement }: { statement: string }) {
  const t = useT();
  return (
    <section aria-labelledby="statement-heading">
      <h3 id="statement-heading">{t('mobile.app.statementHeading')}</h3>
      <blockquote
        style={{
          whiteSpace: 'pre-wrap',
          overflowWrap: 'anywhere',
          fontSize: '1.1rem',
          margin: '0.5rem 0',
          padding: '0.75rem',
          border: '2px solid #1b4f72',
          borderRadius: '0.5rem',
        }}
      >
        {statement}
      </blockquote>
      <p className="hint">{t('mobile.app.statementHint')}</p>
    </section>
  );
}

function EnrolScreen(props: {
  screen: Extract<Screen, { kind: 'enrol' }>;
  busy: boolean;
  onCancel: () => void;
  onSubmit: (name: string, code: string) => void;
}) {
  const t = useT();
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = deviceNameSchema.safeParse(form.get('deviceName'));
    const code = deviceCode.safeParse(form.get('code'));
    if (!name.success) return setError(t('mobile.app.nameRequired'));
    if (!code.success) return setError(t('mobile.app.codeFormat'));
    if (form.get('repeatCode') !== code.data) return setError(t('mobile.app.codeMismatch'));
    setError(undefined);
    props.onSubmit(name.data, code.data);
  };
  return (
    <form className="phone-enrol" onSubmit={submit}>
      <h2>{t('mobile.app.enrolHeading')}</h2>
      <label className="phone-field">
        {t('mobile.app.enrolDeviceName')}
        <input name="deviceName" defaultValue={defaultDeviceName} maxLength={60} autoComplete="off" />
      </label>
      <label className="phone-field">
        {t('mobile.app.chooseCode')}
        <input type="password" name="code" inputMode="numeric" autoComplete="new-password" />
      </label>
      <label className="phone-field">
        {t('mobile.app.repeatCode')}
        <input type="password" name="repeatCode" inputMode="numeric" autoComplete="new-password" />
      </label>
      {error ? (
        <p role="alert" className="form-error">
          {error}
        </p>
      ) : null}
      <p className="phone-actions">
        <button type="submit" className="mina-button primary" disabled={props.busy}>
          {t('mobile.app.register')}
        </button>
        <button type="button" className="mina-button" onClick={props.onCancel}>
          {t('mobile.app.cancel')}
        </button>
      </p>
    </form>
  );
}
