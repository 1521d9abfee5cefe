import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';

interface JobInProgress {
  busy: boolean;
  setBusy(busy: boolean): void;
}

const JobInProgressContext = createContext<JobInProgress>({ busy: false, setBusy: () => {} });

/** Mina sidor's frame knows when a card job waits or runs, so its menu and Logga ut can wait for it. */
export function JobInProgressProvider({ children }: { children: ReactNode }) {
  const [busy, setBusy] = useState(false);
  const value = useMemo(() => ({ busy, setBusy }), [busy]);
  return <JobInProgressContext.Provider value={value}>{children}</JobInProgressContext.Provider>;
}

/** Whether a card job of this page waits or runs. */
export function useJobInProgress(): boolean {
  return useContext(JobInProgressContext).busy;
}

/** Marks the frame busy while `open`, and free again when the panel goes. */
export function useMarkJobInProgress(open: boolean) {
  const { setBusy } = useContext(JobInProgressContext);
  useEffect(() => {
    setBusy(open);
    return () => setBusy(false);
  }, [open, setBusy]);
}
