import { useEffect, useRef } from 'react';

/**
 * The phone simulator "scans the screen" through this BroadcastChannel: every page that shows a Mobile SITHS
 * QR code posts its current content here, and the simulator open in another tab of the same browser reads
 * the latest. `content: null` says no QR code is shown any more.
 */
export const qrChannelName = 'siths-mobile-qr';

export interface QrChannelMessage {
  type: 'mobilesiths-qr';
  content: string | null;
  /** Epoch milliseconds when the page posted it. */
  at: number;
}

export function isQrChannelMessage(data: unknown): data is QrChannelMessage {
  const message = data as Partial<QrChannelMessage> | null;
  return (
    typeof message === 'object' &&
    message !== null &&
    message.type === 'mobilesiths-qr' &&
    (typeof message.content === 'string' || message.content === null) &&
    typeof message.at === 'number'
  );
}

/**
 * Posts `content` when it changes and again every second (a simulator tab opened later still sees a static
 * enrolment QR code), and null when it goes away.
 */
export function useQrBroadcast(content: string | null): void {
  const channel = useRef<BroadcastChannel | null>(null);
  useEffect(() => {
    if (typeof BroadcastChannel === 'undefined') return;
    channel.current = new BroadcastChannel(qrChannelName);
    return () => {
      channel.current?.postMessage({
        type: 'mobilesiths-qr',
        content: null,
        at: Date.now(),
      } satisfies QrChannelMessage);
      channel.current?.close();
      channel.current = null;
    };
  }, []);
  useEffect(() => {
    const post = () =>
      channel.current?.postMessage({
        type: 'mobilesiths-qr',
        content,
        at: Date.now(),
      } satisfies QrChannelMessage);
    post();
    if (content === null) return;
    const timer = setInterval(post, 1000);
    return () => clearInterval(timer);
  }, [content]);
}
