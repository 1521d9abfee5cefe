import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import {
  type ServerToSupportEvents,
  type SupportToServerEvents,
  supportNamespace,
} from '../../protocol/support-events';

export type SupportSocket = Socket<ServerToSupportEvents, SupportToServerEvents>;

interface SupportConnection {
  socket: SupportSocket | null;
  live: boolean;
}

const SupportSocketContext = createContext<SupportConnection>({ socket: null, live: false });

/** One /support connection for all of support's pages; the session cookie authenticates it. */
export function SupportSocketProvider({ children }: { children: ReactNode }) {
  const [connection, setConnection] = useState<SupportConnection>({ socket: null, live: false });
  useEffect(() => {
    const socket: SupportSocket = io(supportNamespace, { transports: ['websocket'] });
    setConnection({ socket, live: false });
    socket.on('connect', () => setConnection({ socket, live: true }));
    socket.on('disconnect', () => setConnection({ socket, live: false }));
    return () => {
      socket.close();
    };
  }, []);
  return <SupportSocketContext.Provider value={connection}>{children}</SupportSocketContext.Provider>;
}

export const useSupportSocket = () => useContext(SupportSocketContext);

/** Subscribes to a support event for as long as the component is mounted. */
export function useSupportEvent<Event extends keyof ServerToSupportEvents>(
  event: Event,
  listener: ServerToSupportEvents[Event],
) {
  const { socket } = useSupportSocket();
  useEffect(() => {
    if (!socket) return;
    // Socket.IO's typed `on` cannot relate a generic event name to its listener.
    const on = socket.on.bind(socket) as (name: string, handler: (...args: never[]) => void) => void;
    const off = socket.off.bind(socket) as (name: string, handler: (...args: never[]) => void) => void;
    on(event, listener as never);
    return () => off(event, listener as never);
  }, [socket, event, listener]);
}

/** Re-renders every second, for ages and timers. */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
